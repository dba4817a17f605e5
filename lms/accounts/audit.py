"""The audit log: who changed whose roles, job roles, permissions, activation or password.

Entries are append-only from the application's side: the session refuses to flush an update
or delete of an ``AuditEntry`` (see ``_refuse_audit_changes``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

ACTIONS: dict[str, Any] = {
    "user.create": _l("User created"),
    "user.update": _l("Profile changed"),
    "user.roles": _l("Portal roles changed"),
    "user.job_roles": _l("Job roles changed"),
    "user.activate": _l("Account activated"),
    "user.deactivate": _l("Account deactivated"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.password_set": _l("Password set by the user"),
    "role.permissions": _l("Role permissions changed"),
    "job_role.create": _l("Job role added"),
    "users.import": _l("Employees imported"),
    "course.create": _l("Course created"),
    "course.discard_draft": _l("Course draft discarded"),
    "course.publish": _l("Course published"),
    "course.unpublish": _l("Course unpublished"),
    "course.republish": _l("Course published again"),
    "course.assign": _l("Course assigned"),
    "course.unassign": _l("Course assignment removed"),
    "manual.create": _l("Manual created"),
    "manual.publish": _l("Manual version published"),
    "manual.discard_draft": _l("Manual draft discarded"),
}


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Snapshots of names as well as ids: the log must stay readable if a user is renamed.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    target: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(45))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is AuditEntry.__mapper__:
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


def _current_actor() -> tuple[int | None, str]:
    if has_request_context() and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, "cli" if not has_request_context() else "anonymous"


def record(
    action: str,
    *,
    target_user=None,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    actor=None,
) -> AuditEntry:
    """Add an audit entry to the session (the caller's transaction commits it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is not None:
        actor_id, actor_name = actor.id, actor.username
    else:
        actor_id, actor_name = _current_actor()
    entry = AuditEntry(
        actor_id=actor_id,
        actor_name=actor_name,
        target_user_id=target_user.id if target_user is not None else None,
        target=target or (target_user.username if target_user is not None else ""),
        action=action,
        before=before,
        after=after,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def filtered_entries_query(
    *, actor: str = "", target: str = "", action: str = "",
    since: datetime | None = None, until: datetime | None = None,
):
    """A select() of audit entries matching the filters, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if actor:
        query = query.where(AuditEntry.actor_name == actor)
    if target:
        query = query.where(AuditEntry.target == target)
    if action:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    return query


def _as_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def export_csv(query) -> Iterator[str]:
    """Yield the entries as CSV text, UTF-8 with BOM so Excel on Chinese Windows reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time_utc", "actor", "target", "action", "before", "after", "ip"])
    yield "\ufeff" + buffer.getvalue()
    for entry in db.session.scalars(query.execution_options(yield_per=500)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([
            entry.created_at.isoformat(timespec="seconds"), entry.actor_name, entry.target,
            entry.action, _as_text(entry.before), _as_text(entry.after), entry.ip or "",
        ])
        yield buffer.getvalue()
