"""Deleting what has expired: sessions, login failures, import uploads, set-password links."""

from datetime import timedelta

from sqlalchemy import delete

from lms.accounts.auth import (
    LoginFailure,
    PasswordToken,
    UserSession,
    failure_window_start,
    session_cutoff,
)
from lms.accounts.importer import EmployeeImportUpload
from lms.database import utcnow
from lms.extensions import db

UPLOAD_KEPT_FOR = timedelta(days=1)


def purge_expired_records() -> None:
    """Delete expired rows; run on every successful sign-in (cheap indexed deletes, no cron)."""
    now = utcnow()
    db.session.execute(delete(UserSession).where(UserSession.created_at < session_cutoff()))
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < failure_window_start()))
    db.session.execute(
        delete(EmployeeImportUpload).where(EmployeeImportUpload.created_at < now - UPLOAD_KEPT_FOR)
    )
    db.session.execute(delete(PasswordToken).where(PasswordToken.expires_at < now))
