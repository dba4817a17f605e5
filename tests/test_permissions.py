"""Every view declares its permission; each role meets 403 (never a 500) where it may not go."""

import pytest

from lms.accounts.permissions import DEFAULT_GRANTS, PERMISSIONS, PUBLIC, SIGNED_IN

# Endpoints that may exist without a declared permission, by name.
UNDECLARED_ALLOWED = {"static"}


def test_every_endpoint_declares_a_permission(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_ALLOWED:
            continue
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "required_permission", None)
        if declared is None:
            missing.append(rule.endpoint)
        else:
            assert declared in (PUBLIC, SIGNED_IN) or declared in PERMISSIONS, (rule.endpoint,
                                                                                declared)
    assert not missing, f"views without a declared permission: {sorted(missing)}"


def test_public_endpoints_are_few_and_known(app):
    public = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_permission", None) == PUBLIC
    }
    # The manual reader is public by route; each manual's own access setting (public,
    # signed in, job roles) is then enforced per request (tests/publishing/test_reader.py).
    manual_reader = {f"publishing.{name}" for name in (
        "index", "manual", "latest", "chapter", "switch", "heading", "asset", "pdf", "search",
        "versions", "changes")}
    assert public == {"auth.login", "auth.set_password", "core.healthz", "core.set_locale",
                      *manual_reader}


def test_signed_in_only_endpoints_are_few_and_known(app):
    signed_in = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_permission", None) == SIGNED_IN
    }
    assert signed_in == {"auth.logout"}


def test_default_grants_use_known_permissions():
    for grants in DEFAULT_GRANTS.values():
        assert set(grants) <= set(PERMISSIONS)


# One representative GET endpoint per blueprint, and who may open it.
MATRIX = [
    ("/", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/profile", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/admin/users", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/users/new", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/import", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/roles", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/job-roles", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/audit", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/admin/audit.csv", {"learner": 403, "trainer": 403, "admin": 200}),
    ("/healthz", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/sandbox/", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/sandbox/learners", {"learner": 403, "trainer": 200, "admin": 200}),
    ("/courses/", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/manage/courses/", {"learner": 403, "trainer": 200, "admin": 200}),
    ("/manage/question-banks/", {"learner": 403, "trainer": 200, "admin": 200}),
    ("/manage/quizzes/", {"learner": 403, "trainer": 200, "admin": 200}),
    ("/manuals/", {"learner": 200, "trainer": 200, "admin": 200}),
    ("/manuals/manage/", {"learner": 403, "trainer": 200, "admin": 200}),
]


@pytest.mark.parametrize("role", ["learner", "trainer", "admin"])
def test_role_matrix(role, login_as, client):
    login_as(f"matrix-{role}", roles=[role])
    for path, expected in MATRIX:
        response = client.get(path)
        assert response.status_code == expected[role], (role, path, response.status_code)


def test_matrix_covers_every_blueprint(app):
    blueprints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
                  if "." in rule.endpoint}
    covered = set()
    for path, _expected in MATRIX:
        endpoint, _args = app.url_map.bind("localhost").match(path)
        covered.add(endpoint.split(".")[0])
    assert blueprints <= covered


def test_learner_gets_403_page_in_chinese_and_json_403(login_as, client):
    login_as("learner1")
    page = client.get("/admin/users")
    assert page.status_code == 403
    assert "无权访问".encode() in page.data
    api = client.get("/admin/users", headers={"Accept": "application/json"})
    assert api.status_code == 403
    assert api.json["error"]


@pytest.mark.parametrize("role", ["learner", "trainer"])
def test_non_admins_cannot_post_to_admin_actions(role, login_as, client, create_user, db):
    target = create_user("victim1")
    login_as(f"{role}1", roles=[role])
    for path in (f"/admin/users/{target.id}/active", f"/admin/users/{target.id}/reset-password",
                 "/admin/roles", "/admin/job-roles", "/admin/import"):
        response = client.post(path, data={"active": "0"})
        assert response.status_code == 403, path
    db.session.refresh(target)
    assert target.active and target.password_hash


def test_navigation_shows_only_what_the_user_may_use(login_as, client):
    login_as("learner1")
    page = client.get("/").data.decode()
    assert "/admin/users" not in page
    client.post("/logout", data={})
    login_as("admin1", roles=["admin"])
    page = client.get("/").data.decode()
    assert "/admin/users" in page and "/admin/audit" in page


def test_permission_granted_by_role_change_takes_effect(login_as, client, db):
    from sqlalchemy import select

    from lms.accounts.models import Role
    from lms.accounts.services import set_role_permissions

    login_as("trainer1", roles=["trainer"])
    assert client.get("/admin/audit").status_code == 403
    trainer = db.session.scalar(select(Role).where(Role.name == "trainer"))
    set_role_permissions(trainer, sorted(trainer.permissions | {"view_audit_log"}))
    db.session.commit()
    assert client.get("/admin/audit").status_code == 200


def _grant(db, role_name, *permissions):
    from sqlalchemy import select

    from lms.accounts.models import Role
    from lms.accounts.services import set_role_permissions

    role = db.session.scalar(select(Role).where(Role.name == role_name))
    set_role_permissions(role, sorted(role.permissions | set(permissions)))
    db.session.commit()


def _revoke(db, role_name, *permissions):
    from sqlalchemy import select

    from lms.accounts.models import Role
    from lms.accounts.services import set_role_permissions

    role = db.session.scalar(select(Role).where(Role.name == role_name))
    set_role_permissions(role, sorted(role.permissions - set(permissions)))
    db.session.commit()


def test_manage_users_alone_cannot_assign_portal_roles(login_as, client, create_user, db):
    from sqlalchemy import select

    from lms.accounts.models import User

    _grant(db, "trainer", "manage_users")
    login_as("helpdesk1", roles=["trainer"])
    me = db.session.scalar(select(User).where(User.username == "helpdesk1"))
    form = client.get(f"/admin/users/{me.id}").data.decode()
    assert 'name="roles"' not in form
    client.post(f"/admin/users/{me.id}", data={
        "username": "helpdesk1", "display_name": "服务台", "email": "helpdesk1@example.com",
        "roles": ["trainer", "admin"], "locale": "", "timezone": ""})
    other = create_user("plain1")
    client.post("/admin/users/new", data={
        "username": "sneaky1", "display_name": "新人", "email": "sneaky1@example.com",
        "roles": ["admin"], "locale": "", "timezone": ""})
    client.post(f"/admin/users/{other.id}", data={
        "username": "plain1", "display_name": "普通", "email": "plain1@example.com",
        "roles": ["admin"], "locale": "", "timezone": ""})
    db.session.expire_all()
    assert {r.name for r in db.session.get(User, me.id).roles} == {"trainer"}
    assert {r.name for r in db.session.get(User, other.id).roles} == {"learner"}
    sneaky = db.session.scalar(select(User).where(User.username == "sneaky1"))
    assert sneaky is not None and {r.name for r in sneaky.roles} == {"learner"}
    assert client.get("/admin/roles").status_code == 403


def test_sign_out_needs_no_permission(login_as, client, db):
    _revoke(db, "learner", "view_dashboard")
    response = login_as("sales9")
    landing = client.get("/login")
    assert landing.status_code == 302 and landing.location == "/profile"
    assert client.post("/logout", data={}).status_code == 302
    assert client.get("/profile").status_code == 302
    assert response is client
