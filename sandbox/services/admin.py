"""Administration of a sandbox: users and roles, their permissions, system parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from lms.extensions import db
from sandbox.models import SbParameter, SbRole, SbRolePermission, SbUser
from sandbox.permissions import SANDBOX_PERMISSIONS
from sandbox.services.common import CENT, SandboxRuleError, require
from sandbox.tenancy import SandboxContext

SWITCHES = ("credit_check", "allow_self_approval", "reorder_alert")
VAT_RATES = ("0", "6", "9", "13")
# Keys a learner may change; each has a check below.
PARAMETER_KEYS = (*SWITCHES, "purchase_approval_threshold", "vat_rate")
# Without this one, nobody could give permissions back.
ADMIN_PERMISSION = "admin.users"
# Codes of new roles and users, like the seeded ones (sales_clerk): the column holds 40.
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")
NAME_LENGTH = 80  # sb_roles.name, sb_users.name and sb_users.title


def _role(ctx: SandboxContext, code: str) -> SbRole:
    role = ctx.by_code(SbRole, code)
    if role is None:
        raise SandboxRuleError(_("There is no role %(code)s.", code=code))
    return role


def _user(ctx: SandboxContext, code: str) -> SbUser:
    user = ctx.by_code(SbUser, code)
    if user is None:
        raise SandboxRuleError(_("There is no user %(code)s.", code=code))
    return user


def _keep_own_admin(ctx: SandboxContext, own: bool, permissions: set[str]) -> None:
    """Refuse a change that would take user administration away from the acting persona."""
    if own and ADMIN_PERMISSION not in permissions:
        raise SandboxRuleError(
            _("%(name)s would lose the right to manage users and roles; "
              "let another administrator do that.", name=ctx.persona.name))


def set_role_permissions(ctx: SandboxContext, role_code: str, permissions) -> SbRole:
    """Give a role exactly these permissions (names from SANDBOX_PERMISSIONS)."""
    require(ctx, "admin.users")
    role = _role(ctx, role_code)
    wanted = {str(name).strip() for name in permissions or [] if str(name).strip()}
    unknown = sorted(wanted - set(SANDBOX_PERMISSIONS))
    if unknown:
        raise SandboxRuleError(_("Unknown permission: %(names)s.", names=", ".join(unknown)))
    _keep_own_admin(ctx, role.id == ctx.persona.role_id, wanted)
    before = role.permissions
    for grant in [grant for grant in role.grants if grant.permission not in wanted]:
        role.grants.remove(grant)
    for name in sorted(wanted - before):
        role.grants.append(ctx.add(SbRolePermission(permission=name)))
    db.session.flush()
    ctx.log("admin.role_permissions", role, role=role.code,
            added=sorted(wanted - before), removed=sorted(before - wanted))
    db.session.flush()
    return role


def set_user_role(ctx: SandboxContext, user_code: str, role_code: str) -> SbUser:
    """Move a sandbox user to another role."""
    require(ctx, "admin.users")
    user = _user(ctx, user_code)
    role = _role(ctx, role_code)
    _keep_own_admin(ctx, user.id == ctx.persona.id, role.permissions)
    previous = user.role.code
    user.role = role
    user.role_id = role.id
    db.session.flush()
    ctx.log("admin.user_role", user, user=user.code, role=role.code, previous=previous)
    db.session.flush()
    return user


def set_user_active(ctx: SandboxContext, user_code: str, active: bool) -> SbUser:
    """Activate or deactivate a sandbox user; an inactive user can do nothing."""
    require(ctx, "admin.users")
    user = _user(ctx, user_code)
    if user.id == ctx.persona.id and not active:
        raise SandboxRuleError(_("%(name)s cannot deactivate themselves.",
                                 name=ctx.persona.name))
    user.active = bool(active)
    ctx.log("admin.user_active", user, user=user.code, active=user.active)
    db.session.flush()
    return user


def _new_code(ctx: SandboxContext, model: type, code) -> str:
    """A well-formed code that no row of ``model`` in this sandbox has yet."""
    code = str(code or "").strip()
    if not CODE_PATTERN.fullmatch(code):
        raise SandboxRuleError(
            _("A code starts with a lower-case letter and has only lower-case letters, digits "
              "and underscores, at most 40 of them (e.g. sales_assistant)."))
    if ctx.by_code(model, code) is not None:
        raise SandboxRuleError(_("The code %(code)s is already taken.", code=code))
    return code


def _text(value, required_message: str | None = None) -> str:
    """Trimmed text that fits the column; ``required_message`` refuses an empty one."""
    text = str(value or "").strip()
    if not text and required_message:
        raise SandboxRuleError(required_message)
    if len(text) > NAME_LENGTH:
        raise SandboxRuleError(_("A name or title has at most %(count)s characters.",
                                 count=NAME_LENGTH))
    return text


def create_role(ctx: SandboxContext, code: str, name: str, permissions) -> SbRole:
    """Create a role with exactly these permissions (names from SANDBOX_PERMISSIONS)."""
    require(ctx, "admin.users")
    code = _new_code(ctx, SbRole, code)
    name = _text(name, _("A role needs a name."))
    wanted = {str(item).strip() for item in permissions or [] if str(item).strip()}
    unknown = sorted(wanted - set(SANDBOX_PERMISSIONS))
    if unknown:
        raise SandboxRuleError(_("Unknown permission: %(names)s.", names=", ".join(unknown)))
    role = ctx.add(SbRole(code=code, name=name))
    role.grants = [ctx.add(SbRolePermission(permission=item)) for item in sorted(wanted)]
    db.session.flush()
    ctx.log("admin.role_create", role, role=role.code, name=role.name,
            permissions=sorted(wanted))
    db.session.flush()
    return role


def create_user(ctx: SandboxContext, code: str, name: str, title: str,
                role_code: str) -> SbUser:
    """Create an active sandbox user with a role; the learner can then act as them.

    The user takes the portal job role of the role's other users (a sales role's: sales),
    or none for a role nobody has yet.
    """
    require(ctx, "admin.users")
    code = _new_code(ctx, SbUser, code)
    name = _text(name, _("A user needs a name."))
    title = _text(title)
    role = _role(ctx, str(role_code or "").strip())
    job_role = ctx.scalar(select(SbUser.job_role).where(SbUser.role_id == role.id)
                          .order_by(SbUser.id).limit(1)) or ""
    user = ctx.add(SbUser(code=code, name=name, title=title, job_role=job_role,
                          role=role, active=True))
    db.session.flush()
    ctx.log("admin.user_create", user, user=user.code, name=user.name, role=role.code)
    db.session.flush()
    return user


@dataclass
class PermissionRow:
    """Who can do what: a user, their role, and the role's permissions (sorted)."""

    user: SbUser
    role: SbRole
    permissions: list[str]


