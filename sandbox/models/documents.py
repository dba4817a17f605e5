"""What every business document shares: a number, a state, who made it and when."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.database import UTCDateTime, utcnow


class DocumentMixin:
    number: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), index=True)
    document_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(40))  # persona code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
