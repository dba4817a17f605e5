"""The assessment blueprint: learners take quizzes (learner.py); trainers manage question
banks (banks.py) and attempts, grading and statistics (grading.py); question images are
served by images.py."""

from flask import Blueprint

blueprint = Blueprint("assessment", __name__)

from lms.assessment.views import banks, grading, images, learner  # noqa: E402, F401
