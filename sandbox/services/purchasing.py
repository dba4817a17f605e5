"""Purchasing: requisition → order → approval → goods receipt → supplier bill → payment.

Postings: a receipt debits stock (1405) and credits payables (2202) at the order price; the
bill adds the input VAT (Dr 2221 / Cr 2202); a payment clears the payable against the bank.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _

from lms.extensions import db
from sandbox.labels import document_state
from sandbox.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequisition,
    Supplier,
    SupplierBill,
    SupplierPayment,
    Warehouse,
)
from sandbox.seed import company_today
from sandbox.services.common import (
    CENT,
    SandboxRuleError,
    blank_or_zero,
    check_line_amount,
    format_quantity,
    money_value,
    not_own_document,
    parameter,
    quantity_value,
    require,
    require_state,
    vat_rate,
)
from sandbox.services.ledger import build_entry
from sandbox.services.stock import move_stock
from sandbox.tenancy import SandboxContext

ZERO = Decimal("0")
EDITABLE_STATES = ("draft", "rejected")
RECEIVABLE_STATES = ("confirmed", "partially_received")


def supplier_rating(supplier: Supplier) -> tuple[Decimal, str]:
    """Weighted rating 0–100 (quality 40 %, delivery 35 %, price 25 %) and its grade A–D."""
    rating = (Decimal(supplier.quality_score) * Decimal("0.40")
              + Decimal(supplier.delivery_score) * Decimal("0.35")
              + Decimal(supplier.price_score) * Decimal("0.25")).quantize(CENT)
    grade = "A" if rating >= 90 else "B" if rating >= 80 else "C" if rating >= 70 else "D"
    return rating, grade


def _product(ctx: SandboxContext, sku: str) -> Product:
    product = ctx.by_code(Product, sku, field="sku")
    if product is None:
        raise SandboxRuleError(_("There is no product %(sku)s.", sku=sku))
    return product


def _document_fields(ctx: SandboxContext, prefix: str, state: str) -> dict:
    return {"number": ctx.next_number(prefix), "state": state,
            "document_date": company_today(), "created_by": ctx.persona.code}


def create_requisition(ctx: SandboxContext, sku: str, quantity, reason: str = "") \
        -> PurchaseRequisition:
    """A request to buy a product (state open)."""
    require(ctx, "purchasing.requisition")
    product = _product(ctx, sku)
    qty = quantity_value(quantity, _("Quantity"))
    requisition = ctx.add(PurchaseRequisition(**_document_fields(ctx, "PR", "open"),
                                              product=product, quantity=qty,
                                              reason=(reason or "").strip() or None))
    db.session.flush()
    ctx.log("purchase_requisition.create", requisition, sku=sku, quantity=str(qty))
    db.session.flush()
    return requisition


def _checked_lines(ctx: SandboxContext, lines) -> list[tuple[Product, Decimal, Decimal]]:
    """(product, quantity, unit price) for each (sku, quantity, unit price or None)."""
    checked = []
    for sku, quantity, unit_price in lines or []:
        product = _product(ctx, sku)
        qty = quantity_value(quantity, _("Quantity of %(sku)s", sku=sku))
        price = product.cost if unit_price in (None, "") else \
            money_value(unit_price, _("Unit price of %(sku)s", sku=sku))
        check_line_amount(price * qty, _("The value of %(sku)s", sku=sku))
        checked.append((product, qty, Decimal(price).quantize(CENT)))
    if not checked:
        raise SandboxRuleError(_("A purchase order needs at least one line."))
    return checked


def _order_lines(ctx: SandboxContext, checked) -> list[PurchaseOrderLine]:
    return [ctx.add(PurchaseOrderLine(product=product, quantity=qty, unit_price=price,
                                      received_quantity=ZERO, billed_quantity=ZERO))
            for product, qty, price in checked]


def create_purchase_order(ctx: SandboxContext, supplier_code: str, lines,
                          warehouse_code: str = "WH-SH",
                          requisition: PurchaseRequisition | None = None) -> PurchaseOrder:
    """A draft purchase order; lines are (sku, quantity, unit price or None for the cost)."""
    require(ctx, "purchasing.order")
    supplier = ctx.by_code(Supplier, supplier_code)
    if supplier is None:
        raise SandboxRuleError(_("There is no supplier %(code)s.", code=supplier_code))
    warehouse = ctx.by_code(Warehouse, warehouse_code)
    if warehouse is None:
        raise SandboxRuleError(_("There is no warehouse %(code)s.", code=warehouse_code))
    if requisition is not None:
        require_state(requisition, ("open",))
    checked = _checked_lines(ctx, lines)
    order = ctx.add(PurchaseOrder(**_document_fields(ctx, "PO", "draft"), supplier=supplier,
                                  warehouse=warehouse,
                                  requisition_id=requisition.id if requisition else None))
    order.lines.extend(_order_lines(ctx, checked))
    if requisition is not None:
        requisition.state = "ordered"
    db.session.flush()
    ctx.log("purchase_order.create", order, supplier=supplier.code,
            net_amount=str(order.net_amount),
            requisition=requisition.number if requisition else None)
    db.session.flush()
    return order


def update_purchase_order(ctx: SandboxContext, order: PurchaseOrder, lines) -> PurchaseOrder:
    """Replace the lines of a draft or rejected order (a rejected order goes back to draft)."""
    require(ctx, "purchasing.order")
    if order.state not in EDITABLE_STATES:
        raise SandboxRuleError(
            _("%(number)s is “%(state)s” and can no longer be edited.",
              number=order.number, state=document_state(order)))
    checked = _checked_lines(ctx, lines)
    order.lines.clear()
    db.session.flush()
    order.lines.extend(_order_lines(ctx, checked))
    order.state = "draft"
    order.approved_by = None
    db.session.flush()
    ctx.log("purchase_order.update", order, net_amount=str(order.net_amount))
    db.session.flush()
    return order


def submit_purchase_order(ctx: SandboxContext, order: PurchaseOrder) -> PurchaseOrder:
    """Draft → pending approval above the approval threshold, otherwise confirmed."""
    require(ctx, "purchasing.order")
    require_state(order, ("draft",))
    if not order.lines:
        raise SandboxRuleError(_("A purchase order needs at least one line."))
    threshold = Decimal(parameter(ctx, "purchase_approval_threshold") or "0")
    needs_approval = order.net_amount > threshold
    order.state = "pending_approval" if needs_approval else "confirmed"
    ctx.log("purchase_order.submit", order, net_amount=str(order.net_amount),
            threshold=str(threshold), state=order.state)
    db.session.flush()
    return order


def _decide(ctx: SandboxContext, order: PurchaseOrder, comment: str, state: str,
            action: str) -> PurchaseOrder:
    require(ctx, "purchasing.approve")
    require_state(order, ("pending_approval",))
    not_own_document(ctx, order)
    order.state = state
    order.approved_by = ctx.persona.code
    order.approval_comment = comment or None
    ctx.log(action, order, comment=comment or None)
    db.session.flush()
    return order


def approve_purchase_order(ctx: SandboxContext, order: PurchaseOrder,
                           comment: str = "") -> PurchaseOrder:
    """Approve an order waiting for approval (not one's own): it becomes confirmed."""
    return _decide(ctx, order, (comment or "").strip(), "confirmed", "purchase_order.approve")


def reject_purchase_order(ctx: SandboxContext, order: PurchaseOrder,
                          comment: str) -> PurchaseOrder:
    """Reject an order waiting for approval, with a reason; the buyer may edit it again."""
    comment = (comment or "").strip()
    if not comment:
        require(ctx, "purchasing.approve")
        raise SandboxRuleError(_("Give a reason when rejecting."))
    return _decide(ctx, order, comment, "rejected", "purchase_order.reject")


def cancel_purchase_order(ctx: SandboxContext, order: PurchaseOrder) -> PurchaseOrder:
    """Cancel a draft, rejected, or confirmed order of which nothing was received yet."""
    require(ctx, "purchasing.order")
    require_state(order, ("draft", "rejected", "confirmed"))
    if any(line.received_quantity for line in order.lines):
        raise SandboxRuleError(_("%(number)s has goods received and cannot be cancelled.",
                                 number=order.number))
    order.state = "cancelled"
    if order.requisition_id is not None:
        requisition = ctx.get(PurchaseRequisition, order.requisition_id)
        if requisition is not None and requisition.state == "ordered":
            requisition.state = "open"  # the need is still there
    ctx.log("purchase_order.cancel", order)
    db.session.flush()
    return order


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _receipt_quantities(order: PurchaseOrder, quantities) -> list[tuple[PurchaseOrderLine,
                                                                         Decimal]]:
    lines = {line.id: line for line in order.lines}
    if quantities is None:
        wanted = [(line, line.quantity - line.received_quantity) for line in order.lines]
    else:
        wanted = []
        for line_id, quantity in quantities.items():
            line = lines.get(_as_int(line_id))
            if line is None:
                raise SandboxRuleError(_("%(number)s has no such line.", number=order.number))
            if blank_or_zero(quantity):
                continue
            wanted.append((line, quantity_value(quantity, _("Quantity of %(sku)s",
                                                           sku=line.product.sku))))
    for line, quantity in wanted:
        remaining = line.quantity - line.received_quantity
        if quantity > remaining:
            raise SandboxRuleError(
                _("%(sku)s: receiving %(wanted)s is more than the %(remaining)s still "
                  "expected on %(number)s.", sku=line.product.sku,
                  wanted=format_quantity(quantity), remaining=format_quantity(remaining),
                  number=order.number))
    wanted = [(line, quantity) for line, quantity in wanted if quantity > 0]
    if not wanted and quantities:  # every quantity typed was 0: not "receive everything"
        raise SandboxRuleError(_("Enter a quantity greater than 0 on at least one line to "
                                 "receive on %(number)s.", number=order.number))
    if not wanted:
        raise SandboxRuleError(_("Nothing to receive on %(number)s.", number=order.number))
    return wanted


def receive_goods(ctx: SandboxContext, order: PurchaseOrder, quantities=None) -> GoodsReceipt:
    """Receive goods against a confirmed order (all that remains, or order-line id → qty).

    Stock comes in to the order's warehouse and Dr 1405 / Cr 2202 is posted at order price.
    """
    require(ctx, "purchasing.receive")
    require_state(order, RECEIVABLE_STATES)
    wanted = _receipt_quantities(order, quantities)
    receipt = ctx.add(GoodsReceipt(**_document_fields(ctx, "GR", "done"), order=order,
                                   warehouse_id=order.warehouse_id))
    db.session.flush()
    value = ZERO
    for line, quantity in wanted:
        receipt.lines.append(ctx.add(GoodsReceiptLine(order_line_id=line.id,
                                                      product=line.product,
                                                      quantity=quantity)))
        move_stock(ctx, line.product, order.warehouse, quantity, "receipt", receipt)
        line.received_quantity += quantity
        value += (line.unit_price * quantity).quantize(CENT)
    if value:  # a tiny quantity at a tiny price can round to nothing
        build_entry(ctx, f"采购入库 {receipt.number}（{order.number}）",
                    [("1405", value, ZERO), ("2202", ZERO, value)], source=receipt)
    fully = all(line.received_quantity >= line.quantity for line in order.lines)
    order.state = "received" if fully else "partially_received"
    db.session.flush()
    ctx.log("goods_receipt.create", receipt, order=order.number, value=str(value),
            order_state=order.state)
    db.session.flush()
    return receipt


def record_bill(ctx: SandboxContext, order: PurchaseOrder) -> SupplierBill:
    """The supplier's bill for what was received and not yet billed, with input VAT.

    The net was credited to 2202 on receipt; the bill posts Dr 2221 / Cr 2202 for the tax.
    """
    require(ctx, "purchasing.bill")
    to_bill = [(line, line.received_quantity - line.billed_quantity) for line in order.lines]
    to_bill = [(line, quantity) for line, quantity in to_bill if quantity > 0]
    if not to_bill:
        raise SandboxRuleError(_("%(number)s has nothing received that is not billed yet.",
                                 number=order.number))
    net = sum(((line.unit_price * quantity).quantize(CENT) for line, quantity in to_bill), ZERO)
    tax = (net * vat_rate(ctx)).quantize(CENT)
    due = company_today() + timedelta(days=order.supplier.payment_terms_days)
    bill = ctx.add(SupplierBill(**_document_fields(ctx, "BILL", "open"), order_id=order.id,
                                supplier=order.supplier, due_date=due,
                                net_amount=net, tax_amount=tax, total_amount=net + tax,
                                paid_amount=Decimal("0.00")))
    db.session.flush()
    for line, quantity in to_bill:
        line.billed_quantity += quantity
    if tax:
        build_entry(ctx, f"供应商发票进项税 {bill.number}（{order.number}）",
                    [("2221", tax, ZERO), ("2202", ZERO, tax)], source=bill)
    ctx.log("supplier_bill.create", bill, order=order.number, net=str(net), tax=str(tax))
    db.session.flush()
    return bill


def pay_bill(ctx: SandboxContext, bill: SupplierBill, amount) -> SupplierPayment:
    """Pay (part of) an open bill from the bank: Dr 2202 / Cr 1002."""
    require(ctx, "purchasing.pay")
    require_state(bill, ("open", "partially_paid"))
    paid = money_value(amount, _("Amount"))
    if paid > bill.open_amount:
        raise SandboxRuleError(
            _("%(amount)s is more than the %(open)s still open on %(number)s.",
              amount=f"{paid:,.2f}", open=f"{bill.open_amount:,.2f}", number=bill.number))
    payment = ctx.add(SupplierPayment(**_document_fields(ctx, "PAY", "done"), bill=bill,
                                      amount=paid))
    db.session.flush()
    build_entry(ctx, f"支付供应商 {bill.supplier.name} {bill.number}",
                [("2202", paid, ZERO), ("1002", ZERO, paid)], source=payment)
    bill.paid_amount += paid
    bill.state = "paid" if bill.open_amount == 0 else "partially_paid"
    ctx.log("supplier_payment.create", payment, bill=bill.number, amount=str(paid),
            bill_state=bill.state)
    db.session.flush()
    return payment
