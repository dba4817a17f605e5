"""Sales: quotation → order → approval → delivery → customer invoice → receipt of payment.

Postings: a delivery moves the goods' cost from stock to cost of sales (Dr 6401 / Cr 1405);
an invoice books the receivable against revenue and output VAT (Dr 1122 / Cr 6001, 2221);
a receipt clears the receivable against the bank (Dr 1002 / Cr 1122).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from lms.extensions import db
from sandbox.labels import document_state
from sandbox.models import (
    Customer,
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    DeliveryLine,
    PriceRule,
    Product,
    SalesOrder,
    SalesOrderLine,
    Warehouse,
)
from sandbox.pricing import policy_for
from sandbox.seed import company_today
from sandbox.services.common import (
    CENT,
    SandboxRuleError,
    blank_or_zero,
    check_line_amount,
    format_quantity,
    money_value,
    not_own_document,
    quantity_value,
    require,
    require_state,
    switch_on,
    vat_rate,
)
from sandbox.services.ledger import build_entry
from sandbox.services.stock import move_stock, on_hand
from sandbox.tenancy import SandboxContext

ZERO = Decimal("0")
EDITABLE_STATES = ("quotation", "rejected")
# Orders that hold part of the customer's credit until they are invoiced.
# (Delivered orders too: what is delivered but not yet invoiced is owed all the same.)
CREDIT_HOLDING_STATES = ("pending_approval", "confirmed", "partially_delivered", "delivered")
DELIVERABLE_STATES = ("confirmed", "partially_delivered")
INVOICEABLE_STATES = ("confirmed", "partially_delivered", "delivered")
OPEN_INVOICE_STATES = ("open", "partially_paid")


def _document_fields(ctx: SandboxContext, prefix: str, state: str) -> dict:
    return {"number": ctx.next_number(prefix), "state": state,
            "document_date": company_today(), "created_by": ctx.persona.code}


def _quantity(value, what: str) -> Decimal:
    """A quantity greater than zero with at most three decimals (what the column keeps)."""
    return quantity_value(value, what)


def _discount(value, sku: str) -> Decimal:
    try:
        discount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SandboxRuleError(_("The discount of %(sku)s must be a number.", sku=sku)) from None
    # Rounded first: 99.999 would otherwise become 100.00 after the check.
    if not discount.is_finite() or abs(discount) >= 1000 \
            or not 0 <= discount.quantize(CENT) < 100:
        raise SandboxRuleError(
            _("The discount of %(sku)s must be at least 0 and below 100.", sku=sku))
    return discount.quantize(CENT)


def customer_credit(ctx: SandboxContext, customer: Customer) -> dict[str, Decimal]:
    """The customer's credit: ``limit``, ``used`` and ``remaining`` (may be negative).

    Used credit is what the customer owes on open invoices plus the value, with VAT, of
    what its orders awaiting approval, confirmed or partly delivered have not yet invoiced.
    """
    invoices = ctx.scalars(select(CustomerInvoice).where(
        CustomerInvoice.customer_id == customer.id,
        CustomerInvoice.state.in_(OPEN_INVOICE_STATES)))
    receivable = sum((invoice.open_amount for invoice in invoices), ZERO)
    orders = ctx.scalars(select(SalesOrder).where(SalesOrder.customer_id == customer.id,
                                                  SalesOrder.state.in_(CREDIT_HOLDING_STATES)))
    not_invoiced = sum(((line.unit_price * (line.quantity - line.invoiced_quantity))
                        .quantize(CENT) for order in orders for line in order.lines), ZERO)
    used = (receivable + not_invoiced * (1 + vat_rate(ctx))).quantize(CENT)
    limit = Decimal(customer.credit_limit)
    return {"limit": limit, "used": used, "remaining": limit - used}


def price_line(ctx: SandboxContext, customer: Customer, product: Product,
               quantity: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(list price, the policy's discount %, extra discount % a clerk may add) for a line."""
    rules = [rule for rule in ctx.scalars(select(PriceRule))
             if rule.product_id in (None, product.id)]
    discount, extra = policy_for(rules, customer.tier, product.category, Decimal(quantity))
    return Decimal(product.list_price), discount, extra


