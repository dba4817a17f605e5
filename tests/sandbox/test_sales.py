"""Sales flow: quotation → order → approval → delivery → invoice → receipt, and its refusals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import sandbox
from lms.extensions import db as database
from sandbox.models import (
    Account,
    Customer,
    CustomerInvoice,
    CustomerReceipt,
    Delivery,
    JournalEntry,
    JournalLine,
    Product,
    SalesOrder,
    SbActivity,
    SbParameter,
    StockMove,
    Warehouse,
)
from sandbox.seed import company_today
from sandbox.services import sales
from sandbox.services.common import SandboxPermissionError, SandboxRuleError
from sandbox.services.stock import on_hand

# Assertions below read messages in English, the language they were written in.
pytestmark = pytest.mark.usefixtures("english_messages")

D = Decimal


@pytest.fixture
def box(make_sandbox):
    """(sandbox, the sales clerk's context)."""
    return make_sandbox(persona="sales_clerk")


def as_(box, persona):
    return sandbox.open_context(box[0], persona)


def balance(ctx, code):
    """Debit minus credit of an account over every journal line of the sandbox."""
    return ctx.scalar(select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                      .join(Account, JournalLine.account_id == Account.id)
                      .where(Account.code == code))


def stock(ctx, sku, warehouse="WH-SH"):
    return on_hand(ctx, ctx.by_code(Product, sku, field="sku"), ctx.by_code(Warehouse, warehouse))


def count(ctx, model):
    return ctx.scalar(select(func.count()).select_from(model))


def customer(ctx, code):
    return ctx.by_code(Customer, code)


def confirmed_order(box, lines, customer_code="C0001"):
    """An order created by the clerk and confirmed (within credit and policy), committed."""
    clerk = box[1]
    order = sales.create_order(clerk, customer_code, lines)
    sales.submit_order(clerk, order)
    assert order.state == "confirmed"
    database.session.commit()
    return order


# Pricing and credit ------------------------------------------------------------------------
def test_price_line_follows_tier_and_quantity_breaks(ctx):
    p1001 = ctx.by_code(Product, "P1001", field="sku")
    assert sales.price_line(ctx, customer(ctx, "C0001"), p1001, D(10)) == (D("29.00"), 8, 3)
    assert sales.price_line(ctx, customer(ctx, "C0001"), p1001, D(100))[1:] == (12, 3)
    assert sales.price_line(ctx, customer(ctx, "C0003"), p1001, D(10))[1:] == (5, 2)
    assert sales.price_line(ctx, customer(ctx, "C0007"), p1001, D(49))[1:] == (0, 2)
    lamp = ctx.by_code(Product, "P6201", field="sku")
    assert sales.price_line(ctx, customer(ctx, "C0001"), lamp, D(200))[1:] == (15, 3)


def test_customer_credit_counts_open_invoices_and_uninvoiced_orders(box, db):
    clerk = box[1]
    credit = sales.customer_credit(clerk, customer(clerk, "C0001"))
    assert credit == {"limit": D("500000.00"), "used": D("97180.00"),
                      "remaining": D("402820.00")}
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), None)])
    # A quotation holds no credit; a confirmed order does, with VAT.
    assert sales.customer_credit(clerk, order.customer)["used"] == D("97180.00")
    sales.submit_order(clerk, order)
    gross = (order.net_amount * D("1.13")).quantize(D("0.01"))
    assert order.net_amount == D("266.80")  # 10 × 29.00 less 8 %
    assert sales.customer_credit(clerk, order.customer)["used"] == D("97180.00") + gross
    # Seeded SO-0003 awaiting approval already uses C0007's credit beyond its limit.
    assert sales.customer_credit(clerk, customer(clerk, "C0007"))["remaining"] < 0


