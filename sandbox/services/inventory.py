"""Inventory: stock on hand, reorder alerts (库存预警), transfers, stock counts (盘点).

A count's variance is counted minus the quantity on hand when the sheet was started; posting
moves it into stock and books it at standard cost against 1901 待处理财产损溢 (a gain:
Dr 1405 / Cr 1901; a loss: Dr 1901 / Cr 1405), where finance later clears it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from lms.extensions import db
from sandbox.labels import document_state
from sandbox.models import (
    JournalEntry,
    Product,
    StockCount,
    StockCountLine,
    StockLevel,
    Transfer,
    TransferLine,
    Warehouse,
)
from sandbox.seed import company_today
from sandbox.services.common import (
    CENT,
    SandboxRuleError,
    format_quantity,
    quantity_value,
    require,
    switch_on,
)
from sandbox.services.ledger import build_entry
from sandbox.services.stock import move_stock, on_hand
from sandbox.tenancy import SandboxContext

ZERO = Decimal("0")
THOUSANDTH = Decimal("0.001")


def _document_fields(ctx: SandboxContext, prefix: str, state: str) -> dict:
    return {"number": ctx.next_number(prefix), "state": state,
            "document_date": company_today(), "created_by": ctx.persona.code}


def _warehouse(ctx: SandboxContext, code: str) -> Warehouse:
    warehouse = ctx.by_code(Warehouse, (code or "").strip())
    if warehouse is None:
        raise SandboxRuleError(_("There is no warehouse %(code)s.", code=code))
    return warehouse


def _product(ctx: SandboxContext, sku: str) -> Product:
    product = ctx.by_code(Product, (sku or "").strip(), field="sku")
    if product is None:
        raise SandboxRuleError(_("There is no product %(sku)s.", sku=sku))
    return product


def _short_of_stock(product: Product, warehouse: Warehouse, available: Decimal,
                    wanted: Decimal) -> SandboxRuleError:
    return SandboxRuleError(
        _("Not enough stock of %(sku)s %(name)s in %(warehouse)s: %(available)s on hand, "
          "%(wanted)s needed.", sku=product.sku, name=product.name, warehouse=warehouse.name,
          available=format_quantity(available), wanted=format_quantity(wanted)))


def stock_on_hand(ctx: SandboxContext, search: str = "",
                  warehouse_code: str = "") -> list[StockLevel]:
    """Stock levels with their product and warehouse, by SKU; filtered by SKU or name."""
    statement = (ctx.select(StockLevel).join(StockLevel.product).join(StockLevel.warehouse)
                 .options(contains_eager(StockLevel.product),
                          contains_eager(StockLevel.warehouse))
                 .order_by(Product.sku, Warehouse.code))
    search = (search or "").strip()
    if search:
        statement = statement.where(or_(Product.sku.icontains(search, autoescape=True),
                                        Product.name.icontains(search, autoescape=True)))
    if (warehouse_code or "").strip():
        statement = statement.where(Warehouse.code == warehouse_code.strip())
    return list(ctx.scalars(statement).unique())


def reorder_alerts(ctx: SandboxContext) -> list[dict]:
    """Stock levels under the product's reorder point, the largest shortfall first.

    Each alert suggests ordering back up to reorder point plus safety stock (at least 1).
    Empty when the ``reorder_alert`` parameter is switched off.
    """
    if not switch_on(ctx, "reorder_alert"):
        return []
    levels = ctx.scalars(
        select(StockLevel).join(StockLevel.product).join(StockLevel.warehouse)
        .options(contains_eager(StockLevel.product), contains_eager(StockLevel.warehouse))
        .where(StockLevel.quantity < Product.reorder_point)).unique()
    alerts = [{
        "product": level.product, "warehouse": level.warehouse, "on_hand": level.quantity,
        "reorder_point": level.product.reorder_point,
        "safety_stock": level.product.safety_stock,
        "suggested_quantity": max(level.product.reorder_point + level.product.safety_stock
                                  - level.quantity, Decimal("1")),
    } for level in levels]
    alerts.sort(key=lambda a: (a["on_hand"] - a["reorder_point"], a["product"].sku,
                               a["warehouse"].code))
    return alerts


# Transfers ---------------------------------------------------------------------------------
def _quantity(value, what: str) -> Decimal:
    return quantity_value(value, what)


def create_transfer(ctx: SandboxContext, from_code: str, to_code: str, lines) -> Transfer:
    """A draft transfer between two warehouses; ``lines`` are (sku, quantity)."""
    require(ctx, "inventory.transfer")
    source, target = _warehouse(ctx, from_code), _warehouse(ctx, to_code)
    if source.id == target.id:
        raise SandboxRuleError(_("A transfer needs two different warehouses."))
    if not lines:
        raise SandboxRuleError(_("A transfer needs at least one line."))
    checked, seen = [], set()
    for sku, quantity in lines:
        product = _product(ctx, sku)
        if product.id in seen:
            raise SandboxRuleError(_("%(sku)s is on the transfer twice; enter it on one line.",
                                     sku=product.sku))
        seen.add(product.id)
        checked.append((product, _quantity(quantity, _("Quantity of %(sku)s",
                                                       sku=product.sku))))
    transfer = ctx.add(Transfer(**_document_fields(ctx, "TR", "draft"),
                                from_warehouse=source, to_warehouse=target))
    for product, qty in checked:
        transfer.lines.append(ctx.add(TransferLine(product=product, quantity=qty)))
    db.session.flush()
    ctx.log("transfer.create", transfer, from_warehouse=source.code, to_warehouse=target.code,
            lines=len(checked))
    db.session.flush()
    return transfer


def _require_draft(transfer: Transfer) -> None:
    if transfer.state != "draft":
        raise SandboxRuleError(_("%(number)s is “%(state)s” and can no longer be changed.",
                                 number=transfer.number, state=document_state(transfer)))


def complete_transfer(ctx: SandboxContext, transfer: Transfer) -> Transfer:
    """Move the goods: out of the source warehouse, into the target; the transfer is done."""
    require(ctx, "inventory.transfer")
    _require_draft(transfer)
    for line in transfer.lines:  # all stock checked first: a refusal moves nothing
        available = on_hand(ctx, line.product, transfer.from_warehouse)
        if available < line.quantity:
            raise _short_of_stock(line.product, transfer.from_warehouse, available,
                                  line.quantity)
    for line in transfer.lines:
        move_stock(ctx, line.product, transfer.from_warehouse, -line.quantity,
                   "transfer_out", transfer)
        move_stock(ctx, line.product, transfer.to_warehouse, line.quantity,
                   "transfer_in", transfer)
    transfer.state = "done"
    ctx.log("transfer.complete", transfer, lines=len(transfer.lines))
    db.session.flush()
    return transfer


def cancel_transfer(ctx: SandboxContext, transfer: Transfer) -> Transfer:
    """Cancel a draft transfer (nothing was moved)."""
    require(ctx, "inventory.transfer")
    _require_draft(transfer)
    transfer.state = "cancelled"
    ctx.log("transfer.cancel", transfer)
    db.session.flush()
    return transfer


# Stock counts ------------------------------------------------------------------------------
def start_count(ctx: SandboxContext, warehouse_code: str, skus=None) -> StockCount:
    """A count sheet for a warehouse: every product stocked there, or only ``skus``.

    Each line records the quantity on hand now (the system quantity) to count against.
    """
    require(ctx, "inventory.count")
    warehouse = _warehouse(ctx, warehouse_code)
    open_sheet = ctx.scalar(select(StockCount).where(StockCount.warehouse_id == warehouse.id,
                                                     StockCount.state == "counting"))
    if open_sheet is not None:
        # Two sheets over the same stock would apply the same variance twice.
        raise SandboxRuleError(_("%(number)s is still being counted in %(warehouse)s; post or "
                                 "cancel it first.", number=open_sheet.number,
                                 warehouse=warehouse.name))
    if skus:
        products = {product.id: product for product in (_product(ctx, sku) for sku in skus)}
        products = sorted(products.values(), key=lambda product: product.sku)
    else:
        products = list(ctx.scalars(
            select(Product).join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.warehouse_id == warehouse.id).order_by(Product.sku)))
    if not products:
        raise SandboxRuleError(_("There is nothing to count in %(warehouse)s.",
                                 warehouse=warehouse.name))
    count = ctx.add(StockCount(**_document_fields(ctx, "SC", "counting"), warehouse=warehouse))
    for product in products:
        count.lines.append(ctx.add(StockCountLine(
            product=product, system_quantity=on_hand(ctx, product, warehouse),
            counted_quantity=None)))
    db.session.flush()
    ctx.log("stock_count.create", count, warehouse=warehouse.code, lines=len(products))
    db.session.flush()
    return count


def _require_counting(count: StockCount) -> None:
    if count.state != "counting":
        raise SandboxRuleError(_("%(number)s is “%(state)s” and can no longer be changed.",
                                 number=count.number, state=document_state(count)))


def _counted(value, sku: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise SandboxRuleError(_("The counted quantity of %(sku)s must be a number.",
                                 sku=sku)) from None
    if not quantity.is_finite() or quantity < 0 or quantity >= Decimal("1e11"):
        raise SandboxRuleError(_("The counted quantity of %(sku)s cannot be negative.",
                                 sku=sku))
    if quantity != quantity.quantize(THOUSANDTH):
        raise SandboxRuleError(_("%(what)s can have at most three decimals.",
                                 what=_("Quantity of %(sku)s", sku=sku)))
    return quantity


def enter_count(ctx: SandboxContext, count: StockCount, counted: dict) -> StockCount:
    """Record counted quantities: {line id: quantity >= 0}; None (or "") clears a line."""
    require(ctx, "inventory.count")
    _require_counting(count)
    lines = {line.id: line for line in count.lines}
    entries = []
    for line_id, value in (counted or {}).items():
        line = lines.get(int(line_id)) if str(line_id).isdigit() else None
        if line is None:
            raise SandboxRuleError(_("%(number)s has no such line.", number=count.number))
        entries.append((line, _counted(value, line.product.sku)))
    for line, quantity in entries:
        line.counted_quantity = quantity
    ctx.log("stock_count.enter", count, lines=len(entries))
    db.session.flush()
    return count


def post_count(ctx: SandboxContext, count: StockCount) -> JournalEntry | None:
    """Post the variances: stock adjusted, gains and losses booked at standard cost.

    Every line must be counted. Returns the journal entry, or None when nothing differed.
    """
    require(ctx, "inventory.count")
    _require_counting(count)
    uncounted = [line.product.sku for line in count.lines if line.counted_quantity is None]
    if uncounted:
        raise SandboxRuleError(_("Enter a counted quantity for every line first: %(skus)s.",
                                 skus=", ".join(sorted(uncounted))))
    moved = [line.product.sku for line in count.lines
             if on_hand(ctx, line.product, count.warehouse) != line.system_quantity]
    if moved:
        # The variance is counted minus the stock when counting began; if stock moved since,
        # it would no longer be the difference between the shelf and the books.
        raise SandboxRuleError(_("Stock of %(skus)s changed after counting began; cancel this "
                                 "count sheet and start a new one.",
                                 skus=", ".join(sorted(moved))))
    variances = [(line, line.variance) for line in count.lines if line.variance]
    for line, variance in variances:  # checked first: a refusal adjusts nothing
        available = on_hand(ctx, line.product, count.warehouse)
        if available + variance < 0:
            raise _short_of_stock(line.product, count.warehouse, available, -variance)
    gain = loss = ZERO
    for line, variance in variances:
        move_stock(ctx, line.product, count.warehouse, variance, "count_adjustment", count)
        value = (abs(variance) * line.product.cost).quantize(CENT)
        if variance > 0:
            gain += value
        else:
            loss += value
    entry = None
    if gain or loss:
        entry = build_entry(ctx, _("Stock count %(number)s variance", number=count.number),
                            [("1405", gain, ZERO), ("1901", ZERO, gain),
                             ("1901", loss, ZERO), ("1405", ZERO, loss)], source=count)
    count.state = "posted"
    ctx.log("stock_count.post", count, variances=len(variances), gain=str(gain),
            loss=str(loss), entry=entry.number if entry is not None else None)
    db.session.flush()
    return entry


def cancel_count(ctx: SandboxContext, count: StockCount) -> StockCount:
    """Cancel a sheet still being counted (nothing was adjusted); the warehouse is free again.

    The way out when stock moved after counting began and the sheet can no longer be posted.
    """
    require(ctx, "inventory.count")
    if count.state != "counting":
        raise SandboxRuleError(_("%(number)s is “%(state)s”; only a sheet still being counted "
                                 "can be cancelled.", number=count.number,
                                 state=document_state(count)))
    count.state = "cancelled"
    ctx.log("stock_count.cancel", count, warehouse=count.warehouse.code)
    db.session.flush()
    return count
