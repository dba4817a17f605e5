"""The catalog blueprint: learners' course pages (learner.py), trainers' authoring
(authoring.py) and assignments with learners' progress (assignments.py)."""

from flask import Blueprint

blueprint = Blueprint("catalog", __name__)

from lms.catalog.views import assignments, authoring, learner  # noqa: E402, F401