# Quotations --------------------------------------------------------------------------------
def test_create_order_is_a_quotation_priced_by_the_policy(box):
    clerk = box[1]
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), None), ("P1002", "5", "9")])
    assert (order.number, order.state, order.created_by) == ("SO-0004", "quotation",
                                                             "sales_clerk")
    assert order.document_date == company_today()
    first, second = order.lines
    assert (first.list_price, first.policy_discount_pct, first.discount_pct) == (
        D("29.00"), D(8), D(8))
    assert (second.quantity, second.policy_discount_pct, second.discount_pct) == (D(5), 8, 9)
    activity = box[1].scalar(select(SbActivity).where(SbActivity.action == "sales_order.create"))
    assert activity.document_number == "SO-0004" and activity.persona == "sales_clerk"


@pytest.mark.parametrize("customer_code, lines, warehouse, message", [
    ("C9999", [("P1001", 1, None)], "WH-SH", "C9999"),
    ("C0001", [("P9999", 1, None)], "WH-SH", "P9999"),
    ("C0001", [("P1001", 1, None)], "WH-XX", "WH-XX"),
    ("C0001", [("P1001", 0, None)], "WH-SH", "P1001"),
    ("C0001", [("P1001", -3, None)], "WH-SH", "P1001"),
    ("C0001", [("P1001", "abc", None)], "WH-SH", "P1001"),
    ("C0001", [("P1001", "1.0005", None)], "WH-SH", "P1001"),
    ("C0001", [("P1001", 1, 100)], "WH-SH", "P1001"),
    ("C0001", [("P1001", 1, -1)], "WH-SH", "P1001"),
    ("C0001", [], "WH-SH", "at least one line"),
    ("C0001", [("P1001", 1, None), ("P1001", 2, None)], "WH-SH", "twice"),
])
def test_bad_orders_are_refused_and_nothing_added(box, db, customer_code, lines, warehouse,
                                                  message):
    clerk = box[1]
    with pytest.raises(SandboxRuleError, match=message):
        sales.create_order(clerk, customer_code, lines, warehouse)
    db.session.rollback()
    assert count(clerk, SalesOrder) == 3


def test_quoting_needs_the_permission(box, db):
    keeper = as_(box, "warehouse_keeper")
    with pytest.raises(SandboxPermissionError):
        sales.create_order(keeper, "C0001", [("P1001", 1, None)])
    db.session.rollback()
    assert count(keeper, SalesOrder) == 3


def test_update_replaces_the_lines_of_a_quotation(box):
    clerk = box[1]
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), None)])
    sales.update_order(clerk, order, [("P1002", D(120), None), ("P1003", D(3), D(10))])
    assert [(line.product.sku, line.quantity, line.policy_discount_pct)
            for line in order.lines] == [("P1002", 120, 12), ("P1003", 3, 8)]
    assert order.state == "quotation"


def test_editing_a_confirmed_order_is_refused(box, db):
    order = confirmed_order(box, [("P1001", D(10), None)])
    with pytest.raises(SandboxRuleError, match="SO-0004"):
        sales.update_order(box[1], order, [("P1002", D(1), None)])
    db.session.rollback()
    order = box[1].by_code(SalesOrder, order.number, field="number")
    assert [(line.product.sku, line.quantity) for line in order.lines] == [("P1001", 10)]
    assert order.state == "confirmed"


# Submission and approval -------------------------------------------------------------------
def test_order_within_credit_and_policy_is_confirmed(box):
    order = confirmed_order(box, [("P1001", D(10), D(11))])  # 8 % policy + 3 % allowed
    assert order.approval_reasons is None


def test_order_over_credit_waits_for_approval(box):
    clerk = box[1]
    # C0011: limit 30,000, nothing open; 100 × 289.00 less 3 % = 28,033 + VAT = 31,677.29
    order = sales.create_order(clerk, "C0011", [("P6205", D(100), None)])
    sales.submit_order(clerk, order)
    assert (order.state, order.approval_reasons) == ("pending_approval", "credit")


