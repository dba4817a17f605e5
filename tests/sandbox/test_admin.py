"""Administration: roles and permissions, users, the permission report, parameters."""

from decimal import Decimal

import pytest
from sqlalchemy import select

import sandbox
from lms.extensions import db
from sandbox.models import SbActivity, SbParameter, SbRole, SbUser
from sandbox.permissions import ROLE_GRANTS
from sandbox.services.admin import (
    permission_report,
    set_parameter,
    set_role_permissions,
    set_user_active,
    set_user_role,
)
from sandbox.services.common import SandboxPermissionError, SandboxRuleError, require
from sandbox.services.finance import post_journal
from sandbox.services.purchasing import create_purchase_order, submit_purchase_order


@pytest.fixture
def box(make_sandbox):
    return make_sandbox("admin1", job_roles=("it_support",), persona="it_admin")[0]


def act(box, persona):
    return sandbox.open_context(box, persona)


def refused(call, *args, error=SandboxRuleError, match=None, **kwargs):
    """The call is refused; the caller's transaction is then rolled back as a view would."""
    db.session.commit()
    with pytest.raises(error, match=match):
        call(*args, **kwargs)
    db.session.rollback()


def value(ctx, key):
    return ctx.scalar(select(SbParameter.value).where(SbParameter.key == key))


def grants(ctx, role_code):
    return ctx.by_code(SbRole, role_code).permissions


def last_activity(ctx):
    return ctx.scalar(select(SbActivity).order_by(SbActivity.id.desc()).limit(1))


def test_permission_report_says_who_can_do_what(box):
    rows = permission_report(act(box, "it_admin"))
    assert len(rows) == 9
    by_user = {row.user.code: row for row in rows}
    clerk = by_user["sales_clerk"]
    assert clerk.role.code == "sales_clerk"
    assert clerk.permissions == sorted(ROLE_GRANTS["sales_clerk"])
    assert "finance.post" not in clerk.permissions
    assert "finance.post" in by_user["finance_manager"].permissions
    assert all(row.permissions == sorted(row.permissions) for row in rows)


def test_role_permissions_are_replaced_and_take_effect(box):
    admin = act(box, "it_admin")
    wanted = [*ROLE_GRANTS["sales_clerk"], "finance.post"]
    set_role_permissions(admin, "sales_clerk", wanted)
    assert grants(admin, "sales_clerk") == set(wanted)
    require(act(box, "sales_clerk"), "finance.post")
    set_role_permissions(admin, "sales_clerk", ["sales.quote", "reports.view"])
    assert grants(admin, "sales_clerk") == {"sales.quote", "reports.view"}
    activity = last_activity(admin)
    assert activity.action == "admin.role_permissions" and activity.persona == "it_admin"
    assert "finance.post" in activity.details["removed"]


def test_unknown_permissions_and_roles_are_refused(box):
    admin = act(box, "it_admin")
    refused(set_role_permissions, admin, "sales_clerk", ["sales.quote", "sales.everything"],
            match="sales.everything")
    assert grants(admin, "sales_clerk") == set(ROLE_GRANTS["sales_clerk"])
    refused(set_role_permissions, admin, "no_such_role", ["sales.quote"], match="no_such_role")
    refused(set_user_role, admin, "sales_clerk", "no_such_role")
    refused(set_user_role, admin, "nobody", "buyer", match="nobody")


def test_only_an_administrator_manages_users_and_parameters(box):
    clerk = act(box, "sales_clerk")
    refused(set_role_permissions, clerk, "sales_clerk", list(ROLE_GRANTS["finance_manager"]),
            error=SandboxPermissionError)
    refused(set_user_role, clerk, "sales_clerk", "finance_manager",
            error=SandboxPermissionError)
    refused(set_user_active, clerk, "sales_manager", False, error=SandboxPermissionError)
    refused(set_parameter, clerk, "credit_check", "off", error=SandboxPermissionError)
    assert clerk.by_code(SbUser, "sales_clerk").role.code == "sales_clerk"
    assert value(clerk, "credit_check") == "on"


def test_a_user_moves_to_another_role(box):
    admin = act(box, "it_admin")
    user = set_user_role(admin, "sales_clerk", "accountant")
    assert user.role.code == "accountant"
    assert act(box, "sales_clerk").persona.can("finance.journal")
    assert last_activity(admin).details == {"user": "sales_clerk", "role": "accountant",
                                            "previous": "sales_clerk"}


def test_an_inactive_user_can_do_nothing_and_an_admin_cannot_lock_themselves_out(box):
    admin = act(box, "it_admin")
    set_user_active(admin, "finance_manager", False)
    boss = act(box, "finance_manager")
    assert not boss.persona.active
    refused(post_journal, boss, None, error=SandboxPermissionError)
    set_user_active(admin, "finance_manager", True)
    assert act(box, "finance_manager").persona.can("finance.post")
    refused(set_user_active, admin, "it_admin", False, match="钱明")
    assert act(box, "it_admin").persona.active
    refused(set_role_permissions, admin, "it_admin", ["admin.parameters"])
    refused(set_user_role, admin, "it_admin", "sales_clerk")
    assert act(box, "it_admin").persona.role.code == "it_admin"
    assert "admin.users" in grants(admin, "it_admin")


@pytest.mark.parametrize("key, given, stored", [
    ("credit_check", "off", "off"),
    ("allow_self_approval", "on", "on"),
    ("reorder_alert", " off ", "off"),
    ("purchase_approval_threshold", "80000", "80000.00"),
    ("purchase_approval_threshold", Decimal("0"), "0.00"),
    ("purchase_approval_threshold", "120,000.5", "120000.50"),
    ("vat_rate", "9", "9"),
    ("vat_rate", 6, "6"),
    ("vat_rate", "0", "0"),
    ("vat_rate", "13%", "13"),
])
def test_parameters_are_stored_normalised(box, key, given, stored):
    admin = act(box, "it_admin")
    row = set_parameter(admin, key, given)
    assert row.value == stored == value(admin, key)
    activity = last_activity(admin)
    assert activity.action == "admin.parameter" and activity.details["key"] == key


@pytest.mark.parametrize("key, given", [
    ("credit_check", "yes"), ("allow_self_approval", ""), ("reorder_alert", None),
    ("purchase_approval_threshold", "-1"), ("purchase_approval_threshold", "lots"),
    ("purchase_approval_threshold", "NaN"), ("vat_rate", "17"), ("vat_rate", "6.5"),
    ("vat_rate", "abc"), ("no_such_key", "on"),
])
def test_bad_parameter_values_are_refused(box, key, given):
    admin = act(box, "it_admin")
    before = {row.key: row.value for row in admin.scalars(select(SbParameter))}
    refused(set_parameter, admin, key, given)
    assert {row.key: row.value for row in admin.scalars(select(SbParameter))} == before


def test_the_approval_threshold_steers_purchase_approval(box):
    set_parameter(act(box, "it_admin"), "purchase_approval_threshold", "1000")
    buyer = act(box, "buyer")
    po = create_purchase_order(buyer, "S001", [("P1001", 100, None)])  # 1,850.00
    assert submit_purchase_order(buyer, po).state == "pending_approval"