def _priced_lines(ctx: SandboxContext, customer: Customer, lines) -> list[SalesOrderLine]:
    """Order lines from (sku, quantity, discount % or None), all checked; nothing added."""
    if not lines:
        raise SandboxRuleError(_("A sales order needs at least one line."))
    priced, seen = [], set()
    for sku, quantity, discount in lines:
        sku = (sku or "").strip()
        if sku in seen:
            raise SandboxRuleError(_("%(sku)s is on the order twice; enter it on one line.",
                                     sku=sku))
        seen.add(sku)
        product = ctx.by_code(Product, sku, field="sku")
        if product is None:
            raise SandboxRuleError(_("There is no product %(sku)s.", sku=sku))
        qty = _quantity(quantity, _("Quantity of %(sku)s", sku=sku))
        list_price, policy, _extra = price_line(ctx, customer, product, qty)
        check_line_amount(list_price * qty, _("The value of %(sku)s", sku=sku))
        priced.append(SalesOrderLine(
            product=product, quantity=qty, list_price=list_price, policy_discount_pct=policy,
            discount_pct=policy if discount is None else _discount(discount, sku),
            delivered_quantity=ZERO, invoiced_quantity=ZERO))
    return priced


def create_order(ctx: SandboxContext, customer_code: str, lines,
                 warehouse_code: str = "WH-SH") -> SalesOrder:
    """A quotation for a customer; ``lines`` are (sku, quantity, discount % or None)."""
    require(ctx, "sales.quote")
    customer = ctx.by_code(Customer, (customer_code or "").strip())
    if customer is None:
        raise SandboxRuleError(_("There is no customer %(code)s.", code=customer_code))
    warehouse = ctx.by_code(Warehouse, (warehouse_code or "").strip())
    if warehouse is None:
        raise SandboxRuleError(_("There is no warehouse %(code)s.", code=warehouse_code))
    priced = _priced_lines(ctx, customer, lines)
    order = ctx.add(SalesOrder(**_document_fields(ctx, "SO", "quotation"), customer=customer,
                               warehouse=warehouse))
    for line in priced:
        order.lines.append(ctx.add(line))
    db.session.flush()
    ctx.log("sales_order.create", order, customer=customer.code, lines=len(priced),
            net=str(order.net_amount))
    db.session.flush()
    return order


def update_order(ctx: SandboxContext, order: SalesOrder, lines) -> SalesOrder:
    """Replace the lines of a quotation or a rejected order (which becomes a quotation)."""
    require(ctx, "sales.quote")
    if order.state not in EDITABLE_STATES:
        raise SandboxRuleError(_("%(number)s is “%(state)s” and can no longer be edited.",
                                 number=order.number, state=document_state(order)))
    priced = _priced_lines(ctx, order.customer, lines)
    order.lines.clear()
    db.session.flush()
    for line in priced:
        order.lines.append(ctx.add(line))
    previous, order.state, order.approval_reasons = order.state, "quotation", None
    db.session.flush()
    ctx.log("sales_order.update", order, previous_state=previous, lines=len(priced),
            net=str(order.net_amount))
    db.session.flush()
    return order


def approval_reasons(ctx: SandboxContext, order: SalesOrder) -> list[str]:
    """Why the order would need approval now: "credit", "discount", both or neither."""
    reasons = []
    gross = (order.net_amount * (1 + vat_rate(ctx))).quantize(CENT)
    if switch_on(ctx, "credit_check") and gross > customer_credit(ctx, order.customer)[
            "remaining"]:
        reasons.append("credit")
    for line in order.lines:
        _price, _policy, extra = price_line(ctx, order.customer, line.product, line.quantity)
        if line.discount_pct > line.policy_discount_pct + extra:
            reasons.append("discount")
            break
    return reasons


def submit_order(ctx: SandboxContext, order: SalesOrder) -> SalesOrder:
    """Submit a quotation: confirmed, or pending approval when over credit or discount."""
    require(ctx, "sales.quote")
    require_state(order, ("quotation",))
    reasons = approval_reasons(ctx, order)
    order.state = "pending_approval" if reasons else "confirmed"
    order.approval_reasons = ",".join(reasons) or None
    ctx.log("sales_order.submit", order, state=order.state, reasons=order.approval_reasons,
            net=str(order.net_amount))
    db.session.flush()
    return order


