"""Read-only queries for trainers: a course's assignments and its learners' progress.

The learners' report answers for many people at once in a fixed number of queries (a count,
one row query and one for the page's job roles), whatever the page size, instead of calling
``progress.course_progress`` once per learner. Its numbers agree with ``CourseProgress``:
required items done of the published revision's required items, and completion = a
``CourseCompletion`` row for the published revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import Department, JobRole, User, user_job_roles
from lms.catalog.models import (
    Assignment,
    Course,
    CourseCompletion,
    CourseItem,
    Enrolment,
    ItemCompletion,
)
from lms.catalog.progress import percent_done
from lms.database import utcnow
from lms.extensions import db

STATUSES = ("all", "not_started", "in_progress", "completed", "overdue")
PAGE_SIZE = 25


@dataclass(frozen=True)
class ReportFilters:
    status: str = "all"
    department_id: int | None = None
    job_role_id: int | None = None


@dataclass
class LearnerProgress:
    """One enrolled learner's line in the report."""

    user_id: int
    username: str
    display_name: str
    department: str | None
    origin: str
    required: bool
    due_at: datetime | None
    required_done: int
    required_total: int
    completed_at: datetime | None
    is_overdue: bool
    job_roles: list[JobRole] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return percent_done(self.required_done, self.required_total, self.completed_at)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    @property
    def status(self) -> str:
        if self.is_complete:
            return "completed"
        if self.is_overdue:
            return "overdue"
        return "in_progress" if self.required_done else "not_started"


