"""Signing in and out: server-side session records, login throttling, one-time password links.

The session cookie is signed and carries a random session id; the ``user_sessions`` row makes
logout (and deactivation or a password reset) end the session on every app server at once.
Failed logins are counted in the database so the limit holds across gunicorn workers.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, delete, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import User
from lms.database import UTCDateTime, utcnow
from lms.extensions import db

MIN_PASSWORD_LENGTH = 8
# Checked when the username is unknown, so that answering takes as long as for a real user.
_DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_urlsafe(16))


class UserSession(db.Model):
    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(db.Model):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PasswordToken(db.Model):
    """A one-time link to set a password; only the token's hash is stored."""

    __tablename__ = "password_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False
    retry_after_minutes: int = 0


def failure_window_start() -> datetime:
    minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
    return utcnow() - timedelta(minutes=minutes)


def _throttle_state(username: str, ip: str) -> tuple[bool, int]:
    """Whether this username or IP has had too many recent failures, and minutes to wait."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    window_start = failure_window_start()
    recent = LoginFailure.created_at >= window_start
    by_user = db.session.scalar(
        select(func.count()).where(recent, LoginFailure.username == username)
    )
    by_ip = db.session.scalar(select(func.count()).where(recent, LoginFailure.ip == ip))
    if max(by_user, by_ip) < limit:
        return False, 0
    oldest = db.session.scalar(
        select(func.min(LoginFailure.created_at)).where(
            recent, or_(LoginFailure.username == username, LoginFailure.ip == ip)
        )
    )
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    remaining = (oldest + window - utcnow()).total_seconds() if oldest else window.total_seconds()
    return True, max(1, int(remaining // 60) + 1)


def authenticate(username: str, password: str, ip: str) -> LoginResult:
    """Check a username and password, refusing while the username or IP is throttled.

    Unknown users, wrong passwords and deactivated accounts are all counted as failures, take
    as long to answer (a dummy hash is checked), and look the same to the caller, so the form
    cannot be used to probe for usernames.
    """
    username = username.strip()
    throttled, wait = _throttle_state(username, ip)
    user = None if throttled else db.session.scalar(select(User).where(User.username == username))
    stored_hash = user.password_hash if user is not None and user.active else None
    user_id = user.id if user is not None else None
    # End the reading transaction before the deliberately slow hash check: on SQLite a
    # transaction holds the database's write lock, and other sign-ins would wait for it.
    db.session.commit()
    if throttled:
        return LoginResult(throttled=True, retry_after_minutes=wait)
    password_ok = check_password_hash(stored_hash or _DUMMY_PASSWORD_HASH, password)
    if not (password_ok and stored_hash):
        db.session.add(LoginFailure(username=username[:64], ip=ip))
        db.session.commit()
        return LoginResult()
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return LoginResult(user=db.session.get(User, user_id))


def start_session(user: User, ip: str | None) -> str:
    """Create a session record and return its id, to be kept in the signed cookie."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=session_id, user_id=user.id, ip=ip))
    return session_id


def end_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(delete(UserSession).where(UserSession.id == session_id))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def session_cutoff() -> datetime:
    return utcnow() - timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])


def load_session_user(session_id: str, user_id: int) -> User | None:
    """The active user owning this live session record, in one query; None if it has ended."""
    record = db.session.scalar(
        select(UserSession).where(
            UserSession.id == session_id, UserSession.user_id == user_id,
            UserSession.created_at >= session_cutoff(),
        )
    )
    if record is None or not record.user.active:
        return None
    return record.user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def issue_password_token(user: User) -> str:
    """Invalidate the user's earlier links and return a new one-time token."""
    db.session.execute(
        delete(PasswordToken).where(
            PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    hours = current_app.config["SET_PASSWORD_LINK_HOURS"]
    db.session.add(
        PasswordToken(
            token_hash=_hash_token(token), user_id=user.id,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    return token


def find_password_token(token: str) -> PasswordToken | None:
    """The unused, unexpired token record, or None."""
    record = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == _hash_token(token))
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def password_problem(password: str) -> str | None:
    """A reason the password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    return None
