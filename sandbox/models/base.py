"""The sandbox itself and what every sandbox table shares: the tenant key.

Every sandbox row carries ``sandbox_id`` (indexed). Queries go through
``sandbox.tenancy.SandboxContext``, which adds the tenant criterion to every statement;
a select of a sandbox table without one is refused (see ``sandbox/tenancy.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

# Money in yuan with fen; quantities allow three decimals (kg, m).
Money = Numeric(14, 2)
Quantity = Numeric(14, 3)


class Sandbox(db.Model):
    """One learner's (or trainer's) private copy of the training company."""

    __tablename__ = "sb_sandboxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                          unique=True)
    seed_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reset_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The persona the owner is acting as (a sandbox user code such as "sales_clerk").
    current_persona: Mapped[str | None] = mapped_column(String(40))


class SandboxScoped:
    """Mixin for every table whose rows belong to one sandbox."""

    @declared_attr
    def sandbox_id(cls) -> Mapped[int]:  # noqa: N805 - declared_attr receives the class
        return mapped_column(ForeignKey("sb_sandboxes.id", ondelete="CASCADE"), index=True)


class DocumentCounter(SandboxScoped, db.Model):
    """Next number per document type, so numbers (SO-0001 …) are per sandbox."""

    __tablename__ = "sb_counters"
    __table_args__ = (UniqueConstraint("sandbox_id", "prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(10))
    last_number: Mapped[int] = mapped_column(Integer, default=0)
