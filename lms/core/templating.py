"""What every template can use: the navigation the user may see, the language switcher."""

from __future__ import annotations

import json
from dataclasses import dataclass

from babel.lists import format_list
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.accounts.permissions import ROLE_LABELS, SIGNED_IN

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    permission: str
    group: str = ""


NAVIGATION = [
    NavItem("core.dashboard", _l("Dashboard"), "view_dashboard"),
    NavItem("catalog.my_courses", _l("My courses"), "take_courses"),
    NavItem("sandbox.home", _l("My sandbox ERP"), "use_sandbox"),
    NavItem("sandbox.learners", _l("Learners' sandboxes"), "view_learner_sandboxes"),
    NavItem("catalog.manage_courses", _l("Course authoring"), "author_courses"),
    NavItem("assessment.banks", _l("Question banks"), "author_courses"),
    NavItem("assessment.quizzes", _l("Quizzes and attempts"), "grade_attempts"),
    NavItem("publishing.index", _l("Manuals"), SIGNED_IN),
    NavItem("publishing.manage", _l("Manual publishing"), "publish_manuals"),
    NavItem("admin.users", _l("Users"), "manage_users", "admin"),
    NavItem("admin.import_users", _l("Import employees"), "import_users", "admin"),
    NavItem("admin.roles", _l("Roles and permissions"), "manage_roles", "admin"),
    NavItem("admin.job_roles", _l("Job roles"), "manage_roles", "admin"),
    NavItem("admin.audit_log", _l("Audit log"), "view_audit_log", "admin"),
]


def visible_navigation() -> dict[str, list[NavItem]]:
    """Navigation items grouped, keeping only those the current user may open."""
    groups: dict[str, list[NavItem]] = {}
    if not current_user.is_authenticated:
        return groups
    for item in NAVIGATION:
        if item.permission == SIGNED_IN or current_user.has_permission(item.permission):
            groups.setdefault(item.group, []).append(item)
    return groups


def compact_json(value: object) -> str:
    """JSON for people: Chinese kept readable, nothing for None."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(compact_json)
    app.add_template_filter(join_list)

    @app.context_processor
    def _globals():
        locale = get_locale()
        return {
            "navigation": visible_navigation(),
            "languages": LANGUAGES,
            "current_locale": str(locale) if locale else app.config["DEFAULT_LOCALE"],
            "html_lang": "zh-CN" if locale is None or locale.language == "zh" else "en",
            "role_labels": ROLE_LABELS,
        }


def join_list(items) -> str:
    """A list in the reader's language: 甲、乙和丙 / a, b, and c."""
    items = [str(item) for item in items]
    if not items:
        return ""
    return format_list(items, locale=str(get_locale() or "zh_Hans_CN"))
