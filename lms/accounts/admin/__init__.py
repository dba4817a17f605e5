"""The admin blueprint: users, roles and permissions, job roles, the audit log, employee import.

One module per page group; each registers its views on ``bp``.
"""

from flask import Blueprint, request

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Ids and page numbers beyond these are not ours: 404 / last page instead of a database error.
MAX_ID = 2**31 - 1
MAX_PAGE = 10_000


def page_number() -> int:
    """The ``page`` query argument, clamped to 1 … MAX_PAGE."""
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


def query_filters(keys: tuple[str, ...]) -> dict[str, str]:
    """Only the named query arguments: templates build links from these, never from request.args."""
    return {key: request.args.get(key, "").strip()[:200] for key in keys}


from lms.accounts.admin import audit_log, imports, roles, users  # noqa: E402, F401
