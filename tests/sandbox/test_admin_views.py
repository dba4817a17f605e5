"""The administration pages: users and roles, the permission matrix and report, parameters."""

import re

from sqlalchemy import select

import sandbox
from lms.accounts.models import User
from sandbox.models import SbParameter, SbRole, SbUser


def _context(db, username="it9"):
    db.session.expire_all()  # the pages changed rows this session may hold
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def _user(db, code, username="it9"):
    return _context(db, username).by_code(SbUser, code)


def _role(db, code, username="it9"):
    return _context(db, username).by_code(SbRole, code)


def _parameter(db, key, username="it9"):
    return _context(db, username).scalar(select(SbParameter.value).where(SbParameter.key == key))


def _switch(client, persona):
    assert client.post("/sandbox/persona", data={"persona": persona}).status_code == 303


def _login(login_as, client, username="it9", job_role="it_support"):
    login_as(username, job_roles=[job_role])
    client.get("/sandbox/")


def _matrix(db) -> dict:
    """The form data that keeps every role's permissions as they are."""
    data = {}
    for role in _context(db).scalars(select(SbRole)):
        data[f"role-{role.code}"] = sorted(role.permissions)
    return data


def test_users_page_changes_role_and_active_flag(login_as, client, db):
    _login(login_as, client)
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'data-user="sales_clerk"' in page and 'id="change-role-sales_clerk"' in page
    assert 'id="toggle-it_admin"' not in page  # no deactivating oneself from the page
    assert 'id="permission-report"' in page and 'id="save-permissions"' in page
    clerk = _user(db, "sales_clerk")
    client.post(f"/sandbox/admin/users/{clerk.id}/role", data={"role": "sales_manager"})
    assert _user(db, "sales_clerk").role.code == "sales_manager"
    page = client.get("/sandbox/admin/users").data.decode()
    assert re.search(r'data-user="sales_clerk"[^>]*data-role="sales_manager"', page)
    refused = client.post(f"/sandbox/admin/users/{clerk.id}/role", data={"role": "nobody"},
                          follow_redirects=True)
    assert "alert-danger" in refused.data.decode() and "nobody" in refused.data.decode()
    assert _user(db, "sales_clerk").role.code == "sales_manager"

    client.post(f"/sandbox/admin/users/{clerk.id}/active", data={"active": "0"})
    assert _user(db, "sales_clerk").active is False
    page = client.get("/sandbox/admin/users").data.decode()
    assert re.search(r'data-user="sales_clerk" data-active="no"', page)
    client.post(f"/sandbox/admin/users/{clerk.id}/active", data={"active": "1"})
    assert _user(db, "sales_clerk").active is True

    # The administrator cannot lock themselves out.
    me = _user(db, "it_admin")
    refused = client.post(f"/sandbox/admin/users/{me.id}/active", data={"active": "0"},
                          follow_redirects=True)
    assert "alert-danger" in refused.data.decode()
    refused = client.post(f"/sandbox/admin/users/{me.id}/role", data={"role": "buyer"},
                          follow_redirects=True)
    assert "alert-danger" in refused.data.decode()
    me = _user(db, "it_admin")
    assert me.active and me.role.code == "it_admin"


def test_role_matrix_saves_and_refusals_keep_the_ticks(login_as, client, db):
    _login(login_as, client)
    data = _matrix(db)
    data["role-sales_clerk"] = [p for p in data["role-sales_clerk"] if p != "sales.invoice"]
    data["role-sales_clerk"].append("finance.post")
    assert client.post("/sandbox/admin/roles", data=data).status_code == 303
    permissions = _role(db, "sales_clerk").permissions
    assert "finance.post" in permissions and "sales.invoice" not in permissions
    page = client.get("/sandbox/admin/users").data.decode()
    assert re.search(r'id="grant-sales_clerk-finance.post"[^>]*checked', page)
    assert re.search(r'data-user="sales_clerk" data-permissions="[^"]*finance.post', page)

    # Taking user administration away from one's own role is refused, nothing saved,
    # and the page keeps what was ticked.
    data = _matrix(db)
    data["role-it_admin"] = ["admin.parameters"]
    data["role-buyer"] = data["role-buyer"] + ["finance.post"]
    refused = client.post("/sandbox/admin/roles", data=data)
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "alert-danger" in page
    assert not re.search(r'id="grant-it_admin-admin.users"[^>]*checked', page)
    assert re.search(r'id="grant-buyer-finance.post"[^>]*checked', page)
    assert "admin.users" in _role(db, "it_admin").permissions
    assert "finance.post" not in _role(db, "buyer").permissions


