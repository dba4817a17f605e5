"""Signing in and out, setting a password from a one-time link, one's own preferences."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts import audit, services
from lms.accounts.auth import (
    authenticate,
    end_all_sessions,
    end_session,
    find_password_token,
    password_problem,
    start_session,
)
from lms.accounts.forms import ChangePasswordForm, LoginForm, PreferencesForm, SetPasswordForm
from lms.accounts.housekeeping import purge_expired_records
from lms.accounts.permissions import home_endpoint, public, require_login, require_permission
from lms.core.urls import safe_next_url
from lms.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400 if form.errors else 200
    result = authenticate(form.username.data, form.password.data, request.remote_addr or "")
    if result.throttled:
        flash(_("Too many failed sign-ins for this account or network. Try again in %(n)d "
                "minutes.", n=result.retry_after_minutes), "danger")
        return render_template("accounts/login.html", form=form), 429
    if result.user is None:
        flash(_("Wrong username or password."), "danger")
        return render_template("accounts/login.html", form=form), 401
    purge_expired_records()
    # A fresh session on every sign-in: nothing from before survives (no fixation).
    locale = session.get("locale")
    session.clear()
    session["sid"] = start_session(result.user, request.remote_addr)
    if locale and not result.user.locale:
        session["locale"] = locale
    login_user(result.user)
    db.session.commit()
    return redirect(safe_next_url(form.next.data, fallback=url_for(home_endpoint(result.user))))


@bp.post("/logout")
@require_login
def logout():
    end_session(session.get("sid"))
    db.session.commit()
    # The interface stays in the language the person chose after they sign out.
    locale = current_user.locale or session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str):
    record = find_password_token(token)
    if record is None:
        return render_template("accounts/set_password_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        services.set_password_from_token(record, form.password.data)
        db.session.commit()
        flash(_("Your password is set. Sign in with your username and new password."), "success")
        return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return render_template("accounts/set_password.html", form=form, user=record.user), status


@bp.route("/profile", methods=["GET", "POST"])
@require_permission("edit_own_profile")
def profile():
    preferences = PreferencesForm(
        prefix="pref", locale=current_user.locale or "", timezone=current_user.timezone or ""
    )
    password_form = ChangePasswordForm(prefix="pw")
    status = 200
    if preferences.submit.data and preferences.validate_on_submit():
        current_user.locale = preferences.locale.data or None
        current_user.timezone = preferences.timezone.data or None
        session.pop("locale", None)
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("auth.profile"))
    if password_form.submit.data and password_form.validate_on_submit():
        if not current_user.check_password(password_form.current_password.data):
            password_form.current_password.errors.append(_("The current password is wrong."))
        elif problem := password_problem(password_form.password.data):
            password_form.password.errors.append(problem)
        else:
            current_user.set_password(password_form.password.data)
            audit.record("user.password_set", target_user=current_user)
            # Other browsers signed in with the old password are signed out; this one stays.
            end_all_sessions(current_user)
            session["sid"] = start_session(current_user, request.remote_addr)
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.profile"))
    if preferences.errors or password_form.errors:
        status = 400
    return render_template(
        "accounts/profile.html", preferences=preferences, password_form=password_form
    ), status
