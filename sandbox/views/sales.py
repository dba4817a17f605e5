"""Sales pages: orders (list, new, detail with the actions its state allows), invoices."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from sandbox.models import (
    Customer,
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    Product,
    SalesOrder,
    Warehouse,
)
from sandbox.services import sales
from sandbox.services.common import format_quantity, vat_rate
from sandbox.views import bp, can, may, row_or_404, run_action, sandbox_context

LINE_ROWS = 8
ORDER_STATES = ("quotation", "pending_approval", "rejected", "confirmed",
                "partially_delivered", "delivered", "cancelled")


def _order_or_404(ctx, order_id: int) -> SalesOrder:
    return row_or_404(ctx, SalesOrder, order_id)


def _posted_lines() -> list[tuple[str, str, str]]:
    """(sku, quantity, discount) rows the form sent, blank rows left out."""
    rows = []
    for index in range(LINE_ROWS):
        sku = request.form.get(f"sku-{index}", "").strip().upper()[:20]
        quantity = request.form.get(f"quantity-{index}", "").strip()[:20]
        discount = request.form.get(f"discount-{index}", "").strip()[:10]
        if sku or quantity or discount:
            rows.append((sku, quantity, discount))
    return rows


def _service_lines(rows):
    return [(sku, quantity, discount or None) for sku, quantity, discount in rows]


@bp.get("/sales/orders")
@require_permission("use_sandbox")
def sales_orders():
    ctx = sandbox_context()
    query = select(SalesOrder).join(Customer).order_by(SalesOrder.number.desc())
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(SalesOrder.number.contains(text), Customer.name.contains(text),
                                Customer.code.contains(text)))
    state = request.args.get("state", "")
    if state in ORDER_STATES:
        query = query.where(SalesOrder.state == state)
    return render_template("sandbox/sales/orders.html", ctx=ctx,
                           orders=ctx.scalars(query).all(), q=text, state=state,
                           states=ORDER_STATES)


def _order_form_page(ctx, rows, order=None, status=200):
    return render_template(
        "sandbox/sales/order_form.html", ctx=ctx, order=order, rows=rows,
        line_rows=LINE_ROWS, form=ConfirmForm(),
        customers=ctx.scalars(select(Customer).order_by(Customer.code)).all(),
        warehouses=ctx.scalars(select(Warehouse).order_by(Warehouse.code)).all(),
        products=ctx.scalars(select(Product).order_by(Product.sku)).all(),
        customer_code=request.form.get("customer", order.customer.code if order else ""),
        warehouse_code=request.form.get("warehouse",
                                        order.warehouse.code if order else "WH-SH"),
    ), status


@bp.route("/sales/orders/new", methods=["GET", "POST"])
@require_permission("use_sandbox")
def new_sales_order():
    ctx = sandbox_context()
    if request.method == "GET":
        return _order_form_page(ctx, [])
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    created = []

    def create():
        created.append(sales.create_order(
            ctx, request.form.get("customer", "")[:20], _service_lines(rows),
            warehouse_code=request.form.get("warehouse", "WH-SH")[:20]))

    if not run_action(create):
        # The learner's input stays on the page with the reason above it.
        return _order_form_page(ctx, rows, status=422)
    flash(_("Quotation %(number)s is saved.", number=created[0].number), "success")
    return redirect(url_for("sandbox.sales_order", order_id=created[0].id), 303)


@bp.route("/sales/orders/<int:order_id>/edit", methods=["GET", "POST"])
@require_permission("use_sandbox")
def edit_sales_order(order_id: int):
    ctx = sandbox_context()
    order = _order_or_404(ctx, order_id)
    if request.method == "GET":
        rows = [(line.product.sku, format_quantity(line.quantity),
                 format_quantity(line.discount_pct))
                for line in order.lines]
        return _order_form_page(ctx, rows, order=order)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    if not run_action(lambda: sales.update_order(ctx, order, _service_lines(rows))):
        return _order_form_page(ctx, rows, order=_order_or_404(ctx, order_id), status=422)
    flash(_("%(number)s is saved.", number=order.number), "success")
    return redirect(url_for("sandbox.sales_order", order_id=order.id), 303)


@bp.get("/sales/orders/<int:order_id>")
@require_permission("use_sandbox")
def sales_order(order_id: int):
    ctx = sandbox_context()
    order = _order_or_404(ctx, order_id)
    deliveries = ctx.scalars(select(Delivery).where(Delivery.order_id == order.id)
                             .order_by(Delivery.id)).all()
    invoices = ctx.scalars(select(CustomerInvoice).where(CustomerInvoice.order_id == order.id)
                           .order_by(CustomerInvoice.id)).all()
    return render_template(
        "sandbox/sales/order.html", ctx=ctx, order=order, deliveries=deliveries,
        invoices=invoices, credit=sales.customer_credit(ctx, order.customer),
        may=may(ctx, "sales.quote", "sales.approve", "sales.deliver", "sales.invoice"),
        form=ConfirmForm(), vat=vat_rate(ctx),
    )


ORDER_ACTIONS = {
    "submit": lambda ctx, order, form: sales.submit_order(ctx, order),
    "approve": lambda ctx, order, form: sales.approve_order(ctx, order,
                                                           form.get("comment", "")[:500]),
    "reject": lambda ctx, order, form: sales.reject_order(ctx, order,
                                                         form.get("comment", "")[:500]),
    "cancel": lambda ctx, order, form: sales.cancel_order(ctx, order),
    "invoice": lambda ctx, order, form: sales.invoice_order(ctx, order),
}


def _action_message(action: str, number: str) -> str:
    messages = {
        "submit": _("%(number)s is submitted.", number=number),
        "approve": _("%(number)s is approved.", number=number),
        "reject": _("%(number)s is rejected.", number=number),
        "cancel": _("%(number)s is cancelled.", number=number),
        "invoice": _("An invoice for %(number)s is issued.", number=number),
        "deliver": _("A delivery for %(number)s is posted.", number=number),
    }
    return messages[action]


@bp.post("/sales/orders/<int:order_id>/<action>")
@require_permission("use_sandbox")
def sales_order_action(order_id: int, action: str):
    ctx = sandbox_context()
    order = _order_or_404(ctx, order_id)
    if action not in ORDER_ACTIONS and action != "deliver":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    form = request.form

    def act():
        if action == "deliver":
            quantities = {}
            for line in order.lines:
                raw = form.get(f"deliver-{line.id}", "").strip()[:20]
                if raw:
                    quantities[line.id] = raw
            sales.deliver(ctx, order, quantities or None)
        else:
            ORDER_ACTIONS[action](ctx, order, form)

    if run_action(act):
        flash(_action_message(action, order.number), "success")
    return redirect(url_for("sandbox.sales_order", order_id=order_id), 303)


@bp.get("/sales/invoices")
@require_permission("use_sandbox")
def customer_invoices():
    ctx = sandbox_context()
    query = select(CustomerInvoice).join(Customer).order_by(CustomerInvoice.due_date)
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(CustomerInvoice.number.contains(text),
                                Customer.name.contains(text), Customer.code.contains(text)))
    if request.args.get("open") == "1":
        query = query.where(CustomerInvoice.state.in_(("open", "partially_paid")))
    return render_template("sandbox/sales/invoices.html", ctx=ctx,
                           invoices=ctx.scalars(query).all(), q=text,
                           open_only=request.args.get("open") == "1")


@bp.route("/sales/invoices/<int:invoice_id>", methods=["GET", "POST"])
@require_permission("use_sandbox")
def customer_invoice(invoice_id: int):
    ctx = sandbox_context()
    invoice = row_or_404(ctx, CustomerInvoice, invoice_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        amount = request.form.get("amount", "").strip()[:20]
        if run_action(lambda: sales.receive_payment(ctx, invoice, amount)):
            flash(_("The payment for %(number)s is recorded.", number=invoice.number), "success")
        return redirect(url_for("sandbox.customer_invoice", invoice_id=invoice_id), 303)
    receipts = ctx.scalars(select(CustomerReceipt).where(CustomerReceipt.invoice_id ==
                                                         invoice.id)).all()
    may_receive = can(ctx, "sales.receive_payment")
    return render_template("sandbox/sales/invoice.html", ctx=ctx, invoice=invoice,
                           receipts=receipts, may_receive=may_receive, form=ConfirmForm())