@dataclass
class Page:
    """One page of rows, with what the ``pagination`` macro reads (as Flask-SQLAlchemy's)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, edge: int = 2, around: int = 2):
        """Page numbers to show; None where numbers are left out."""
        shown = [n for n in range(1, self.pages + 1)
                 if n <= edge or n > self.pages - edge or abs(n - self.page) <= around]
        previous = 0
        for number in shown:
            if number - previous > 1:
                yield None
            yield number
            previous = number


class _Report:
    """The joins and expressions the report's queries share, for one course at one moment."""

    def __init__(self, course: Course, now: datetime | None = None):
        self.course = course
        self.now = now or utcnow()
        revision_id = course.published_revision_id
        required_items = select(CourseItem.id).where(
            CourseItem.revision_id == revision_id, CourseItem.required.is_(True))
        self.done = (
            select(ItemCompletion.user_id.label("user_id"),
                   func.count(ItemCompletion.id).label("done"))
            .where(ItemCompletion.item_id.in_(required_items))
            .group_by(ItemCompletion.user_id)
            .subquery("done")
        )
        self.done_count = func.coalesce(self.done.c.done, 0)
        self.required_total = (
            select(func.count(CourseItem.id))
            .where(CourseItem.revision_id == revision_id, CourseItem.required.is_(True))
            .scalar_subquery()
        )
        self.completion_on = and_(CourseCompletion.user_id == Enrolment.user_id,
                                  CourseCompletion.revision_id == revision_id)
        # progress.past_due, in SQL, so the report can filter and sort by it.
        self.overdue = and_(CourseCompletion.id.is_(None), Enrolment.due_at.is_not(None),
                            Enrolment.due_at < self.now)

    def joined(self, *columns):
        """``columns`` over the course's active enrolled learners with their progress."""
        return (
            select(*columns)
            .select_from(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(self.done, self.done.c.user_id == Enrolment.user_id)
            .outerjoin(CourseCompletion, self.completion_on)
            .where(Enrolment.course_id == self.course.id, User.active.is_(True))
        )

    def where(self, query, filters: ReportFilters, *, with_status: bool = True):
        if filters.department_id is not None:
            query = query.where(User.department_id == filters.department_id)
        if filters.job_role_id is not None:
            query = query.where(User.id.in_(select(user_job_roles.c.user_id).where(
                user_job_roles.c.job_role_id == filters.job_role_id)))
        if not with_status:
            return query
        if filters.status == "completed":
            query = query.where(CourseCompletion.id.is_not(None))
        elif filters.status == "not_started":
            query = query.where(CourseCompletion.id.is_(None), self.done_count == 0)
        elif filters.status == "in_progress":
            query = query.where(CourseCompletion.id.is_(None), self.done_count > 0)
        elif filters.status == "overdue":
            query = query.where(self.overdue)
        return query


def learner_progress_page(course: Course, filters: ReportFilters | None = None, page: int = 1,
                          per_page: int = PAGE_SIZE) -> Page:
    """The course's enrolled (active) learners with their progress, overdue first then by name.

    Three queries whatever ``per_page`` is: the total, the page's rows, the page's job roles.
    A course that was never published has no progress to measure: an empty page.
    """
    filters = filters or ReportFilters()
    if course.published_revision_id is None:
        return Page([], page, per_page, 0)
    report = _Report(course)
    total = db.session.scalar(report.where(report.joined(func.count(Enrolment.id)), filters))
    query = report.where(report.joined(
        Enrolment.user_id, User.username, User.display_name,
        Department.name.label("department"), Enrolment.origin, Enrolment.required,
        Enrolment.due_at, report.done_count.label("required_done"),
        report.required_total.label("required_total"), CourseCompletion.completed_at,
        case((report.overdue, 1), else_=0).label("is_overdue"),
    ).outerjoin(Department, Department.id == User.department_id), filters)
    query = query.order_by(case((report.overdue, 0), else_=1), User.display_name,
                           User.username, Enrolment.id)
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    items = [LearnerProgress(**{**row._asdict(), "is_overdue": bool(row.is_overdue)})
             for row in rows]
    _attach_job_roles(items)
    return Page(items, page, per_page, total or 0)


def _attach_job_roles(items: list[LearnerProgress]) -> None:
    if not items:
        return
    by_user: dict[int, list[JobRole]] = {}
    rows = db.session.execute(
        select(user_job_roles.c.user_id, JobRole)
        .join(JobRole, JobRole.id == user_job_roles.c.job_role_id)
        .where(user_job_roles.c.user_id.in_([item.user_id for item in items]))
        .order_by(JobRole.code)
    ).all()
    for user_id, job_role in rows:
        by_user.setdefault(user_id, []).append(job_role)
    for item in items:
        item.job_roles = by_user.get(item.user_id, [])


def overdue_count(course: Course, filters: ReportFilters | None = None) -> int:
    """How many active learners are past their due date without having completed the course.

    The department and job role of ``filters`` apply; its status does not.
    """
    if course.published_revision_id is None:
        return 0
    report = _Report(course)
    query = report.where(report.joined(func.count(Enrolment.id)).where(report.overdue),
                         filters or ReportFilters(), with_status=False)
    return db.session.scalar(query) or 0


def course_assignments(course: Course) -> list[tuple[Assignment, int]]:
    """The course's assignments, newest first, each with the number of active people it covers.

    One query: the counts are correlated subqueries, the targets are joined.
    """
    by_user = select(func.count(User.id)).where(
        User.id == Assignment.user_id, User.active.is_(True)).scalar_subquery()
    by_department = select(func.count(User.id)).where(
        User.department_id == Assignment.department_id, User.active.is_(True)).scalar_subquery()
    by_job_role = (
        select(func.count(User.id))
        .join(user_job_roles, user_job_roles.c.user_id == User.id)
        .where(user_job_roles.c.job_role_id == Assignment.job_role_id, User.active.is_(True))
        .scalar_subquery()
    )
    covered = case(
        (Assignment.user_id.is_not(None), by_user),
        (Assignment.department_id.is_not(None), by_department),
        else_=by_job_role,
    )
    rows = db.session.execute(
        select(Assignment, covered)
        .where(Assignment.course_id == course.id)
        .options(joinedload(Assignment.job_role), joinedload(Assignment.department),
                 joinedload(Assignment.user).lazyload("*"))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).all()
    return [(assignment, count) for assignment, count in rows]
