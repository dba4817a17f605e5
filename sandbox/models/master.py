"""Master data: customers, suppliers, products, warehouses, price rules."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from sandbox.models.base import Money, Quantity, SandboxScoped


class Customer(SandboxScoped, db.Model):
    __tablename__ = "sb_customers"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(1))  # A, B or C: selects the price rules
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    payment_terms_days: Mapped[int] = mapped_column(Integer)


class Supplier(SandboxScoped, db.Model):
    __tablename__ = "sb_suppliers"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(40))
    contact: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(30))
    lead_time_days: Mapped[int] = mapped_column(Integer)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    # Evaluation scores 0–100; rating and grade are computed (see services/purchasing.py).
    quality_score: Mapped[int] = mapped_column(Integer)
    delivery_score: Mapped[int] = mapped_column(Integer)
    price_score: Mapped[int] = mapped_column(Integer)


class Product(SandboxScoped, db.Model):
    __tablename__ = "sb_products"
    __table_args__ = (UniqueConstraint("sandbox_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(10))
    cost: Mapped[Decimal] = mapped_column(Money)  # standard cost per unit, excluding VAT
    list_price: Mapped[Decimal] = mapped_column(Money)  # excluding VAT
    reorder_point: Mapped[Decimal] = mapped_column(Quantity)
    safety_stock: Mapped[Decimal] = mapped_column(Quantity)


class Warehouse(SandboxScoped, db.Model):
    __tablename__ = "sb_warehouses"
    __table_args__ = (UniqueConstraint("sandbox_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    city: Mapped[str] = mapped_column(String(40))


class PriceRule(SandboxScoped, db.Model):
    """Price policy: for a customer tier, from a quantity on, a discount off the list price.

    ``max_extra_discount`` is what a sales clerk may give on top without approval.
    """

    __tablename__ = "sb_price_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(1))
    category: Mapped[str | None] = mapped_column(String(40))  # None: every category
    min_quantity: Mapped[Decimal] = mapped_column(Quantity)
    discount_pct: Mapped[Decimal] = mapped_column(Money)
    max_extra_discount_pct: Mapped[Decimal] = mapped_column(Money)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("sb_products.id"))
