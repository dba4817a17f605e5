"""The audit log: append-only, filterable, exportable as CSV."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from lms.accounts import audit
from lms.accounts.audit import AuditEntry, AuditLogIsAppendOnly
from lms.accounts.services import set_active
from lms.database import utcnow


def test_entries_cannot_be_changed_or_deleted(create_user, db):
    user = create_user("someone1")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == "someone1"))
    entry.action = "user.update"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == "someone1"))
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.target == user.username))


def test_unknown_action_is_a_programming_error(db):
    with pytest.raises(ValueError):
        audit.record("user.teleport", target="x")


def test_cli_changes_are_recorded_with_actor_cli(create_user, db):
    user = create_user("someone1")
    set_active(user, False)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deactivate"))
    assert entry.actor_name == "cli" and entry.actor_id is None and entry.ip is None
    assert entry.before == {"active": True} and entry.after == {"active": False}


def test_filters_and_pagination(login_as, client, create_user, db):
    login_as("admin1", roles=["admin"])
    for number in range(60):
        audit.record("user.update", target=f"bulk{number}", before={"n": number}, after={})
    db.session.commit()
    first = client.get("/admin/audit").data.decode()
    assert "bulk59" in first and "bulk0<" not in first
    filtered = client.get("/admin/audit?target=bulk7").data.decode()
    assert "bulk7" in filtered and "bulk8" not in filtered
    by_action = client.get("/admin/audit?action=user.create").data.decode()
    assert "bulk" not in by_action and "admin1" in by_action


def test_date_filter_uses_whole_days(login_as, client, db):
    login_as("admin1", roles=["admin"])
    old = AuditEntry(actor_name="cli", target="old-one", action="user.update",
                     created_at=utcnow() - timedelta(days=40))
    db.session.add(old)
    db.session.commit()
    since = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%d")
    page = client.get(f"/admin/audit?since={since}").data.decode()
    assert "old-one" not in page
    page = client.get("/admin/audit?since=not-a-date").data.decode()
    assert "old-one" in page


def test_csv_export_has_bom_and_readable_chinese(login_as, client, create_user, db):
    login_as("admin1", roles=["admin"])
    create_user("wang1", department="销售部")
    response = client.get("/admin/audit.csv?target=wang1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.data
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["time_utc", "actor", "target", "action", "before", "after", "ip"]
    assert len(rows) == 2 and rows[1][2] == "wang1" and rows[1][3] == "user.create"
    assert "销售部" in rows[1][5]


def test_bulk_update_and_delete_are_refused(create_user, db):
    create_user("someone1")
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(delete(AuditEntry))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(update(AuditEntry).values(action="user.update"))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.target == "someone1"))


def test_day_filters_follow_the_viewers_zone_exactly(login_as, client, db):
    """Shanghai is UTC+8: 23:58 local on 1 March is 15:58 UTC; 00:02 on 2 March is 16:02 UTC."""
    from datetime import UTC, datetime

    login_as("admin1", roles=["admin"], timezone="Asia/Shanghai")
    db.session.add(AuditEntry(actor_name="cli", target="late-on-first", action="user.update",
                              created_at=datetime(2026, 3, 1, 15, 58, tzinfo=UTC)))
    db.session.add(AuditEntry(actor_name="cli", target="early-on-second", action="user.update",
                              created_at=datetime(2026, 3, 1, 16, 2, tzinfo=UTC)))
    db.session.commit()
    first = client.get("/admin/audit?since=2026-03-01&until=2026-03-01").data.decode()
    assert "late-on-first" in first and "early-on-second" not in first
    second = client.get("/admin/audit?since=2026-03-02&until=2026-03-02").data.decode()
    assert "early-on-second" in second and "late-on-first" not in second
