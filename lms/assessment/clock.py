"""The quiz engine's clock.

Every engine function that depends on the time (deadlines, open and close times, saving,
closing overdue attempts) asks ``clock.now()`` through this module, so tests can replace it
with a controllable clock: ``monkeypatch.setattr("lms.assessment.clock.now", lambda: t)``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
