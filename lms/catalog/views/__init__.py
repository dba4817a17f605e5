"""The catalog blueprint: learners' course pages (learner.py); trainers' authoring: the course
list and a course's editor (authoring.py), its outline (outline_editor.py), one item and
images (item_editor.py), with what they share in authoring_common.py; and assignments with
learners' progress (assignments.py)."""

from flask import Blueprint

blueprint = Blueprint("catalog", __name__)

from lms.catalog.views import (  # noqa: E402, F401
    assignments,
    authoring,
    item_editor,
    learner,
    outline_editor,
)
