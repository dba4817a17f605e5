"""Completion and progress: which items a person has done, what is open, what is locked.

Progress is always measured against the course's published revision. A completion row stays
on the item of the revision it was made against; publishing a new revision copies
completions forward for items that did not change (or all of them, if the trainer did not
ask for changed items to be redone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from lms.catalog.models import (
    Course,
    CourseCompletion,
    CourseItem,
    CourseModule,
    CourseRevision,
    Enrolment,
    ItemCompletion,
)
from lms.database import utcnow
from lms.extensions import db

DONE, OPEN, LOCKED = "done", "open", "locked"


def percent_done(required_done: int, required_total: int, completed_at: datetime | None) -> int:
    """Required items done, in percent; a course without required items is 0 or 100."""
    if required_total == 0:
        return 100 if completed_at else 0
    return round(100 * required_done / required_total)


def past_due(due_at: datetime | None, completed_at: datetime | None,
             now: datetime | None = None) -> bool:
    """Past the due date without having completed the course (``reports`` says it in SQL)."""
    return due_at is not None and completed_at is None and due_at < (now or utcnow())


@dataclass
class ItemState:
    item: CourseItem
    state: str
    completed_at: datetime | None = None
    # Titles of the items still to do before this one opens.
    waiting_for: list[str] = field(default_factory=list)


@dataclass
class CourseProgress:
    course: Course
    revision: CourseRevision
    enrolment: Enrolment | None
    items: list[ItemState]
    completed_at: datetime | None

    @property
    def required_total(self) -> int:
        return sum(1 for s in self.items if s.item.required)

    @property
    def required_done(self) -> int:
        return sum(1 for s in self.items if s.item.required and s.state == DONE)

    @property
    def percent(self) -> int:
        return percent_done(self.required_done, self.required_total, self.completed_at)

    @property
    def minutes_left(self) -> int:
        return sum(s.item.minutes for s in self.items if s.item.required and s.state != DONE)

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    @property
    def due_at(self) -> datetime | None:
        return self.enrolment.due_at if self.enrolment else None

    @property
    def is_overdue(self) -> bool:
        return past_due(self.due_at, self.completed_at)

    @property
    def next_item(self) -> ItemState | None:
        """Where to continue: the last item visited if still open, else the first open one."""
        last_key = self.enrolment.last_item_key if self.enrolment else None
        open_items = [s for s in self.items if s.state == OPEN]
        for state in open_items:
            if state.item.key == last_key:
                return state
        required_open = [s for s in open_items if s.item.required]
        return (required_open or open_items or [None])[0]

    def state_of(self, item: CourseItem) -> ItemState:
        return next(s for s in self.items if s.item.id == item.id)


def item_states(items: list[CourseItem], done: dict[int, datetime]) -> list[ItemState]:
    """Each item's state given the completion times of the done ones (by item id)."""
    done_keys = {item.key for item in items if item.id in done}
    titles = {item.key: item.title for item in items}
    states = []
    for item in items:
        if item.id in done:
            states.append(ItemState(item, DONE, done[item.id]))
            continue
        missing = [key for key in item.requires if key not in done_keys and key in titles]
        states.append(ItemState(item, LOCKED if missing else OPEN,
                                waiting_for=[titles[key] for key in missing]))
    return states


def course_progress(user_id: int, course: Course,
                    revision: CourseRevision | None = None) -> CourseProgress:
    """One person's progress through a course (its published revision unless given)."""
    revision = revision or course.published_revision
    if revision is None:
        raise ValueError(f"course {course.code} has no published revision")
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course.id))
    items = revision.ordered_items()
    done = _completion_times(user_id, [item.id for item in items])
    completed_at = db.session.scalar(select(CourseCompletion.completed_at).where(
        CourseCompletion.user_id == user_id, CourseCompletion.revision_id == revision.id))
    return CourseProgress(course, revision, enrolment, item_states(items, done), completed_at)


