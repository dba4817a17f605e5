"""The sandbox web UI: own sandbox, personas, reset, trainer's read-only view."""

from sqlalchemy import func, select

import sandbox
from sandbox.models import Customer, SbActivity


def _own_context(db, username):
    from lms.accounts.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def test_first_visit_provisions_the_sandbox(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    page = client.get("/sandbox/")
    assert page.status_code == 200
    html = page.data.decode()
    assert "培训沙盒" in html and "林小燕" in html and "SO-0003" in html
    assert _own_context(db, "sales9").persona.code == "sales_clerk"


def test_master_data_pages(login_as, client):
    login_as("sales9", job_roles=["sales"])
    assert "上海锦程酒店用品有限公司" in client.get("/sandbox/customers?q=锦程").data.decode()
    assert "C0001" not in client.get("/sandbox/customers?q=锦程").data.decode()
    assert "宁波永固紧固件有限公司" in client.get("/sandbox/suppliers").data.decode()
    low = client.get("/sandbox/products?below=1").data.decode()
    assert 'badge text-bg-warning' in low
    assert client.get("/sandbox/products?category=成品").status_code == 200


def test_switch_persona_and_back(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    response = client.post("/sandbox/persona", data={"persona": "sales_manager"})
    assert response.status_code == 303
    assert "郑国强" in client.get("/sandbox/").data.decode()
    ctx = _own_context(db, "sales9")
    assert ctx.persona.code == "sales_manager"
    assert ctx.scalar(select(func.count()).select_from(SbActivity)
                      .where(SbActivity.action == "persona.switch")) == 1
    bad = client.post("/sandbox/persona", data={"persona": "nobody"}, follow_redirects=True)
    assert "nobody" in bad.data.decode()
    assert _own_context(db, "sales9").persona.code == "sales_manager"


def test_reset_from_the_ui(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    ctx = _own_context(db, "sales9")
    ctx.by_code(Customer, "C0001").name = "改名"
    db.session.commit()
    assert client.post("/sandbox/reset", data={}).status_code == 303
    assert _own_context(db, "sales9").by_code(Customer, "C0001").name == "上海瑞丰五金机电有限公司"


def test_trainer_opens_a_learner_sandbox_read_only(login_as, client, db):
    login_as("sales9", job_roles=["sales"])
    client.get("/sandbox/")
    client.post("/logout", data={})
    login_as("trainer9", roles=["trainer"])
    listing = client.get("/sandbox/learners").data.decode()
    assert "sales9" in listing
    from lms.accounts.models import User

    learner = db.session.scalar(select(User).where(User.username == "sales9"))
    assert client.post(f"/sandbox/learners/{learner.id}/open", data={}).status_code == 303
    home = client.get("/sandbox/").data.decode()
    assert 'id="read-only-badge"' in home and "reset-sandbox" not in home
    refused = client.post("/sandbox/persona", data={"persona": "sales_manager"},
                          follow_redirects=True)
    assert "只读".encode() in refused.data
    refused = client.post("/sandbox/reset", data={}, follow_redirects=True)
    assert "只读".encode() in refused.data
    assert _own_context(db, "sales9").persona.code == "sales_clerk"
    client.post("/sandbox/learners/close", data={})
    assert 'id="read-only-badge"' not in client.get("/sandbox/").data.decode()


def test_learners_cannot_look_at_other_sandboxes(login_as, client, create_user, db):
    other = create_user("other1")
    sandbox.provision_sandbox(other.id)
    db.session.commit()
    login_as("sales9")
    assert client.get("/sandbox/learners").status_code == 403
    assert client.post(f"/sandbox/learners/{other.id}/open", data={}).status_code == 403
    with client.session_transaction() as session:
        session["sandbox_viewing_owner"] = other.id
    assert client.get("/sandbox/").status_code == 403
