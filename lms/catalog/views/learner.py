"""What learners see: their courses, a course's outline, an item, and course files."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.models import JobRole
from lms.accounts.permissions import require_permission, wants_json
from lms.catalog import enrolment as enrolments
from lms.catalog import progress as progress_service
from lms.catalog.kinds import ITEM_KINDS, LEVEL_LABELS
from lms.catalog.models import Course, CourseAsset, CourseItem
from lms.catalog.rendering import asset_url, manual_link, render_item_markdown
from lms.catalog.services import find_course
from lms.catalog.views import blueprint
from lms.core.templating import join_list
from lms.extensions import db


def _published_course_or_404(code: str) -> Course:
    course = find_course(code)
    if course is None or not course.is_published:
        abort(404)
    return course


def audience_labels(revision) -> list[str]:
    """Job roles and levels of a revision's audience, in the reader's language."""
    job_roles = db.session.scalars(select(JobRole).where(
        JobRole.code.in_(revision.audience_job_roles)).order_by(JobRole.id)).all()
    return [j.label for j in job_roles] + [str(LEVEL_LABELS[level])
                                            for level in revision.audience_levels
                                            if level in LEVEL_LABELS]


def _may_preview(course: Course) -> bool:
    """Authors may look at any published course without being enrolled."""
    return current_user.has_permission("author_courses")


@blueprint.get("/courses/")
@require_permission("take_courses")
def my_courses():
    progress = progress_service.progress_for_user(current_user.id)
    enrolled_ids = {p.course.id for p in progress}
    open_courses = [
        course for course in db.session.scalars(
            select(Course).where(Course.self_enrol.is_(True), Course.withdrawn.is_(False),
                                 Course.published_revision_id.is_not(None))
            .order_by(Course.code))
        if course.id not in enrolled_ids
    ]
    return render_template("catalog/learner/my_courses.html", progress=progress,
                           open_courses=open_courses)


@blueprint.get("/courses/<code>/")
@require_permission("take_courses")
def course(code: str):
    course = _published_course_or_404(code)
    enrolment = enrolments.find_enrolment(current_user.id, course.id)
    if enrolment is None and not (course.self_enrol or _may_preview(course)):
        abort(403)
    progress = progress_service.course_progress(current_user.id, course)
    return render_template("catalog/learner/course.html", course=course, progress=progress,
                           enrolled=enrolment is not None, kinds=ITEM_KINDS,
                           audience=audience_labels(progress.revision))


@blueprint.post("/courses/<code>/enrol")
@require_permission("take_courses")
def enrol(code: str):
    course = _published_course_or_404(code)
    try:
        enrolments.self_enrol(current_user, course)
    except enrolments.EnrolmentRefused:
        flash(_("This course is open only to the people it is assigned to."), "danger")
        return redirect(url_for("catalog.course", code=code)), 303
    db.session.commit()
    flash(_("You are enrolled. Start with the first item below."), "success")
    return redirect(url_for("catalog.course", code=code))


def _item_for_learner(code: str, key: str):
    """The course, the published item and the learner's progress; 403/404 as appropriate."""
    course = _published_course_or_404(code)
    item = db.session.scalar(select(CourseItem).where(
        CourseItem.revision_id == course.published_revision_id, CourseItem.key == key))
    if item is None:
        abort(404)
    enrolled = enrolments.find_enrolment(current_user.id, course.id) is not None
    if not enrolled and not _may_preview(course):
        abort(403)
    progress = progress_service.course_progress(current_user.id, course)
    return course, item, progress, enrolled


