"""Admin pages: users (list, search, create, edit, deactivate, reset), roles, job roles."""

import re

from sqlalchemy import select

from lms.accounts.audit import AuditEntry
from lms.accounts.models import JobRole, Role, User


def _audit_actions(db, username):
    return [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.target == username).order_by(AuditEntry.id))]


def test_user_list_searches_and_paginates(login_as, client, create_user):
    login_as("admin1", roles=["admin"])
    for number in range(30):
        create_user(f"emp{number:02d}", job_roles=["warehouse"] if number % 2 else ["sales"])
    page_one = client.get("/admin/users").data.decode()
    assert "emp00" in page_one and "emp29" not in page_one
    assert 'class="pagination' in page_one
    page_two = client.get("/admin/users?page=2").data.decode()
    assert "emp29" in page_two
    found = client.get("/admin/users?q=emp07").data.decode()
    assert "emp07" in found and "emp08" not in found
    warehouse = client.get("/admin/users?job_role=warehouse").data.decode()
    assert "emp01" in warehouse and "emp02" not in warehouse
    nothing = client.get("/admin/users?q=no-such-person")
    assert nothing.status_code == 200 and "没有符合".encode() in nothing.data


def test_out_of_range_page_is_not_an_error(login_as, client):
    login_as("admin1", roles=["admin"])
    assert client.get("/admin/users?page=999").status_code == 200
    assert client.get("/admin/users?page=abc").status_code == 200


def test_create_user_shows_a_one_time_link(login_as, client, db):
    login_as("admin1", roles=["admin"])
    response = client.post("/admin/users/new", data={
        "username": "sales7", "display_name": "孙丽", "email": "sales7@example.com",
        "department": "销售部", "manager": "", "locale": "", "timezone": "",
        "job_roles": ["sales"], "roles": ["learner"]})
    assert response.status_code == 200
    link = re.search(r'value="(http://localhost/set-password/[^"]+)"', response.data.decode())
    assert link
    user = db.session.scalar(select(User).where(User.username == "sales7"))
    assert user.password_hash is None and [j.code for j in user.job_roles] == ["sales"]
    assert "user.create" in _audit_actions(db, "sales7")
    client.post("/logout", data={})
    path = link.group(1).removeprefix("http://localhost")
    assert client.post(path, data={"password": "sunli-2026", "confirm": "sunli-2026"}
                       ).status_code == 302


def test_create_user_rejects_duplicates_and_keeps_input(login_as, client, create_user, db):
    create_user("taken1", email="taken@example.com")
    login_as("admin1", roles=["admin"])
    response = client.post("/admin/users/new", data={
        "username": "taken1", "display_name": "重复的人", "email": "TAKEN@example.com",
        "department": "采购部", "roles": ["learner"], "locale": "", "timezone": ""})
    assert response.status_code == 400
    body = response.data.decode()
    assert "该用户名已被占用。" in body and "该邮箱已被其他用户使用。" in body
    assert 'value="重复的人"' in body and 'value="采购部"' in body
    assert db.session.scalar(select(User).where(User.display_name == "重复的人")) is None


def test_create_user_validates_fields(login_as, client):
    login_as("admin1", roles=["admin"])
    response = client.post("/admin/users/new", data={
        "username": "bad name!", "display_name": "", "email": "not-an-email",
        "roles": [], "locale": "xx", "timezone": "Nowhere/Zone", "manager": "nobody"})
    assert response.status_code == 400
    assert response.data.count(b"invalid-feedback") >= 4


def test_edit_user_audits_roles_and_job_roles(login_as, client, create_user, db):
    target = create_user("stock7", job_roles=["warehouse"])
    login_as("admin1", roles=["admin"])
    response = client.post(f"/admin/users/{target.id}", data={
        "username": "stock7", "display_name": "张伟", "email": "stock7@example.com",
        "department": "仓储物流部", "manager": "admin1", "locale": "zh_CN",
        "timezone": "Asia/Shanghai", "job_roles": ["warehouse", "purchasing"],
        "roles": ["learner", "trainer"]})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert {j.code for j in user.job_roles} == {"warehouse", "purchasing"}
    assert {r.name for r in user.roles} == {"learner", "trainer"}
    assert user.manager.username == "admin1"
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.target == "stock7").order_by(AuditEntry.id)).all()
    roles_entry = next(e for e in entries if e.action == "user.roles")
    assert roles_entry.before == ["learner"] and roles_entry.after == ["learner", "trainer"]
    assert roles_entry.actor_name == "admin1" and roles_entry.ip == "127.0.0.1"
    jobs_entry = next(e for e in entries if e.action == "user.job_roles")
    assert jobs_entry.before == ["warehouse"] and jobs_entry.after == ["purchasing", "warehouse"]


