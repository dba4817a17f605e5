"""Forms of the trainer's assignment pages, and the due-date rule they apply.

A due date is picked as a day; it means "by the end of that day where the trainer is", so it
is stored as 23:59:59 of that day in the trainer's time zone, converted to UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, Optional

from lms.accounts.models import Department, JobRole, User
from lms.catalog.models import Assignment, Course
from lms.database import utcnow
from lms.extensions import db

TARGET_KINDS = [
    SelectChoice("job_role", _l("Job role")),
    SelectChoice("department", _l("Department")),
    SelectChoice("user", _l("Person")),
]
# Targets chosen from a list (the field has the kind's name): their model and the error.
LISTED_TARGETS = {
    "job_role": (JobRole, _l("Choose a job role from the list.")),
    "department": (Department, _l("Choose a department from the list.")),
}
# Ids beyond this are not ours (PostgreSQL integer): treated as unknown, not sent to the database.
MAX_ID = 2**31 - 1
# A due date further away than this is a typo (and years near 9999 overflow on conversion).
MAX_DUE_YEARS = 10


def trainer_timezone() -> ZoneInfo:
    """The signed-in user's time zone, else the company default (DEFAULT_TIMEZONE), else UTC."""
    for name in (getattr(current_user, "timezone", None),
                 current_app.config.get("DEFAULT_TIMEZONE")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def end_of_day_utc(day: date, zone: ZoneInfo) -> datetime:
    """23:59:59 of ``day`` in ``zone``, as an aware UTC datetime."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def parse_id(raw: str | None) -> int | None:
    """A database id typed or chosen by someone: a positive integer in range, else None."""
    raw = (raw or "").strip()
    # isdigit() alone admits "²" and other characters int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_ID:
        return None
    return int(raw)


class AssignmentForm(FlaskForm):
    """Assign the course to one job role, department or person, with an optional due date."""

    target_kind = RadioField(_l("Assign to"), choices=TARGET_KINDS, default="job_role",
                             validators=[InputRequired()])
    # Choices are filled by the view; ids are checked in validate() with our own messages.
    job_role = SelectField(_l("Job role"), choices=[], validate_choice=False)
    department = SelectField(_l("Department"), choices=[], validate_choice=False)
    username = StringField(_l("Person (username)"), validators=[Optional(), Length(max=64)])
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         invalid_value_message=_l("Enter the due date as YYYY-MM-DD."))
    required = BooleanField(_l("Required"), default=True)
    submit = SubmitField(_l("Assign"))

    def __init__(self, *args, course: Course, zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.zone = zone
        self.target: dict[str, object] = {}
        self.due_at: datetime | None = None

    def fill_choices(self) -> None:
        self.job_role.choices = [SelectChoice("", _l("Choose a job role"))] + [
            SelectChoice(str(j.id), j.label)
            for j in db.session.scalars(select(JobRole).order_by(JobRole.code))
        ]
        self.department.choices = [SelectChoice("", _l("Choose a department"))] + [
            SelectChoice(str(d.id), d.name)
            for d in db.session.scalars(select(Department).order_by(Department.name))
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.target_kind.data in {choice.value for choice in TARGET_KINDS}:
            ok = self._resolve_target() and ok
        if not self.due_date.errors:
            ok = self._check_due_date() and ok
        return ok

    def _resolve_target(self) -> bool:
        """Find the chosen job role, department or person; errors go on that field."""
        kind = self.target_kind.data
        if kind in LISTED_TARGETS:
            model, message = LISTED_TARGETS[kind]
            field = self[kind]
            target_id = parse_id(field.data)
            found = db.session.get(model, target_id) if target_id else None
            if found is None:
                field.errors.append(message)
                return False
            self.target = {kind: found}
        else:
            username = (self.username.data or "").strip()
            found = db.session.scalar(select(User).where(User.username == username)) \
                if username else None
            if found is None:
                self.username.errors.append(
                    _l("No user with this username.") if username
                    else _l("Enter the username of the person."))
                return False
            if not found.active:
                self.username.errors.append(_l("This account is deactivated."))
                return False
            self.target = {"user": found}
        return self._check_not_assigned_twice()

    def _check_not_assigned_twice(self) -> bool:
        (kind, target), = self.target.items()
        column = {"job_role": Assignment.job_role_id, "department": Assignment.department_id,
                  "user": Assignment.user_id}[kind]
        existing = db.session.scalar(select(Assignment.id).where(
            Assignment.course_id == self.course.id, column == target.id))
        if existing is not None:
            self.target_kind.errors.append(_l(
                "The course is already assigned to them. To change the due date, delete that "
                "assignment and add it again."))
            return False
        return True

    def _check_due_date(self) -> bool:
        day = self.due_date.data
        if day is None:
            self.due_at = None
            return True
        today = utcnow().astimezone(self.zone).date()
        if day < today:
            self.due_date.errors.append(_l("The due date is in the past. Choose today or later."))
            return False
        if day > today + timedelta(days=366 * MAX_DUE_YEARS):
            self.due_date.errors.append(_l("Choose a due date within the next ten years."))
            return False
        self.due_at = end_of_day_utc(day, self.zone)
        return True


class DeleteAssignmentForm(FlaskForm):
    """A button-only form: the CSRF token is its content."""

    submit = SubmitField(_l("Delete"))
