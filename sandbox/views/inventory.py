"""Inventory pages: reorder alerts, transfers between warehouses, stock counts (盘点)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.forms import ConfirmForm
from lms.accounts.permissions import require_permission
from sandbox.models import Product, StockCount, StockMove, Transfer, Warehouse
from sandbox.services import inventory
from sandbox.views import bp, can, row_or_404, run_action, sandbox_context

LINE_ROWS = 6
MOVES_SHOWN = 100


@bp.get("/inventory/reorder-alerts")
@require_permission("use_sandbox")
def reorder_alerts():
    ctx = sandbox_context()
    return render_template("sandbox/inventory/reorder_alerts.html", ctx=ctx,
                           alerts=inventory.reorder_alerts(ctx))


@bp.get("/inventory/moves")
@require_permission("use_sandbox")
def stock_moves():
    ctx = sandbox_context()
    query = select(StockMove).join(Product).order_by(StockMove.created_at.desc(),
                                                     StockMove.id.desc())
    sku = request.args.get("sku", "").strip().upper()[:20]
    if sku:
        query = query.where(Product.sku == sku)
    return render_template("sandbox/inventory/moves.html", ctx=ctx, sku=sku,
                           moves=ctx.scalars(query.limit(MOVES_SHOWN)).all(), shown=MOVES_SHOWN)


@bp.get("/inventory/transfers")
@require_permission("use_sandbox")
def transfers():
    ctx = sandbox_context()
    rows = ctx.scalars(select(Transfer).order_by(Transfer.number.desc())).all()
    return render_template("sandbox/inventory/transfers.html", ctx=ctx, transfers=rows,
                           may_transfer=can(ctx, "inventory.transfer"))


def _transfer_form(ctx, rows, status=200):
    return render_template(
        "sandbox/inventory/transfer_form.html", ctx=ctx, rows=rows, line_rows=LINE_ROWS,
        form=ConfirmForm(), warehouses=ctx.scalars(select(Warehouse).order_by(Warehouse.code)),
        products=ctx.scalars(select(Product).order_by(Product.sku)).all(),
        from_code=request.form.get("from", "WH-SH"), to_code=request.form.get("to", "WH-KS"),
    ), status


@bp.route("/inventory/transfers/new", methods=["GET", "POST"])
@require_permission("use_sandbox")
def new_transfer():
    ctx = sandbox_context()
    if request.method == "GET":
        return _transfer_form(ctx, [])
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = []
    for index in range(LINE_ROWS):
        sku = request.form.get(f"sku-{index}", "").strip().upper()[:20]
        quantity = request.form.get(f"quantity-{index}", "").strip()[:20]
        if sku or quantity:
            rows.append((sku, quantity))
    created = []
    if not run_action(lambda: created.append(inventory.create_transfer(
            ctx, request.form.get("from", "")[:20], request.form.get("to", "")[:20], rows))):
        return _transfer_form(ctx, rows, status=422)
    flash(_("Transfer %(number)s is saved as a draft.", number=created[0].number), "success")
    return redirect(url_for("sandbox.transfer", transfer_id=created[0].id), 303)


@bp.get("/inventory/transfers/<int:transfer_id>")
@require_permission("use_sandbox")
def transfer(transfer_id: int):
    ctx = sandbox_context()
    return render_template("sandbox/inventory/transfer.html", ctx=ctx, form=ConfirmForm(),
                           transfer=row_or_404(ctx, Transfer, transfer_id),
                           may_transfer=can(ctx, "inventory.transfer"))


@bp.post("/inventory/transfers/<int:transfer_id>/<action>")
@require_permission("use_sandbox")
def transfer_action(transfer_id: int, action: str):
    ctx = sandbox_context()
    document = row_or_404(ctx, Transfer, transfer_id)
    actions = {"complete": inventory.complete_transfer, "cancel": inventory.cancel_transfer}
    if action not in actions:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if run_action(lambda: actions[action](ctx, document)):
        flash(_("%(number)s is saved.", number=document.number), "success")
    return redirect(url_for("sandbox.transfer", transfer_id=transfer_id), 303)


@bp.route("/inventory/counts", methods=["GET", "POST"])
@require_permission("use_sandbox")
def stock_counts():
    ctx = sandbox_context()
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        created = []
        if run_action(lambda: created.append(
                inventory.start_count(ctx, request.form.get("warehouse", "")[:20]))):
            flash(_("Count sheet %(number)s is ready: enter what you counted.",
                    number=created[0].number), "success")
            return redirect(url_for("sandbox.stock_count", count_id=created[0].id), 303)
        return redirect(url_for("sandbox.stock_counts"), 303)
    return render_template(
        "sandbox/inventory/counts.html", ctx=ctx, form=ConfirmForm(),
        counts=ctx.scalars(select(StockCount).order_by(StockCount.number.desc())).all(),
        warehouses=ctx.scalars(select(Warehouse).order_by(Warehouse.code)).all(),
        may_count=can(ctx, "inventory.count"))


@bp.route("/inventory/counts/<int:count_id>", methods=["GET", "POST"])
@require_permission("use_sandbox")
def stock_count(count_id: int):
    ctx = sandbox_context()
    count = row_or_404(ctx, StockCount, count_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        counted = {line.id: request.form.get(f"counted-{line.id}", "").strip()[:20]
                   for line in count.lines}
        if request.form.get("post") == "1":
            def save_and_post():
                inventory.enter_count(ctx, count, counted)
                inventory.post_count(ctx, count)

            if run_action(save_and_post):
                flash(_("%(number)s is posted.", number=count.number), "success")
        elif run_action(lambda: inventory.enter_count(ctx, count, counted)):
            flash(_("%(number)s is saved.", number=count.number), "success")
        return redirect(url_for("sandbox.stock_count", count_id=count_id), 303)
    return render_template("sandbox/inventory/count.html", ctx=ctx, count=count,
                           form=ConfirmForm(), may_count=can(ctx, "inventory.count"))


@bp.post("/inventory/counts/<int:count_id>/cancel")
@require_permission("use_sandbox")
def cancel_stock_count(count_id: int):
    ctx = sandbox_context()
    count = row_or_404(ctx, StockCount, count_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if run_action(lambda: inventory.cancel_count(ctx, count)):
        flash(_("%(number)s is cancelled; you can start a new count sheet.",
                number=count.number), "success")
    return redirect(url_for("sandbox.stock_count", count_id=count_id), 303)
