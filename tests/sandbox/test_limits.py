"""Values at the edges: sizes the columns cannot hold, too many decimals, rounding traps,
and rules that would otherwise be bypassed (found in review)."""

import time
from decimal import Decimal

import pytest
from sqlalchemy import select

import sandbox
from lms.extensions import db
from sandbox.models import Customer, Product, StockCount, SupplierBill, Warehouse
from sandbox.services.admin import set_parameter
from sandbox.services.common import SandboxRuleError
from sandbox.services.finance import create_journal, submit_expense
from sandbox.services.inventory import enter_count, post_count, start_count
from sandbox.services.purchasing import (
    create_purchase_order,
    create_requisition,
    pay_bill,
)
from sandbox.services.sales import create_order, customer_credit, deliver, submit_order
from sandbox.services.stock import move_stock


def act(box, persona):
    return sandbox.open_context(box, persona)


@pytest.fixture
def box(make_sandbox):
    return make_sandbox("edge1")[0]


def test_a_huge_vat_rate_is_refused_at_once(box):
    admin = act(box, "it_admin")
    started = time.perf_counter()
    for value in ("1e999999999", "1e5000", "-13", "13.5", "NaN"):
        with pytest.raises(SandboxRuleError):
            set_parameter(admin, "vat_rate", value)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("amount", ["1e400", "99999999999999999999"])
def test_journal_amounts_beyond_the_columns_are_refused(box, amount):
    accountant = act(box, "accountant")
    with pytest.raises(SandboxRuleError):
        create_journal(accountant, "过大", [("6602", amount, 0), ("1002", 0, amount)])


def test_purchase_lines_beyond_the_columns_are_refused(box):
    buyer = act(box, "buyer")
    with pytest.raises(SandboxRuleError):
        create_purchase_order(buyer, "S001", [("P1003", "99999999999", "99999999999")])
    with pytest.raises(SandboxRuleError):
        create_purchase_order(buyer, "S001", [("P1003", "900000000", "1000")])
    with pytest.raises(SandboxRuleError):
        create_purchase_order(buyer, "S001", [("P1003", "1.0004", None)])
    with pytest.raises(SandboxRuleError):
        create_requisition(buyer, "P1003", "0.0004")
    with pytest.raises(SandboxRuleError):
        create_purchase_order(buyer, "S001", [("P1003", "10", "0.001")])


def test_stock_cannot_grow_beyond_what_a_level_holds(box):
    keeper = act(box, "warehouse_keeper")
    product = keeper.by_code(Product, "P1001", field="sku")
    warehouse = keeper.by_code(Warehouse, "WH-SH")
    with pytest.raises(SandboxRuleError):
        move_stock(keeper, product, warehouse, Decimal("1e11"), "receipt")


def test_tiny_amounts_are_refused_not_rounded_to_zero(box):
    clerk = act(box, "sales_clerk")
    with pytest.raises(SandboxRuleError):
        submit_expense(clerk, "6601", "0.001", "打车")
    boss = act(box, "finance_manager")
    bill = boss.scalar(select(SupplierBill).where(SupplierBill.number == "BILL-2025-0058"))
    with pytest.raises(SandboxRuleError):
        pay_bill(boss, bill, "10.005")


def test_a_discount_that_rounds_to_100_is_refused(box):
    clerk = act(box, "sales_clerk")
    with pytest.raises(SandboxRuleError):
        create_order(clerk, "C0002", [("P1001", 1, "99.999")])


def test_delivered_but_not_invoiced_orders_still_use_credit(box):
    clerk, keeper = act(box, "sales_clerk"), act(box, "warehouse_keeper")
    customer = clerk.by_code(Customer, "C0011")
    order = submit_order(clerk, create_order(clerk, "C0011", [("P6201", 20, None)]))
    assert order.state == "confirmed"
    used_confirmed = customer_credit(clerk, customer)["used"]
    deliver(keeper, order)
    assert customer_credit(clerk, customer)["used"] == used_confirmed > 0


def test_one_count_sheet_at_a_time_and_no_posting_after_stock_moved(box):
    keeper = act(box, "warehouse_keeper")
    sheet = start_count(keeper, "WH-KS")
    with pytest.raises(SandboxRuleError, match=sheet.number):
        start_count(keeper, "WH-KS")
    line = sheet.lines[0]
    enter_count(keeper, sheet, {ln.id: ln.system_quantity for ln in sheet.lines})
    move_stock(keeper, line.product, sheet.warehouse, Decimal("-1"), "delivery")
    db.session.commit()
    with pytest.raises(SandboxRuleError, match=line.product.sku):
        post_count(keeper, sheet)
    db.session.rollback()
    assert keeper.scalar(select(StockCount)).state == "counting"


def test_persona_switch_does_not_redirect_off_site(login_as, client):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    response = client.post("/sandbox/persona", data={"persona": "accountant",
                                                     "next": "https://evil.example/x"})
    assert response.status_code == 303 and response.location == "/sandbox/"
