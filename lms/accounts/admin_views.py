"""Admin pages: users, roles and permissions, job roles, the audit log, employee import."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from lms.accounts import audit, services
from lms.accounts.auth import issue_password_token
from lms.accounts.forms import ConfirmForm, ImportForm, JobRoleForm, UserForm
from lms.accounts.importer import (
    EmployeeImportUpload,
    ImportFileError,
    apply_import,
    preview_import,
)
from lms.accounts.models import JobRole, Role, User
from lms.accounts.permissions import PERMISSIONS, ROLE_LABELS, require_permission
from lms.database import utcnow
from lms.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 25


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _set_password_url(token: str) -> str:
    return url_for("auth.set_password", token=token, _external=True)


def _fill_choices(form: UserForm) -> None:
    form.job_roles.choices = [
        SelectChoice(j.code, j.label)
        for j in db.session.scalars(select(JobRole).order_by(JobRole.code))
    ]
    form.roles.choices = [
        SelectChoice(r.name, str(ROLE_LABELS.get(r.name, r.name)))
        for r in db.session.scalars(select(Role).order_by(Role.name))
    ]


def _fields_from(form: UserForm) -> services.UserFields:
    return services.UserFields(
        username=form.username.data.strip(), display_name=form.display_name.data,
        email=form.email.data, department=form.department.data,
        manager_username=(form.manager.data or "").strip() or None,
        locale=form.locale.data or None, timezone=form.timezone.data or None,
        job_role_codes=list(form.job_roles.data or []), role_names=list(form.roles.data or []),
    )


def _check_user_form(form: UserForm, user: User | None) -> bool:
    """Checks that need the database; errors go on the form's fields."""
    ok = True
    existing = services.find_user(form.username.data.strip())
    if existing is not None and existing is not user:
        form.username.errors.append(_("This username is taken."))
        ok = False
    if services.email_taken(form.email.data.strip(), user.id if user else None):
        form.email.errors.append(_("Another user has this email address."))
        ok = False
    manager = (form.manager.data or "").strip()
    if manager:
        found = services.find_user(manager)
        if found is None:
            form.manager.errors.append(_("No user with this username."))
            ok = False
        elif user is not None and found.id == user.id:
            form.manager.errors.append(_("A user cannot be their own manager."))
            ok = False
    if not form.roles.data:
        form.roles.errors.append(_("Choose at least one portal role."))
        ok = False
    if user is not None and user.id == current_user.id and "admin" not in form.roles.data:
        form.roles.errors.append(_("You cannot remove your own administrator role."))
        ok = False
    return ok


