"""The publishing blueprint: readers' pages (reader.py: chapters, images, PDF; changes.py:
versions and "what changed"; search.py) and trainers' manual editor (authoring.py)."""

from flask import Blueprint

blueprint = Blueprint("publishing", __name__, url_prefix="/manuals")

from lms.publishing.views import (  # noqa: E402, F401
    authoring,
    changes,
    chapter_editor,
    reader,
    search,
)
