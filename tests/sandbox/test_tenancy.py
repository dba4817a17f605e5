"""Every sandbox keeps to itself: isolation for every model, reset, provisioning."""

import time

import pytest
from sqlalchemy import func, select

import sandbox
from lms.extensions import db
from sandbox.models import (
    Customer,
    JournalLine,
    Product,
    SalesOrder,
    SandboxScoped,
    SbActivity,
    SbUser,
    StockLevel,
)
from sandbox.seed import sandbox_tables
from sandbox.tenancy import SandboxContext, UnscopedSandboxQuery


def _sandbox_models():
    return sorted((m.class_ for m in db.Model.registry.mappers
                   if issubclass(m.class_, SandboxScoped)), key=lambda cls: cls.__name__)


def test_every_sandbox_table_has_an_indexed_tenant_key():
    for table in sandbox_tables():
        assert any(index.columns.keys() == ["sandbox_id"] for index in table.indexes), table.name
    assert len(_sandbox_models()) == len(sandbox_tables()) >= 30


@pytest.mark.parametrize("model", _sandbox_models(), ids=lambda m: m.__name__)
def test_a_context_sees_only_its_own_rows(model, make_sandbox, db):
    first, first_ctx = make_sandbox("one")
    second, second_ctx = make_sandbox("two")
    # Every table gets a row in the second sandbox the first must not see.
    second_ctx.log("test.marker")
    db.session.commit()
    seen = first_ctx.scalars(select(model)).all()
    assert all(row.sandbox_id == first.id for row in seen)
    total_first = db.session.scalar(
        select(func.count()).select_from(model.__table__)
        .where(model.__table__.c.sandbox_id == first.id)
        .execution_options(all_sandboxes=True)
    )
    assert len(seen) == total_first
    # Joins are scoped on every side too.
    if model is not SbActivity:
        joined = first_ctx.scalars(select(model).join(SbActivity, SbActivity.sandbox_id ==
                                                      model.sandbox_id)).all()
        assert all(row.sandbox_id == first.id for row in joined)


def test_ids_of_another_sandbox_are_not_found(make_sandbox):
    _first, first_ctx = make_sandbox("one")
    _second, second_ctx = make_sandbox("two")
    other_customer = second_ctx.by_code(Customer, "C0001")
    assert first_ctx.get(Customer, other_customer.id) is None
    assert first_ctx.by_code(Customer, "C0001").id != other_customer.id


def test_a_query_without_a_context_is_refused(ctx, db):
    with pytest.raises(UnscopedSandboxQuery):
        db.session.scalars(select(Customer)).all()
    with pytest.raises(UnscopedSandboxQuery):
        db.session.scalar(select(func.count()).select_from(Product))


def test_seed_is_the_promised_company(ctx):
    count = lambda model: ctx.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Customer) == 20 and count(Product) == 60
    assert ctx.scalar(select(func.count(func.distinct(SbUser.job_role)))) == 6
    lines = ctx.scalars(select(JournalLine)).all()
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines) > 0
    below = ctx.scalar(select(func.count()).select_from(StockLevel).join(Product)
                       .where(StockLevel.quantity < Product.reorder_point))
    assert below >= 5
    states = set(ctx.scalars(select(SalesOrder.state)))
    assert {"quotation", "pending_approval", "confirmed"} <= states


def test_two_sandboxes_are_seeded_identically(make_sandbox):
    _a, first = make_sandbox("one")
    _b, second = make_sandbox("two")
    names = lambda c: [x.name for x in c.scalars(select(Customer).order_by(Customer.code))]  # noqa: E731
    assert names(first) == names(second)


def test_reset_restores_the_seed_and_touches_no_other_sandbox(make_sandbox, db):
    first, first_ctx = make_sandbox("one")
    second, second_ctx = make_sandbox("two")
    customer = first_ctx.by_code(Customer, "C0001")
    customer.name = "改过的名字"
    first_ctx.log("test.change")
    second_ctx.log("test.keep")
    db.session.commit()
    started = time.perf_counter()
    sandbox.reset_sandbox(first)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert first_ctx.by_code(Customer, "C0001").name == "上海瑞丰五金机电有限公司"
    assert first_ctx.scalar(select(func.count()).select_from(SbActivity)) == 0
    assert second_ctx.scalar(select(func.count()).select_from(SbActivity)) == 1
    # Timing is measured properly in benchmarks/; this only catches a gross regression.
    assert elapsed < 5


def test_provision_is_idempotent_and_picks_persona_by_job_role(create_user, db):
    buyer = create_user("buyer7", job_roles=["purchasing"])
    box = sandbox.provision_sandbox(buyer.id, ["purchasing"])
    again = sandbox.provision_sandbox(buyer.id, ["purchasing"])
    assert box.id == again.id
    assert sandbox.open_context(box).persona.code == "buyer"
    assert sandbox.default_persona([]) == "sales_clerk"


def test_describe_for_a_trainer(ctx):
    summary = sandbox.describe_sandbox(ctx.sandbox)
    assert summary.counts["sales_orders"] == 3
    assert "SO-0003" in summary.open_documents["sales_orders"]
    assert summary.below_reorder_point >= 5


def test_document_numbers_continue_per_sandbox(make_sandbox):
    _a, first = make_sandbox("one")
    _b, second = make_sandbox("two")
    assert first.next_number("SO") == "SO-0004"
    assert first.next_number("SO") == "SO-0005"
    assert second.next_number("SO") == "SO-0004"
    assert isinstance(first, SandboxContext)
