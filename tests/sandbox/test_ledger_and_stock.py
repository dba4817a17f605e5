"""The shared posting and stock helpers every flow uses."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sandbox.models import JournalEntry, Product, StockMove, Warehouse
from sandbox.services.common import SandboxPermissionError, SandboxRuleError, require
from sandbox.services.ledger import build_entry
from sandbox.services.stock import move_stock, on_hand


def test_balanced_entry_is_posted_with_a_number(ctx):
    entry = build_entry(ctx, "办公费", [("6602", Decimal("1250"), 0), ("1002", 0, Decimal("1250"))])
    assert entry.number == "JE-0002" and entry.state == "posted"
    assert entry.total_debit == entry.total_credit == Decimal("1250.00")


@pytest.mark.parametrize("lines", [
    [("6602", Decimal("100"), 0), ("1002", 0, Decimal("99.99"))],
    [("6602", Decimal("100"), 0)],
    [("6602", Decimal("-100"), 0), ("1002", Decimal("-100"), 0)],
    [("6602", Decimal("100"), Decimal("100")), ("1002", 0, Decimal("0"))],
    [("9999", Decimal("100"), 0), ("1002", 0, Decimal("100"))],
])
def test_bad_entries_are_refused_and_nothing_added(ctx, db, lines):
    before = ctx.scalar(select(func.count()).select_from(JournalEntry))
    with pytest.raises(SandboxRuleError):
        build_entry(ctx, "错误凭证", lines)
    db.session.flush()
    assert ctx.scalar(select(func.count()).select_from(JournalEntry)) == before


def test_stock_moves_and_never_goes_negative(ctx):
    product = ctx.by_code(Product, "P1001", field="sku")
    warehouse = ctx.by_code(Warehouse, "WH-SH")
    start = on_hand(ctx, product, warehouse)
    move_stock(ctx, product, warehouse, Decimal("-5"), "delivery")
    assert on_hand(ctx, product, warehouse) == start - 5
    with pytest.raises(SandboxRuleError, match="P1001"):
        move_stock(ctx, product, warehouse, -(start), "delivery")
    assert on_hand(ctx, product, warehouse) == start - 5
    kunshan = ctx.by_code(Warehouse, "WH-KS")
    move_stock(ctx, product, kunshan, Decimal("3"), "transfer_in")
    assert on_hand(ctx, product, kunshan) == 3
    assert ctx.scalar(select(func.count()).select_from(StockMove)
                      .where(StockMove.kind != "opening")) == 2


def test_permissions_follow_the_persona(make_sandbox):
    _box, clerk = make_sandbox(persona="sales_clerk")
    require(clerk, "sales.quote")
    with pytest.raises(SandboxPermissionError, match="林小燕"):
        require(clerk, "finance.post")