def test_discount_over_policy_waits_for_approval(box):
    clerk = box[1]
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), D("11.01"))])
    sales.submit_order(clerk, order)
    assert (order.state, order.approval_reasons) == ("pending_approval", "discount")


def test_both_reasons_are_recorded(box):
    clerk = box[1]
    order = sales.create_order(clerk, "C0011", [("P6205", D(150), D(20))])
    sales.submit_order(clerk, order)
    assert order.approval_reasons == "credit,discount"


def test_credit_check_switched_off_lets_the_order_through(box):
    clerk = box[1]
    clerk.by_code(SbParameter, "credit_check", field="key").value = "off"
    order = sales.create_order(clerk, "C0011", [("P6205", D(100), None)])
    sales.submit_order(clerk, order)
    assert order.state == "confirmed"


def pending_order(box):
    clerk = box[1]
    # 80 × 289.00 less 3 % + 40 × 239.00 = 31,986.40 net, over C0011's limit of 30,000
    order = sales.create_order(clerk, "C0011", [("P6205", D(80), None), ("P6210", D(40), None)])
    sales.submit_order(clerk, order)
    assert order.approval_reasons == "credit"
    database.session.commit()
    return order


def test_manager_approves_with_a_comment(box):
    order = pending_order(box)
    manager = as_(box, "sales_manager")
    sales.approve_order(manager, order, "老客户，已确认付款计划")
    assert (order.state, order.approved_by, order.approval_comment) == (
        "confirmed", "sales_manager", "老客户，已确认付款计划")
    logged = manager.scalar(select(SbActivity).where(SbActivity.action == "sales_order.approve"))
    assert logged.persona == "sales_manager" and logged.document_number == order.number


def test_approving_ones_own_order_is_refused(box, db):
    manager = as_(box, "sales_manager")
    order = sales.create_order(manager, "C0011", [("P6205", D(100), None)])
    sales.submit_order(manager, order)
    db.session.commit()
    with pytest.raises(SandboxRuleError, match="SO-0004"):
        sales.approve_order(manager, order)
    db.session.rollback()
    assert manager.get(SalesOrder, order.id).state == "pending_approval"
    assert as_(box, "general_manager") and sales.approve_order(
        as_(box, "general_manager"), order).state == "confirmed"


@pytest.mark.parametrize("persona", ["sales_clerk", "warehouse_keeper", "accountant"])
def test_approving_without_the_permission_is_refused(box, db, persona):
    order = pending_order(box)
    with pytest.raises(SandboxPermissionError):
        sales.approve_order(as_(box, persona), order)
    db.session.rollback()
    assert box[1].get(SalesOrder, order.id).state == "pending_approval"


def test_only_pending_orders_are_approved(box, db):
    order = confirmed_order(box, [("P1001", D(1), None)])
    with pytest.raises(SandboxRuleError, match="SO-0004 is “Confirmed”"):
        sales.approve_order(as_(box, "sales_manager"), order)
    db.session.rollback()
    assert box[1].get(SalesOrder, order.id).approved_by is None


def test_rejected_order_is_edited_and_resubmitted(box, db):
    order = pending_order(box)
    manager, clerk = as_(box, "sales_manager"), box[1]
    with pytest.raises(SandboxRuleError):
        sales.reject_order(manager, order, "  ")
    db.session.rollback()
    assert clerk.get(SalesOrder, order.id).state == "pending_approval"
    sales.reject_order(manager, order, "超出信用额度，请减少数量")
    assert (order.state, order.approval_comment) == ("rejected", "超出信用额度，请减少数量")
    with pytest.raises(SandboxRuleError):
        sales.submit_order(clerk, order)
    sales.update_order(clerk, order, [("P6205", D(50), None)])
    assert order.state == "quotation"
    sales.submit_order(clerk, order)
    assert order.state == "confirmed"


