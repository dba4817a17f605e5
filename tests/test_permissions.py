"""Every view declares its permission; each role meets 403 (never a 500) where it may not go."""

import pytest

from lms.accounts.permissions import DEFAULT_GRANTS, PERMISSIONS, PUBLIC

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
            assert declared == PUBLIC or declared in PERMISSIONS, (rule.endpoint, declared)
    assert not missing, f"views without a declared permission: {sorted(missing)}"


def test_public_endpoints_are_few_and_known(app):
    public = {
        rule.endpoint for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_permission", None) == PUBLIC
    }
    assert public == {"auth.login", "auth.set_password", "core.healthz", "core.set_locale"}


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


def test_learner_cannot_post_to_admin_actions(login_as, client, create_user, db):
    target = create_user("victim1")
    login_as("learner1")
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
