"""Who may read a manual: public, every signed-in user, or signed-in users of some job roles.

One rule, checked by every reader view (pages, images, search, PDF, "what changed") through
``readable_manual_or_abort``. People who publish manuals read every manual.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from lms.extensions import login_manager
from lms.publishing import services
from lms.publishing.models import Manual


def can_read(manual: Manual, user) -> bool:
    if manual.latest_version_id is None:
        return False
    if manual.access == "public":
        return True
    if not user.is_authenticated:
        return False
    if user.has_permission("publish_manuals") or not manual.job_roles:
        return True
    return any(role.code in manual.job_roles for role in user.job_roles)


def readable_manual_or_abort(code: str) -> Manual:
    """The manual, if the current visitor may read it.

    Unknown or unpublished: 404. Signed out on a restricted manual: to the login page (and
    back). Signed in without one of its job roles: 403.
    """
    manual = services.manual_by_code(code)
    if manual is None or manual.latest_version_id is None:
        abort(404)
    if not can_read(manual, current_user):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return manual
