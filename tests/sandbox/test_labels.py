"""Codes shown as words: states in refusals and badges, stock-move kinds, logged actions.

Messages here are read in Chinese, the default language: the point is that a learner reads
“部分发货”, not the code partially_delivered.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest

import sandbox
from lms.extensions import db
from sandbox.labels import (
    ACTION_LABELS,
    MOVE_KIND_LABELS,
    STATE_COLORS,
    STATE_LABELS,
    action_label,
    move_kind_label,
    state_color,
    state_label,
)
from sandbox.models import JournalEntry, PurchaseOrder, SalesOrder, Transfer
from sandbox.permissions import SANDBOX_PERMISSIONS
from sandbox.services import finance, inventory, purchasing, sales
from sandbox.services.common import SandboxRuleError, format_quantity

SANDBOX = Path(sandbox.__file__).parent
D = Decimal


def _source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SANDBOX.rglob("*.py"))


def _refusal(call, *args) -> str:
    with pytest.raises(SandboxRuleError) as refused:
        call(*args)
    db.session.rollback()
    return str(refused.value)


# The lists ---------------------------------------------------------------------------------
def test_every_state_the_code_sets_has_a_label_and_a_colour():
    source = _source()
    states = set(re.findall(r'\.state = "([a-z_]+)"', source))
    states |= set(re.findall(r'_fields\(ctx, "[A-Z]+", "([a-z_]+)"', source))
    states |= set(re.findall(r'\bstate="([a-z_]+)"', source))
    for group in re.findall(r'_STATES = \(([^)]*)\)', source):
        states |= set(re.findall(r'"([a-z_]+)"', group))
    assert states and states <= set(STATE_LABELS), states - set(STATE_LABELS)
    assert set(STATE_COLORS) == set(STATE_LABELS)


def test_every_logged_action_and_move_kind_has_a_label():
    source = _source()
    actions = set(re.findall(r'ctx\.log\("([a-z_]+\.[a-z_]+)"', source))
    decided = set(re.findall(r'"([a-z_]+\.(?:approve|reject))"\)', source))  # via _decide
    actions |= decided - set(SANDBOX_PERMISSIONS)
    assert len(actions) >= 30 and actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)
    kinds = set(re.findall(r'move_stock\([^)]*?"([a-z_]+)"', source, re.S)) | {"opening"}
    assert kinds == set(MOVE_KIND_LABELS), kinds ^ set(MOVE_KIND_LABELS)


def test_labels_in_chinese_and_unknown_codes_as_they_are(app):
    assert state_label("partially_delivered") == "部分发货"
    assert state_label("partially_paid") == "部分收款"  # a customer invoice: the customer pays
    assert state_label("partially_paid", "SupplierBill") == "部分付款"  # a bill: we pay
    assert state_label("open", "PurchaseRequisition") == "待下单"
    assert state_label("open", "SupplierBill") == state_label("open") == "未结清"
    assert state_label("teleported") == "teleported" and state_color("teleported") == "secondary"
    assert move_kind_label("transfer_out") == "调拨出库"
    assert move_kind_label("delivery") == "销售出库"
    assert action_label("sales_order.submit") == "提交销售订单"
    assert action_label("custom.thing") == "custom.thing"


def test_quantities_are_written_as_people_write_them():
    assert [format_quantity(D(value)) for value in ("80.000", "2.500", "0.000", "1E+3")] == [
        "80", "2.5", "0", "1000"]
    assert format_quantity(None) == ""


# Refusals name the state in words ----------------------------------------------------------
@pytest.fixture
def box(make_sandbox):
    return make_sandbox("labels1", persona="sales_clerk")[0]


def act(box, persona):
    return sandbox.open_context(box, persona)


def test_a_refused_sales_action_names_the_state_in_words(box):
    clerk, keeper = act(box, "sales_clerk"), act(box, "warehouse_keeper")
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), None)])
    sales.submit_order(clerk, order)
    sales.deliver(keeper, order, {order.lines[0].id: D(4)})
    db.session.commit()
    order = clerk.by_code(SalesOrder, order.number, field="number")
    message = _refusal(sales.approve_order, act(box, "sales_manager"), order)
    assert "“部分发货”" in message and "partially_delivered" not in message
    message = _refusal(sales.update_order, clerk, order, [("P1001", D(1), None)])
    assert "部分发货" in message and "partially_delivered" not in message


def test_refusals_in_purchasing_inventory_and_finance_name_the_state_in_words(box):
    buyer, keeper = act(box, "buyer"), act(box, "warehouse_keeper")
    confirmed = buyer.by_code(PurchaseOrder, "PO-0002", field="number")
    message = _refusal(purchasing.update_purchase_order, buyer, confirmed,
                       [("P3006", D(1), None)])
    assert "已确认" in message and "confirmed" not in message
    message = _refusal(purchasing.submit_purchase_order, buyer, confirmed)
    assert "已确认" in message and "confirmed" not in message

    transfer = inventory.create_transfer(keeper, "WH-SH", "WH-KS", [("P6201", D(1))])
    inventory.complete_transfer(keeper, transfer)
    db.session.commit()
    transfer = keeper.by_code(Transfer, transfer.number, field="number")
    message = _refusal(inventory.cancel_transfer, keeper, transfer)
    assert "已完成" in message and "done" not in message

    accountant = act(box, "accountant")
    opening = accountant.by_code(JournalEntry, "JE-0001", field="number")
    message = _refusal(finance.update_journal, accountant, opening, "改", [])
    assert "“已过账”" in message and "posted" not in message
    message = _refusal(finance.post_journal, act(box, "finance_manager"), opening)
    assert "“已过账”" in message and "posted" not in message


def test_an_over_receipt_shows_quantities_as_people_write_them(box):
    keeper = act(box, "warehouse_keeper")
    order = keeper.by_code(PurchaseOrder, "PO-0002", field="number")  # 80 × P3006
    message = _refusal(purchasing.receive_goods, keeper, order,
                       {order.lines[0].id: D("81")})
    assert "81" in message and "80" in message and "80.000" not in message


def test_receipt_with_only_zero_quantities_says_what_to_do(box):
    keeper = act(box, "warehouse_keeper")
    order = keeper.by_code(PurchaseOrder, "PO-0002", field="number")
    message = _refusal(purchasing.receive_goods, keeper, order, {order.lines[0].id: "0"})
    assert "PO-0002" in message and "大于 0" in message


def test_delivery_with_only_zero_quantities_is_refused_and_ships_nothing(box):
    clerk, keeper = act(box, "sales_clerk"), act(box, "warehouse_keeper")
    order = sales.create_order(clerk, "C0001", [("P1001", D(10), None)])
    sales.submit_order(clerk, order)
    db.session.commit()
    message = _refusal(sales.deliver, keeper, order, {order.lines[0].id: "0"})
    assert order.number in message and "大于 0" in message
    assert keeper.by_code(SalesOrder, order.number, field="number").state == "confirmed"


@pytest.mark.usefixtures("english_messages")
def test_labels_in_english():
    assert state_label("partially_paid", "SupplierBill") == "Partially paid"
    assert state_label("pending_approval") == "Waiting for approval"
    assert move_kind_label("count_adjustment") == "Count adjustment"
    assert action_label("goods_receipt.create") == "Goods received"
