"""Creating roles and users in a sandbox: the services, the form on the users page, and the
check language verifying a least-privilege role."""

import re

import pytest
from sqlalchemy import select

import sandbox
from lms.accounts.models import User
from lms.database import utcnow
from lms.extensions import db
from sandbox.models import SbActivity, SbRole, SbUser
from sandbox.services.admin import create_role, create_user, permission_report
from sandbox.services.common import SandboxPermissionError, SandboxRuleError

ASSISTANT = ["sales.quote", "expense.submit"]

LEAST_PRIVILEGE_YAML = """
- description: "A sales assistant role that may quote but not manage users"
  document: role
  where:
    code: sales_assistant
    grants: {permission: sales.quote}
    no_grants: {permission: admin.users}
- document: user
  where: {code: xiaoli, role: sales_assistant, active: true}
- activity: admin.role_create
  by_persona: it_admin
  expect: {count: {gte: 1}}
"""


@pytest.fixture
def box(make_sandbox):
    return make_sandbox("admin2", job_roles=("it_support",), persona="it_admin")[0]


def act(box, persona="it_admin"):
    return sandbox.open_context(box, persona)


def refused(call, *args, error=SandboxRuleError, match=None):
    """The call is refused and nothing is kept (the caller rolls back, as a view does)."""
    db.session.commit()
    with pytest.raises(error, match=match):
        call(*args)
    db.session.rollback()


def last_activity(ctx):
    return ctx.scalar(select(SbActivity).order_by(SbActivity.id.desc()).limit(1))


# Services ----------------------------------------------------------------------------------

@pytest.mark.usefixtures("english_messages")
def test_create_role_and_user_are_logged_and_reported(box):
    ctx = act(box)
    role = create_role(ctx, "sales_assistant", " 销售助理 ", [" sales.quote", "expense.submit", ""])
    assert role.code == "sales_assistant" and role.name == "销售助理"
    assert role.permissions == set(ASSISTANT)
    entry = last_activity(ctx)
    assert entry.action == "admin.role_create" and entry.persona == "it_admin"
    assert entry.document_id == role.id
    assert entry.details == {"role": "sales_assistant", "name": "销售助理",
                             "permissions": sorted(ASSISTANT)}

    user = create_user(ctx, "xiaoli", "李小丽", "销售部 销售助理", "sales_assistant")
    db.session.commit()
    assert user.active and user.role.code == "sales_assistant" and user.job_role == ""
    entry = last_activity(ctx)
    assert entry.action == "admin.user_create" and entry.document_id == user.id
    assert entry.details == {"user": "xiaoli", "name": "李小丽", "role": "sales_assistant"}

    rows = {row.user.code: row for row in permission_report(act(box))}
    assert rows["xiaoli"].role.code == "sales_assistant"
    assert rows["xiaoli"].permissions == sorted(ASSISTANT)

    # The new user can be played, and may do only what the role grants.
    assistant = act(box, "xiaoli")
    assert assistant.persona.can("sales.quote") and not assistant.persona.can("sales.invoice")
    refused(create_role, assistant, "other", "Other", [], error=SandboxPermissionError)


def test_a_user_in_a_seeded_role_takes_its_job_role(box):
    user = create_user(act(box), "clerk2", "王二", "", "sales_clerk")
    assert user.job_role == "sales" and user.title == ""


def test_a_role_without_permissions_is_allowed(box):
    assert create_role(act(box), "visitor", "访客", []).permissions == set()


@pytest.mark.usefixtures("english_messages")
@pytest.mark.parametrize("code", ["", "Sales", "1abc", "sales-assistant", "sales assistant",
                                  "_x", "a" * 41, "销售"])
def test_bad_codes_are_refused(box, code):
    refused(create_role, act(box), code, "Name", [], match="lower-case letter")
    refused(create_user, act(box), code, "Name", "", "sales_clerk", match="lower-case letter")
    assert create_role(act(box), "a" * 40, "Longest", []).code == "a" * 40


@pytest.mark.usefixtures("english_messages")
def test_other_refusals(box):
    ctx = act(box)
    refused(create_role, ctx, "sales_clerk", "Again", [], match="already taken")
    refused(create_user, ctx, "buyer", "Again", "", "buyer", match="already taken")
    refused(create_role, ctx, "assistant", "  ", [], match="needs a name")
    refused(create_user, ctx, "someone", "", "", "buyer", match="needs a name")
    refused(create_role, ctx, "assistant", "x" * 81, [], match="at most 80")
    refused(create_user, ctx, "someone", "Name", "t" * 81, "buyer", match="at most 80")
    refused(create_role, ctx, "assistant", "Assistant", ["sales.quote", "teleport"],
            match="Unknown permission: teleport")
    refused(create_user, ctx, "someone", "Name", "", "nobody", match="no role nobody")
    # A persona without admin.users, and a trainer's read-only look.
    refused(create_role, act(box, "sales_manager"), "assistant", "A", [],
            error=SandboxPermissionError)
    refused(create_user, act(box, "general_manager"), "someone", "N", "", "buyer",
            error=SandboxPermissionError)
    refused(create_role, sandbox.open_context(box, "it_admin", read_only=True), "assistant",
            "A", [])
    ctx = act(box)
    assert ctx.by_code(SbRole, "assistant") is None and ctx.by_code(SbUser, "someone") is None
    assert ctx.scalar(select(SbActivity).where(SbActivity.action.like("admin.%"))) is None


# The check language ------------------------------------------------------------------------

