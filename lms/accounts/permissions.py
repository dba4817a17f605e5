"""The one permission vocabulary, and the decorators every view uses to declare what it needs.

Permissions are named strings granted to portal roles in the database (``role_permissions``);
``DEFAULT_GRANTS`` is what a new installation starts with.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.extensions import login_manager

# Marker for views anyone may open, signed in or not (login, health check, set-password link).
PUBLIC = "public"
# Marker for views any signed-in user may use whatever their roles grant (signing out).
SIGNED_IN = "signed_in"

PERMISSIONS: dict[str, Any] = {
    "view_dashboard": _l("See the dashboard and one's own progress"),
    "edit_own_profile": _l("Change one's own language, time zone and password"),
    "manage_users": _l("Create, edit and deactivate users; reset passwords"),
    "import_users": _l("Import employees from a CSV file"),
    "manage_roles": _l("Change portal roles' permissions, job roles and departments"),
    "view_audit_log": _l("Browse and export the audit log"),
    "use_sandbox": _l("Practise in one's own sandbox ERP"),
    "view_learner_sandboxes": _l("Open learners' sandboxes read-only to help them"),
    "take_courses": _l("Take assigned courses and enrol in open ones"),
    "author_courses": _l("Create, edit and publish courses"),
    "assign_courses": _l("Assign courses and follow learners' progress"),
    "grade_attempts": _l("See learners' quiz attempts, grade essays, regrade and read item "
                         "statistics"),
    "publish_manuals": _l("Edit operation manuals and publish their versions"),
}

ROLE_LABELS: dict[str, Any] = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "admin": _l("Administrator"),
}

DEFAULT_GRANTS: dict[str, list[str]] = {
    "learner": ["view_dashboard", "edit_own_profile", "use_sandbox", "take_courses"],
    "trainer": ["view_dashboard", "edit_own_profile", "use_sandbox", "view_learner_sandboxes",
                "take_courses", "author_courses", "assign_courses", "grade_attempts",
                "publish_manuals"],
    "admin": list(PERMISSIONS),
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api/") or (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def require_permission(permission: str) -> Callable:
    """Allow the view only to signed-in users whose roles grant ``permission``.

    Signed-out visitors are sent to the login page (401 JSON for API calls); signed-in users
    without the permission get 403.
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorator


def require_login(view: Callable) -> Callable:
    """Allow the view to every signed-in user, whatever their permissions."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    guarded.required_permission = SIGNED_IN  # type: ignore[attr-defined]
    return guarded


def home_endpoint(user) -> str:
    """Where a signed-in user lands: the dashboard, or their profile if they cannot see it."""
    if user.has_permission("view_dashboard"):
        return "core.dashboard"
    return "auth.profile"


def public(view: Callable) -> Callable:
    """Declare that a view needs no sign-in."""
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def unauthorized_json():
    response = jsonify(error="authentication required")
    response.status_code = 401
    return response
