"""The sandbox ERP's web UI under /sandbox/: its own look, one module per menu.

Every page works on "the sandbox in view": the learner's own, or — for a trainer who chose
one on /sandbox/learners — a learner's, read-only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, session
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from sandbox.api import open_context, provision_sandbox, sandbox_of
from sandbox.labels import action_label, move_kind_label, state_color, state_label
from sandbox.models import SbUser
from sandbox.services.common import SandboxRuleError, format_quantity
from sandbox.tenancy import SandboxContext

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
VIEWING_KEY = "sandbox_viewing_owner"


def sandbox_context() -> SandboxContext:
    """The context of the sandbox in view, created on first use; cached per request."""
    if "sandbox_ctx" in g:
        return g.sandbox_ctx
    owner_id = session.get(VIEWING_KEY)
    if owner_id and owner_id != current_user.id:
        if not current_user.has_permission("view_learner_sandboxes"):
            session.pop(VIEWING_KEY, None)
            abort(403)
        box = sandbox_of(owner_id)
        if box is None:
            session.pop(VIEWING_KEY, None)
            abort(404)
        g.sandbox_owner = db.session.get(type(current_user._get_current_object()), owner_id)
        g.sandbox_ctx = open_context(box, read_only=True)
        return g.sandbox_ctx
    box = sandbox_of(current_user.id)
    if box is None:  # first visit: create and seed it
        try:
            box = provision_sandbox(current_user.id, [j.code for j in current_user.job_roles])
            db.session.commit()
        except IntegrityError:  # a second tab created it at the same moment
            db.session.rollback()
            box = sandbox_of(current_user.id)
    g.sandbox_owner = current_user._get_current_object()
    g.sandbox_ctx = open_context(box)
    return g.sandbox_ctx


# Ids beyond a 32-bit integer are no row of ours: 404, not a database error.
MAX_ID = 2**31 - 1


def row_or_404(ctx: SandboxContext, model, row_id: int):
    """The row of the sandbox in view with that id, or 404 (other sandboxes' ids too)."""
    row = ctx.get(model, row_id) if row_id <= MAX_ID else None
    if row is None:
        abort(404)
    return row


def can(ctx: SandboxContext, permission: str) -> bool:
    """Whether the page should offer an action: the persona may, and the view is writable."""
    return not ctx.read_only and ctx.persona is not None and ctx.persona.can(permission)


def may(ctx: SandboxContext, *permissions: str) -> dict[str, bool]:
    return {permission: can(ctx, permission) for permission in permissions}


def may_see_reports(ctx: SandboxContext) -> bool:
    """Reports need "reports.view"; a trainer's read-only look may always see them."""
    return ctx.read_only or (ctx.persona is not None and ctx.persona.can("reports.view"))


def run_action(action) -> bool:
    """Run a sandbox operation and commit; on a refused rule roll back, flash why, False."""
    try:
        action()
        db.session.commit()
    except SandboxRuleError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return False
    return True


# 50.000 → 50, 2.500 → 2.5: quantities as people write them (messages use the same function).
bp.add_app_template_filter(format_quantity, "quantity")

# Codes shown as words; the lists live in sandbox/labels.py (see _macros.html's state_badge).
bp.add_app_template_global(state_label, "state_label")
bp.add_app_template_global(state_color, "state_color")
bp.add_app_template_filter(move_kind_label, "move_kind")
bp.add_app_template_filter(action_label, "action_label")


@bp.app_template_filter("persona")
def persona_name(code: str | None) -> str:
    """A persona code (as documents store it) shown as the person's name, e.g. 林小燕."""
    if not code:
        return ""
    names = g.get("sandbox_persona_names")
    if names is None:
        ctx = g.get("sandbox_ctx")
        names = ({user.code: user.name for user in ctx.scalars(select(SbUser))}
                 if ctx is not None else {})
        g.sandbox_persona_names = names
    return names.get(code, code)


@bp.app_context_processor
def _menu():
    from sandbox.views.menu import visible_menu

    return {"sandbox_menu": visible_menu}


from sandbox.views import (  # noqa: E402, F401
    admin,
    finance,
    home,
    inventory,
    master,
    purchasing,
    sales,
    trainer,
)

__all__ = ["bp", "run_action", "sandbox_context"]
