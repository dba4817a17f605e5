"""Cancelling a count sheet: the way out when stock moved after counting began."""

import re

import pytest
from sqlalchemy import select

import sandbox
from lms.accounts.models import User
from sandbox.models import SalesOrder, SbActivity, StockCount
from sandbox.services import inventory, sales
from sandbox.services.common import SandboxPermissionError, SandboxRuleError


@pytest.fixture
def box(make_sandbox):
    """(sandbox, the warehouse keeper's context)."""
    return make_sandbox(job_roles=("warehouse",), persona="warehouse_keeper")


@pytest.fixture
def keeper(box):
    return box[1]


def _stale_sheet(keeper, db):
    """A sheet over P3004 in Shanghai, fully counted, then SO-0002 ships P3004 from there."""
    count = inventory.start_count(keeper, "WH-SH", ["P3004"])
    inventory.enter_count(keeper, count, {line.id: line.system_quantity for line in count.lines})
    order = keeper.by_code(SalesOrder, "SO-0002", field="number")
    assert order.warehouse.code == "WH-SH"
    sales.deliver(keeper, order)
    db.session.commit()
    return count


def test_a_stale_sheet_is_cancelled_and_a_new_one_posted(keeper, db, english_messages):
    count = _stale_sheet(keeper, db)
    with pytest.raises(SandboxRuleError, match="cancel this count sheet and start a new one"):
        inventory.post_count(keeper, count)
    db.session.rollback()
    with pytest.raises(SandboxRuleError, match="post or cancel it first"):
        inventory.start_count(keeper, "WH-SH")
    db.session.rollback()

    inventory.cancel_count(keeper, keeper.get(StockCount, count.id))
    db.session.commit()
    assert keeper.get(StockCount, count.id).state == "cancelled"
    entry = keeper.scalar(select(SbActivity).where(SbActivity.action == "stock_count.cancel"))
    assert entry is not None and entry.document_number == count.number
    assert entry.persona == "warehouse_keeper"

    fresh = inventory.start_count(keeper, "WH-SH", ["P3004"])
    inventory.enter_count(keeper, fresh, {line.id: line.system_quantity for line in fresh.lines})
    assert inventory.post_count(keeper, fresh) is None
    assert fresh.state == "posted"


def test_only_a_sheet_being_counted_can_be_cancelled(keeper, db, english_messages):
    count = inventory.start_count(keeper, "WH-SH", ["P1001"])
    inventory.enter_count(keeper, count, {count.lines[0].id: count.lines[0].system_quantity})
    inventory.post_count(keeper, count)
    db.session.commit()
    with pytest.raises(SandboxRuleError, match=f"{count.number} is “Posted”"):
        inventory.cancel_count(keeper, count)
    db.session.rollback()
    assert keeper.get(StockCount, count.id).state == "posted"

    other = inventory.start_count(keeper, "WH-KS")
    inventory.cancel_count(keeper, other)
    db.session.commit()
    with pytest.raises(SandboxRuleError, match=f"{other.number} is “Cancelled”"):
        inventory.cancel_count(keeper, other)
    db.session.rollback()
    with pytest.raises(SandboxRuleError, match=other.number):
        inventory.enter_count(keeper, other, {other.lines[0].id: 1})
    db.session.rollback()
    assert len(keeper.scalars(select(SbActivity).where(
        SbActivity.action == "stock_count.cancel")).all()) == 1


def test_cancelling_needs_the_counting_permission(box, db):
    count = inventory.start_count(box[1], "WH-SH", ["P1001"])
    db.session.commit()
    clerk = sandbox.open_context(box[0], "sales_clerk")
    with pytest.raises(SandboxPermissionError):
        inventory.cancel_count(clerk, clerk.get(StockCount, count.id))
    db.session.rollback()
    assert box[1].get(StockCount, count.id).state == "counting"


def _context(db, username):
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def test_cancel_through_the_page(login_as, client, db):
    login_as("stock7", job_roles=["warehouse"])
    client.get("/sandbox/")
    started = client.post("/sandbox/inventory/counts", data={"warehouse": "WH-KS"})
    count_url = started.location
    page = client.get(count_url).data.decode()
    assert 'id="cancel-count"' in page
    form = re.search(r'<form[^>]*action="([^"]+/cancel)"[^>]*>(.*?)</form>', page, re.S)
    assert form and "data-confirm=" in form.group(2) and 'name="csrf_token"' in form.group(2)

    # Still being counted: a second sheet for the warehouse is refused.
    client.post("/sandbox/inventory/counts", data={"warehouse": "WH-KS"})
    assert len(_context(db, "stock7").scalars(select(StockCount)).all()) == 1

    response = client.post(form.group(1), data={})
    assert response.status_code == 303 and response.location.endswith(count_url)
    count = _context(db, "stock7").scalar(select(StockCount))
    assert count.state == "cancelled"
    page = client.get(count_url).data.decode()
    assert 'id="cancel-count"' not in page and 'name="post"' not in page
    assert 'data-state="cancelled"' in page

    # Cancelling again is refused with a message, not an error page.
    again = client.post(form.group(1), data={}, follow_redirects=True)
    assert again.status_code == 200 and "alert-danger" in again.data.decode()

    restarted = client.post("/sandbox/inventory/counts", data={"warehouse": "WH-KS"})
    assert restarted.status_code == 303 and restarted.location != count_url


def test_a_sales_clerk_gets_no_cancel_button_and_is_refused(login_as, client, db):
    login_as("stock8", job_roles=["warehouse"])
    client.get("/sandbox/")
    count_url = client.post("/sandbox/inventory/counts", data={"warehouse": "WH-KS"}).location
    ctx = _context(db, "stock8")
    count = ctx.scalar(select(StockCount))
    clerk = sandbox.open_context(ctx.sandbox, "sales_clerk")
    assert client.post("/sandbox/persona", data={"persona": "sales_clerk"}).status_code == 303
    assert 'id="cancel-count"' not in client.get(count_url).data.decode()
    refused = client.post(f"{count_url}/cancel", data={}, follow_redirects=True)
    assert refused.status_code == 200 and "alert-danger" in refused.data.decode()
    assert clerk.get(StockCount, count.id).state == "counting"
    assert client.get("/sandbox/inventory/counts/99999/cancel").status_code == 405
    assert client.post("/sandbox/inventory/counts/99999/cancel", data={}).status_code == 404