def test_cancel_a_quotation_and_an_undelivered_order(box, db):
    clerk = box[1]
    quotation = sales.create_order(clerk, "C0001", [("P1001", D(1), None)])
    assert sales.cancel_order(clerk, quotation).state == "cancelled"
    order = confirmed_order(box, [("P1001", D(4), None)])
    assert sales.cancel_order(clerk, order).state == "cancelled"
    pending = pending_order(box)
    with pytest.raises(SandboxRuleError):
        sales.cancel_order(clerk, pending)


def test_cancelling_a_partly_delivered_order_is_refused(box, db):
    order = confirmed_order(box, [("P1001", D(4), None)])
    sales.deliver(as_(box, "warehouse_keeper"), order, {order.lines[0].id: D(1)})
    db.session.commit()
    with pytest.raises(SandboxRuleError):
        sales.cancel_order(box[1], order)
    db.session.rollback()
    assert box[1].get(SalesOrder, order.id).state == "partially_delivered"


# Delivery ----------------------------------------------------------------------------------
def test_delivery_takes_stock_and_posts_cost_of_goods(box):
    order = confirmed_order(box, [("P1001", D(10), None), ("P1002", D(5), None)])
    keeper = as_(box, "warehouse_keeper")
    start_1001, start_1002 = stock(keeper, "P1001"), stock(keeper, "P1002")
    stock_account, cogs = balance(keeper, "1405"), balance(keeper, "6401")
    delivery = sales.deliver(keeper, order)
    assert (delivery.number, order.state) == ("DN-0001", "delivered")
    assert stock(keeper, "P1001") == start_1001 - 10 and stock(keeper, "P1002") == start_1002 - 5
    cost = D("18.50") * 10 + D("32.00") * 5
    assert balance(keeper, "6401") == cogs + cost
    assert balance(keeper, "1405") == stock_account - cost
    entry = keeper.scalar(select(JournalEntry).where(JournalEntry.source_type == "Delivery"))
    assert (entry.source_number, entry.total_debit) == ("DN-0001", cost)
    moves = keeper.scalars(select(StockMove).where(StockMove.kind == "delivery")).all()
    assert {m.document_number for m in moves} == {"DN-0001"} and len(moves) == 2


def test_partial_deliveries_move_the_order_through_its_states(box, db):
    order = confirmed_order(box, [("P1001", D(10), None), ("P1002", D(5), None)])
    keeper = as_(box, "warehouse_keeper")
    first, second = order.lines
    sales.deliver(keeper, order, {first.id: D(4)})
    assert order.state == "partially_delivered"
    assert (first.delivered_quantity, second.delivered_quantity) == (4, 0)
    sales.deliver(keeper, order, {first.id: D(6), second.id: D(2)})
    assert order.state == "partially_delivered"
    last = sales.deliver(keeper, order)  # what remains: 3 of P1002
    assert [(line.product.sku, line.quantity) for line in last.lines] == [("P1002", 3)]
    assert order.state == "delivered"
    with pytest.raises(SandboxRuleError):
        sales.deliver(keeper, order)


@pytest.mark.parametrize("quantity, message", [
    (D(11), "11"), (D(0), "at least one line"), ("0.000", "at least one line"),
    (D(-1), "P1001"), ("x", "P1001"),
])
def test_delivering_a_wrong_quantity_is_refused(box, db, quantity, message):
    order = confirmed_order(box, [("P1001", D(10), None)])
    keeper = as_(box, "warehouse_keeper")
    before = stock(keeper, "P1001")
    with pytest.raises(SandboxRuleError, match=message):
        sales.deliver(keeper, order, {order.lines[0].id: quantity})
    db.session.rollback()
    assert stock(keeper, "P1001") == before and count(keeper, Delivery) == 0
    assert keeper.get(SalesOrder, order.id).lines[0].delivered_quantity == 0


