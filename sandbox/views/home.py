"""Sandbox home, persona switching, reset, and the activity log."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from lms.core.urls import safe_next_url
from sandbox.api import describe_sandbox, reset_sandbox
from sandbox.models import SbActivity, SbUser
from sandbox.services.common import SandboxReadOnlyError, SandboxRuleError
from sandbox.views import bp, run_action, sandbox_context

ACTIVITY_PAGE_SIZE = 50


@bp.get("/")
@require_permission("use_sandbox")
def home():
    ctx = sandbox_context()
    personas = ctx.scalars(select(SbUser).where(SbUser.active.is_(True)).order_by(SbUser.id)).all()
    return render_template("sandbox/home.html", ctx=ctx, summary=describe_sandbox(ctx.sandbox),
                           personas=personas, form=ConfirmForm())


def _writable_context():
    ctx = sandbox_context()
    if ctx.read_only:
        raise SandboxReadOnlyError(_("This sandbox is open read-only."))
    return ctx


@bp.post("/persona")
@require_permission("use_sandbox")
def switch_persona():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("sandbox.home"))

    def switch():
        ctx = _writable_context()
        code = request.form.get("persona", "")
        persona = ctx.by_code(SbUser, code)
        if persona is None or not persona.active:
            raise SandboxRuleError(_("There is no active sandbox user “%(code)s”.", code=code))
        ctx.sandbox.current_persona = persona.code
        ctx.persona = persona
        ctx.log("persona.switch", None, persona=persona.code)
        return persona

    if run_action(switch):
        flash(_("You are now acting as %(name)s.", name=g.sandbox_ctx.persona.name), "success")
    return redirect(safe_next_url(request.form.get("next"), url_for("sandbox.home")), 303)


@bp.post("/reset")
@require_permission("use_sandbox")
def reset():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("sandbox.home"))
    if run_action(lambda: reset_sandbox(_writable_context().sandbox)):
        flash(_("The sandbox is back to its starting state."), "success")
    return redirect(url_for("sandbox.home"), 303)


@bp.get("/activity")
@require_permission("use_sandbox")
def activity():
    ctx = sandbox_context()
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    total = ctx.scalar(select(func.count()).select_from(SbActivity))
    entries = ctx.scalars(select(SbActivity).order_by(SbActivity.created_at.desc(),
                                                      SbActivity.id.desc())
                          .limit(ACTIVITY_PAGE_SIZE)
                          .offset((page_number - 1) * ACTIVITY_PAGE_SIZE)).all()
    pages = max(1, -(-total // ACTIVITY_PAGE_SIZE))
    return render_template("sandbox/activity.html", ctx=ctx, entries=entries, total=total,
                           page_number=page_number, pages=pages)

