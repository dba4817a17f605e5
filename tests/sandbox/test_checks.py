"""The check language: every construct passes when it should and fails when it should not,
authoring mistakes are named when the exercise is saved, and nothing crosses sandboxes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.database import utcnow
from lms.extensions import db
from sandbox import seed_data
from sandbox.checks import (
    CheckSpecError,
    describe_checks,
    ensure_valid_checks,
    evaluate_checks,
    parse_checks_yaml,
    validate_checks,
)
from sandbox.models import (
    Customer,
    Product,
    SalesOrder,
    SalesOrderLine,
    SbUser,
    StockCount,
    StockCountLine,
    StockLevel,
    Warehouse,
)
from sandbox.seed import company_today
from sandbox.services.ledger import build_entry

# Assertions below read messages in English, the language they were written in.
pytestmark = pytest.mark.usefixtures("english_messages")

SALES_ORDER_YAML = """
- description: "A sales order for 上海锦程酒店用品有限公司 with at least 20 × P6204, delivered"
  document: sales_order
  where:
    customer: C0007
    state: delivered
    lines:
      product: P6204
      quantity: {gte: 20}
  created_after_start: true
  by_persona: learner
"""


def act_as(ctx, code):
    ctx.persona = ctx.by_code(SbUser, code)
    return ctx


def make_order(ctx, customer="C0007", lines=(("P6204", 20),), state="delivered", log=True,
               warehouse="WH-SH"):
    """A sales order made directly in the sandbox, logged as a service would log it."""
    order = ctx.add(SalesOrder(
        number=ctx.next_number("SO"), state=state, document_date=company_today(),
        created_by=ctx.persona.code, customer=ctx.by_code(Customer, customer),
        warehouse=ctx.by_code(Warehouse, warehouse)))
    for sku, quantity in lines:
        product = ctx.by_code(Product, sku, field="sku")
        order.lines.append(ctx.add(SalesOrderLine(
            product=product, quantity=Decimal(quantity), list_price=product.list_price,
            policy_discount_pct=Decimal(0), discount_pct=Decimal(0))))
    db.session.flush()
    if log:
        ctx.log("sales_order.create", order)
        db.session.flush()
    return order


def run(ctx, checks, **kwargs):
    if isinstance(checks, dict):
        checks = [checks]
    assert validate_checks(checks) == []
    return evaluate_checks(ctx, checks, **kwargs)


def passes(ctx, checks, **kwargs) -> bool:
    return run(ctx, checks, **kwargs)[0].passed


# The examples of the issue -----------------------------------------------------------------

def test_sales_order_example_fails_before_and_passes_after_the_work(ctx):
    start = utcnow()
    checks = parse_checks_yaml(SALES_ORDER_YAML)
    [before] = evaluate_checks(ctx, checks, started_at=start, learner_persona="sales_clerk")
    assert not before.passed
    assert before.description.startswith("A sales order for 上海锦程")
    assert "found none" in before.message and "customer = C0007" in before.message
    make_order(ctx, lines=[("P6204", 19)])  # too few
    make_order(ctx, state="confirmed")  # not delivered
    [result] = evaluate_checks(ctx, checks, started_at=start, learner_persona="sales_clerk")
    assert not result.passed
    order = make_order(ctx, lines=[("P1001", 5), ("P6204", 24)])
    [after] = evaluate_checks(ctx, checks, started_at=start, learner_persona="sales_clerk")
    assert after.passed and order.number in after.message


def test_journal_entry_example_needs_both_lines_on_one_entry(ctx, db):
    start = utcnow()
    check = {"document": "journal_entry", "created_after_start": True,
             "where": {"state": "posted",
                       "lines": [{"account": "6602", "debit": 1250.00},
                                 {"account": 1002, "credit": "1250.00"}]}}
    assert not passes(ctx, check, started_at=start)
    entry = build_entry(ctx, "办公用品", [("6602", Decimal("1250"), 0),
                                        ("1002", 0, Decimal("1250"))])
    db.session.flush()
    ctx.log("journal_entry.post", entry)
    assert passes(ctx, check, started_at=start)
    # Each line condition must be met by one line: no line debits 6602 and credits it too.
    same_line = {**check, "where": {"lines": {"account": "6602", "credit": 1250}}}
    assert not passes(ctx, same_line, started_at=start)
    other_account = {**check, "where": {"lines": [{"account": "6602", "debit": 1250},
                                                  {"account": "1001", "credit": 1250}]}}
    assert not passes(ctx, other_account, started_at=start)


def test_stock_level_value_example(ctx):
    opening = next(q for sku, wh, q in seed_data.OPENING_STOCK if (sku, wh) == ("P1010", "WH-SH"))
    check = {"document": "stock_level", "where": {"product": "P1010", "warehouse": "WH-SH"},
             "expect": {"value": {"field": "quantity", "eq": 35}}}
    [result] = run(ctx, check)
    assert not result.passed and f"it is {opening}" in result.message
    # Set directly: move_stock's FOR UPDATE with joined loads is refused by PostgreSQL.
    level = ctx.scalar(select(StockLevel).where(
        StockLevel.product_id == ctx.by_code(Product, "P1010", "sku").id,
        StockLevel.warehouse_id == ctx.by_code(Warehouse, "WH-SH").id))
    level.quantity = Decimal(35)
    assert passes(ctx, check)


# Comparisons ----------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, matches", [
    ({"credit_limit": 50000}, True), ({"credit_limit": 50001}, False),
    ({"credit_limit": {"eq": "50,000.00"}}, True),
    ({"tier": {"ne": "A"}}, True), ({"tier": {"ne": "C"}}, False),
    ({"credit_limit": {"gt": 49999}}, True), ({"credit_limit": {"gt": 50000}}, False),
    ({"credit_limit": {"gte": 50000}}, True), ({"credit_limit": {"gte": 50000.01}}, False),
    ({"credit_limit": {"lt": 50001}}, True), ({"credit_limit": {"lt": 50000}}, False),
    ({"credit_limit": {"lte": 50000}}, True), ({"credit_limit": {"lte": 49999}}, False),
    ({"credit_limit": {"gte": 40000, "lte": 60000}}, True),
    ({"credit_limit": {"gte": 40000, "lte": 45000}}, False),
    ({"tier": {"in": ["B", "C"]}}, True), ({"tier": {"in": ["A", "B"]}}, False),
    ({"tier": ["C"]}, True), ({"tier": ["A"]}, False),
    ({"name": {"contains": "锦程"}}, True), ({"name": {"contains": "华晟"}}, False),
    ({"name": {"contains": "%"}}, False),
])
def test_each_operator(ctx, condition, matches):
    check = {"document": "customer", "where": {"code": "C0007", **condition}}
    assert passes(ctx, check) is matches


@pytest.mark.parametrize("where, matches", [
    ({"number": "SO-0003", "approved_by": None}, True),
    ({"number": "SO-0003", "approved_by": {"ne": None}}, False),
    ({"number": "SO-0003", "document_date": "today"}, True),
    ({"number": "SO-0003", "document_date": {"lt": "today"}}, False),
    ({"number": "SO-0002", "lines": {"delivered_quantity": {"lt": {"field": "quantity"}}}}, True),
    ({"number": "SO-0002", "lines": {"delivered_quantity": {"gte": {"field": "quantity"}}}},
     False),
    ({"customer": {"in": ["C0007", "C0001"]}, "state": "pending_approval"}, True),
    ({"customer": {"ne": "C0007"}, "state": "pending_approval"}, False),
    ({"number": "SO-0001", "no_lines": {"product": "P6204"}}, True),
    ({"number": "SO-0001", "no_lines": {"product": "P4002"}}, False),
])
def test_nulls_dates_field_references_relations_and_no_lines(ctx, where, matches):
    assert passes(ctx, {"document": "sales_order", "where": where}) is matches


def test_boolean_and_role_grants(ctx):
    assert passes(ctx, {"document": "user", "where": {"code": "buyer", "active": True,
                                                      "role": "buyer"}})
    assert not passes(ctx, {"document": "user", "where": {"code": "buyer", "active": False}})
    assert passes(ctx, {"document": "role", "where": {"code": "sales_clerk",
                                                      "no_grants": {"permission": "finance.post"}}})
    assert not passes(ctx, {"document": "role", "where": {
        "code": "sales_clerk", "no_grants": {"permission": "sales.quote"}}})


def test_a_stock_count_line_variance(ctx, db):
    count = ctx.add(StockCount(number="SC-0001", state="posted", document_date=company_today(),
                               created_by="warehouse_keeper",
                               warehouse=ctx.by_code(Warehouse, "WH-SH")))
    count.lines.append(ctx.add(StockCountLine(product=ctx.by_code(Product, "P1010", "sku"),
                                              system_quantity=Decimal(160),
                                              counted_quantity=Decimal(155))))
    db.session.flush()
    check = {"document": "stock_count", "where": {"state": "posted", "warehouse": "WH-SH",
                                                  "lines": {"product": "P1010", "variance": -5}}}
    assert passes(ctx, check)
    check["where"]["lines"]["variance"] = {"lt": -5}
    assert not passes(ctx, check)


# Quantifiers ----------------------------------------------------------------------------------

def test_count(ctx):
    seeded = len(seed_data.OPEN_SALES_ORDERS)
    assert passes(ctx, {"document": "sales_order", "expect": {"count": seeded}})
    assert passes(ctx, {"document": "sales_order", "expect": {"count": {"gte": 1, "lt": 4}}})
    [result] = run(ctx, {"document": "sales_order", "expect": {"count": {"gte": seeded + 1}}})
    assert not result.passed and f"found {seeded}" in result.message
    assert passes(ctx, {"document": "sales_order", "where": {"state": "delivered"},
                        "expect": {"count": 0}})


def test_sum(ctx):
    net = next(n for _no, c, _d, n in seed_data.OPEN_INVOICES if c == "C0007")
    total = net + (net * Decimal("0.13")).quantize(Decimal("0.01"))
    check = {"document": "customer_invoice", "where": {"customer": "C0007"},
             "expect": {"sum": {"field": "total_amount", "eq": total}}}
    assert passes(ctx, check)
    check["expect"]["sum"] = {"field": "total_amount", "gt": total}
    [result] = run(ctx, check)
    assert not result.passed and "43,618" in result.message


def test_value_needs_exactly_one_document(ctx):
    [result] = run(ctx, {"document": "stock_level", "where": {"product": "P6201"},
                         "expect": {"value": {"field": "quantity", "gte": 0}}})
    assert not result.passed and "exactly one" in result.message
    [result] = run(ctx, {"document": "parameter", "where": {"key": "no_such_key"},
                         "expect": {"value": {"field": "value", "eq": "on"}}})
    assert not result.passed and "found none" in result.message
    assert passes(ctx, {"document": "parameter", "where": {"key": "credit_check"},
                        "expect": {"value": {"field": "value", "eq": "on"}}})


# Time and persona ----------------------------------------------------------------------------

def test_created_after_start_excludes_seeded_and_earlier_documents(ctx):
    check = {"document": "sales_order", "created_after_start": True,
             "where": {"customer": "C0007"}}
    early = make_order(ctx)
    start = utcnow()
    [result] = run(ctx, check, started_at=start)
    assert not result.passed and "not when, by whom" in result.message
    make_order(ctx, log=False)  # not logged: not made through the ERP
    assert not passes(ctx, check, started_at=start)
    late = make_order(ctx)
    [result] = run(ctx, check, started_at=start)
    assert result.passed and late.number in result.message and early.number not in result.message
    assert passes(ctx, {**check, "where": {"created_at": {"gte": "start"}}}, started_at=start)


def test_by_persona_learner_and_named(ctx):
    start = utcnow()
    make_order(act_as(ctx, "sales_manager"))
    learner = {"document": "sales_order", "created_after_start": True, "by_persona": "learner"}
    assert not passes(ctx, learner, started_at=start, learner_persona="sales_clerk")
    assert passes(ctx, learner, started_at=start, learner_persona="sales_manager")
    named = {"document": "sales_order", "created_after_start": True, "by_persona": "buyer"}
    assert not passes(ctx, named, started_at=start)
    assert passes(ctx, {**named, "by_persona": "sales_manager"}, started_at=start)


def test_learner_persona_defaults_to_the_context_persona(ctx):
    start = utcnow()
    make_order(ctx)
    [result] = run(ctx, {"document": "sales_order", "by_persona": "learner",
                         "created_after_start": True}, started_at=start)
    assert result.passed and "sales_clerk" in result.message


def test_action_on_a_seeded_document(ctx):
    check = {"document": "sales_order", "where": {"number": "SO-0003"},
             "action": {"name": "sales_order.approve", "by_persona": "sales_manager"}}
    start = utcnow()
    order = ctx.by_code(SalesOrder, "SO-0003", "number")
    assert not passes(ctx, check, started_at=start)
    act_as(ctx, "sales_clerk").log("sales_order.approve", order)
    assert not passes(ctx, check, started_at=start)
    act_as(ctx, "sales_manager").log("sales_order.reject", order)
    assert not passes(ctx, check, started_at=start)
    ctx.log("sales_order.approve", order)
    assert passes(ctx, check, started_at=start)
    assert not passes(ctx, check, started_at=utcnow() + timedelta(seconds=1))
    assert passes(ctx, {**check, "action": "sales_order.approve"}, started_at=start)


def test_activity_checks(ctx):
    check = {"activity": "sales_order.approve", "by_persona": "sales_manager",
             "where": {"document_type": "sales_order", "document_number": "SO-0003"}}
    start = utcnow()
    assert not passes(ctx, check, started_at=start)
    act_as(ctx, "sales_manager").log("sales_order.approve", ctx.by_code(SalesOrder, "SO-0003",
                                                                        "number"))
    [result] = run(ctx, check, started_at=start)
    assert result.passed and "SO-0003" in result.message
    assert not passes(ctx, {**check, "by_persona": "learner"}, started_at=start,
                      learner_persona="sales_clerk")
    assert not passes(ctx, {**check, "where": {"document_type": "purchase_order"}},
                      started_at=start)
    later = utcnow() + timedelta(seconds=1)
    assert not passes(ctx, check, started_at=later)  # after_start is the default
    assert passes(ctx, {**check, "after_start": False}, started_at=later)
    assert passes(ctx, {"activity": "sales_order.approve", "expect": {"count": 1}},
                  started_at=start)
    [result] = run(ctx, {"activity": "sales_order.approve", "expect": {"count": {"gte": 2}},
                         "where": {"document_type": ["sales_order", "delivery"]}},
                   started_at=start)
    assert not result.passed and result.message == (
        "Expected ≥ 2 logged actions sales_order.approve with document_type one of "
        "[sales_order, delivery], done after the exercise started; found 1.")


def test_seeded_state_never_passes_a_created_after_start_check(make_sandbox):
    box, ctx = make_sandbox()
    # Every check below matches a seeded row except for its time condition.
    checks = [
        {"document": "sales_order", "where": {"number": "SO-0003", "customer": "C0007"},
         "created_after_start": True},
        {"document": "purchase_order", "where": {"state": "pending_approval"},
         "created_after_start": True, "by_persona": "buyer"},
        {"document": "journal_entry", "where": {"state": "posted", "lines": {"account": "1002"}},
         "created_after_start": True},
        {"document": "expense_claim", "where": {"state": "submitted"},
         "created_after_start": True, "by_persona": "learner"},
        {"document": "customer_invoice", "where": {"customer": "C0007"},
         "created_after_start": True},
        {"document": "stock_move", "where": {"product": "P1010"}, "created_after_start": True},
        {"document": "sales_order", "where": {"number": "SO-0003"},
         "action": "sales_order.create"},
        {"activity": "sales_order.create"},
    ]
    assert validate_checks(checks) == []
    for started_at in (None, box.reset_at - timedelta(days=1)):
        results = evaluate_checks(ctx, checks, started_at=started_at,
                                  learner_persona="sales_clerk")
        assert [r.passed for r in results] == [False] * len(checks)
    # Without the time condition the same checks would pass: the seed really matches.
    untimed = [{k: v for k, v in c.items() if k not in ("created_after_start", "action")}
               for c in checks[:6]]
    assert all(r.passed for r in evaluate_checks(ctx, untimed, learner_persona="sales_clerk"))


def test_another_sandbox_never_satisfies_a_check(make_sandbox):
    _box1, mine = make_sandbox("learner1")
    _box2, theirs = make_sandbox("learner2")
    start = utcnow()
    make_order(theirs)
    act_as(theirs, "sales_manager").log("sales_order.approve",
                                        theirs.by_code(SalesOrder, "SO-0003", "number"))
    checks = parse_checks_yaml(SALES_ORDER_YAML) + [
        {"document": "sales_order", "expect": {"count": len(seed_data.OPEN_SALES_ORDERS)}},
        {"activity": "sales_order.approve", "expect": {"count": 0}},
        {"document": "sales_order", "where": {"number": "SO-0003"},
         "action": "sales_order.approve"},
    ]
    mine_results = evaluate_checks(mine, checks, started_at=start, learner_persona="sales_clerk")
    assert [r.passed for r in mine_results] == [False, True, True, False]
    theirs_results = evaluate_checks(theirs, checks, started_at=start,
                                     learner_persona="sales_clerk")
    assert [r.passed for r in theirs_results] == [True, False, False, True]


# Authoring errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("check, reason", [
    ({"document": "sales_invoice"}, "unknown document type “sales_invoice”"),
    ({"document": "sales_order", "where": {"colour": "red"}}, "unknown field “colour”"),
    ({"document": "sales_order", "where": {"lines": {"sku": "P6204"}}}, "unknown field “sku”"),
    ({"document": "sales_order", "where": {"__class__": "x"}}, "unknown field “__class__”"),
    ({"document": "customer", "where": {"credit_limit": {"contains": "5"}}},
     "operator “contains” does not apply"),
    ({"document": "customer", "where": {"credit_limit": {"like": 5}}},
     "unknown operator “like”"),
    ({"document": "customer", "where": {"credit_limit": "abc"}}, "“abc” is not a number"),
    ({"document": "customer", "where": {"credit_limit": True}}, "is not a number"),
    ({"document": "sales_order", "where": {"document_date": "yesterday"}}, "is not a date"),
    ({"document": "user", "where": {"active": "yes"}}, "is not true or false"),
    ({"document": "customer", "where": {"tier": {"in": "A"}}}, "in takes a list"),
    ({"document": "sales_order", "where": {"lines": [{"quantity": {"lt": {"field": "product"}}}]}},
     "compares with another number"),
    ({"document": "activity"}, "unknown document type"),
    ({"activity": "sales_order.approve", "where": {"document_type": "invoice"}},
     "is not a document type"),
    ({"document": "sales_order", "by_persona": "boss"}, "unknown persona “boss”"),
    ({"document": "sales_order", "action": {"name": "x.y", "by_persona": "me"}},
     "unknown persona “me”"),
    ({"document": "sales_order", "expect": "many"}, "expect is exists"),
    ({"document": "sales_order", "expect": {"count": "lots"}}, "“lots” is not a number"),
    ({"document": "sales_order", "expect": {"sum": {"field": "state", "eq": 1}}},
     "“state” cannot be used here"),
    ({"document": "sales_order", "expect": {"value": {"eq": 1}}}, "needs the field"),
    ({"document": "sales_order", "expect": {"value": {"field": "number"}}},
     "needs a comparison"),
    ({"document": "sales_order", "created_after_start": "yes"}, "true or false"),
    ({"document": "stock_level", "created_after_start": True}, "has no creation time"),
    ({"document": "customer", "by_persona": "learner"}, "records no persona"),
    ({"document": "sales_order", "after_start": True}, "write created_after_start"),
    ({"document": "sales_order", "activity": "x.y"}, "exactly one of them"),
    ({"where": {"state": "x"}}, "exactly one of them"),
    ({"activity": "Approve Order!"}, "lower case"),
    ({"activity": "x.y", "created_after_start": True}, "does not apply to an activity"),
    ({"document": "sales_order", "wher": {}}, "unknown key “wher”"),
    ("sales_order", "must be a mapping"),
])
def test_authoring_errors_name_the_check_and_the_reason(check, reason):
    checks = [{"document": "customer"}, check]
    errors = validate_checks(checks)
    assert errors, check
    assert any(reason in str(e) for e in errors), [str(e) for e in errors]
    assert all(e.index == 1 and str(e).startswith("Check 2") for e in errors)
    with pytest.raises(CheckSpecError) as raised:
        ensure_valid_checks(checks)
    assert [str(e) for e in raised.value.problems] == [str(e) for e in errors]


def test_errors_give_the_path_and_every_problem_is_listed():
    errors = validate_checks([
        {"document": "sales_order", "where": {"lines": {"quantity": "many", "colour": 1}}},
        {"document": "nope"},
    ])
    assert [e.index for e in errors] == [0, 0, 1]
    assert "where → lines → quantity" in str(errors[0])
    assert errors[0].reason == "“many” is not a number such as 20 or 1250.00."


def test_exercise_keys_are_allowed_and_descriptions_are_made():
    checks = [{"document": "sales_order", "points": 2, "hint": "看看订单列表",
               "where": {"customer": "C0007", "lines": {"product": "P6204",
                                                        "quantity": {"gte": 20}}},
               "created_after_start": True, "by_persona": "learner"},
              {"description": "自定义", "document": "customer"}]
    assert validate_checks(checks) == []
    assert describe_checks(checks) == [
        "a sales order with customer = C0007, a line with product = P6204 and quantity ≥ 20, "
        "created after the exercise started, by the learner's persona", "自定义"]


def test_malformed_yaml_names_the_line():
    with pytest.raises(CheckSpecError, match=r"line 3"):
        parse_checks_yaml("- document: sales_order\n  where:\n    state: a: b\n")
    with pytest.raises(CheckSpecError, match="must be a list"):
        parse_checks_yaml("document: sales_order")
    assert parse_checks_yaml("") == []
    [error] = validate_checks("- document: [")
    assert error.index is None and "not valid YAML" in str(error)


def test_yaml_is_never_executed():
    with pytest.raises(CheckSpecError):
        parse_checks_yaml("- !!python/object/apply:os.system ['true']")


def test_invalid_checks_fail_at_evaluation_without_raising(ctx):
    results = evaluate_checks(ctx, [{"document": "nope"}, {"document": "customer"}])
    assert [r.passed for r in results] == [False, True]
    assert "unknown document type" in results[0].message
    [result] = evaluate_checks(ctx, "- document: [")
    assert not result.passed and "YAML" in result.message
    assert evaluate_checks(ctx, SALES_ORDER_YAML)[0].passed is False


def test_dates_and_times_written_as_text_or_yaml(ctx):
    checks = parse_checks_yaml("""
- document: sales_order
  where: {number: SO-0003, created_at: {gt: "2000-01-01T08:00:00+08:00"},
          document_date: {gt: 2000-01-01}}
- document: sales_order
  where: {number: SO-0003, created_at: {lt: 2000-01-01 08:00:00}}
""")
    assert [r.passed for r in run(ctx, checks)] == [True, False]
