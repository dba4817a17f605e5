"""Settings: defaults in one place, overridden by ``instance/config.py`` and ``LMS_*`` variables.

Precedence (last wins): ``DEFAULTS`` → ``instance/config.py`` → environment → the ``config``
mapping passed to ``create_app`` (tests).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # None means "SQLite file in the instance folder", resolved in load_config.
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "HTTPS": False,
    "DEFAULT_LOCALE": "zh_CN",
    "DEFAULT_TIMEZONE": "Asia/Shanghai",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "SET_PASSWORD_LINK_HOURS": 72,
    # A sign-in lasts this long at most (closing the browser ends it sooner).
    "SESSION_LIFETIME_HOURS": 12,
    "COMPANY_NAME": "",
    # Publishing a manual renders its PDF in a worker process: killed after this many seconds.
    "MANUAL_PDF_TIMEOUT": 180,
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    # (0 = none). Behind a load balancer set 1, so audit entries and login throttling see the
    # client's address rather than the balancer's.
    "TRUSTED_PROXIES": 0,
    "TESTING": False,
}

# Environment variables that are not settings keys but are read elsewhere on purpose.
KNOWN_EXTRA_ENV = {"LMS_TEST_DATABASE_URL", "LMS_BROWSER_HEADED"}

SUPPORTED_LOCALES = ("zh_CN", "en")


def _parse_env_value(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def _load_instance_file(instance_path: Path) -> dict[str, Any]:
    path = instance_path / "config.py"
    if not path.exists():
        return {}
    namespace: dict[str, Any] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return {k: v for k, v in namespace.items() if k.isupper()}


def _secret_key_from_instance(instance_path: Path) -> str:
    """Generate the key once and keep it in the instance folder, so restarts keep sessions.

    Several workers may start at once: the key is written to a temporary file and linked into
    place, so a reader never sees a half-written file and only one key ever wins.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.chmod(temporary, 0o600)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another worker won; use its key
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it or set LMS_SECRET_KEY")
    return key


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the Flask config mapping for an app whose instance folder is ``instance_path``."""
    settings = dict(DEFAULTS)
    settings.update(_load_instance_file(instance_path))
    for name, raw in os.environ.items():
        if not name.startswith("LMS_") or name in KNOWN_EXTRA_ENV:
            continue
        key = name[4:]
        if key not in DEFAULTS:
            warnings.warn(f"Unknown setting {name} ignored", RuntimeWarning, stacklevel=2)
            continue
        settings[key] = _parse_env_value(DEFAULTS[key], raw)
    settings.update(overrides or {})

    if not settings["DATABASE_URL"]:
        instance_path.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'praxis.sqlite3'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _secret_key_from_instance(instance_path)

    settings.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings["DATABASE_URL"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings["HTTPS"]),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=bool(settings["HTTPS"]),
        PREFERRED_URL_SCHEME="https" if settings["HTTPS"] else "http",
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=settings["DEFAULT_TIMEZONE"],
        WTF_CSRF_TIME_LIMIT=None,
    )
    return settings


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # The busy timeout makes concurrent writers wait instead of failing at once.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}
