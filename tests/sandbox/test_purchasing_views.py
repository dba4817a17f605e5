"""The purchasing pages: requisition, order, approval, goods receipt, bill, payment — refusals."""

import re
from decimal import Decimal

from sqlalchemy import func, select

import sandbox
from lms.accounts.models import User
from sandbox.models import (
    GoodsReceipt,
    Product,
    PurchaseOrder,
    PurchaseRequisition,
    SupplierBill,
    SupplierPayment,
)


def _context(db, username="buyer9"):
    db.session.expire_all()  # the pages changed rows this session may hold
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def _order(db, number, username="buyer9"):
    return _context(db, username).by_code(PurchaseOrder, number, field="number")


def _new_order(client, supplier="S002", lines=(("P2001", "100", ""),), **extra):
    data = {"supplier": supplier, "warehouse": "WH-SH", **extra}
    for index, (sku, quantity, price) in enumerate(lines):
        data.update({f"sku-{index}": sku, f"quantity-{index}": quantity,
                     f"price-{index}": price})
    return client.post("/sandbox/purchasing/orders/new", data=data)


def _switch(client, persona):
    assert client.post("/sandbox/persona", data={"persona": persona}).status_code == 303


def _login(login_as, client):
    login_as("buyer9", job_roles=["purchasing"])
    client.get("/sandbox/")


