"""The audit log page and its CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, render_template, stream_with_context
from flask_babel import get_timezone

from lms.accounts import audit
from lms.accounts.admin import bp, page_number, query_filters
from lms.accounts.permissions import require_permission
from lms.database import utcnow
from lms.extensions import db

AUDIT_FILTERS = ("actor", "target", "action", "since", "until")


def _day_start_utc(value: str, plus_days: int = 0) -> datetime | None:
    """Midnight of a YYYY-MM-DD day in the viewer's time zone, as UTC; None if not a date."""
    try:
        day = date.fromisoformat(value) + timedelta(days=plus_days)
        # zoneinfo, not the pytz zone Flask-Babel returns: pytz in combine() gives local mean
        # time (+08:06 for Shanghai), not the zone's real offset.
        zone = ZoneInfo(str(get_timezone()))
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _query_from_filters(filters: dict[str, str]):
    return audit.filtered_entries_query(
        actor=filters["actor"], target=filters["target"],
        action=filters["action"] if filters["action"] in audit.ACTIONS else "",
        since=_day_start_utc(filters["since"]) if filters["since"] else None,
        until=_day_start_utc(filters["until"], 1) if filters["until"] else None,
    )


@bp.get("/audit")
@require_permission("view_audit_log")
def audit_log():
    filters = query_filters(AUDIT_FILTERS)
    page = db.paginate(_query_from_filters(filters), page=page_number(), per_page=50,
                       error_out=False)
    return render_template("admin/audit.html", page=page, filters=filters, actions=audit.ACTIONS)


@bp.get("/audit.csv")
@require_permission("view_audit_log")
def audit_export():
    query = _query_from_filters(query_filters(AUDIT_FILTERS))
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(audit.export_csv(query)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.csv"},
    )
