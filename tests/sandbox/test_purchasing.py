"""Purchasing: requisition → order → approval → receipt → bill → payment, and what is refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import sandbox
from lms.extensions import db
from sandbox.models import (
    GoodsReceipt,
    JournalEntry,
    Product,
    PurchaseOrder,
    SbActivity,
    SbParameter,
    Supplier,
    SupplierBill,
    Warehouse,
)
from sandbox.seed import company_today
from sandbox.services.common import SandboxPermissionError, SandboxRuleError
from sandbox.services.finance import account_balances
from sandbox.services.purchasing import (
    approve_purchase_order,
    cancel_purchase_order,
    create_purchase_order,
    create_requisition,
    pay_bill,
    receive_goods,
    record_bill,
    reject_purchase_order,
    submit_purchase_order,
    supplier_rating,
    update_purchase_order,
)
from sandbox.services.stock import on_hand


@pytest.fixture
def box(make_sandbox):
    return make_sandbox("buyer1", job_roles=("purchasing",), persona="buyer")[0]


def act(box, persona):
    return sandbox.open_context(box, persona)


def refused(call, *args, error=SandboxRuleError, match=None, **kwargs):
    """The call is refused; the caller's transaction is then rolled back as a view would."""
    db.session.commit()
    with pytest.raises(error, match=match):
        call(*args, **kwargs)
    db.session.rollback()


def balance(ctx, code):
    return next(row.balance for row in account_balances(ctx) if row.account.code == code)


def count(ctx, model):
    return ctx.scalar(select(func.count()).select_from(model))


def order(ctx, number):
    return ctx.by_code(PurchaseOrder, number, field="number")


def stock(ctx, sku, warehouse="WH-SH"):
    return on_hand(ctx, ctx.by_code(Product, sku, field="sku"), ctx.by_code(Warehouse, warehouse))


def actions(ctx):
    return list(ctx.scalars(select(SbActivity.action).order_by(SbActivity.id)))


def test_supplier_rating_weights_scores_and_grades(box):
    ctx = act(box, "buyer")
    assert supplier_rating(ctx.by_code(Supplier, "S001")) == (Decimal("87.60"), "B")
    assert supplier_rating(ctx.by_code(Supplier, "S012")) == (Decimal("79.70"), "C")
    assert supplier_rating(Supplier(quality_score=90, delivery_score=90, price_score=90)) \
        == (Decimal("90.00"), "A")
    assert supplier_rating(Supplier(quality_score=100, delivery_score=40, price_score=60))[1] \
        == "D"


def test_requisition_becomes_an_order_at_standard_cost(box):
    ctx = act(box, "buyer")
    requisition = create_requisition(ctx, "P1004", Decimal("120"), "低于再订货点")
    assert requisition.number == "PR-0001" and requisition.state == "open"
    po = create_purchase_order(ctx, "S001", [("P1004", Decimal("120"), None),
                                             ("P1001", 50, "17.80")], requisition=requisition)
    assert po.number == "PO-0004" and po.state == "draft" and po.created_by == "buyer"
    assert po.document_date == company_today()
    assert [line.unit_price for line in po.lines] == [Decimal("15.60"), Decimal("17.80")]
    assert po.net_amount == Decimal("2762.00")
    assert requisition.state == "ordered"
    # An ordered requisition cannot be ordered twice.
    refused(create_purchase_order, ctx, "S001", [("P1004", 1, None)], requisition=requisition)
    assert actions(ctx)[-2:] == ["purchase_requisition.create", "purchase_order.create"]


@pytest.mark.parametrize("supplier, lines", [
    ("S999", [("P1001", 1, None)]),
    ("S001", [("P9999", 1, None)]),
    ("S001", [("P1001", 0, None)]),
    ("S001", [("P1001", 5, "-3")]),
    ("S001", [("P1001", "abc", None)]),
    ("S001", []),
])
def test_bad_orders_are_refused_and_nothing_added(box, supplier, lines):
    ctx = act(box, "buyer")
    before = count(ctx, PurchaseOrder)
    refused(create_purchase_order, ctx, supplier, lines)
    assert count(ctx, PurchaseOrder) == before


def test_submit_confirms_below_the_threshold_and_asks_approval_above(box):
    ctx = act(box, "buyer")
    small = submit_purchase_order(ctx, order(ctx, "PO-0001"))  # 3,280.00
    assert small.state == "confirmed"
    big = create_purchase_order(ctx, "S012", [("P3005", 700, "82.00")])  # 57,400.00
    assert submit_purchase_order(ctx, big).state == "pending_approval"
    threshold = ctx.scalar(select(SbParameter).where(SbParameter.key ==
                                                     "purchase_approval_threshold"))
    threshold.value = "60000.00"
    again = create_purchase_order(ctx, "S012", [("P3005", 700, "82.00")])
    assert submit_purchase_order(ctx, again).state == "confirmed"
    assert actions(ctx).count("purchase_order.submit") == 3


