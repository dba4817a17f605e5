"""Administration pages: sandbox users and their roles, the role permission matrix, the
permission report (who can do what), and the system parameters."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from sandbox.models import SbParameter, SbRole, SbUser
from sandbox.permissions import SANDBOX_PERMISSIONS
from sandbox.services import admin
from sandbox.services.common import require
from sandbox.views import bp, can, may_see_reports, row_or_404, run_action, sandbox_context

PARAMETER_LABELS = {
    "credit_check": (_l("Credit check on sales orders"),
                     _l("Orders beyond the customer's remaining credit need approval.")),
    "allow_self_approval": (_l("Self-approval"),
                            _l("Whether someone may approve a document they created.")),
    "reorder_alert": (_l("Reorder alerts"),
                      _l("List products whose stock is below their reorder point.")),
    "purchase_approval_threshold": (
        _l("Purchase approval threshold"),
        _l("Purchase orders above this amount (excluding VAT) need approval.")),
    "vat_rate": (_l("VAT rate"), _l("Percentage applied to invoices and bills.")),
}




# What the learner typed into a "new role" / "new user" form, kept when it is refused.
NEW_ROLE = {"code": "", "name": "", "permissions": []}
NEW_USER = {"code": "", "name": "", "title": "", "role": ""}
INPUT_LENGTH = 200  # longer than any column: the service says what is too long


def _users_page(ctx, matrix=None, status=200, new_role=None, new_user=None):
    roles = ctx.scalars(select(SbRole).order_by(SbRole.id)).all()
    if matrix is None:
        matrix = {role.code: role.permissions for role in roles}
    return render_template(
        "sandbox/admin/users.html", ctx=ctx, form=ConfirmForm(), roles=roles, matrix=matrix,
        users=ctx.scalars(select(SbUser).order_by(SbUser.id)).all(),
        permissions=SANDBOX_PERMISSIONS, may_manage=can(ctx, "admin.users"),
        report=admin.permission_report(ctx) if may_see_reports(ctx) else None,
        new_role=new_role or NEW_ROLE, new_user=new_user or NEW_USER,
    ), status


def _typed(name: str) -> str:
    return request.form.get(name, "")[:INPUT_LENGTH]


@bp.get("/admin/users")
@require_permission("use_sandbox")
def admin_users():
    return _users_page(sandbox_context())


def _user_or_404(ctx, user_id: int) -> SbUser:
    return row_or_404(ctx, SbUser, user_id)


@bp.post("/admin/users/<int:user_id>/role")
@require_permission("use_sandbox")
def set_sandbox_user_role(user_id: int):
    ctx = sandbox_context()
    user = _user_or_404(ctx, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    role_code = request.form.get("role", "")[:40]
    if run_action(lambda: admin.set_user_role(ctx, user.code, role_code)):
        flash(_("%(name)s now has the role %(role)s.", name=user.name, role=user.role.name),
              "success")
    return redirect(url_for("sandbox.admin_users"), 303)


@bp.post("/admin/users/<int:user_id>/active")
@require_permission("use_sandbox")
def set_sandbox_user_active(user_id: int):
    ctx = sandbox_context()
    user = _user_or_404(ctx, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    if run_action(lambda: admin.set_user_active(ctx, user.code, active)):
        flash(_("%(name)s is activated.", name=user.name) if active
              else _("%(name)s is deactivated.", name=user.name), "success")
    return redirect(url_for("sandbox.admin_users"), 303)


@bp.post("/admin/roles")
@require_permission("use_sandbox")
def set_sandbox_role_permissions():
    ctx = sandbox_context()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    roles = ctx.scalars(select(SbRole).order_by(SbRole.id)).all()
    wanted = {role.code: {name for name in request.form.getlist(f"role-{role.code}")
                          if name in SANDBOX_PERMISSIONS} for role in roles}
    changed = [role.code for role in roles if wanted[role.code] != role.permissions]

    def save():
        if not changed:
            # Nothing to save still needs the right to save it.
            require(ctx, "admin.users")
        for code in changed:
            admin.set_role_permissions(ctx, code, sorted(wanted[code]))

    if not run_action(save):
        # The ticks stay as the learner set them, with the reason above.
        return _users_page(ctx, matrix=wanted, status=422)
    flash(_("Permissions are saved."), "success")
    return redirect(url_for("sandbox.admin_users"), 303)


def _parameters_page(ctx, posted_key=None, posted_value=None, status=200):
    rows = {row.key: row for row in ctx.scalars(select(SbParameter).order_by(SbParameter.key))}
    values = {key: (row.value if row else "") for key, row in
              ((key, rows.get(key)) for key in admin.PARAMETER_KEYS)}
    if posted_key in values:
        values[posted_key] = posted_value
    others = [row for key, row in rows.items() if key not in admin.PARAMETER_KEYS]
    return render_template(
        "sandbox/admin/parameters.html", ctx=ctx, form=ConfirmForm(), keys=admin.PARAMETER_KEYS,
        values=values, labels=PARAMETER_LABELS, switches=admin.SWITCHES,
        vat_rates=admin.VAT_RATES, others=others, may_change=can(ctx, "admin.parameters"),
        posted_key=posted_key,
    ), status


@bp.get("/admin/parameters")
@require_permission("use_sandbox")
def parameters():
    return _parameters_page(sandbox_context())


@bp.post("/admin/parameters/<key>")
@require_permission("use_sandbox")
def set_sandbox_parameter(key: str):
    ctx = sandbox_context()
    if key not in admin.PARAMETER_KEYS:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    value = request.form.get("value", "")[:40]
    if not run_action(lambda: admin.set_parameter(ctx, key, value)):
        return _parameters_page(ctx, key, value, status=422)
    flash(_("%(name)s is saved.", name=PARAMETER_LABELS[key][0]), "success")
    return redirect(url_for("sandbox.parameters"), 303)


@bp.post("/admin/roles/new")
@require_permission("use_sandbox")
def create_sandbox_role():
    ctx = sandbox_context()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    # Unknown names go to the service too, which refuses them by name; a few are enough.
    ticked = [name[:60] for name in request.form.getlist("permission")[:50]]
    typed = {"code": _typed("code"), "name": _typed("name"), "permissions": ticked}
    created = run_action(lambda: admin.create_role(ctx, typed["code"], typed["name"], ticked))
    if not created:
        return _users_page(ctx, status=422, new_role=typed)
    flash(_("The role %(name)s is created.", name=typed["name"].strip()), "success")
    return redirect(url_for("sandbox.admin_users"), 303)


@bp.post("/admin/users/new")
@require_permission("use_sandbox")
def create_sandbox_user():
    ctx = sandbox_context()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    typed = {key: _typed(key) for key in NEW_USER}
    if not run_action(lambda: admin.create_user(ctx, typed["code"], typed["name"],
                                                typed["title"], typed["role"])):
        return _users_page(ctx, status=422, new_user=typed)
    flash(_("%(name)s is created; you can now act as them.", name=typed["name"].strip()),
          "success")
    return redirect(url_for("sandbox.admin_users"), 303)