def permission_report(ctx: SandboxContext) -> list[PermissionRow]:
    """Every sandbox user with their role and permissions, in user-code order.

    A report only reads; the view decides who may see it (a trainer's read-only look too).
    """
    users = ctx.scalars(select(SbUser).order_by(SbUser.code))
    return [PermissionRow(user, user.role, sorted(user.role.permissions)) for user in users]


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return Decimal("NaN")


def _checked_value(key: str, value) -> str:
    text = str(value if value is not None else "").strip()
    if key in SWITCHES:
        if text not in ("on", "off"):
            raise SandboxRuleError(_("%(key)s must be on or off.", key=key))
        return text
    if key == "vat_rate":
        rate = _decimal(text.rstrip("%").strip())
        # Range first: int() of 1e999999999 would take minutes.
        if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.to_integral_value() \
                or str(int(rate)) not in VAT_RATES:
            raise SandboxRuleError(_("The VAT rate must be one of: %(rates)s.",
                                     rates=", ".join(VAT_RATES)))
        return str(int(rate))
    amount = _decimal(text.replace(",", ""))
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e11"):
        raise SandboxRuleError(_("%(key)s must be an amount of zero or more.", key=key))
    return str(amount.quantize(CENT))


def set_parameter(ctx: SandboxContext, key: str, value) -> SbParameter:
    """Change a system parameter, after checking the value suits the key."""
    require(ctx, "admin.parameters")
    if key not in PARAMETER_KEYS:
        raise SandboxRuleError(_("There is no parameter %(key)s.", key=key))
    checked = _checked_value(key, value)
    row = ctx.scalar(select(SbParameter).where(SbParameter.key == key))
    previous = row.value if row is not None else None
    if row is None:
        row = ctx.add(SbParameter(key=key, value=checked))
    row.value = checked
    db.session.flush()
    ctx.log("admin.parameter", row, key=key, value=checked, previous=previous)
    db.session.flush()
    return row