def test_a_blank_or_zero_line_is_left_out_of_the_delivery(box, db):
    """As on a goods receipt: 0 or nothing on a line means "not this line now"."""
    order = confirmed_order(box, [("P1001", D(10), None), ("P1002", D(5), None),
                                  ("P1003", D(2), None)])
    keeper = as_(box, "warehouse_keeper")
    first, second, third = order.lines
    delivery = sales.deliver(keeper, order, {first.id: "4", second.id: "0", third.id: " "})
    assert [(line.product.sku, line.quantity) for line in delivery.lines] == [("P1001", 4)]
    assert (first.delivered_quantity, second.delivered_quantity,
            third.delivered_quantity) == (4, 0, 0)
    assert order.state == "partially_delivered"


def test_delivering_more_than_remains_after_a_partial_delivery_is_refused(box, db):
    order = confirmed_order(box, [("P1001", D(10), None)])
    keeper = as_(box, "warehouse_keeper")
    sales.deliver(keeper, order, {order.lines[0].id: D(7)})
    db.session.commit()
    with pytest.raises(SandboxRuleError, match="4.*3"):
        sales.deliver(keeper, order, {order.lines[0].id: D(4)})
    with pytest.raises(SandboxRuleError, match="SO-0004"):
        sales.deliver(keeper, order, {999999: D(1)})


def test_delivering_without_stock_is_refused_and_moves_nothing(box, db):
    # P1004 starts below its reorder point: 30 on hand in Shanghai.
    order = confirmed_order(box, [("P1001", D(5), None), ("P1004", D(50), None)])
    keeper = as_(box, "warehouse_keeper")
    before = stock(keeper, "P1001"), stock(keeper, "P1004")
    with pytest.raises(SandboxRuleError, match="P1004.* 30.* 50"):
        sales.deliver(keeper, order)
    # Checked before anything moved, even without the caller's rollback.
    assert (stock(keeper, "P1001"), stock(keeper, "P1004")) == before
    db.session.rollback()
    assert (stock(keeper, "P1001"), stock(keeper, "P1004")) == before
    assert count(keeper, Delivery) == 0 and keeper.get(SalesOrder, order.id).state == "confirmed"


def test_delivering_needs_the_permission_and_a_confirmed_order(box, db):
    order = confirmed_order(box, [("P1001", D(1), None)])
    with pytest.raises(SandboxPermissionError):
        sales.deliver(box[1], order)
    quotation = sales.create_order(box[1], "C0001", [("P1001", D(1), None)])
    with pytest.raises(SandboxRuleError, match="“Quotation”"):
        sales.deliver(as_(box, "warehouse_keeper"), quotation)


# Invoice and receipt -----------------------------------------------------------------------
def test_invoice_books_receivable_revenue_and_output_vat(box, db):
    order = confirmed_order(box, [("P1001", D(10), None), ("P1002", D(5), D(10))])
    keeper, clerk = as_(box, "warehouse_keeper"), box[1]
    first, second = order.lines
    sales.deliver(keeper, order, {first.id: D(4), second.id: D(5)})
    receivable, revenue, vat = balance(clerk, "1122"), balance(clerk, "6001"), balance(
        clerk, "2221")
    invoice = sales.invoice_order(clerk, order)
    # 4 × 26.68 (29.00 less 8 %) + 5 × 44.10 (49.00 less 10 %)
    net = D("106.72") + D("220.50")
    tax = (net * D("0.13")).quantize(D("0.01"))
    assert (invoice.number, invoice.state) == ("INV-0001", "open")
    assert (invoice.net_amount, invoice.tax_amount, invoice.total_amount) == (net, tax, net + tax)
    assert invoice.due_date == company_today() + timedelta(days=60)
    assert balance(clerk, "1122") == receivable + net + tax
    assert balance(clerk, "6001") == revenue - net
    assert balance(clerk, "2221") == vat - tax
    assert (first.invoiced_quantity, second.invoiced_quantity) == (4, 5)
    with pytest.raises(SandboxRuleError, match="SO-0004"):
        sales.invoice_order(clerk, order)
    sales.deliver(keeper, order)
    second_invoice = sales.invoice_order(clerk, order)
    assert second_invoice.net_amount == D("160.08")  # the other 6 × 26.68