def test_checks_verify_a_least_privilege_role(box):
    checks = sandbox.parse_checks_yaml(LEAST_PRIVILEGE_YAML)
    sandbox.ensure_valid_checks(checks)
    start = utcnow()
    before = sandbox.evaluate_checks(act(box), checks, started_at=start)
    assert [result.passed for result in before] == [False, False, False]

    ctx = act(box)
    create_role(ctx, "sales_assistant", "销售助理", ASSISTANT)
    create_user(ctx, "xiaoli", "李小丽", "销售助理", "sales_assistant")
    db.session.commit()
    after = sandbox.evaluate_checks(act(box), checks, started_at=start)
    assert all(result.passed for result in after), [r.message for r in after]

    # Too much privilege fails the role check.
    ctx = act(box)
    create_role(ctx, "sales_assistant_2", "销售助理", [*ASSISTANT, "admin.users"])
    too_much = sandbox.parse_checks_yaml(
        LEAST_PRIVILEGE_YAML.replace("code: sales_assistant\n", "code: sales_assistant_2\n"))
    assert sandbox.evaluate_checks(act(box), too_much[:1], started_at=start)[0].passed is False


# The page ----------------------------------------------------------------------------------

def _context(username="it8"):
    db.session.expire_all()  # the pages changed rows this session may hold
    user = db.session.scalar(select(User).where(User.username == username))
    return sandbox.open_context(sandbox.sandbox_of(user.id))


def _login(login_as, client, username="it8", job_role="it_support"):
    login_as(username, job_roles=[job_role])
    client.get("/sandbox/")


def test_the_page_creates_a_role_and_a_user(login_as, client):
    _login(login_as, client)
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'id="new-role-form"' in page and 'id="new-user-form"' in page
    response = client.post("/sandbox/admin/roles/new", data={
        "code": "sales_assistant", "name": "销售助理", "permission": ASSISTANT})
    assert response.status_code == 303
    role = _context().by_code(SbRole, "sales_assistant")
    assert role.name == "销售助理" and role.permissions == set(ASSISTANT)

    page = client.get("/sandbox/admin/users").data.decode()
    assert "alert-success" in page and "销售助理" in page
    assert re.search(r'id="grant-sales_assistant-sales.quote"[^>]*checked', page)
    assert re.search(r'<select[^>]*id="new-user-role".*?value="sales_assistant"', page, re.S)

    response = client.post("/sandbox/admin/users/new", data={
        "code": "xiaoli", "name": "李小丽", "title": "销售部 销售助理", "role": "sales_assistant"})
    assert response.status_code == 303
    user = _context().by_code(SbUser, "xiaoli")
    assert user.role.code == "sales_assistant" and user.title == "销售部 销售助理"
    page = client.get("/sandbox/admin/users").data.decode()
    assert re.search(r'data-user="xiaoli" data-active="yes" data-role="sales_assistant"', page)
    assert re.search(r'data-user="xiaoli" data-permissions="expense.submit sales.quote"', page)
    # The learner can now act as the new user.
    assert client.post("/sandbox/persona", data={"persona": "xiaoli"}).status_code == 303
    assert _context().persona.code == "xiaoli"


def test_refusals_keep_what_was_typed(login_as, client):
    _login(login_as, client)
    refused = client.post("/sandbox/admin/roles/new", data={
        "code": "Sales Assistant", "name": "销售<助理>", "permission": ["sales.quote"]})
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "alert-danger" in page
    assert 'value="Sales Assistant"' in page and 'value="销售&lt;助理&gt;"' in page
    assert re.search(r'id="new-role-sales.quote"[^>]*checked', page)
    assert not re.search(r'id="new-role-admin.users"[^>]*checked', page)

    refused = client.post("/sandbox/admin/roles/new", data={
        "code": "assistant", "name": "助理", "permission": ["sales.quote", "teleport"]})
    assert refused.status_code == 422 and "teleport" in refused.data.decode()

    refused = client.post("/sandbox/admin/users/new", data={
        "code": "buyer", "name": "何建华二", "title": "采购员", "role": "buyer"})
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "alert-danger" in page and 'value="何建华二"' in page and 'value="采购员"' in page
    assert re.search(r'id="new-user-role".*?value="buyer" selected', page, re.S)

    ctx = _context()
    assert ctx.by_code(SbRole, "assistant") is None
    assert ctx.scalar(select(SbUser).where(SbUser.name == "何建华二")) is None


def test_the_forms_need_csrf(login_as, client):
    _login(login_as, client)
    data = {"code": "assistant", "name": "助理", "permission": ["sales.quote"]}
    assert client.post("/sandbox/admin/roles/new", data=data, csrf=False).status_code == 400
    assert client.post("/sandbox/admin/users/new", data={**data, "role": "buyer"},
                       csrf=False).status_code == 400
    assert _context().by_code(SbRole, "assistant") is None


def test_a_persona_without_admin_users_has_no_form_and_is_refused(login_as, client):
    data = {"code": "assistant", "name": "助理", "permission": ["sales.quote"]}
    _login(login_as, client, "sales8", "sales")
    page = client.get("/sandbox/admin/users").data.decode()
    assert 'id="new-role-form"' not in page and 'id="new-user-form"' not in page
    refused = client.post("/sandbox/admin/roles/new", data=data)
    assert refused.status_code == 422 and "无权" in refused.data.decode()
    refused = client.post("/sandbox/admin/users/new", data={
        "code": "someone", "name": "某人", "title": "", "role": "sales_clerk"})
    assert refused.status_code == 422 and "无权" in refused.data.decode()
    ctx = _context("sales8")
    assert ctx.by_code(SbRole, "assistant") is None and ctx.by_code(SbUser, "someone") is None
