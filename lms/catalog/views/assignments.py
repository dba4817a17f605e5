"""Trainers' pages for one course: who it is assigned to, and how its learners are doing."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from lms.accounts.models import Department, JobRole
from lms.accounts.permissions import require_permission
from lms.catalog import reports
from lms.catalog.assignment_forms import (
    MAX_ID,
    AssignmentForm,
    DeleteAssignmentForm,
    parse_id,
    trainer_timezone,
)
from lms.catalog.enrolment import create_assignment, delete_assignment
from lms.catalog.models import Assignment, Course
from lms.catalog.views import blueprint
from lms.extensions import db

MAX_PAGE = 10_000
# Two requests enrolled (or unenrolled) the same people at once: the later one is undone.
CONCURRENT_CHANGE = _l("Another change to this course's assignments was saved at the same "
                       "moment. Check the list and try again.")
REPORT_FILTERS = ("status", "department", "job_role")


def _course_or_404(code: str) -> Course:
    """A course that exists and has a revision (published or draft)."""
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None or course.latest_revision is None:
        abort(404)
    return course


def target_label(assignment: Assignment) -> str:
    """Who an assignment names, for people: "Job role: 销售", "Person: 王芳 (sales1)"."""
    if assignment.user is not None:
        return _("Person: %(name)s", name=str(assignment.user))
    if assignment.department is not None:
        return _("Department: %(name)s", name=assignment.department.name)
    return _("Job role: %(name)s", name=assignment.job_role.label)


def _may_open(endpoint: str) -> bool:
    """Whether ``endpoint`` exists and the current user holds the permission it declares."""
    view = current_app.view_functions.get(endpoint)
    permission = getattr(view, "required_permission", None)
    return view is not None and permission is not None and current_user.has_permission(permission)


def _page_links(course: Course) -> dict:
    """What the shared header needs: the course, and which authoring pages to link to."""
    return {"course": course, "has_editor": _may_open("catalog.edit_course"),
            "has_course_list": _may_open("catalog.manage_courses")}


@blueprint.route("/manage/courses/<code>/assignments", methods=["GET", "POST"])
@require_permission("assign_courses")
def assignments(code: str):
    course = _course_or_404(code)
    form = AssignmentForm(course=course, zone=trainer_timezone())
    form.fill_choices()
    if form.validate_on_submit():
        try:
            assignment = create_assignment(course, **form.target, due_at=form.due_at,
                                           required=form.required.data, actor=current_user)
            db.session.commit()
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            form.target_kind.errors.append(CONCURRENT_CHANGE)
        else:
            flash(_("New assignment: %(target)s.", target=target_label(assignment)), "success")
            return redirect(url_for("catalog.assignments", code=course.code), 303)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "catalog/assignments/assignments.html", form=form, delete_form=DeleteAssignmentForm(),
        rows=reports.course_assignments(course), target_label=target_label,
        **_page_links(course),
    ), status


@blueprint.post("/manage/courses/<code>/assignments/<int:assignment_id>/delete")
@require_permission("assign_courses")
def delete_course_assignment(code: str, assignment_id: int):
    course = _course_or_404(code)
    if assignment_id > MAX_ID:
        abort(404)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.course_id != course.id:
        abort(404)
    if not DeleteAssignmentForm().validate_on_submit():
        abort(400)
    label = target_label(assignment)
    try:
        delete_assignment(assignment, actor=current_user)
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        flash(str(CONCURRENT_CHANGE), "warning")
        return redirect(url_for("catalog.assignments", code=course.code), 303)
    flash(_("The assignment is removed (%(target)s). People who had started keep their "
            "progress; the course is no longer required for them.", target=label), "success")
    return redirect(url_for("catalog.assignments", code=course.code), 303)


def _report_filters() -> tuple[dict[str, str], reports.ReportFilters]:
    """The query's filters as given (for links) and as understood (unknown values: ignored)."""
    given = {key: request.args.get(key, "").strip()[:60] for key in REPORT_FILTERS}
    status = given["status"] if given["status"] in reports.STATUSES else "all"

    return given, reports.ReportFilters(status=status, department_id=parse_id(given["department"]),
                                        job_role_id=parse_id(given["job_role"]))


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


@blueprint.get("/manage/courses/<code>/learners")
@require_permission("assign_courses")
def course_learners(code: str):
    course = _course_or_404(code)
    given, filters = _report_filters()
    page = reports.learner_progress_page(course, filters, _page_number())
    return render_template(
        "catalog/assignments/learners.html", page=page, filters=filters,
        link_args={**given, "code": course.code},
        overdue=reports.overdue_count(course, filters),
        departments=db.session.scalars(select(Department).order_by(Department.name)).all(),
        job_roles=db.session.scalars(select(JobRole).order_by(JobRole.code)).all(),
        statuses=reports.STATUSES, **_page_links(course),
    )