def test_parameters_page(login_as, client, db):
    _login(login_as, client)
    page = client.get("/sandbox/admin/parameters").data.decode()
    assert 'data-key="purchase_approval_threshold" data-value="50000.00"' in page
    assert 'id="save-vat_rate"' in page
    client.post("/sandbox/admin/parameters/purchase_approval_threshold",
                data={"value": "80,000"})
    assert _parameter(db, "purchase_approval_threshold") == "80000.00"
    client.post("/sandbox/admin/parameters/credit_check", data={"value": "off"})
    assert _parameter(db, "credit_check") == "off"
    bad = client.post("/sandbox/admin/parameters/purchase_approval_threshold",
                      data={"value": "-5"})
    assert bad.status_code == 422
    assert 'value="-5"' in bad.data.decode() and "alert-danger" in bad.data.decode()
    assert _parameter(db, "purchase_approval_threshold") == "80000.00"
    assert client.post("/sandbox/admin/parameters/vat_rate",
                       data={"value": "17"}).status_code == 422
    assert _parameter(db, "vat_rate") == "13"
    assert client.post("/sandbox/admin/parameters/teleport",
                       data={"value": "1"}).status_code == 404


def test_others_see_the_pages_with_a_hint_and_cannot_change(login_as, client, db):
    _login(login_as, client, "sales9", "sales")
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'id="admin-hint"' in page and "钱明" in page
    assert 'id="save-permissions"' not in page and 'id="change-role-buyer"' not in page
    assert 'id="permission-report"' in page  # the clerk has reports.view
    page = client.get("/sandbox/admin/parameters").data.decode()
    assert 'id="admin-hint"' in page and 'id="save-vat_rate"' not in page
    refused = client.post("/sandbox/admin/parameters/vat_rate", data={"value": "9"})
    assert refused.status_code == 422 and "无权" in refused.data.decode()
    assert _parameter(db, "vat_rate", "sales9") == "13"
    buyer = _user(db, "buyer", "sales9")
    refused = client.post(f"/sandbox/admin/users/{buyer.id}/active", data={"active": "0"},
                          follow_redirects=True)
    assert "无权" in refused.data.decode()
    assert _user(db, "buyer", "sales9").active is True
    data = _matrix_for(db, "sales9")
    assert client.post("/sandbox/admin/roles", data=data).status_code == 422
    data["role-sales_clerk"].append("admin.users")
    assert client.post("/sandbox/admin/roles", data=data).status_code == 422
    assert "admin.users" not in _role(db, "sales_clerk", "sales9").permissions


def _matrix_for(db, username):
    return {f"role-{role.code}": sorted(role.permissions)
            for role in _context(db, username).scalars(select(SbRole))}


def test_permission_report_needs_the_reports_permission(login_as, client, db):
    _login(login_as, client)
    data = _matrix(db)
    data["role-it_admin"] = [p for p in data["role-it_admin"] if p != "reports.view"]
    client.post("/sandbox/admin/roles", data=data)
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'id="permission-report"' not in page and 'id="reports-not-allowed"' in page
    assert 'id="role-matrix"' in page


def test_other_sandbox_ids_are_404(login_as, client, create_user, db):
    other = create_user("other1")
    other_box = sandbox.provision_sandbox(other.id)
    db.session.commit()
    foreign = sandbox.open_context(other_box).by_code(SbUser, "sales_clerk").id
    _login(login_as, client)
    assert client.post(f"/sandbox/admin/users/{foreign}/active",
                       data={"active": "0"}).status_code == 404
    assert client.post(f"/sandbox/admin/users/{foreign}/role",
                       data={"role": "buyer"}).status_code == 404
    assert client.post("/sandbox/admin/users/99999999999/role",
                       data={"role": "buyer"}).status_code == 404
    assert sandbox.open_context(other_box).by_code(SbUser, "sales_clerk").active is True


def test_trainer_view_is_read_only_but_sees_the_report(login_as, client, db):
    _login(login_as, client)
    client.post("/logout", data={})
    login_as("trainer9", roles=["trainer"])
    learner = db.session.scalar(select(User).where(User.username == "it9"))
    assert client.post(f"/sandbox/learners/{learner.id}/open", data={}).status_code == 303
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'id="read-only-badge"' in page and 'id="permission-report"' in page
    assert 'id="save-permissions"' not in page and 'id="admin-hint"' not in page
    assert 'id="save-vat_rate"' not in client.get("/sandbox/admin/parameters").data.decode()
    refused = client.post("/sandbox/admin/parameters/vat_rate", data={"value": "9"})
    assert refused.status_code == 422 and "只读" in refused.data.decode()
    clerk = _user(db, "sales_clerk")
    client.post(f"/sandbox/admin/users/{clerk.id}/active", data={"active": "0"})
    assert _parameter(db, "vat_rate") == "13" and _user(db, "sales_clerk").active is True
