"""Praxis, the ERP training portal: the application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from lms.config import SUPPORTED_LOCALES, load_config
from lms.database import configure_sqlite
from lms.extensions import babel, csrf, db, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
# The largest id the tables hold (their primary keys are INTEGER, 32-bit on PostgreSQL):
# ``<int:...>`` in a URL beyond it is a 404, never an OverflowError or a database error.
MAX_URL_INT = 2**31 - 1


class BoundedIntegerConverter(IntegerConverter):
    """``int`` for every route: werkzeug's, refusing (404) numbers no id column can hold."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if not -MAX_URL_INT - 1 <= number <= MAX_URL_INT:
            raise ValidationError()
        return number


def create_app(config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the portal. ``config`` overrides every other source of settings (tests use it)."""
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PACKAGE_DIR / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), config))
    app.url_map.converters["int"] = BoundedIntegerConverter
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    _init_extensions(app)
    _register_blueprints(app)

    from lms.core.errors import register_error_handlers
    from lms.core.security import register_security_headers
    from lms.core.templating import register_template_helpers

    register_error_handlers(app)
    register_security_headers(app)
    register_template_helpers(app)

    from lms.cli import register_commands

    register_commands(app)
    return app


def select_locale() -> str:
    if not has_request_context():  # CLI and background work speak the company's default
        return current_app.config["DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return None


def _refuse_unusable_requests() -> None:
    """Refuse what no view can use, before CSRF checking or form parsing read the body.

    An oversized body gets 413 from its declared length. A NUL character anywhere in the
    path, query or form gets 400: PostgreSQL cannot store it, and no real input contains one.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit and (request.content_length or 0) > limit:
        abort(413)
    values = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.keys(), *request.form.values()]
        values += [upload.filename or "" for upload in request.files.values()]
    if any("\x00" in value for value in values):
        abort(400)


def _init_extensions(app: Flask) -> None:
    # Registered before CSRFProtect's hook, which would otherwise parse the oversized form.
    app.before_request(_refuse_unusable_requests)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )

    # Import every model so metadata (and Alembic autogenerate) sees all tables.
    import lms.models  # noqa: F401
    from lms.accounts.auth import load_session_user
    from lms.accounts.permissions import unauthorized_json, wants_json

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our own session records do this job

    @login_manager.user_loader
    def _load_user(user_id: str):
        session_id = session.get("sid")
        if not session_id or not user_id.isdigit():
            return None
        return load_session_user(session_id, int(user_id))

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return unauthorized_json()
        flash(_("Please sign in to open this page."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.admin import bp as admin_bp
    from lms.accounts.views import bp as auth_bp
    from lms.core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)

    from lms import catalog

    catalog.init_app(app)

    from lms.assessment.views import blueprint as assessment_bp

    app.register_blueprint(assessment_bp)

    from lms.publishing.views import blueprint as publishing_bp

    app.register_blueprint(publishing_bp)

    from sandbox import blueprint as sandbox_bp

    app.register_blueprint(sandbox_bp)