def _decide(ctx: SandboxContext, order: SalesOrder, comment: str, state: str,
            action: str) -> SalesOrder:
    require(ctx, "sales.approve")
    require_state(order, ("pending_approval",))
    not_own_document(ctx, order)
    comment = (comment or "").strip()
    if state == "rejected" and not comment:
        raise SandboxRuleError(_("Give a reason when rejecting."))
    order.state, order.approved_by = state, ctx.persona.code
    order.approval_comment = comment or None
    ctx.log(action, order, reasons=order.approval_reasons, comment=comment)
    db.session.flush()
    return order


def approve_order(ctx: SandboxContext, order: SalesOrder, comment: str = "") -> SalesOrder:
    """Approve an order awaiting approval (not one's own): it becomes confirmed."""
    return _decide(ctx, order, comment, "confirmed", "sales_order.approve")


def reject_order(ctx: SandboxContext, order: SalesOrder, comment: str) -> SalesOrder:
    """Reject an order awaiting approval, with a reason; the clerk may edit and resubmit."""
    return _decide(ctx, order, comment, "rejected", "sales_order.reject")


def cancel_order(ctx: SandboxContext, order: SalesOrder) -> SalesOrder:
    """Cancel a quotation, a rejected order, or a confirmed order nothing was delivered of."""
    require(ctx, "sales.quote")
    require_state(order, ("quotation", "rejected", "confirmed"))
    if any(line.delivered_quantity for line in order.lines):
        raise SandboxRuleError(_("%(number)s has goods delivered and cannot be cancelled.",
                                 number=order.number))
    previous, order.state = order.state, "cancelled"
    ctx.log("sales_order.cancel", order, previous_state=previous)
    db.session.flush()
    return order


def _delivery_quantities(order: SalesOrder, quantities) -> list[tuple[SalesOrderLine, Decimal]]:
    """(line, quantity) to ship now; a blank or 0 quantity skips its line, as on a receipt."""
    remaining = {line.id: line.quantity - line.delivered_quantity for line in order.lines}
    if quantities is None:
        wanted = [(line, remaining[line.id]) for line in order.lines if remaining[line.id] > 0]
        if not wanted:
            raise SandboxRuleError(_("Nothing to deliver on %(number)s.", number=order.number))
        return wanted
    lines = {line.id: line for line in order.lines}
    wanted = []
    for line_id, quantity in quantities.items():
        line = lines.get(int(line_id)) if str(line_id).isdigit() else None
        if line is None:
            raise SandboxRuleError(_("%(number)s has no such line.", number=order.number))
        if blank_or_zero(quantity):
            continue
        sku = line.product.sku
        qty = _quantity(quantity, _("Quantity of %(sku)s", sku=sku))
        if qty > remaining[line.id]:
            raise SandboxRuleError(
                _("%(sku)s: delivering %(wanted)s is more than the %(remaining)s still to "
                  "deliver.", sku=sku, wanted=format_quantity(qty),
                  remaining=format_quantity(remaining[line.id])))
        wanted.append((line, qty))
    if not wanted:  # every quantity typed was 0: not "deliver everything"
        raise SandboxRuleError(_("Enter a quantity greater than 0 on at least one line to "
                                 "deliver on %(number)s.", number=order.number))
    return wanted


