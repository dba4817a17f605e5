"""Purchasing pages: requisitions, orders (list, new, detail with the actions its state
allows: approval, goods receipt, bill), supplier bills and their payment."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from sandbox.models import (
    GoodsReceipt,
    Product,
    PurchaseOrder,
    PurchaseRequisition,
    Supplier,
    SupplierBill,
    SupplierPayment,
    Warehouse,
)
from sandbox.models.purchasing import PURCHASE_ORDER_STATES
from sandbox.services import purchasing
from sandbox.services.common import parameter, vat_rate
from sandbox.views import bp, format_quantity, may, row_or_404, run_action, sandbox_context

LINE_ROWS = 8
REQUISITION_STATES = ("open", "ordered", "cancelled")





def _ratings(suppliers) -> dict[int, tuple[Decimal, str]]:
    return {supplier.id: purchasing.supplier_rating(supplier) for supplier in suppliers}


def _threshold(ctx) -> Decimal:
    return Decimal(parameter(ctx, "purchase_approval_threshold") or "0")


# Requisitions --------------------------------------------------------------------------------
def _requisitions_page(ctx, status=200):
    query = select(PurchaseRequisition).join(Product).order_by(PurchaseRequisition.number.desc())
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(PurchaseRequisition.number.contains(text),
                                Product.sku.contains(text), Product.name.contains(text)))
    state = request.args.get("state", "")
    if state in REQUISITION_STATES:
        query = query.where(PurchaseRequisition.state == state)
    return render_template(
        "sandbox/purchasing/requisitions.html", ctx=ctx,
        requisitions=ctx.scalars(query).all(), q=text, state=state, states=REQUISITION_STATES,
        products=ctx.scalars(select(Product).order_by(Product.sku)).all(),
        may=may(ctx, "purchasing.requisition", "purchasing.order"), form=ConfirmForm(),
        sku=request.form.get("sku", "")[:20], quantity=request.form.get("quantity", "")[:20],
        reason=request.form.get("reason", "")[:500],
    ), status


@bp.route("/purchasing/requisitions", methods=["GET", "POST"])
@require_permission("use_sandbox")
def purchase_requisitions():
    ctx = sandbox_context()
    if request.method == "GET":
        return _requisitions_page(ctx)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    created = []

    def create():
        created.append(purchasing.create_requisition(
            ctx, request.form.get("sku", "").strip().upper()[:20],
            request.form.get("quantity", "").strip()[:20],
            request.form.get("reason", "")[:500]))

    if not run_action(create):
        return _requisitions_page(ctx, status=422)
    flash(_("Requisition %(number)s is saved.", number=created[0].number), "success")
    return redirect(url_for("sandbox.purchase_requisitions"), 303)


# Orders --------------------------------------------------------------------------------------
@bp.get("/purchasing/orders")
@require_permission("use_sandbox")
def purchase_orders():
    ctx = sandbox_context()
    query = select(PurchaseOrder).join(Supplier).order_by(PurchaseOrder.number.desc())
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(PurchaseOrder.number.contains(text), Supplier.name.contains(text),
                                Supplier.code.contains(text)))
    state = request.args.get("state", "")
    if state in PURCHASE_ORDER_STATES:
        query = query.where(PurchaseOrder.state == state)
    return render_template("sandbox/purchasing/orders.html", ctx=ctx,
                           orders=ctx.scalars(query).all(), q=text, state=state,
                           states=PURCHASE_ORDER_STATES)


def _posted_lines() -> list[tuple[str, str, str]]:
    """(sku, quantity, unit price) rows the form sent, blank rows left out."""
    rows = []
    for index in range(LINE_ROWS):
        sku = request.form.get(f"sku-{index}", "").strip().upper()[:20]
        quantity = request.form.get(f"quantity-{index}", "").strip()[:20]
        price = request.form.get(f"price-{index}", "").strip()[:20]
        if sku or quantity or price:
            rows.append((sku, quantity, price))
    return rows


def _service_lines(rows):
    return [(sku, quantity, price or None) for sku, quantity, price in rows]


def _requisition_of_request(ctx) -> PurchaseRequisition | None:
    raw = (request.form.get("requisition") or request.args.get("requisition") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        abort(404)
    return row_or_404(ctx, PurchaseRequisition, int(raw))


def _order_form_page(ctx, rows, order=None, requisition=None, status=200):
    suppliers = ctx.scalars(select(Supplier).order_by(Supplier.code)).all()
    return render_template(
        "sandbox/purchasing/order_form.html", ctx=ctx, order=order, rows=rows,
        line_rows=LINE_ROWS, form=ConfirmForm(), requisition=requisition,
        suppliers=suppliers, ratings=_ratings(suppliers),
        warehouses=ctx.scalars(select(Warehouse).order_by(Warehouse.code)).all(),
        products=ctx.scalars(select(Product).order_by(Product.sku)).all(),
        supplier_code=request.form.get("supplier", order.supplier.code if order else ""),
        warehouse_code=request.form.get("warehouse",
                                        order.warehouse.code if order else "WH-SH"),
        threshold=_threshold(ctx),
    ), status


@bp.route("/purchasing/orders/new", methods=["GET", "POST"])
@require_permission("use_sandbox")
def new_purchase_order():
    ctx = sandbox_context()
    requisition = _requisition_of_request(ctx)
    if request.method == "GET":
        rows = []
        if requisition is not None:
            rows = [(requisition.product.sku, format_quantity(requisition.quantity), "")]
        return _order_form_page(ctx, rows, requisition=requisition)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    created = []

    def create():
        created.append(purchasing.create_purchase_order(
            ctx, request.form.get("supplier", "")[:20], _service_lines(rows),
            warehouse_code=request.form.get("warehouse", "WH-SH")[:20],
            requisition=requisition))

    if not run_action(create):
        # The learner's input stays on the page with the reason above it.
        requisition = _requisition_of_request(ctx)
        return _order_form_page(ctx, rows, requisition=requisition, status=422)
    flash(_("Purchase order %(number)s is saved.", number=created[0].number), "success")
    return redirect(url_for("sandbox.purchase_order", order_id=created[0].id), 303)


@bp.route("/purchasing/orders/<int:order_id>/edit", methods=["GET", "POST"])
@require_permission("use_sandbox")
def edit_purchase_order(order_id: int):
    ctx = sandbox_context()
    order = row_or_404(ctx, PurchaseOrder, order_id)
    if request.method == "GET":
        rows = [(line.product.sku, format_quantity(line.quantity), f"{line.unit_price:.2f}")
                for line in order.lines]
        return _order_form_page(ctx, rows, order=order)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = _posted_lines()
    if not run_action(lambda: purchasing.update_purchase_order(ctx, order,
                                                               _service_lines(rows))):
        return _order_form_page(ctx, rows, order=row_or_404(ctx, PurchaseOrder, order_id),
                                status=422)
    flash(_("%(number)s is saved.", number=order.number), "success")
    return redirect(url_for("sandbox.purchase_order", order_id=order.id), 303)


@bp.get("/purchasing/orders/<int:order_id>")
@require_permission("use_sandbox")
def purchase_order(order_id: int):
    ctx = sandbox_context()
    order = row_or_404(ctx, PurchaseOrder, order_id)
    receipts = ctx.scalars(select(GoodsReceipt).where(GoodsReceipt.order_id == order.id)
                           .order_by(GoodsReceipt.id)).all()
    bills = ctx.scalars(select(SupplierBill).where(SupplierBill.order_id == order.id)
                        .order_by(SupplierBill.id)).all()
    requisition = (ctx.get(PurchaseRequisition, order.requisition_id)
                   if order.requisition_id is not None else None)
    allowed = may(ctx, "purchasing.order", "purchasing.approve", "purchasing.receive",
                  "purchasing.bill")
    return render_template(
        "sandbox/purchasing/order.html", ctx=ctx, order=order, receipts=receipts, bills=bills,
        requisition=requisition, rating=purchasing.supplier_rating(order.supplier), may=allowed,
        form=ConfirmForm(), vat=vat_rate(ctx), threshold=_threshold(ctx),
        unbilled=any(line.received_quantity > line.billed_quantity for line in order.lines),
        anything_received=any(line.received_quantity for line in order.lines),
    )


ORDER_ACTIONS = {
    "submit": lambda ctx, order, form: purchasing.submit_purchase_order(ctx, order),
    "approve": lambda ctx, order, form: purchasing.approve_purchase_order(
        ctx, order, form.get("comment", "")[:500]),
    "reject": lambda ctx, order, form: purchasing.reject_purchase_order(
        ctx, order, form.get("comment", "")[:500]),
    "cancel": lambda ctx, order, form: purchasing.cancel_purchase_order(ctx, order),
    "bill": lambda ctx, order, form: purchasing.record_bill(ctx, order),
}


def _action_message(action: str, number: str) -> str:
    messages = {
        "submit": _("%(number)s is submitted.", number=number),
        "approve": _("%(number)s is approved.", number=number),
        "reject": _("%(number)s is rejected.", number=number),
        "cancel": _("%(number)s is cancelled.", number=number),
        "bill": _("The supplier's bill for %(number)s is recorded.", number=number),
        "receive": _("A goods receipt for %(number)s is posted.", number=number),
    }
    return messages[action]


@bp.post("/purchasing/orders/<int:order_id>/<action>")
@require_permission("use_sandbox")
def purchase_order_action(order_id: int, action: str):
    ctx = sandbox_context()
    order = row_or_404(ctx, PurchaseOrder, order_id)
    if action not in ORDER_ACTIONS and action != "receive":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    form = request.form

    def act():
        if action == "receive":
            quantities = {}
            for line in order.lines:
                raw = form.get(f"receive-{line.id}", "").strip()[:20]
                if raw:
                    quantities[line.id] = raw
            purchasing.receive_goods(ctx, order, quantities or None)
        else:
            ORDER_ACTIONS[action](ctx, order, form)

    if run_action(act):
        flash(_action_message(action, order.number), "success")
    return redirect(url_for("sandbox.purchase_order", order_id=order_id), 303)


# Supplier bills ------------------------------------------------------------------------------
@bp.get("/purchasing/bills")
@require_permission("use_sandbox")
def supplier_bills():
    ctx = sandbox_context()
    query = select(SupplierBill).join(Supplier).order_by(SupplierBill.due_date,
                                                         SupplierBill.id)
    text = request.args.get("q", "").strip()[:100]
    if text:
        query = query.where(or_(SupplierBill.number.contains(text),
                                Supplier.name.contains(text), Supplier.code.contains(text)))
    open_only = request.args.get("open") == "1"
    if open_only:
        query = query.where(SupplierBill.state.in_(("open", "partially_paid")))
    bills = ctx.scalars(query).all()
    return render_template("sandbox/purchasing/bills.html", ctx=ctx, bills=bills, q=text,
                           open_only=open_only,
                           ratings=_ratings({bill.supplier for bill in bills}))


@bp.route("/purchasing/bills/<int:bill_id>", methods=["GET", "POST"])
@require_permission("use_sandbox")
def supplier_bill(bill_id: int):
    ctx = sandbox_context()
    bill = row_or_404(ctx, SupplierBill, bill_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        amount = request.form.get("amount", "").strip()[:20]
        if run_action(lambda: purchasing.pay_bill(ctx, bill, amount)):
            flash(_("The payment of %(number)s is recorded.", number=bill.number), "success")
        return redirect(url_for("sandbox.supplier_bill", bill_id=bill_id), 303)
    payments = ctx.scalars(select(SupplierPayment).where(SupplierPayment.bill_id == bill.id)
                           .order_by(SupplierPayment.id)).all()
    order = ctx.get(PurchaseOrder, bill.order_id) if bill.order_id is not None else None
    return render_template("sandbox/purchasing/bill.html", ctx=ctx, bill=bill, order=order,
                           payments=payments, rating=purchasing.supplier_rating(bill.supplier),
                           may_pay=may(ctx, "purchasing.pay")["purchasing.pay"],
                           form=ConfirmForm())
