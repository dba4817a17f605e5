"""Moving stock: the one place that changes quantities on hand, and refuses to go negative."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from sandbox.models import Product, StockLevel, StockMove, Warehouse
from sandbox.services.common import SandboxRuleError, format_quantity
from sandbox.tenancy import SandboxContext


def on_hand(ctx: SandboxContext, product: Product, warehouse: Warehouse) -> Decimal:
    level = ctx.scalar(select(StockLevel).where(StockLevel.product_id == product.id,
                                                StockLevel.warehouse_id == warehouse.id))
    return level.quantity if level is not None else Decimal("0")


def move_stock(ctx: SandboxContext, product: Product, warehouse: Warehouse, quantity: Decimal,
               kind: str, document=None) -> StockMove:
    """Add (quantity > 0) or take (< 0) stock, with a ledger line; never below zero."""
    level = ctx.scalar(select(StockLevel).where(StockLevel.product_id == product.id,
                                                StockLevel.warehouse_id == warehouse.id)
                       .with_for_update(of=StockLevel))
    if level is None:
        level = ctx.add(StockLevel(product=product, warehouse=warehouse, quantity=Decimal("0")))
    if level.quantity + quantity < 0:
        raise SandboxRuleError(
            _("Not enough stock of %(sku)s %(name)s in %(warehouse)s: %(available)s on hand, "
              "%(wanted)s needed.", sku=product.sku, name=product.name,
              warehouse=warehouse.name, available=format_quantity(level.quantity),
              wanted=format_quantity(-quantity)))
    if level.quantity + quantity >= Decimal("1e11"):
        raise SandboxRuleError(_("%(sku)s: that much stock does not fit in %(warehouse)s.",
                                 sku=product.sku, warehouse=warehouse.name))
    level.quantity += quantity
    return ctx.add(StockMove(
        product=product, warehouse=warehouse, quantity=quantity, unit_cost=product.cost,
        kind=kind, document_type=type(document).__name__ if document is not None else None,
        document_id=getattr(document, "id", None),
        document_number=getattr(document, "number", None),
        persona=ctx.persona.code if ctx.persona else "system",
    ))