def test_approval_needs_the_permission(box):
    buyer = act(box, "buyer")
    refused(approve_purchase_order, buyer, order(buyer, "PO-0003"), error=SandboxPermissionError,
            match="何建华")
    assert order(buyer, "PO-0003").state == "pending_approval"
    refused(reject_purchase_order, buyer, order(buyer, "PO-0003"), "太贵",
            error=SandboxPermissionError)
    assert order(buyer, "PO-0003").approved_by is None


def test_approving_ones_own_order_is_refused_unless_allowed(box):
    manager = act(box, "purchasing_manager")
    po = submit_purchase_order(manager, create_purchase_order(manager, "S012",
                                                              [("P3005", 800, "82.00")]))
    number = po.number
    refused(approve_purchase_order, manager, po, match=number)
    assert order(manager, number).state == "pending_approval"
    boss = act(box, "general_manager")
    approved = approve_purchase_order(boss, order(boss, number), "同意")
    assert approved.state == "confirmed" and approved.approved_by == "general_manager"
    assert approved.approval_comment == "同意"
    # With self-approval allowed, the manager may approve an order of their own.
    manager.scalar(select(SbParameter).where(SbParameter.key == "allow_self_approval")
                   ).value = "on"
    own = submit_purchase_order(manager, create_purchase_order(manager, "S012",
                                                               [("P3005", 800, None)]))
    assert approve_purchase_order(manager, own).state == "confirmed"


def test_rejection_needs_a_reason_and_sends_the_order_back_to_draft(box):
    boss = act(box, "purchasing_manager")
    refused(reject_purchase_order, boss, order(boss, "PO-0003"), "  ")
    assert order(boss, "PO-0003").state == "pending_approval"
    rejected = reject_purchase_order(boss, order(boss, "PO-0003"), "单价偏高，请重新询价")
    assert rejected.state == "rejected"
    buyer = act(box, "buyer")
    po = update_purchase_order(buyer, order(buyer, "PO-0003"), [("P3005", 800, "78.00")])
    assert po.state == "draft" and po.net_amount == Decimal("62400.00")
    assert submit_purchase_order(buyer, po).state == "pending_approval"
    assert {"purchase_order.reject", "purchase_order.update"} <= set(actions(buyer))


def test_a_confirmed_order_cannot_be_edited(box):
    ctx = act(box, "buyer")
    refused(update_purchase_order, ctx, order(ctx, "PO-0002"), [("P3006", 1, None)],
            match="PO-0002")
    po = order(ctx, "PO-0002")
    assert [(line.quantity, line.unit_price) for line in po.lines] == [(80, Decimal("58.00"))]


def test_cancel_before_receipt_only(box):
    ctx = act(box, "buyer")
    requisition = create_requisition(ctx, "P1001", 10)
    po = create_purchase_order(ctx, "S001", [("P1001", 10, None)], requisition=requisition)
    assert cancel_purchase_order(ctx, po).state == "cancelled"
    assert requisition.state == "open"
    keeper = act(box, "warehouse_keeper")
    receive_goods(keeper, order(keeper, "PO-0002"), {order(keeper, "PO-0002").lines[0].id: 1})
    refused(cancel_purchase_order, ctx, order(ctx, "PO-0002"), match="PO-0002")
    assert order(ctx, "PO-0002").state == "partially_received"
    refused(cancel_purchase_order, ctx, order(ctx, "PO-0003"))  # pending approval


def test_a_receipt_larger_than_the_order_is_refused(box):
    keeper = act(box, "warehouse_keeper")
    po = order(keeper, "PO-0002")  # 80 × P3006 at 58.00
    stock_before, receipts = stock(keeper, "P3006"), count(keeper, GoodsReceipt)
    refused(receive_goods, keeper, po, {po.lines[0].id: Decimal("81")}, match="P3006")
    po = order(keeper, "PO-0002")
    assert po.state == "confirmed" and po.lines[0].received_quantity == 0
    assert stock(keeper, "P3006") == stock_before and count(keeper, GoodsReceipt) == receipts
    receive_goods(keeper, po, {po.lines[0].id: 50})
    refused(receive_goods, keeper, order(keeper, "PO-0002"), {po.lines[0].id: 31})
    assert order(keeper, "PO-0002").lines[0].received_quantity == 50


