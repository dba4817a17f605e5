"""Assignments (a course for a job role, a department or a person) and the enrolments they make.

An enrolment is the fact that a person takes a course. Assignments create and update
enrolments: when several cover one person, the earliest due date and "required" win. New or
changed users are enrolled by ``refresh_user_enrolments``, which the accounts services call
through the ``user_saved`` signal, so imported employees get their courses at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from lms.accounts import audit
from lms.accounts.models import User, user_job_roles
from lms.catalog.models import (
    Assignment,
    Course,
    CourseItem,
    CourseRevision,
    Enrolment,
    ItemCompletion,
)
from lms.extensions import db


class EnrolmentRefused(Exception):
    """Self-enrolment that the course does not allow."""


def _covering(user: User):
    """Assignments that name this person, their department or one of their job roles."""
    conditions = [Assignment.user_id == user.id]
    if user.department_id:
        conditions.append(Assignment.department_id == user.department_id)
    job_role_ids = [job_role.id for job_role in user.job_roles]
    if job_role_ids:
        conditions.append(Assignment.job_role_id.in_(job_role_ids))
    return select(Assignment).where(or_(*conditions))


def _matching_user_ids(assignment: Assignment) -> list[int]:
    if assignment.user_id:
        query = select(User.id).where(User.id == assignment.user_id)
    elif assignment.department_id:
        query = select(User.id).where(User.department_id == assignment.department_id)
    else:
        query = select(User.id).join(user_job_roles).where(
            user_job_roles.c.job_role_id == assignment.job_role_id)
    return list(db.session.scalars(query.where(User.active.is_(True))))


def _covers(assignment: Assignment, user: User) -> bool:
    if assignment.user_id is not None:
        return assignment.user_id == user.id
    if assignment.department_id is not None:
        return assignment.department_id == user.department_id
    return any(job_role.id == assignment.job_role_id for job_role in user.job_roles)


def _users_with_progress(user_ids: list[int], course_id: int) -> set[int]:
    if not user_ids:
        return set()
    return set(db.session.scalars(
        select(ItemCompletion.user_id).join(CourseItem).join(CourseRevision)
        .where(ItemCompletion.user_id.in_(user_ids), CourseRevision.course_id == course_id)
        .distinct()))


def _apply(user_id: int, course_id: int, assignments: list[Assignment],
           enrolment: Enrolment | None, has_progress: bool) -> None:
    """Make the enrolment agree with the assignments covering this person for this course."""
    if not assignments:
        if enrolment is not None and enrolment.origin == "assignment":
            if has_progress or enrolment.chose_self:
                # Keep what they did or chose; the course simply stops being assigned.
                enrolment.origin, enrolment.required, enrolment.due_at = "self", False, None
            else:
                db.session.delete(enrolment)
        return
    due_dates = [a.due_at for a in assignments if a.due_at is not None]
    if enrolment is None:
        enrolment = Enrolment(user_id=user_id, course_id=course_id, origin="assignment")
        db.session.add(enrolment)
    enrolment.origin = "assignment"
    enrolment.due_at = min(due_dates) if due_dates else None
    enrolment.required = any(a.required for a in assignments)


def _refresh_course_for(user_ids: list[int], course_id: int) -> None:
    """Recompute these people's enrolments in one course, in a fixed number of queries."""
    if not user_ids:
        return
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.course_id == course_id)).all()
    enrolments = {e.user_id: e for e in db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course_id, Enrolment.user_id.in_(user_ids)))}
    with_progress = _users_with_progress(user_ids, course_id)
    for user in users:
        covering = [a for a in assignments if _covers(a, user)] if user.active else []
        _apply(user.id, course_id, covering, enrolments.get(user.id), user.id in with_progress)
    db.session.flush()


def create_assignment(course: Course, *, job_role=None, department=None, user=None,
                      due_at: datetime | None = None, required: bool = True,
                      actor=None) -> Assignment:
    """Assign a course to exactly one of a job role, a department or a person, and enrol them."""
    targets = [t for t in (job_role, department, user) if t is not None]
    if len(targets) != 1:
        raise ValueError("an assignment names exactly one job role, department or person")
    assignment = Assignment(course_id=course.id, job_role=job_role, department=department,
                            user=user, due_at=due_at, required=required,
                            created_by_id=actor.id if actor else None)
    db.session.add(assignment)
    db.session.flush()
    _refresh_course_for(_matching_user_ids(assignment), course.id)
    audit.record("course.assign", target=course.code, actor=actor,
                 after={"to": describe_target(assignment),
                        "due": due_at.isoformat() if due_at else None, "required": required})
    return assignment


def delete_assignment(assignment: Assignment, actor=None) -> None:
    """Remove an assignment; people it alone covered keep their progress but lose the due date."""
    user_ids = _matching_user_ids(assignment)
    course = assignment.course
    target = describe_target(assignment)
    db.session.delete(assignment)
    db.session.flush()
    _refresh_course_for(user_ids, course.id)
    audit.record("course.unassign", target=course.code, actor=actor, before={"to": target})


def describe_target(assignment: Assignment) -> str:
    if assignment.user is not None:
        return f"user:{assignment.user.username}"
    if assignment.department is not None:
        return f"department:{assignment.department.name}"
    return f"job_role:{assignment.job_role.code}"


def refresh_user_enrolments(user: User) -> None:
    """Enrol a new or changed person in every course their assignments now cover."""
    if not user.active:
        return
    by_course: dict[int, list[Assignment]] = {}
    for assignment in db.session.scalars(_covering(user)):
        by_course.setdefault(assignment.course_id, []).append(assignment)
    enrolments = {e.course_id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id))}
    assigned = {course_id for course_id, e in enrolments.items() if e.origin == "assignment"}
    for course_id in by_course.keys() | assigned:
        enrolment = enrolments.get(course_id)
        has_progress = enrolment is not None and not by_course.get(course_id) and bool(
            _users_with_progress([user.id], course_id))
        _apply(user.id, course_id, by_course.get(course_id, []), enrolment, has_progress)
    db.session.flush()


def self_enrol(user: User, course: Course) -> Enrolment:
    """Enrol oneself in a published course that allows it (already enrolled: unchanged)."""
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user.id, Enrolment.course_id == course.id))
    if enrolment is not None:
        return enrolment
    if not (course.is_published and course.self_enrol):
        raise EnrolmentRefused(course.code)
    enrolment = Enrolment(user_id=user.id, course_id=course.id, origin="self", chose_self=True)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def find_enrolment(user_id: int, course_id: int) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id))