def deliver(ctx: SandboxContext, order: SalesOrder, quantities=None) -> Delivery:
    """Ship goods of a confirmed order: stock out, cost of goods posted.

    ``quantities`` maps order-line id to the quantity shipped now (blank or 0: not this
    line, as on a goods receipt); None ships everything still to deliver. The order becomes
    partially_delivered or delivered.
    """
    require(ctx, "sales.deliver")
    require_state(order, DELIVERABLE_STATES)
    wanted = _delivery_quantities(order, quantities)
    for line, qty in wanted:  # check all stock first: a refusal leaves nothing moved
        available = on_hand(ctx, line.product, order.warehouse)
        if available < qty:
            raise SandboxRuleError(
                _("Not enough stock of %(sku)s %(name)s in %(warehouse)s: %(available)s on "
                  "hand, %(wanted)s needed.", sku=line.product.sku, name=line.product.name,
                  warehouse=order.warehouse.name, available=format_quantity(available),
                  wanted=format_quantity(qty)))
    delivery = ctx.add(Delivery(**_document_fields(ctx, "DN", "done"), order=order,
                                warehouse_id=order.warehouse_id))
    db.session.flush()
    cost = ZERO
    for line, qty in wanted:
        delivery.lines.append(ctx.add(DeliveryLine(order_line_id=line.id, product=line.product,
                                                   quantity=qty)))
        move_stock(ctx, line.product, order.warehouse, -qty, "delivery", delivery)
        line.delivered_quantity += qty
        cost += (line.product.cost * qty).quantize(CENT)
    if cost:
        build_entry(ctx, _("Cost of goods delivered, %(number)s", number=delivery.number),
                    [("6401", cost, ZERO), ("1405", ZERO, cost)], source=delivery)
    done = all(line.delivered_quantity >= line.quantity for line in order.lines)
    order.state = "delivered" if done else "partially_delivered"
    ctx.log("delivery.create", delivery, order=order.number, lines=len(wanted),
            cost=str(cost), order_state=order.state)
    db.session.flush()
    return delivery


def invoice_order(ctx: SandboxContext, order: SalesOrder) -> CustomerInvoice:
    """Invoice what was delivered and not yet invoiced: receivable, revenue, output VAT."""
    require(ctx, "sales.invoice")
    require_state(order, INVOICEABLE_STATES)
    to_invoice = [(line, line.delivered_quantity - line.invoiced_quantity)
                  for line in order.lines if line.delivered_quantity > line.invoiced_quantity]
    if not to_invoice:
        raise SandboxRuleError(_("%(number)s has nothing delivered that is not invoiced yet.",
                                 number=order.number))
    net = sum(((line.unit_price * qty).quantize(CENT) for line, qty in to_invoice), ZERO)
    tax = (net * vat_rate(ctx)).quantize(CENT)
    invoice = ctx.add(CustomerInvoice(
        **_document_fields(ctx, "INV", "open"), order_id=order.id, customer=order.customer,
        due_date=company_today() + timedelta(days=order.customer.payment_terms_days),
        net_amount=net, tax_amount=tax, total_amount=net + tax, paid_amount=Decimal("0.00")))
    db.session.flush()
    for line, qty in to_invoice:
        line.invoiced_quantity += qty
    build_entry(ctx, _("Customer invoice %(number)s", number=invoice.number),
                [("1122", net + tax, ZERO), ("6001", ZERO, net), ("2221", ZERO, tax)],
                source=invoice)
    ctx.log("customer_invoice.create", invoice, order=order.number, net=str(net),
            tax=str(tax), total=str(net + tax))
    db.session.flush()
    return invoice


def receive_payment(ctx: SandboxContext, invoice: CustomerInvoice, amount) -> CustomerReceipt:
    """Record a customer's payment against an open invoice (at most what is still open)."""
    require(ctx, "sales.receive_payment")
    require_state(invoice, OPEN_INVOICE_STATES)
    paid = money_value(amount, _("Amount"))
    if paid > invoice.open_amount:
        raise SandboxRuleError(_("%(amount)s is more than the %(open)s still open on "
                                 "%(number)s.", amount=f"{paid:,.2f}",
                                 open=f"{invoice.open_amount:,.2f}", number=invoice.number))
    receipt = ctx.add(CustomerReceipt(**_document_fields(ctx, "RC", "done"), invoice=invoice,
                                      amount=paid))
    db.session.flush()
    build_entry(ctx, _("Receipt %(number)s for %(invoice)s", number=receipt.number,
                       invoice=invoice.number),
                [("1002", paid, ZERO), ("1122", ZERO, paid)], source=receipt)
    invoice.paid_amount += paid
    invoice.state = "paid" if invoice.open_amount <= 0 else "partially_paid"
    ctx.log("customer_receipt.create", receipt, invoice=invoice.number, amount=str(paid),
            invoice_state=invoice.state)
    db.session.flush()
    return receipt
