"""Who may read a manual: public, every signed-in user, or signed-in users of some job roles.

One rule, checked by every reader view (pages, images, search, PDF, "what changed") through
``readable_manual_or_abort`` and, for the version being read, ``readable_version_or_abort``.
People who publish manuals read every manual.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from lms.extensions import login_manager
from lms.publishing import services
from lms.publishing.models import Manual, ManualVersion


def allows(access: str, job_roles: list, user) -> bool:
    """Whether an access setting (public / signed_in, job roles) lets ``user`` read."""
    if access == "public":
        return True
    if not user.is_authenticated:
        return False
    if user.has_permission("publish_manuals") or not job_roles:
        return True
    return any(role.code in job_roles for role in user.job_roles)


def can_read(manual: Manual, user) -> bool:
    """The manual as a whole (its list entry, its latest version): the current settings."""
    return manual.latest_version_id is not None and allows(manual.access, manual.job_roles,
                                                           user)


def can_read_version(manual: Manual, version: ManualVersion, user) -> bool:
    """A version keeps the access it was published with, and the manual's current setting
    applies too: loosening access in 1.1 does not open a restricted 1.0, and tightening it
    closes the old versions as well."""
    return can_read(manual, user) and allows(version.access, version.job_roles, user)


def readable_version_or_abort(manual: Manual, version: ManualVersion) -> ManualVersion:
    if not can_read_version(manual, version, current_user):
        _refuse()
    return version


def _refuse():
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    abort(403)


def readable_manual_or_abort(code: str) -> Manual:
    """The manual, if the current visitor may read it.

    Unknown or unpublished: 404. Signed out on a restricted manual: to the login page (and
    back). Signed in without one of its job roles: 403.
    """
    manual = services.manual_by_code(code)
    if manual is None or manual.latest_version_id is None:
        abort(404)
    if not can_read(manual, current_user):
        _refuse()
    return manual