def progress_for_user(user_id: int) -> list[CourseProgress]:
    """Progress in every published course the person is enrolled in, in four queries."""
    enrolments = db.session.scalars(
        select(Enrolment).join(Course)
        .options(contains_eager(Enrolment.course).joinedload(Course.published_revision))
        .where(
            Enrolment.user_id == user_id, Course.published_revision_id.is_not(None),
            Course.withdrawn.is_(False))
    ).all()
    revision_ids = [e.course.published_revision_id for e in enrolments]
    items = db.session.scalars(
        select(CourseItem).where(CourseItem.revision_id.in_(revision_ids))
        .join(CourseItem.module).options(contains_eager(CourseItem.module))
        .order_by(CourseModule.position, CourseItem.position)
    ).all() if revision_ids else []
    done = _completion_times(user_id, [item.id for item in items])
    completions = dict(db.session.execute(
        select(CourseCompletion.revision_id, CourseCompletion.completed_at).where(
            CourseCompletion.user_id == user_id,
            CourseCompletion.revision_id.in_(revision_ids))
    ).all()) if revision_ids else {}
    by_revision: dict[int, list[CourseItem]] = {}
    for item in items:
        by_revision.setdefault(item.revision_id, []).append(item)
    result = []
    for enrolment in enrolments:
        revision = enrolment.course.published_revision
        ordered = by_revision.get(revision.id, [])
        result.append(CourseProgress(enrolment.course, revision, enrolment,
                                     item_states(ordered, done), completions.get(revision.id)))
    return result


def _completion_times(user_id: int, item_ids: list[int]) -> dict[int, datetime]:
    if not item_ids:
        return {}
    return dict(db.session.execute(
        select(ItemCompletion.item_id, ItemCompletion.completed_at).where(
            ItemCompletion.user_id == user_id, ItemCompletion.item_id.in_(item_ids))
    ).all())


def note_visit(user_id: int, item: CourseItem) -> None:
    """Remember the item a person opened, for "continue where you left off"."""
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == item.revision.course_id))
    if enrolment is not None:
        enrolment.last_item_key = item.key
        enrolment.last_activity_at = utcnow()
        db.session.flush()


def complete_item(user_id: int, item: CourseItem, how: str) -> bool:
    """Record that a person completed an item (once); complete the course when it is time.

    Returns True when this call recorded a new completion. The engines of quizzes, exercises
    and surveys call this with how="passed"/"submitted"; lesson and resource pages call it
    themselves.
    """
    existing = db.session.scalar(select(ItemCompletion.id).where(
        ItemCompletion.user_id == user_id, ItemCompletion.item_id == item.id))
    if existing is not None:
        return False
    db.session.add(ItemCompletion(user_id=user_id, item_id=item.id, how=how))
    db.session.flush()
    revision = item.revision
    progress = course_progress(user_id, revision.course, revision)
    if progress.completed_at is None and progress.required_done == progress.required_total:
        db.session.add(CourseCompletion(user_id=user_id, course_id=revision.course_id,
                                        revision_id=revision.id))
        db.session.flush()
    return True


def carry_progress(previous: CourseRevision, new: CourseRevision, redo_changed: bool) -> None:
    """Copy completions of ``previous`` onto the matching items of ``new``.

    Items are matched by key; a changed item (different content hash) is carried only when the
    trainer did not ask for changed items to be redone. Whoever had completed the previous
    revision and still has every required item done keeps their original completion time.
    """
    old_items = {item.key: item for item in previous.items}
    mapping: dict[int, CourseItem] = {}
    for item in new.items:
        old = old_items.get(item.key)
        if old is None or (redo_changed and old.content_hash != item.content_hash):
            continue
        mapping[old.id] = item
    users: set[int] = set()
    if mapping:
        rows = db.session.execute(select(
            ItemCompletion.user_id, ItemCompletion.item_id, ItemCompletion.completed_at
        ).where(ItemCompletion.item_id.in_(list(mapping)))).all()
        for user_id, old_item_id, completed_at in rows:
            db.session.add(ItemCompletion(user_id=user_id, item_id=mapping[old_item_id].id,
                                          completed_at=completed_at, how="carried"))
            users.add(user_id)
        db.session.flush()
    earlier = dict(db.session.execute(select(
        CourseCompletion.user_id, CourseCompletion.completed_at
    ).where(CourseCompletion.revision_id == previous.id)).all())
    items = new.ordered_items()
    for user_id in users:
        done = _completion_times(user_id, [item.id for item in items])
        required = [item for item in items if item.required]
        if required and all(item.id in done for item in required):
            completed_at = earlier.get(user_id) or max(done[item.id] for item in required)
            db.session.add(CourseCompletion(user_id=user_id, course_id=new.course_id,
                                            revision_id=new.id, completed_at=completed_at))
    db.session.flush()