@bp.get("/users")
@require_permission("manage_users")
def users():
    filters = {key: request.args.get(key, "") for key in ("q", "role", "job_role", "status")}
    query = services.search_users_query(
        filters["q"], filters["role"], filters["job_role"], filters["status"]
    )
    page = db.paginate(query, page=_page(), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "admin/users.html", page=page, filters=filters,
        roles=db.session.scalars(select(Role).order_by(Role.name)).all(),
        job_roles=db.session.scalars(select(JobRole).order_by(JobRole.code)).all(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require_permission("manage_users")
def create_user():
    form = UserForm()
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = ["learner"]
    if form.validate_on_submit() and _check_user_form(form, None):
        user = services.create_user(_fields_from(form))
        token = issue_password_token(user)
        db.session.commit()
        return render_template(
            "admin/password_link.html", user=user, link=_set_password_url(token), created=True
        )
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_permission("manage_users")
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    _fill_choices(form)
    if request.method == "GET":
        form.department.data = user.department.name if user.department else ""
        form.manager.data = user.manager.username if user.manager else ""
        form.locale.data = user.locale or ""
        form.timezone.data = user.timezone or ""
        form.job_roles.data = [j.code for j in user.job_roles]
        form.roles.data = [r.name for r in user.roles]
    # The username is the login and the audit key; it is not editable.
    form.username.data = user.username
    if form.validate_on_submit() and _check_user_form(form, user):
        if services.update_user(user, _fields_from(form)):
            flash(_("Changes to %(name)s are saved.", name=user.display_name), "success")
        else:
            flash(_("Nothing was changed."), "info")
        db.session.commit()
        return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    recent = db.session.scalars(
        audit.filtered_entries_query(target=user.username).limit(10)
    ).all()
    return render_template(
        "admin/user_form.html", form=form, user=user, action_form=ConfirmForm(), recent=recent,
        actions=audit.ACTIONS,
    ), status


@bp.post("/users/<int:user_id>/active")
@require_permission("manage_users")
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    activate = request.form.get("active") == "1"
    if not activate and user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "danger")
        return redirect(url_for("admin.edit_user", user_id=user.id)), 303
    services.set_active(user, activate)
    db.session.commit()
    if activate:
        flash(_("%(name)s can sign in again.", name=user.display_name), "success")
    else:
        flash(_("%(name)s is deactivated and signed out everywhere.", name=user.display_name),
              "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-password")
@require_permission("manage_users")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = services.reset_password(user)
    db.session.commit()
    return render_template(
        "admin/password_link.html", user=user, link=_set_password_url(token), created=False
    )


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
    status = 200
    if form.validate_on_submit():
        code = form.code.data.strip()
        if db.session.scalar(select(JobRole).where(JobRole.code == code)) is not None:
            form.code.errors.append(_("A job role with this code exists."))
        else:
            services.create_job_role(code, form.name_zh.data, form.name_en.data)
            db.session.commit()
            flash(_("Job role “%(code)s” is added.", code=code), "success")
            return redirect(url_for("admin.job_roles"))
    if form.errors:
        status = 400
    listing = db.session.scalars(select(JobRole).order_by(JobRole.code)).all()
    return render_template("admin/job_roles.html", form=form, job_roles=listing), status


def _audit_filters() -> dict:
    """Filters from the query string; dates are whole days in the viewer's time zone."""
    args = {key: request.args.get(key, "").strip() for key in ("actor", "target", "action",
                                                               "since", "until")}
    tz = get_timezone()

    def day_start(value: str, plus_days: int = 0):
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date() + timedelta(days=plus_days)
        except ValueError:
            return None
        return datetime.combine(day, time.min, tzinfo=tz)

    return {
        "actor": args["actor"], "target": args["target"],
        "action": args["action"] if args["action"] in audit.ACTIONS else "",
        "since": day_start(args["since"]) if args["since"] else None,
        "until": day_start(args["until"], 1) if args["until"] else None,
        "raw": args,
    }


@bp.get("/audit")
@require_permission("view_audit_log")
def audit_log():
    filters = _audit_filters()
    raw = filters.pop("raw")
    page = db.paginate(
        audit.filtered_entries_query(**filters), page=_page(), per_page=50, error_out=False
    )
    return render_template("admin/audit.html", page=page, filters=raw, actions=audit.ACTIONS)


@bp.get("/audit.csv")
@require_permission("view_audit_log")
def audit_export():
    filters = _audit_filters()
    filters.pop("raw")
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(audit.export_csv(audit.filtered_entries_query(**filters))),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.csv"},
    )


@bp.route("/import", methods=["GET", "POST"])
@require_permission("import_users")
def import_users():
    form = ImportForm()
    if form.validate_on_submit():
        upload = EmployeeImportUpload(
            token=secrets.token_urlsafe(32), filename=form.file.data.filename or "upload.csv",
            content=form.file.data.read(), uploaded_by_id=current_user.id,
        )
        db.session.add(upload)
        db.session.commit()
        return redirect(url_for("admin.import_preview", token=upload.token), 303)
    status = 400 if form.errors else 200
    return render_template("admin/import.html", form=form), status


def _own_upload(token: str) -> EmployeeImportUpload:
    upload = db.session.scalar(
        select(EmployeeImportUpload).where(EmployeeImportUpload.token == token)
    )
    if upload is None or upload.uploaded_by_id != current_user.id:
        abort(404)
    return upload


@bp.route("/import/<token>", methods=["GET", "POST"])
@require_permission("import_users")
def import_preview(token: str):
    upload = _own_upload(token)
    if upload.applied_at is not None:
        flash(_("This file has already been imported."), "info")
        return redirect(url_for("admin.import_users"))
    confirm = ConfirmForm()
    try:
        preview = preview_import(upload.content)
    except ImportFileError as error:
        return render_template(
            "admin/import.html", form=ImportForm(), file_error=str(error), upload=upload
        ), 422
    if request.method == "POST":
        if not confirm.validate_on_submit():
            abort(400)
        if not preview.has_errors:
            created = apply_import(preview)
            upload.applied_at = utcnow()
            upload.content = b""
            db.session.commit()
            links = [(user, _set_password_url(token)) for user, token in created]
            return render_template("admin/import_done.html", preview=preview, links=links)
    status = 422 if preview.has_errors else 200
    return render_template(
        "admin/import_preview.html", preview=preview, upload=upload, confirm=confirm,
        form=ImportForm(),
    ), status
