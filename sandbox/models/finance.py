"""Finance: chart of accounts, journal entries, expense claims (费用报销)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from sandbox.models.base import Money, SandboxScoped
from sandbox.models.documents import DocumentMixin


class Account(SandboxScoped, db.Model):
    """An account of the chart, in the style Chinese companies use (1001 库存现金 …)."""

    __tablename__ = "sb_accounts"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    # asset | liability | equity | revenue | expense; debit-normal: asset, expense
    kind: Mapped[str] = mapped_column(String(10))


class JournalEntry(SandboxScoped, DocumentMixin, db.Model):
    """States: draft → posted; a posted entry is never edited, only reversed."""

    __tablename__ = "sb_journal_entries"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    memo: Mapped[str] = mapped_column(String(200))
    # The business document that produced it (automatic postings), if any.
    source_type: Mapped[str | None] = mapped_column(String(40))
    source_id: Mapped[int | None] = mapped_column(Integer)
    source_number: Mapped[str | None] = mapped_column(String(30))
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("sb_journal_entries.id"))
    posted_by: Mapped[str | None] = mapped_column(String(40))
    lines: Mapped[list[JournalLine]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="JournalLine.id",
        lazy="selectin",
    )

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal("0.00"))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal("0.00"))


class JournalLine(SandboxScoped, db.Model):
    __tablename__ = "sb_journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("sb_journal_entries.id", ondelete="CASCADE"),
                                          index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("sb_accounts.id"), index=True)
    debit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    credit: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    memo: Mapped[str | None] = mapped_column(String(200))
    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship(lazy="joined")


class ExpenseClaim(SandboxScoped, DocumentMixin, db.Model):
    """States: submitted → approved | rejected → paid."""

    __tablename__ = "sb_expense_claims"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claimant: Mapped[str] = mapped_column(String(40))  # persona code
    expense_account_id: Mapped[int] = mapped_column(ForeignKey("sb_accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(40))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    expense_account: Mapped[Account] = relationship(lazy="joined")
