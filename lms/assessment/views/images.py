"""Images shown in question texts (imported with Moodle XML files; see assessment/images.py)."""

from __future__ import annotations

from flask import abort

from lms.accounts.permissions import require_permission
from lms.assessment.images import IMAGE_HEADERS
from lms.assessment.models import QuestionImage
from lms.assessment.views import blueprint
from lms.extensions import db


@blueprint.get("/question-images/<int:image_id>/<name>")
@require_permission("take_courses")
def question_image(image_id: int, name: str):
    """A question image with its stored content type, served like course files: never run
    by the browser, cached for good (an id names one content). The name is for people."""
    image = db.session.get(QuestionImage, image_id)
    if image is None:
        abort(404)
    return image.data, 200, {"Content-Type": image.content_type, **IMAGE_HEADERS}
