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
    # The approver by name, as on "created by" (郑国强, not the persona code).
    approval = re.search(r'id="approval-info">(.*?)</div>',
                         client.get(order_url).data.decode(), re.S).group(1)
    assert "审批人 郑国强：同意" in approval and "sales_manager" not in approval


def _deliver_form_fields(page):
    return re.findall(r'name="(deliver-\d+)"', page)


def test_a_zero_line_on_the_delivery_form_is_skipped(login_as, client, db):
    """As on the goods-receipt form: 0 or nothing means "not this line now"."""
    login_as("sales9", job_roles=["sales"])
    order_url = _new_order(client, lines=(("P1001", "10", ""), ("P1002", "5", ""),
                                          ("P1003", "2", ""))).location
    client.post(f"{order_url}/submit", data={})
    _switch(client, "warehouse_keeper")
    first, second, third = _deliver_form_fields(client.get(order_url).data.decode())
    done = client.post(f"{order_url}/deliver", data={first: "4", second: "0", third: ""},
                       follow_redirects=True)
    assert "alert-success" in done.data.decode() and "alert-danger" not in done.data.decode()
    order = _context(db).by_code(SalesOrder, "SO-0004", field="number")
    assert [line.delivered_quantity for line in order.lines] == [4, 0, 0]
    assert order.state == "partially_delivered"
    page = client.get(order_url).data.decode()
    assert 'data-state="partially_delivered">部分发货<' in page

    zeros = client.post(f"{order_url}/deliver", data=dict.fromkeys(
        _deliver_form_fields(page), "0"), follow_redirects=True).data.decode()
    assert "alert-danger" in zeros and "大于 0" in zeros
    order = _context(db).by_code(SalesOrder, "SO-0004", field="number")
    assert [line.delivered_quantity for line in order.lines] == [4, 0, 0]


def test_edit_form_shows_quantities_as_people_write_them(login_as, client):
    login_as("sales9", job_roles=["sales"])
    order_url = _new_order(client, lines=(("P1001", "2.5", "5"),)).location
    form = client.get(f"{order_url}/edit").data.decode()
    assert 'value="2.5"' in form and 'value="5"' in form
    assert 'value="2.500"' not in form and 'value="5.00"' not in form


def test_activity_log_shows_actions_in_words_with_their_codes(login_as, client):
    login_as("sales9", job_roles=["sales"])
    order_url = _new_order(client).location
    client.post(f"{order_url}/submit", data={})
    log = client.get("/sandbox/activity").data.decode()
    assert "新建报价单" in log and "提交销售订单" in log
    # Exercise authors name actions by code: it stays on the page.
    assert 'data-action="sales_order.submit"' in log and "<code" in log
    home = client.get("/sandbox/").data.decode()
    recent = re.search(r'id="recent-activity">(.*?)</ul>', home, re.S).group(1)
    assert "提交销售订单" in recent and 'title="sales_order.submit"' in recent
    assert "林小燕" in recent and "sales_clerk" not in recent


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
