"""Admin pages for user accounts: list, create, edit, deactivate, reset password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from lms.accounts import audit, services
from lms.accounts.admin import MAX_ID, bp, page_number, query_filters
from lms.accounts.auth import issue_password_token
from lms.accounts.forms import ConfirmForm, UserForm
from lms.accounts.models import JobRole, Role, User
from lms.accounts.permissions import ROLE_LABELS, require_permission
from lms.extensions import db

PAGE_SIZE = 25
USER_FILTERS = ("q", "role", "job_role", "status")


def set_password_url(token: str) -> str:
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


def _may_assign_roles() -> bool:
    """Portal roles grant permissions, so changing them needs manage_roles, not manage_users."""
    return current_user.has_permission("manage_roles")


def _fields_from(form: UserForm, user: User | None) -> services.UserFields:
    if _may_assign_roles():
        role_names = list(form.roles.data or [])
    else:
        role_names = [r.name for r in user.roles] if user else ["learner"]
    return services.UserFields(
        username=form.username.data.strip(), display_name=form.display_name.data,
        email=form.email.data, department=form.department.data,
        manager_username=(form.manager.data or "").strip() or None,
        locale=form.locale.data or None, timezone=form.timezone.data or None,
        job_role_codes=list(form.job_roles.data or []), role_names=role_names,
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
    if _may_assign_roles():
        if not form.roles.data:
            form.roles.errors.append(_("Choose at least one portal role."))
            ok = False
        elif (user is not None and user.id == current_user.id and user.has_role("admin")
              and "admin" not in form.roles.data):
            form.roles.errors.append(_("You cannot remove your own administrator role."))
            ok = False
    return ok


def _get_user_or_404(user_id: int) -> User:
    if user_id > MAX_ID:
        abort(404)
    return db.get_or_404(User, user_id)


@bp.get("/users")
@require_permission("manage_users")
def users():
    filters = query_filters(USER_FILTERS)
    query = services.search_users_query(
        filters["q"], filters["role"], filters["job_role"], filters["status"]
    )
    page = db.paginate(query, page=page_number(), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "admin/users.html", page=page, filters=filters,
        roles=db.session.scalars(select(Role).order_by(Role.name)).all(),
        job_roles=db.session.scalars(select(JobRole).order_by(JobRole.code)).all(),
    )


def _concurrent_change(form: UserForm) -> None:
    """A concurrent request took the username or email first: say so on the form."""
    db.session.rollback()
    form.username.errors.append(
        _("Another change to this username or email was saved at the same moment. "
          "Check the values and save again.")
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require_permission("manage_users")
def create_user():
    form = UserForm()
    _fill_choices(form)
    if request.method == "GET":
        form.roles.data = ["learner"]
    if form.validate_on_submit() and _check_user_form(form, None):
        try:
            user = services.create_user(_fields_from(form, None))
            token = issue_password_token(user)
            db.session.commit()
        except IntegrityError:
            _concurrent_change(form)
        else:
            return render_template(
                "admin/password_link.html", user=user, link=set_password_url(token), created=True
            )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "admin/user_form.html", form=form, user=None, may_assign_roles=_may_assign_roles()
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_permission("manage_users")
def edit_user(user_id: int):
    user = _get_user_or_404(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    _fill_choices(form)
    if request.method == "GET":
        form.department.data = user.department.name if user.department else ""
        form.manager.data = user.manager.username if user.manager else ""
        form.locale.data = user.locale or ""
        form.timezone.data = user.timezone or ""
        form.job_roles.data = [j.code for j in user.job_roles]
        form.roles.data = [r.name for r in user.roles]
    # The username is the login and the audit key: not editable, so not validated here either
    # (an account created before today's rules must stay editable).
    form.username.data = user.username
    form.username.validators = []
    if form.validate_on_submit() and _check_user_form(form, user):
        try:
            changed = services.update_user(user, _fields_from(form, user))
            db.session.commit()
        except IntegrityError:
            _concurrent_change(form)
        else:
            flash(_("Changes to %(name)s are saved.", name=user.display_name) if changed
                  else _("Nothing was changed."), "success" if changed else "info")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    status = 400 if request.method == "POST" else 200
    recent = db.session.scalars(
        audit.filtered_entries_query(target=user.username).limit(10)
    ).all()
    return render_template(
        "admin/user_form.html", form=form, user=user, action_form=ConfirmForm(), recent=recent,
        actions=audit.ACTIONS, may_assign_roles=_may_assign_roles(),
    ), status


@bp.post("/users/<int:user_id>/active")
@require_permission("manage_users")
def set_active(user_id: int):
    user = _get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    activate = request.form.get("active") == "1"
    if not activate and user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "danger")
        return redirect(url_for("admin.edit_user", user_id=user.id), 303)
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
    user = _get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = services.reset_password(user)
    db.session.commit()
    return render_template(
        "admin/password_link.html", user=user, link=set_password_url(token), created=False
    )
