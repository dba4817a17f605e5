"""Inventory: stock on hand, reorder alerts, transfers and stock counts, and their refusals."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

import sandbox
from sandbox.models import (
    Account,
    JournalEntry,
    JournalLine,
    Product,
    SbActivity,
    SbParameter,
    StockCount,
    StockMove,
    Transfer,
    Warehouse,
)
from sandbox.services import inventory
from sandbox.services.common import SandboxPermissionError, SandboxRuleError
from sandbox.services.stock import on_hand

D = Decimal
# Products the seed leaves below their reorder point in Shanghai (every seventh).
SEEDED_BELOW = ["P1004", "P1011", "P2006", "P3003", "P3010", "P4005", "P6202", "P6209", "P6216"]


@pytest.fixture
def box(make_sandbox):
    """(sandbox, the warehouse keeper's context)."""
    return make_sandbox(job_roles=("warehouse",), persona="warehouse_keeper")


@pytest.fixture
def keeper(box):
    return box[1]


def balance(ctx, code):
    return ctx.scalar(select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                      .join(Account, JournalLine.account_id == Account.id)
                      .where(Account.code == code))


def stock(ctx, sku, warehouse="WH-SH"):
    return on_hand(ctx, ctx.by_code(Product, sku, field="sku"), ctx.by_code(Warehouse, warehouse))


def count_of(ctx, model):
    return ctx.scalar(select(func.count()).select_from(model))


# Stock on hand and alerts ------------------------------------------------------------------
def test_stock_on_hand_lists_levels_by_sku(keeper):
    levels = inventory.stock_on_hand(keeper)
    assert len(levels) == 76  # 60 products in Shanghai, 16 finished goods in Kunshan too
    assert [level.product.sku for level in levels] == sorted(level.product.sku
                                                             for level in levels)
    assert (levels[0].product.sku, levels[0].warehouse.code, levels[0].quantity) == (
        "P1001", "WH-SH", 180)


def test_stock_on_hand_filters_by_search_and_warehouse(keeper):
    kunshan = inventory.stock_on_hand(keeper, warehouse_code="WH-KS")
    assert len(kunshan) == 16 and {level.warehouse.code for level in kunshan} == {"WH-KS"}
    assert {level.product.sku for level in inventory.stock_on_hand(keeper, "p620")} == {
        f"P620{i}" for i in range(1, 10)}
    lamps = inventory.stock_on_hand(keeper, "台灯", "WH-SH")
    assert [(level.product.sku, level.warehouse.code) for level in lamps] == [("P6201",
                                                                                "WH-SH")]
    assert inventory.stock_on_hand(keeper, "%") == []


def test_reorder_alerts_list_the_seeded_items_largest_shortfall_first(keeper):
    alerts = inventory.reorder_alerts(keeper)
    assert sorted(alert["product"].sku for alert in alerts) == SEEDED_BELOW
    assert {alert["warehouse"].code for alert in alerts} == {"WH-SH"}
    shortfalls = [alert["reorder_point"] - alert["on_hand"] for alert in alerts]
    assert shortfalls == sorted(shortfalls, reverse=True)
    p1004 = next(alert for alert in alerts if alert["product"].sku == "P1004")
    assert (p1004["on_hand"], p1004["reorder_point"], p1004["safety_stock"],
            p1004["suggested_quantity"]) == (30, 60, 30, 60)


def test_reorder_alerts_follow_stock_and_the_switch(keeper):
    transfer = inventory.create_transfer(keeper, "WH-SH", "WH-KS", [("P1001", D(170))])
    inventory.complete_transfer(keeper, transfer)  # 10 left of a reorder point of 60
    alert = next(a for a in inventory.reorder_alerts(keeper) if a["product"].sku == "P1001")
    assert alert["suggested_quantity"] == 60 + 30 - 10
    keeper.by_code(SbParameter, "reorder_alert", field="key").value = "off"
    assert inventory.reorder_alerts(keeper) == []


# Transfers ---------------------------------------------------------------------------------
def test_transfer_moves_stock_between_warehouses(keeper):
    transfer = inventory.create_transfer(keeper, "WH-SH", "WH-KS",
                                         [("P6201", D(10)), ("P1001", "2.5")])
    assert (transfer.number, transfer.state, transfer.created_by) == ("TR-0001", "draft",
                                                                      "warehouse_keeper")
    assert stock(keeper, "P6201") == 160  # a draft moves nothing
    inventory.complete_transfer(keeper, transfer)
    assert transfer.state == "done"
    assert (stock(keeper, "P6201"), stock(keeper, "P6201", "WH-KS")) == (150, 50)
    assert (stock(keeper, "P1001"), stock(keeper, "P1001", "WH-KS")) == (D("177.5"), D("2.5"))
    moves = keeper.scalars(select(StockMove).where(StockMove.document_number == "TR-0001"))
    assert sorted((m.kind, m.product.sku, m.quantity) for m in moves) == [
        ("transfer_in", "P1001", D("2.5")), ("transfer_in", "P6201", 10),
        ("transfer_out", "P1001", D("-2.5")), ("transfer_out", "P6201", -10)]
    actions = keeper.scalars(select(SbActivity.action).order_by(SbActivity.id)).all()
    assert actions == ["transfer.create", "transfer.complete"]


@pytest.mark.parametrize("source, target, lines, message", [
    ("WH-SH", "WH-SH", [("P6201", 1)], None),
    ("WH-XX", "WH-KS", [("P6201", 1)], "WH-XX"),
    ("WH-SH", "WH-KS", [("P9999", 1)], "P9999"),
    ("WH-SH", "WH-KS", [("P6201", 0)], "P6201"),
    ("WH-SH", "WH-KS", [("P6201", -2)], "P6201"),
    ("WH-SH", "WH-KS", [], None),
    ("WH-SH", "WH-KS", [("P6201", 1), ("P6201", 2)], "P6201"),
])
def test_bad_transfers_are_refused(keeper, db, source, target, lines, message):
    with pytest.raises(SandboxRuleError, match=message):
        inventory.create_transfer(keeper, source, target, lines)
    db.session.rollback()
    assert count_of(keeper, Transfer) == 0


def test_transferring_more_than_on_hand_moves_nothing(keeper, db):
    transfer = inventory.create_transfer(keeper, "WH-KS", "WH-SH",
                                         [("P6201", D(5)), ("P6202", D(56))])
    db.session.commit()
    with pytest.raises(SandboxRuleError, match="P6202.*55.*56"):
        inventory.complete_transfer(keeper, transfer)
    assert stock(keeper, "P6201", "WH-KS") == 40  # checked before anything moved
    db.session.rollback()
    assert keeper.get(Transfer, transfer.id).state == "draft"
    assert (stock(keeper, "P6201", "WH-KS"), stock(keeper, "P6202", "WH-KS")) == (40, 55)


def test_cancelled_and_done_transfers_cannot_change(keeper, db):
    cancelled = inventory.create_transfer(keeper, "WH-SH", "WH-KS", [("P6201", D(1))])
    assert inventory.cancel_transfer(keeper, cancelled).state == "cancelled"
    done = inventory.create_transfer(keeper, "WH-SH", "WH-KS", [("P6201", D(1))])
    inventory.complete_transfer(keeper, done)
    db.session.commit()
    for transfer, action in [(cancelled, inventory.complete_transfer),
                             (done, inventory.complete_transfer),
                             (done, inventory.cancel_transfer)]:
        with pytest.raises(SandboxRuleError, match=transfer.number):
            action(keeper, transfer)
        db.session.rollback()
    assert stock(keeper, "P6201", "WH-KS") == 41


def test_transfers_need_the_permission(box, db):
    clerk = sandbox.open_context(box[0], "sales_clerk")
    with pytest.raises(SandboxPermissionError):
        inventory.create_transfer(clerk, "WH-SH", "WH-KS", [("P6201", D(1))])
    db.session.rollback()
    assert count_of(clerk, Transfer) == 0


# Stock counts ------------------------------------------------------------------------------
def test_count_sheet_lists_what_the_warehouse_holds(keeper):
    count = inventory.start_count(keeper, "WH-KS")
    assert (count.number, count.state) == ("SC-0001", "counting")
    lines = {line.product.sku: line for line in count.lines}
    assert len(lines) == 16 and lines["P6201"].system_quantity == 40
    assert all(line.counted_quantity is None for line in count.lines)
    chosen = inventory.start_count(keeper, "WH-SH", ["P1004", "P1001"])
    assert [line.product.sku for line in chosen.lines] == ["P1001", "P1004"]


def test_count_variances_are_adjusted_and_posted(keeper, db):
    count = inventory.start_count(keeper, "WH-KS")
    lines = {line.product.sku: line for line in count.lines}
    stock_account, suspense = balance(keeper, "1405"), balance(keeper, "1901")
    inventory.enter_count(keeper, count, {line.id: line.system_quantity
                                          for line in count.lines})
    # P6201 (cost 78.00): 3 more found; P6202 (cost 42.00): 5 missing.
    inventory.enter_count(keeper, count, {lines["P6201"].id: D(43),
                                          str(lines["P6202"].id): "50"})
    entry = inventory.post_count(keeper, count)
    assert count.state == "posted" and entry.source_number == count.number
    assert sorted((line.account.code, line.debit, line.credit) for line in entry.lines) == [
        ("1405", D("0.00"), D("210.00")), ("1405", D("234.00"), D("0.00")),
        ("1901", D("0.00"), D("234.00")), ("1901", D("210.00"), D("0.00"))]
    assert balance(keeper, "1405") == stock_account + 24
    assert balance(keeper, "1901") == suspense - 24
    assert (stock(keeper, "P6201", "WH-KS"), stock(keeper, "P6202", "WH-KS")) == (43, 50)
    kinds = keeper.scalars(select(StockMove.quantity).where(
        StockMove.kind == "count_adjustment").order_by(StockMove.quantity)).all()
    assert kinds == [-5, 3]
    db.session.commit()
    with pytest.raises(SandboxRuleError, match=count.number):
        inventory.enter_count(keeper, count, {lines["P6201"].id: D(1)})
    db.session.rollback()
    with pytest.raises(SandboxRuleError, match=count.number):
        inventory.post_count(keeper, count)
    db.session.rollback()
    assert keeper.get(StockCount, count.id).lines[0].counted_quantity is not None
    assert stock(keeper, "P6201", "WH-KS") == 43


def test_count_without_variance_posts_no_entry(keeper):
    count = inventory.start_count(keeper, "WH-SH", ["P1001"])
    entries = count_of(keeper, JournalEntry)
    inventory.enter_count(keeper, count, {count.lines[0].id: D(180)})
    assert inventory.post_count(keeper, count) is None
    assert count.state == "posted" and count_of(keeper, JournalEntry) == entries


def test_zero_counted_writes_the_stock_off(keeper):
    count = inventory.start_count(keeper, "WH-SH", ["P1004"])
    inventory.enter_count(keeper, count, {count.lines[0].id: 0})
    entry = inventory.post_count(keeper, count)
    assert stock(keeper, "P1004") == 0
    assert entry.total_debit == D("15.60") * 30


def test_every_line_must_be_counted_before_posting(keeper, db):
    count = inventory.start_count(keeper, "WH-SH", ["P1001", "P1002"])
    inventory.enter_count(keeper, count, {count.lines[0].id: D(100)})
    db.session.commit()
    with pytest.raises(SandboxRuleError, match="P1002"):
        inventory.post_count(keeper, count)
    db.session.rollback()
    assert keeper.get(StockCount, count.id).state == "counting"
    assert stock(keeper, "P1001") == 180


@pytest.mark.parametrize("value", [D(-1), "abc", "1.0001"])
def test_bad_counted_quantities_are_refused(keeper, db, value):
    count = inventory.start_count(keeper, "WH-SH", ["P1001"])
    db.session.commit()
    with pytest.raises(SandboxRuleError, match="P1001"):
        inventory.enter_count(keeper, count, {count.lines[0].id: value})
    db.session.rollback()
    assert keeper.get(StockCount, count.id).lines[0].counted_quantity is None


def test_bad_count_sheets_are_refused(keeper, db):
    with pytest.raises(SandboxRuleError, match="WH-XX"):
        inventory.start_count(keeper, "WH-XX")
    with pytest.raises(SandboxRuleError, match="P9999"):
        inventory.start_count(keeper, "WH-SH", ["P9999"])
    count = inventory.start_count(keeper, "WH-SH", ["P1001"])
    with pytest.raises(SandboxRuleError, match=count.number):
        inventory.enter_count(keeper, count, {999999: D(1)})


def test_counting_needs_the_permission(box, db):
    clerk = sandbox.open_context(box[0], "sales_clerk")
    with pytest.raises(SandboxPermissionError):
        inventory.start_count(clerk, "WH-SH")
    db.session.rollback()
    assert count_of(clerk, StockCount) == 0
