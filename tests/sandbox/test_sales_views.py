"""The sales pages: create, submit, approve, deliver, invoice, receive payment — and refusals."""

import re

from sqlalchemy import select

import sandbox
from lms.accounts.models import User
from sandbox.models import SalesOrder


def _context(db, username="sales9"):
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def _new_order(client, customer="C0002", lines=(("P1001", "10", ""),)):
    data = {"customer": customer, "warehouse": "WH-SH"}
    for index, (sku, quantity, discount) in enumerate(lines):
        data.update({f"sku-{index}": sku, f"quantity-{index}": quantity,
                     f"discount-{index}": discount})
    return client.post("/sandbox/sales/orders/new", data=data)


def _switch(client, persona):
    assert client.post("/sandbox/persona", data={"persona": persona}).status_code == 303


def test_order_pages_walk_the_whole_flow(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    assert "SO-0003" in client.get("/sandbox/sales/orders").data.decode()
    created = _new_order(client)
    assert created.status_code == 303
    order_url = created.location
    page = client.get(order_url).data.decode()
    assert "SO-0004" in page and 'id="submit-order"' in page and 'id="approve-order"' not in page
    client.post(f"{order_url}/submit", data={})
    assert _context(db).by_code(SalesOrder, "SO-0004", field="number").state == "confirmed"
    page = client.get(order_url).data.decode()
    assert 'id="deliver-order"' not in page and "高峰" in page
    _switch(client, "warehouse_keeper")
    client.post(f"{order_url}/deliver", data={})
    _switch(client, "sales_clerk")
    client.post(f"{order_url}/invoice", data={})
    order = _context(db).by_code(SalesOrder, "SO-0004", field="number")
    assert order.state == "delivered"
    invoice_link = re.search(r'href="(/sandbox/sales/invoices/\d+)"',
                             client.get(order_url).data.decode()).group(1)
    _switch(client, "accountant")
    page = client.get(invoice_link).data.decode()
    assert 'id="receive-payment"' in page
    client.post(invoice_link, data={"amount": "1.00"})
    assert "1.00" in client.get(invoice_link).data.decode()


def test_bad_order_keeps_the_input_and_explains(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    response = _new_order(client, lines=(("P1001", "-3", ""), ("NOPE", "2", "")))
    assert response.status_code == 422
    page = response.data.decode()
    assert 'value="NOPE"' in page and 'value="-3"' in page and "alert-danger" in page
    assert _context(db).by_code(SalesOrder, "SO-0004", field="number") is None


def test_over_credit_order_waits_for_the_manager(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    order_url = _new_order(client, customer="C0007", lines=(("P6201", "10", ""),)).location
    client.post(f"{order_url}/submit", data={})
    page = client.get(order_url).data.decode()
    assert 'data-state="pending_approval"' in page and "信用" in page
    # The clerk cannot approve; the manager can, with a comment.
    refused = client.post(f"{order_url}/approve", data={"comment": "自己批"},
                          follow_redirects=True)
    assert "无权" in refused.data.decode()
    _switch(client, "sales_manager")
    client.post(f"{order_url}/approve", data={"comment": "同意"})
    assert _context(db).by_code(SalesOrder, "SO-0004", field="number").state == "confirmed"


def test_unknown_action_and_other_sandbox_ids_are_404(login_as, client, create_user, db):
    other = create_user("other1")
    other_box = sandbox.provision_sandbox(other.id)
    db.session.commit()
    foreign = sandbox.open_context(other_box).by_code(SalesOrder, "SO-0001", field="number")
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    assert client.get(f"/sandbox/sales/orders/{foreign.id}").status_code == 404
    own = _context(db).by_code(SalesOrder, "SO-0001", field="number")
    assert client.post(f"/sandbox/sales/orders/{own.id}/teleport", data={}).status_code == 404
    assert client.get("/sandbox/sales/orders/99999999999").status_code == 404
