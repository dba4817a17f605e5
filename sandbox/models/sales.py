"""Sales: orders (from quotation to delivered), deliveries, customer invoices, receipts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from sandbox.models.base import Money, Quantity, SandboxScoped
from sandbox.models.documents import DocumentMixin
from sandbox.models.master import Customer, Product, Warehouse

# quotation → (pending_approval → approved | rejected) → confirmed
#   → partially_delivered → delivered; cancelled from quotation or rejected
SALES_ORDER_STATES = ("quotation", "pending_approval", "rejected", "confirmed",
                      "partially_delivered", "delivered", "cancelled")


class SalesOrder(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_sales_orders"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("sb_customers.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    # Why approval was needed (credit, discount), and the approver's decision.
    approval_reasons: Mapped[str | None] = mapped_column(String(200))
    approved_by: Mapped[str | None] = mapped_column(String(40))
    approval_comment: Mapped[str | None] = mapped_column(Text)
    customer: Mapped[Customer] = relationship(lazy="joined")
    warehouse: Mapped[Warehouse] = relationship(lazy="joined")
    lines: Mapped[list[SalesOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="SalesOrderLine.id",
        lazy="selectin",
    )

    @property
    def net_amount(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))


class SalesOrderLine(SandboxScoped, db.Model):
    __tablename__ = "sb_sales_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sb_sales_orders.id", ondelete="CASCADE"),
                                          index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    list_price: Mapped[Decimal] = mapped_column(Money)
    policy_discount_pct: Mapped[Decimal] = mapped_column(Money)  # what the price rules give
    discount_pct: Mapped[Decimal] = mapped_column(Money)  # what the clerk entered
    delivered_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    invoiced_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")

    @property
    def unit_price(self) -> Decimal:
        return (self.list_price * (100 - self.discount_pct) / 100).quantize(Decimal("0.01"))

    @property
    def net_amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class Delivery(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_deliveries"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sb_sales_orders.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("sb_warehouses.id"))
    order: Mapped[SalesOrder] = relationship(lazy="joined")
    lines: Mapped[list[DeliveryLine]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", lazy="selectin"
    )


class DeliveryLine(SandboxScoped, db.Model):
    __tablename__ = "sb_delivery_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("sb_deliveries.id", ondelete="CASCADE"),
                                             index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("sb_sales_order_lines.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("sb_products.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    delivery: Mapped[Delivery] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")


class CustomerInvoice(SandboxScoped, DocumentMixin, db.Model):
    """States: open → partially_paid → paid."""

    __tablename__ = "sb_customer_invoices"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("sb_sales_orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("sb_customers.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    net_amount: Mapped[Decimal] = mapped_column(Money)
    tax_amount: Mapped[Decimal] = mapped_column(Money)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    customer: Mapped[Customer] = relationship(lazy="joined")

    @property
    def open_amount(self) -> Decimal:
        return self.total_amount - self.paid_amount


class CustomerReceipt(SandboxScoped, DocumentMixin, db.Model):
    __tablename__ = "sb_customer_receipts"
    __table_args__ = (UniqueConstraint("sandbox_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sb_customer_invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    invoice: Mapped[CustomerInvoice] = relationship(lazy="joined")