def test_username_cannot_be_changed_through_the_form(login_as, client, create_user, db):
    target = create_user("stock7")
    login_as("admin1", roles=["admin"])
    client.post(f"/admin/users/{target.id}", data={
        "username": "renamed", "display_name": "张伟", "email": "stock7@example.com",
        "roles": ["learner"], "locale": "", "timezone": ""})
    db.session.expire_all()
    assert db.session.get(User, target.id).username == "stock7"


def test_deactivate_and_reactivate(login_as, client, create_user, db):
    target = create_user("leaver1")
    login_as("admin1", roles=["admin"])
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, target.id).active
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).active
    assert _audit_actions(db, "leaver1")[-2:] == ["user.deactivate", "user.activate"]


def test_admin_cannot_lock_themselves_out(login_as, client, db):
    login_as("admin1", roles=["admin"])
    me = db.session.scalar(select(User).where(User.username == "admin1"))
    client.post(f"/admin/users/{me.id}/active", data={"active": "0"})
    response = client.post(f"/admin/users/{me.id}", data={
        "username": "admin1", "display_name": "管理员", "email": "admin1@example.com",
        "roles": ["learner"], "locale": "", "timezone": ""})
    assert response.status_code == 400
    db.session.expire_all()
    me = db.session.get(User, me.id)
    assert me.active and me.has_role("admin")


def test_reset_password_gives_link_and_ends_sessions(login_as, client, create_user, db, app):
    target = create_user("forgetful1")
    other = app.test_client()
    from tests.conftest import PASSWORD, CsrfClient

    other.__class__ = CsrfClient
    other.post("/login", data={"username": "forgetful1", "password": PASSWORD})
    assert other.get("/").status_code == 200

    login_as("admin1", roles=["admin"])
    response = client.post(f"/admin/users/{target.id}/reset-password", data={})
    assert response.status_code == 200 and b"/set-password/" in response.data
    assert other.get("/").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, target.id).password_hash is None
    assert "user.password_reset" in _audit_actions(db, "forgetful1")


def test_missing_user_is_404(login_as, client):
    login_as("admin1", roles=["admin"])
    assert client.get("/admin/users/99999").status_code == 404


def test_role_permissions_page_changes_and_audits(login_as, client, db):
    login_as("admin1", roles=["admin"])
    trainer = db.session.scalar(select(Role).where(Role.name == "trainer"))
    learner = db.session.scalar(select(Role).where(Role.name == "learner"))
    admin = db.session.scalar(select(Role).where(Role.name == "admin"))
    data = {
        f"role-{trainer.id}": ["view_dashboard", "edit_own_profile", "view_audit_log"],
        f"role-{learner.id}": ["view_dashboard", "edit_own_profile"],
        f"role-{admin.id}": ["view_dashboard", "manage_users"],
        "ignored": "x",
    }
    assert client.post("/admin/roles", data=data).status_code == 302
    db.session.expire_all()
    assert "view_audit_log" in db.session.get(Role, trainer.id).permissions
    # The admin role always keeps manage_roles, so nobody is locked out of this page.
    assert "manage_roles" in db.session.get(Role, admin.id).permissions
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == "role:trainer"))
    assert entry.action == "role.permissions" and "view_audit_log" in entry.after


def test_job_roles_can_be_added(login_as, client, db):
    login_as("admin1", roles=["admin"])
    response = client.post("/admin/job-roles", data={
        "code": "quality", "name_zh": "质量管理", "name_en": "Quality"})
    assert response.status_code == 302
    assert db.session.scalar(select(JobRole).where(JobRole.code == "quality")).name_zh == "质量管理"
    again = client.post("/admin/job-roles", data={
        "code": "quality", "name_zh": "质量", "name_en": "Q"})
    assert again.status_code == 400
    bad = client.post("/admin/job-roles", data={"code": "Bad Code", "name_zh": "", "name_en": ""})
    assert bad.status_code == 400


def test_users_list_command(runner, create_user, db):
    create_user("stock7", job_roles=["warehouse"])
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    line = next(row for row in result.output.splitlines() if row.startswith("stock7"))
    assert "learner" in line and "warehouse" in line
