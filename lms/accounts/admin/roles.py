"""Admin pages for portal roles' permissions and for job roles."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts import services
from lms.accounts.admin import bp
from lms.accounts.forms import ConfirmForm, JobRoleForm
from lms.accounts.models import JobRole, Role
from lms.accounts.permissions import PERMISSIONS, require_permission
from lms.extensions import db


@bp.route("/roles", methods=["GET", "POST"])
@require_permission("manage_roles")
def roles():
    all_roles = db.session.scalars(select(Role).order_by(Role.name)).all()
    form = ConfirmForm()
    if form.validate_on_submit():
        changed = False
        for role in all_roles:
            wanted = [p for p in request.form.getlist(f"role-{role.id}") if p in PERMISSIONS]
            if role.name == "admin" and "manage_roles" not in wanted:
                # Keep a way back in: admins must always be able to manage roles.
                wanted.append("manage_roles")
            changed |= services.set_role_permissions(role, wanted)
        db.session.commit()
        flash(_("Permissions are saved.") if changed else _("Nothing was changed."),
              "success" if changed else "info")
        return redirect(url_for("admin.roles"))
    return render_template("admin/roles.html", roles=all_roles, permissions=PERMISSIONS, form=form)


@bp.route("/job-roles", methods=["GET", "POST"])
@require_permission("manage_roles")
def job_roles():
    form = JobRoleForm()
    if form.validate_on_submit():
        code = form.code.data.strip()
        if db.session.scalar(select(JobRole).where(JobRole.code == code)) is None:
            try:
                services.create_job_role(code, form.name_zh.data, form.name_en.data)
                db.session.commit()
            except IntegrityError:  # the same code added by someone else a moment ago
                db.session.rollback()
            else:
                flash(_("Job role “%(code)s” is added.", code=code), "success")
                return redirect(url_for("admin.job_roles"))
        form.code.errors.append(_("A job role with this code exists."))
    status = 400 if form.errors else 200
    listing = db.session.scalars(select(JobRole).order_by(JobRole.code)).all()
    return render_template("admin/job_roles.html", form=form, job_roles=listing), status