def test_order_pages_walk_the_whole_flow(login_as, client, db):
    _login(login_as, client)
    listing = client.get("/sandbox/purchasing/orders").data.decode()
    assert "PO-0001" in listing and "PO-0003" in listing
    assert "PO-0002" in client.get("/sandbox/purchasing/orders?state=confirmed").data.decode()
    assert "PO-0002" not in client.get("/sandbox/purchasing/orders?state=draft").data.decode()
    assert "PO-0003" not in client.get("/sandbox/purchasing/orders?q=PO-0001").data.decode()
    assert 'value="S002"' in client.get("/sandbox/purchasing/orders/new").data.decode()

    created = _new_order(client, lines=(("P2001", "100", ""), ("P2002", "10", "35.50")))
    assert created.status_code == 303
    order_url = created.location
    page = client.get(order_url).data.decode()
    assert "PO-0004" in page and 'data-state="draft"' in page and 'data-grade="' in page
    assert 'id="submit-order"' in page and 'id="edit-order"' in page
    assert 'id="approve-order"' not in page and 'id="receive-order"' not in page
    order = _order(db, "PO-0004")
    cost = _context(db).by_code(Product, "P2001", field="sku").cost
    net = (cost * 100 + Decimal("355.00")).quantize(Decimal("0.01"))  # empty price: the cost
    assert order.net_amount == net
    total = net + (net * Decimal("0.13")).quantize(Decimal("0.01"))

    client.post(f"{order_url}/submit", data={})
    assert _order(db, "PO-0004").state == "confirmed"  # under the approval threshold
    page = client.get(order_url).data.decode()
    assert 'id="receive-order"' not in page and "高峰" in page and 'id="cancel-order"' in page

    _switch(client, "warehouse_keeper")
    page = client.get(order_url).data.decode()
    line_ids = re.findall(r'name="receive-(\d+)"', page)
    assert len(line_ids) == 2
    client.post(f"{order_url}/receive", data={f"receive-{line_ids[0]}": "40"})
    order = _order(db, "PO-0004")
    assert order.state == "partially_received"
    assert [line.received_quantity for line in order.lines] == [40, 0]
    page = client.get(order_url).data.decode()
    assert "GR-0001" in page and 'id="cancel-order"' not in page
    # A receipt larger than what is still expected is refused, and changes nothing.
    refused = client.post(f"{order_url}/receive", data={f"receive-{line_ids[0]}": "61"},
                          follow_redirects=True)
    assert "alert-danger" in refused.data.decode() and "61" in refused.data.decode()
    assert [line.received_quantity for line in _order(db, "PO-0004").lines] == [40, 0]
    client.post(f"{order_url}/receive", data={})
    assert _order(db, "PO-0004").state == "received"

    # The warehouse cannot record the bill: a hint names who can.
    page = client.get(order_url).data.decode()
    assert 'id="bill-order"' not in page and "何建华" in page
    _switch(client, "buyer")
    assert 'id="bill-order"' in client.get(order_url).data.decode()
    client.post(f"{order_url}/bill", data={})
    bill = _context(db).scalar(select(SupplierBill).where(SupplierBill.order_id == order.id))
    assert bill.total_amount == total
    page = client.get(order_url).data.decode()
    assert f"/sandbox/purchasing/bills/{bill.id}" in page and 'id="bill-order"' not in page
    again = client.post(f"{order_url}/bill", data={}, follow_redirects=True)
    assert "alert-danger" in again.data.decode()

    bill_url = f"/sandbox/purchasing/bills/{bill.id}"
    page = client.get(bill_url).data.decode()
    assert 'id="pay-bill"' not in page and "许静" in page and 'data-grade="' in page
    assert "PO-0004" in page
    refused = client.post(bill_url, data={"amount": "10.00"}, follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _context(db).get(SupplierBill, bill.id).paid_amount == 0
    _switch(client, "finance_manager")
    assert 'id="pay-bill"' in client.get(bill_url).data.decode()
    too_much = client.post(bill_url, data={"amount": "5000"}, follow_redirects=True)
    assert "alert-danger" in too_much.data.decode() and f"{total:,.2f}" in too_much.data.decode()
    client.post(bill_url, data={"amount": "79.15"})
    bill = _context(db).get(SupplierBill, bill.id)
    assert bill.state == "partially_paid" and bill.paid_amount == Decimal("79.15")
    page = client.get(bill_url).data.decode()
    assert "PAY-0001" in page
    # Payable wording: the company pays a bill (部分付款), it is paid on an invoice (部分收款).
    assert "部分付款" in page and "部分收款" not in page
    assert "已付金额" in page and "已结清" not in page
    listing = client.get("/sandbox/purchasing/bills").data.decode()
    assert "部分付款" in listing and "部分收款" not in listing
    assert "部分付款" in client.get(order_url).data.decode()
    client.post(bill_url, data={"amount": f"{total - Decimal('79.15'):.2f}"})
    assert _context(db).get(SupplierBill, bill.id).state == "paid"
    assert 'id="pay-bill"' not in client.get(bill_url).data.decode()


def test_bills_list_filters_unpaid_and_shows_the_rating(login_as, client, db):
    _login(login_as, client)
    listing = client.get("/sandbox/purchasing/bills").data.decode()
    assert "BILL-2025-0051" in listing and 'data-grade="' in listing
    assert "仅未付款" in listing and "仅未收款" not in listing
    assert "BILL-2025-0058" not in client.get("/sandbox/purchasing/bills?q=S003").data.decode()
    ctx = _context(db)
    ctx.by_code(SupplierBill, "BILL-2025-0051", field="number").state = "paid"
    db.session.commit()
    unpaid = client.get("/sandbox/purchasing/bills?open=1").data.decode()
    assert "BILL-2025-0051" not in unpaid and "BILL-2025-0058" in unpaid


def test_approval_with_comment_and_refusals(login_as, client, db):
    _login(login_as, client)
    order = _order(db, "PO-0003")
    order_url = f"/sandbox/purchasing/orders/{order.id}"
    page = client.get(order_url).data.decode()
    assert 'data-state="pending_approval"' in page and "马丽" in page
    assert 'id="approve-order"' not in page
    refused = client.post(f"{order_url}/approve", data={"comment": "自己批"},
                          follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _order(db, "PO-0003").state == "pending_approval"

    _switch(client, "purchasing_manager")
    page = client.get(order_url).data.decode()
    assert 'id="approve-order"' in page and 'id="reject-order"' in page
    no_reason = client.post(f"{order_url}/reject", data={"comment": " "}, follow_redirects=True)
    assert "alert-danger" in no_reason.data.decode()
    assert _order(db, "PO-0003").state == "pending_approval"
    client.post(f"{order_url}/reject", data={"comment": "数量太多"})
    order = _order(db, "PO-0003")
    assert order.state == "rejected" and order.approval_comment == "数量太多"
    page = client.get(order_url).data.decode()
    assert "数量太多" in page and "审批人 马丽" in page and "purchasing_manager" not in page

    # The buyer edits the rejected order: it goes back to draft, lines replaced.
    _switch(client, "buyer")
    form = client.get(f"{order_url}/edit").data.decode()
    assert 'value="P3005"' in form and 'value="800"' in form
    bad = client.post(f"{order_url}/edit", data={"sku-0": "P3005", "quantity-0": "abc"})
    assert bad.status_code == 422 and 'value="abc"' in bad.data.decode()
    assert _order(db, "PO-0003").state == "rejected"
    client.post(f"{order_url}/edit", data={"sku-0": "P3005", "quantity-0": "700",
                                           "price-0": "80"})
    order = _order(db, "PO-0003")
    assert order.state == "draft" and order.net_amount == Decimal("56000.00")
    client.post(f"{order_url}/submit", data={})
    assert _order(db, "PO-0003").state == "pending_approval"
    _switch(client, "general_manager")
    client.post(f"{order_url}/approve", data={"comment": "同意"})
    order = _order(db, "PO-0003")
    assert order.state == "confirmed" and order.approved_by == "general_manager"


def test_own_order_cannot_be_approved_by_its_creator(login_as, client, db):
    _login(login_as, client)
    _switch(client, "purchasing_manager")
    order_url = _new_order(client, supplier="S012", lines=(("P3005", "1000", ""),)).location
    client.post(f"{order_url}/submit", data={})
    created = _context(db).scalar(select(PurchaseOrder).where(PurchaseOrder.number == "PO-0004"))
    assert created.state == "pending_approval"
    refused = client.post(f"{order_url}/approve", data={}, follow_redirects=True)
    assert "alert-danger" in refused.data.decode() and "PO-0004" in refused.data.decode()
    assert _order(db, "PO-0004").state == "pending_approval"


def test_bad_order_keeps_the_input_and_explains(login_as, client, db):
    _login(login_as, client)
    response = _new_order(client, lines=(("P2001", "-3", ""), ("NOPE", "2", "1.5")))
    assert response.status_code == 422
    page = response.data.decode()
    assert 'value="NOPE"' in page and 'value="-3"' in page and 'value="1.5"' in page
    assert "alert-danger" in page and 'value="S002" selected' in page
    assert _order(db, "PO-0004") is None
    assert _new_order(client, supplier="S999").status_code == 422
    assert _new_order(client, lines=()).status_code == 422
    assert _order(db, "PO-0004") is None


def test_cancel_an_order(login_as, client, db):
    _login(login_as, client)
    order = _order(db, "PO-0001")
    page = client.get(f"/sandbox/purchasing/orders/{order.id}").data.decode()
    assert 'id="cancel-order"' in page
    client.post(f"/sandbox/purchasing/orders/{order.id}/cancel", data={})
    assert _order(db, "PO-0001").state == "cancelled"
    again = client.post(f"/sandbox/purchasing/orders/{order.id}/cancel", data={},
                        follow_redirects=True)
    assert "alert-danger" in again.data.decode()
    page = client.get(f"/sandbox/purchasing/orders/{order.id}").data.decode()
    assert 'id="cancel-order"' not in page and 'id="submit-order"' not in page


def test_requisition_then_order_from_it(login_as, client, db):
    _login(login_as, client)
    page = client.get("/sandbox/purchasing/requisitions").data.decode()
    assert 'id="requisition-form"' in page
    bad = client.post("/sandbox/purchasing/requisitions",
                      data={"sku": "P1001", "quantity": "-1", "reason": "补货"})
    assert bad.status_code == 422
    page = bad.data.decode()
    assert 'value="-1"' in page and "补货" in page and "alert-danger" in page
    assert _context(db).scalar(select(func.count()).select_from(PurchaseRequisition)) == 0
    created = client.post("/sandbox/purchasing/requisitions",
                          data={"sku": "p1001", "quantity": "50", "reason": "低于再订货点"})
    assert created.status_code == 303
    requisition = _context(db).by_code(PurchaseRequisition, "PR-0001", field="number")
    assert requisition.state == "open" and requisition.quantity == 50
    page = client.get("/sandbox/purchasing/requisitions?state=open").data.decode()
    assert 'id="order-PR-0001"' in page
    ordered = client.get("/sandbox/purchasing/requisitions?state=ordered").data.decode()
    assert "PR-0001" not in ordered

    form_url = f"/sandbox/purchasing/orders/new?requisition={requisition.id}"
    form = client.get(form_url).data.decode()
    assert 'value="P1001"' in form and 'value="50"' in form and "PR-0001" in form
    no_supplier = client.post(form_url, data={"requisition": str(requisition.id),
                                              "sku-0": "P1001", "quantity-0": "50"})
    assert no_supplier.status_code == 422 and "PR-0001" in no_supplier.data.decode()
    done = _new_order(client, lines=(("P1001", "50", ""),), requisition=str(requisition.id))
    assert done.status_code == 303
    order = _order(db, "PO-0004")
    assert order.requisition_id == requisition.id
    assert _context(db).get(PurchaseRequisition, requisition.id).state == "ordered"
    assert "PR-0001" in client.get(done.location).data.decode()
    # An ordered requisition cannot be ordered twice.
    twice = _new_order(client, lines=(("P1001", "50", ""),), requisition=str(requisition.id))
    assert twice.status_code == 422
    assert _order(db, "PO-0005") is None


def test_sales_clerk_sees_hints_not_forms(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    page = client.get("/sandbox/purchasing/requisitions").data.decode()
    assert 'id="requisition-form"' not in page and "何建华" in page
    order = _order(db, "PO-0001", "sales9")
    page = client.get(f"/sandbox/purchasing/orders/{order.id}").data.decode()
    assert 'id="submit-order"' not in page and "何建华" in page
    refused = client.post(f"/sandbox/purchasing/orders/{order.id}/submit", data={},
                          follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _order(db, "PO-0001", "sales9").state == "draft"


def test_other_sandbox_ids_and_unknown_actions_are_404(login_as, client, create_user, db):
    other = create_user("other1")
    other_box = sandbox.provision_sandbox(other.id)
    db.session.commit()
    other_ctx = sandbox.open_context(other_box)
    foreign_order = other_ctx.by_code(PurchaseOrder, "PO-0001", field="number")
    foreign_bill = other_ctx.by_code(SupplierBill, "BILL-2025-0051", field="number")
    foreign_order_id, foreign_bill_id = foreign_order.id, foreign_bill.id
    _login(login_as, client)
    assert client.get(f"/sandbox/purchasing/orders/{foreign_order_id}").status_code == 404
    assert client.post(f"/sandbox/purchasing/orders/{foreign_order_id}/submit",
                       data={}).status_code == 404
    assert client.get(f"/sandbox/purchasing/orders/{foreign_order_id}/edit").status_code == 404
    assert client.get(f"/sandbox/purchasing/bills/{foreign_bill_id}").status_code == 404
    assert client.post(f"/sandbox/purchasing/bills/{foreign_bill_id}",
                       data={"amount": "1"}).status_code == 404
    assert client.get("/sandbox/purchasing/orders/99999999999").status_code == 404
    assert client.get("/sandbox/purchasing/bills/99999999999").status_code == 404
    own = _order(db, "PO-0001")
    assert client.post(f"/sandbox/purchasing/orders/{own.id}/teleport",
                       data={}).status_code == 404
    assert client.get("/sandbox/purchasing/orders/new?requisition=99999999999").status_code == 404
    assert client.get("/sandbox/purchasing/orders/new?requisition=x").status_code == 404
    assert other_ctx.by_code(PurchaseOrder, "PO-0001", field="number").state == "draft"


def test_trainer_view_is_read_only(login_as, client, db):
    _login(login_as, client)
    client.post("/logout", data={})
    login_as("trainer9", roles=["trainer"])
    learner = db.session.scalar(select(User).where(User.username == "buyer9"))
    assert client.post(f"/sandbox/learners/{learner.id}/open", data={}).status_code == 303
    order = _order(db, "PO-0002")
    order_url = f"/sandbox/purchasing/orders/{order.id}"
    page = client.get(order_url).data.decode()
    assert 'id="read-only-badge"' in page
    for marker in ('id="receive-order"', 'id="cancel-order"', 'id="bill-order"'):
        assert marker not in page
    assert 'id="new-order"' not in client.get("/sandbox/purchasing/orders").data.decode()
    assert 'id="requisition-form"' not in client.get(
        "/sandbox/purchasing/requisitions").data.decode()
    refused = client.post(f"{order_url}/receive", data={}, follow_redirects=True)
    assert "只读" in refused.data.decode()
    bill = _context(db).by_code(SupplierBill, "BILL-2025-0051", field="number")
    page = client.get(f"/sandbox/purchasing/bills/{bill.id}").data.decode()
    assert 'id="pay-bill"' not in page
    client.post(f"/sandbox/purchasing/bills/{bill.id}", data={"amount": "1"})
    ctx = _context(db)
    assert ctx.by_code(PurchaseOrder, "PO-0002", field="number").state == "confirmed"
    assert ctx.scalar(select(func.count()).select_from(GoodsReceipt)) == 0
    assert ctx.scalar(select(func.count()).select_from(SupplierPayment)) == 0
