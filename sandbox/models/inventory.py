"""Inventory: stock on hand, the move ledger, transfers, stock counts (盘点)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db
from sandbox.models.base import Money, Quantity, SandboxScoped
from sandbox.models.documents import DocumentMixin
from sandbox.models.master import Product, Warehouse


class StockLevel(SandboxScoped, db.Model):
    """Quantity on hand of one product in one warehouse; never below zero."""

    __tablename__ = "sb_stock_levels"
    __table_args__ = (UniqueConstraint("warehouse_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    product: Mapped[Product] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")


class StockMove(SandboxScoped, db.Model):
    """One line of the move ledger: + in, − out, with the document that caused it."""

    __tablename__ = "sb_stock_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    # opening | receipt | delivery | transfer_in | transfer_out | count_adjustment
    kind: Mapped[str] = mapped_column(String(20))
    document_type: Mapped[str | None] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[str | None] = mapped_column(String(30))
    persona: Mapped[str] = mapped_column(String(40))
    product: Mapped[Product] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")


class Transfer(SandboxScoped, DocumentMixin, db.Model):
    """Moving stock between warehouses (states: draft → done | cancelled)."""

    __tablename__ = "sb_transfers"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    to_warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    from_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[from_warehouse_id],
                                                     lazy="joined")
    to_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[to_warehouse_id],
                                                   lazy="joined")
    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", lazy="selectin"
    )


class TransferLine(SandboxScoped, db.Model):
    __tablename__ = "sb_transfer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("sb_transfers.id", ondelete="CASCADE"),
                                             index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    transfer: Mapped[Transfer] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class StockCount(SandboxScoped, DocumentMixin, db.Model):
    """A count sheet for one warehouse (states: counting → posted)."""

    __tablename__ = "sb_stock_counts"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", lazy="selectin"
    )


class StockCountLine(SandboxScoped, db.Model):
    __tablename__ = "sb_stock_count_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("sb_stock_counts.id", ondelete="CASCADE"),
                                          index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    system_quantity: Mapped[Decimal] = mapped_column(Quantity)
    counted_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    count: Mapped[StockCount] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def variance(self) -> Decimal | None:
        if self.counted_quantity is None:
            return None
        return self.counted_quantity - self.system_quantity
