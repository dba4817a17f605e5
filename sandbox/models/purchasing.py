"""Purchasing: requisitions, orders, goods receipts, supplier bills, payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from sandbox.models.base import Money, Quantity, SandboxScoped
from sandbox.models.documents import DocumentMixin
from sandbox.models.master import Product, Supplier, Warehouse

# draft → (pending_approval → approved | rejected) → confirmed → partially_received → received
PURCHASE_ORDER_STATES = ("draft", "pending_approval", "rejected", "confirmed",
                         "partially_received", "received", "cancelled")


class PurchaseRequisition(SandboxScoped, DocumentMixin, db.Model):
    """A request to buy (states: open → ordered | cancelled)."""

    __tablename__ = "sb_purchase_requisitions"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str | None] = mapped_column(Text)
    product: Mapped[Product] = relationship(lazy="joined")


class PurchaseOrder(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_purchase_orders"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("sb_suppliers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    requisition_id: Mapped[int | None] = mapped_column(
        ForeignKey("sb_purchase_requisitions.id"))
    approved_by: Mapped[str | None] = mapped_column(String(40))
    approval_comment: Mapped[str | None] = mapped_column(Text)
    supplier: Mapped[Supplier] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.id",
        lazy="selectin",
    )

    @property
    def net_amount(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))


class PurchaseOrderLine(SandboxScoped, db.Model):
    __tablename__ = "sb_purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sb_purchase_orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)  # excluding VAT
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    billed_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def net_amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class GoodsReceipt(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_goods_receipts"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sb_purchase_orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    order: Mapped[PurchaseOrder] = relationship(lazy="joined")
    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", lazy="selectin"
    )


class GoodsReceiptLine(SandboxScoped, db.Model):
    __tablename__ = "sb_goods_receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("sb_goods_receipts.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sb_purchase_order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class SupplierBill(SandboxScoped, DocumentMixin, db.Model):
    """States: open → partially_paid → paid."""

    __tablename__ = "sb_supplier_bills"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sb_purchase_orders.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("sb_suppliers.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    net_amount: Mapped[Decimal] = mapped_column(Money)
    tax_amount: Mapped[Decimal] = mapped_column(Money)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    supplier: Mapped[Supplier] = relationship(lazy="joined")

    @property
    def open_amount(self) -> Decimal:
        return self.total_amount - self.paid_amount


class SupplierPayment(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_supplier_payments"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("sb_supplier_bills.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    bill: Mapped[SupplierBill] = relationship(lazy="joined")