@blueprint.get("/courses/<code>/items/<key>")
@require_permission("take_courses")
def item(code: str, key: str):
    course, item, progress, enrolled = _item_for_learner(code, key)
    state = progress.state_of(item)
    if state.state == progress_service.LOCKED:
        flash(_("“%(title)s” opens after you complete: %(items)s.", title=item.title,
                items=join_list(state.waiting_for)), "warning")
        return redirect(url_for("catalog.course", code=code))
    if enrolled:
        progress_service.note_visit(current_user.id, item)
        db.session.commit()
    if item.kind == "quiz":
        # A quiz has its own page (intro, attempts, start or resume) in the assessment module.
        return redirect(url_for("assessment.quiz", code=code, key=key))
    rendered = None
    if item.kind == "lesson":
        rendered = render_item_markdown(progress.revision, item.body)
    items = [s.item for s in progress.items]
    index = items.index(item)
    return render_template(
        "catalog/learner/item.html", course=course, item=item, state=state, progress=progress,
        rendered=rendered, enrolled=enrolled, kind=ITEM_KINDS[item.kind],
        previous_item=items[index - 1] if index > 0 else None,
        next_item=items[index + 1] if index + 1 < len(items) else None,
    )


@blueprint.post("/courses/<code>/items/<key>/complete")
@require_permission("take_courses")
def complete(code: str, key: str):
    """A lesson read to its end (sent by the page's script) or marked as done by the learner."""
    course, item, progress, enrolled = _item_for_learner(code, key)
    if not enrolled or not ITEM_KINDS[item.kind].completes_on_page or item.kind != "lesson":
        abort(400)
    if progress.state_of(item).state == progress_service.LOCKED:
        abort(409)
    how = "viewed" if request.form.get("how") == "viewed" else "marked"
    progress_service.complete_item(current_user.id, item, how)
    db.session.commit()
    updated = progress_service.course_progress(current_user.id, course)
    if wants_json() or request.headers.get("X-Requested-With") == "fetch":
        return jsonify(done=True, percent=updated.percent,
                       course_complete=updated.is_complete)
    if updated.is_complete:
        flash(_("Course complete. Well done!"), "success")
        return redirect(url_for("catalog.course", code=code))
    following = updated.next_item
    if following is not None:
        return redirect(url_for("catalog.item", code=code, key=following.item.key))
    return redirect(url_for("catalog.course", code=code))


@blueprint.get("/courses/<code>/items/<key>/open")
@require_permission("take_courses")
def open_resource(code: str, key: str):
    """Open a resource (a link, a manual section or a file) and count it as completed."""
    course, item, progress, enrolled = _item_for_learner(code, key)
    if item.kind != "resource":
        abort(404)
    if progress.state_of(item).state == progress_service.LOCKED:
        return redirect(url_for("catalog.course", code=code))
    if item.url and item.url.startswith("manual:"):
        target = manual_link(item.url)
    elif item.url:
        target = item.url
    else:
        target = asset_url(progress.revision, item.settings.get("asset", ""))
    if target is None:
        flash(_("This resource is not available yet. Please tell your trainer."), "warning")
        return redirect(url_for("catalog.item", code=code, key=key))
    if enrolled:
        progress_service.complete_item(current_user.id, item, "opened")
        db.session.commit()
    return redirect(target)


@blueprint.get("/courses/<code>/assets/<int:asset_id>/<name>")
@require_permission("take_courses")
def asset(code: str, asset_id: int, name: str):
    """A course image or file, with its stored content type; never run by the browser."""
    course = find_course(code)
    record = db.session.get(CourseAsset, asset_id)
    if course is None or record is None or record.course_id != course.id:
        abort(404)
    if not current_user.has_permission("author_courses"):
        enrolled = enrolments.find_enrolment(current_user.id, course.id) is not None
        if not course.is_published or not (enrolled or course.self_enrol):
            abort(404)
        # Only what the published revision shows: an image uploaded to the draft stays with
        # the authors until the draft is published.
        if asset_id not in course.published_revision.asset_map.values():
            abort(404)
    headers = {
        "Content-Type": record.content_type,
        "X-Content-Type-Options": "nosniff",
        # An SVG opened on its own must not run scripts in the portal's origin.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        # The URL names the content (one id per stored content), so it never changes.
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    if not record.content_type.startswith("image/"):
        headers["Content-Disposition"] = "attachment"
    return record.data, 200, headers
