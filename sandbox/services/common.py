"""What every sandbox operation needs: refusing with a reason, permissions, parameters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from sandbox.labels import document_state
from sandbox.models import SbParameter
from sandbox.permissions import SANDBOX_PERMISSIONS
from sandbox.tenancy import SandboxContext

CENT = Decimal("0.01")


class SandboxRuleError(ValueError):
    """A business rule refused the action; the message is for the learner, translated."""


class SandboxPermissionError(SandboxRuleError):
    """The persona's role does not grant the permission."""


class SandboxReadOnlyError(SandboxRuleError):
    """A trainer looking at a learner's sandbox cannot change it."""


def require(ctx: SandboxContext, permission: str) -> None:
    """Refuse unless the acting persona may do ``permission`` and the context may write."""
    if ctx.read_only:
        raise SandboxReadOnlyError(_("This sandbox is open read-only."))
    persona = ctx.persona
    if persona is None or not persona.can(permission):
        raise SandboxPermissionError(
            _("%(name)s (%(role)s) is not allowed to: %(action)s.",
              name=persona.name if persona else "?",
              role=persona.role.name if persona else "?",
              action=SANDBOX_PERMISSIONS[permission])
        )


def parameter(ctx: SandboxContext, key: str) -> str:
    return ctx.scalar(select(SbParameter.value).where(SbParameter.key == key)) or ""


def switch_on(ctx: SandboxContext, key: str) -> bool:
    return parameter(ctx, key) == "on"


def vat_rate(ctx: SandboxContext) -> Decimal:
    return Decimal(parameter(ctx, "vat_rate") or "13") / 100


def positive_amount(value, what: str) -> Decimal:
    """``value`` as a Decimal greater than zero, or a rule error naming ``what``."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SandboxRuleError(_("%(what)s must be a number.", what=what)) from None
    if not amount.is_finite() or amount <= 0:
        raise SandboxRuleError(_("%(what)s must be greater than zero.", what=what))
    if amount >= Decimal("1e11"):
        raise SandboxRuleError(_("%(what)s is too large.", what=what))
    return amount


# What a document may hold, well inside the columns (Quantity 14,3 and Money 14,2), so sums
# of lines and stock built up over many receipts still fit.
MAX_QUANTITY = Decimal("1e9")
MAX_AMOUNT = Decimal("1e10")


def quantity_value(value, what: str) -> Decimal:
    """A quantity greater than zero, below MAX_QUANTITY, with at most three decimals."""
    quantity = positive_amount(value, what)
    if quantity >= MAX_QUANTITY:
        raise SandboxRuleError(_("%(what)s is too large.", what=what))
    if quantity != quantity.quantize(Decimal("0.001")):
        raise SandboxRuleError(_("%(what)s can have at most three decimals.", what=what))
    return quantity


def format_quantity(value) -> str:
    """A quantity as people write it: 50.000 → 50, 2.500 → 2.5 (pages and messages alike)."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


def blank_or_zero(value) -> bool:
    """An empty or zero quantity on a line of a delivery or receipt form: "not this line"."""
    if value is None or str(value).strip() == "":
        return True
    try:
        return Decimal(str(value).strip()) == 0
    except (InvalidOperation, ValueError):
        return False  # quantity_value will say what is wrong with it


def money_value(value, what: str) -> Decimal:
    """An amount greater than zero, below MAX_AMOUNT, in yuan and fen (two decimals)."""
    amount = positive_amount(value, what)
    if amount >= MAX_AMOUNT:
        raise SandboxRuleError(_("%(what)s is too large.", what=what))
    if amount != amount.quantize(CENT):
        raise SandboxRuleError(_("%(what)s can have at most two decimals.", what=what))
    return amount


def check_line_amount(amount: Decimal, what: str) -> None:
    """Refuse a line whose value (quantity × price) is beyond what a document may hold."""
    if amount >= MAX_AMOUNT:
        raise SandboxRuleError(_("%(what)s is too large.", what=what))


def require_state(document, allowed: tuple[str, ...]) -> None:
    """Refuse to act on a document in a state the action does not apply to."""
    if document.state not in allowed:
        raise SandboxRuleError(
            _("%(number)s is “%(state)s”; this action is not possible in that state.",
              number=document.number, state=document_state(document))
        )


def not_own_document(ctx: SandboxContext, document) -> None:
    """Approving one's own document is refused unless the parameter allows it."""
    if document.created_by == ctx.persona.code and not switch_on(ctx, "allow_self_approval"):
        raise SandboxRuleError(
            _("%(number)s was created by %(name)s, who may not approve it too.",
              number=document.number, name=ctx.persona.name)
        )