def test_receiving_needs_the_permission_and_a_confirmed_order(box):
    buyer = act(box, "buyer")
    refused(receive_goods, buyer, order(buyer, "PO-0002"), error=SandboxPermissionError)
    keeper = act(box, "warehouse_keeper")
    refused(receive_goods, keeper, order(keeper, "PO-0001"), match="PO-0001")  # draft
    refused(receive_goods, keeper, order(keeper, "PO-0002"), {order(keeper, "PO-0002")
                                                              .lines[0].id: "abc"})


def test_partial_receipts_bring_stock_in_and_post_the_payable(box):
    keeper = act(box, "warehouse_keeper")
    po = order(keeper, "PO-0002")
    line_id = po.lines[0].id
    stock_before = stock(keeper, "P3006")
    stock_value, payable = balance(keeper, "1405"), balance(keeper, "2202")
    first = receive_goods(keeper, po, {line_id: Decimal("30")})
    assert first.number == "GR-0001" and first.created_by == "warehouse_keeper"
    assert po.state == "partially_received" and po.lines[0].received_quantity == 30
    assert stock(keeper, "P3006") == stock_before + 30
    assert balance(keeper, "1405") == stock_value + Decimal("1740.00")
    assert balance(keeper, "2202") == payable - Decimal("1740.00")
    entry = keeper.scalar(select(JournalEntry).where(JournalEntry.source_number == "GR-0001"))
    assert entry.state == "posted" and entry.total_debit == Decimal("1740.00")
    second = receive_goods(keeper, po)  # the remaining 50
    assert [line.quantity for line in second.lines] == [50]
    assert po.state == "received" and stock(keeper, "P3006") == stock_before + 80
    assert balance(keeper, "1405") == stock_value + Decimal("4640.00")
    refused(receive_goods, keeper, order(keeper, "PO-0002"), match="PO-0002")
    assert actions(keeper).count("goods_receipt.create") == 2


def test_bill_and_payment_post_vat_and_clear_the_payable(box):
    keeper, buyer, boss = act(box, "warehouse_keeper"), act(box, "buyer"), \
        act(box, "finance_manager")
    payable, vat, bank = balance(buyer, "2202"), balance(buyer, "2221"), balance(buyer, "1002")
    refused(record_bill, buyer, order(buyer, "PO-0002"), match="PO-0002")  # nothing received
    po = order(keeper, "PO-0002")
    receive_goods(keeper, po, {po.lines[0].id: 30})
    bill = record_bill(buyer, po)
    assert (bill.number, bill.state) == ("BILL-0001", "open")
    assert (bill.net_amount, bill.tax_amount, bill.total_amount) == \
        (Decimal("1740.00"), Decimal("226.20"), Decimal("1966.20"))
    assert bill.due_date == company_today() + timedelta(days=45)  # S014's terms
    assert balance(buyer, "2221") == vat + Decimal("226.20")
    assert balance(buyer, "2202") == payable - Decimal("1966.20")
    refused(record_bill, buyer, order(buyer, "PO-0002"))  # all received is billed
    assert buyer.scalar(select(func.count()).select_from(SupplierBill)
                        .where(SupplierBill.order_id == po.id)) == 1

    bill = buyer.by_code(SupplierBill, "BILL-0001", field="number")
    refused(pay_bill, buyer, bill, "100", error=SandboxPermissionError)  # buyers do not pay
    refused(pay_bill, boss, bill, Decimal("1966.21"), match="1,966.20")
    refused(pay_bill, boss, bill, 0)
    bill = boss.by_code(SupplierBill, "BILL-0001", field="number")
    assert bill.paid_amount == 0 and balance(boss, "1002") == bank
    payment = pay_bill(boss, bill, Decimal("1000"))
    assert payment.number == "PAY-0001" and bill.state == "partially_paid"
    assert bill.open_amount == Decimal("966.20")
    pay_bill(boss, bill, "966.20")
    assert bill.state == "paid" and bill.open_amount == 0
    assert balance(boss, "1002") == bank - Decimal("1966.20")
    assert balance(boss, "2202") == payable
    refused(pay_bill, boss, boss.by_code(SupplierBill, "BILL-0001", field="number"), 1)

    receive_goods(keeper, order(keeper, "PO-0002"))
    rest = record_bill(buyer, order(buyer, "PO-0002"))
    assert rest.net_amount == Decimal("2900.00") and rest.tax_amount == Decimal("377.00")
    assert all(line.billed_quantity == line.quantity for line in order(buyer, "PO-0002").lines)
    assert actions(boss).count("supplier_payment.create") == 2
    assert actions(boss).count("supplier_bill.create") == 2


def test_a_seeded_bill_can_be_paid(box):
    boss = act(box, "finance_manager")
    bill = boss.by_code(SupplierBill, "BILL-2025-0058", field="number")
    assert bill.total_amount == Decimal("20566.00")
    pay_bill(boss, bill, bill.open_amount)
    assert bill.state == "paid"
