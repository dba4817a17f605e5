"""Dashboard, health check and language switcher."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from lms.accounts.models import User
from lms.accounts.permissions import public, require_permission
from lms.catalog.progress import progress_for_user
from lms.config import SUPPORTED_LOCALES
from lms.core.urls import safe_next_url
from lms.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
@require_permission("view_dashboard")
def dashboard():
    stats = None
    if current_user.has_permission("manage_users"):
        stats = {
            "users": db.session.scalar(select(func.count(User.id))),
            "active": db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        }
    training = None
    if current_user.has_permission("take_courses"):
        training = progress_for_user(current_user.id)
    return render_template("core/dashboard.html", stats=stats, training=training)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.post("/locale")
@public
def set_locale():
    """Store the chosen interface language: on the account if signed in, else in the session."""
    locale = request.form.get("locale", "")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next"), fallback="/"))