def test_invoicing_before_delivery_is_refused(box, db):
    order = confirmed_order(box, [("P1001", D(10), None)])
    with pytest.raises(SandboxRuleError):
        sales.invoice_order(box[1], order)
    db.session.rollback()
    assert count(box[1], CustomerInvoice) == 5
    with pytest.raises(SandboxPermissionError):
        sales.invoice_order(as_(box, "warehouse_keeper"), order)


def invoiced(box):
    order = confirmed_order(box, [("P1001", D(10), None)])
    sales.deliver(as_(box, "warehouse_keeper"), order)
    invoice = sales.invoice_order(box[1], order)
    database.session.commit()
    return invoice


def test_receipts_pay_the_invoice_in_parts(box):
    invoice = invoiced(box)  # 266.80 + 34.68 VAT = 301.48
    accountant = as_(box, "accountant")
    bank, receivable = balance(accountant, "1002"), balance(accountant, "1122")
    receipt = sales.receive_payment(accountant, invoice, "100.00")
    assert (receipt.number, receipt.amount, invoice.state) == ("RC-0001", 100, "partially_paid")
    assert invoice.open_amount == D("201.48")
    sales.receive_payment(accountant, invoice, D("201.48"))
    assert invoice.state == "paid" and invoice.open_amount == 0
    assert balance(accountant, "1002") == bank + D("301.48")
    assert balance(accountant, "1122") == receivable - D("301.48")
    credit = sales.customer_credit(accountant, invoice.customer)
    assert credit["used"] == D("97180.00")  # only the seeded invoice is still owed
    with pytest.raises(SandboxRuleError, match="“Paid”"):
        sales.receive_payment(accountant, invoice, D("1"))


@pytest.mark.parametrize("amount, message", [
    (D("301.49"), "301.49"), (D(0), None), (D(-5), None), ("abc", None), (D("1.001"), None),
])
def test_wrong_receipts_are_refused_and_nothing_changed(box, db, amount, message):
    invoice = invoiced(box)
    accountant = as_(box, "accountant")
    bank = balance(accountant, "1002")
    with pytest.raises(SandboxRuleError, match=message):
        sales.receive_payment(accountant, invoice, amount)
    db.session.rollback()
    invoice = accountant.get(CustomerInvoice, invoice.id)
    assert (invoice.state, invoice.paid_amount) == ("open", 0)
    assert balance(accountant, "1002") == bank and count(accountant, CustomerReceipt) == 0


def test_receiving_needs_the_permission(box, db):
    invoice = invoiced(box)
    with pytest.raises(SandboxPermissionError):
        sales.receive_payment(box[1], invoice, D(1))


def test_seeded_invoice_can_be_paid(box):
    accountant = as_(box, "accountant")
    invoice = accountant.by_code(CustomerInvoice, "INV-2025-0087", field="number")
    sales.receive_payment(accountant, invoice, invoice.total_amount)
    assert invoice.state == "paid"


def test_the_whole_flow_is_in_the_activity_log(box):
    order = pending_order(box)
    sales.approve_order(as_(box, "sales_manager"), order, "同意")
    sales.deliver(as_(box, "warehouse_keeper"), order)
    invoice = sales.invoice_order(box[1], order)
    sales.receive_payment(as_(box, "accountant"), invoice, D(1000))
    actions = box[1].scalars(select(SbActivity.action).order_by(SbActivity.id)).all()
    assert actions == ["sales_order.create", "sales_order.submit", "sales_order.approve",
                       "delivery.create", "customer_invoice.create", "customer_receipt.create"]
