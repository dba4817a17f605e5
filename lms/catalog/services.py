"""Courses and revisions: creating, drafting, publishing, and saving a draft's settings and items.

Each function flushes and returns; callers (views, CLI, demo) commit. Editing always happens
on a draft revision: ``ensure_draft`` copies the published revision the first time a trainer
changes a published course, so learners keep seeing the published one until the draft is
published. Changes to a draft's outline (modules, items, their order) are in ``outline.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lms.accounts import audit
from lms.catalog.kinds import ITEM_KINDS
from lms.catalog.models import (
    Course,
    CourseAsset,
    CourseItem,
    CourseModule,
    CourseRevision,
)
from lms.catalog.source import CourseSource, ModuleSource, item_fingerprint
from lms.database import utcnow
from lms.extensions import db


class EditConflict(Exception):
    """Someone else saved the object since the editor loaded it."""

    def __init__(self, current):
        self.current = current
        super().__init__("edited by someone else")


class DraftNotReady(ValueError):
    """A draft that cannot be published; ``problems`` says why, in the user's language."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def item_content_hash(item) -> str:
    fingerprint = item_fingerprint(item)
    fingerprint.pop("key")
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()


def find_course(code: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.code == code))


def _next_revision_number(course: Course) -> int:
    current = db.session.scalar(
        select(func.max(CourseRevision.number)).where(CourseRevision.course_id == course.id)
    )
    return (current or 0) + 1


def create_course(code: str, title: str, actor=None) -> Course:
    """A new course with an empty draft revision holding one module."""
    course = Course(code=code)
    db.session.add(course)
    db.session.flush()
    revision = CourseRevision(course_id=course.id, number=1, title=title,
                              created_by_id=actor.id if actor else None)
    revision.modules.append(CourseModule(position=1, title=title))
    db.session.add(revision)
    db.session.flush()
    course.draft_revision = revision
    db.session.flush()
    audit.record("course.create", target=code, actor=actor, after={"title": title})
    return course


def store_asset(course: Course, name: str, content_type: str, data: bytes) -> CourseAsset:
    """Keep a file of the course once per content (the same bytes are stored once)."""
    digest = hashlib.sha256(data).hexdigest()
    asset = db.session.scalar(select(CourseAsset).where(
        CourseAsset.course_id == course.id, CourseAsset.sha256 == digest))
    if asset is None:
        asset = CourseAsset(course_id=course.id, name=name, content_type=content_type,
                            size=len(data), sha256=digest, data=data)
        db.session.add(asset)
        db.session.flush()
    return asset


def _copy_outline(revision: CourseRevision, modules: Iterable) -> None:
    """Fill a new revision with modules and items copied from ``modules``.

    ``modules`` are ModuleSource (from files) or CourseModule (from another revision): both
    have a title and items with the same fields, so files and drafts build items one way.
    """
    for module_position, module_from in enumerate(modules, start=1):
        module = CourseModule(position=module_position, title=module_from.title)
        revision.modules.append(module)
        for position, item_from in enumerate(module_from.items, start=1):
            item = CourseItem(
                key=item_from.key, position=position, kind=item_from.kind,
                title=item_from.title, minutes=item_from.minutes, required=item_from.required,
                requires=list(item_from.requires), body=item_from.body,
                source_name=item_from.source_name, url=item_from.url,
                settings=dict(item_from.settings),
            )
            item.content_hash = item_content_hash(item)
            item.module = module
            revision.items.append(item)


def _make_draft(course: Course, revision: CourseRevision, modules: Iterable) -> None:
    """Store ``revision`` holding a copy of ``modules`` as the course's draft."""
    _copy_outline(revision, modules)
    db.session.add(revision)
    db.session.flush()
    course.draft_revision = revision
    db.session.flush()


def revision_from_source(course: Course, source: CourseSource, actor=None) -> CourseRevision:
    """A new draft revision holding exactly what the files say (replacing any draft)."""
    if course.draft_revision is not None:
        # Replaced, not discarded: a never-published course keeps a draft either way.
        _drop_draft(course)
    revision = CourseRevision(
        course_id=course.id, number=_next_revision_number(course), title=source.title,
        summary=source.summary, version_label=source.version_label,
        audience_job_roles=source.job_roles, audience_levels=source.levels,
        cover_name=source.cover_name, self_enrol=source.self_enrol,
        source_digest=source.digest(), created_by_id=actor.id if actor else None,
    )
    revision.asset_map = {
        name: store_asset(course, name, content_type, data).id
        for name, (content_type, data) in source.assets.items()
    }
    _make_draft(course, revision, source.modules)
    return revision


def _drop_draft(course: Course) -> CourseRevision:
    draft = course.draft_revision
    course.draft_revision = None
    db.session.flush()
    db.session.delete(draft)
    db.session.flush()
    return draft


def discard_draft(course: Course, actor=None) -> None:
    """Throw the draft away, going back to the published revision (no draft: nothing to do).

    ValueError for a course that was never published: its draft is all there is of it.
    """
    if course.draft_revision is None:
        return
    if course.published_revision is None:
        raise ValueError(f"course {course.code} was never published: its draft is kept")
    draft = _drop_draft(course)
    audit.record("course.discard_draft", target=course.code, actor=actor,
                 before={"revision": draft.number})


def ensure_draft(course: Course, actor=None) -> CourseRevision:
    """The course's draft revision, copied from the published one if there is none yet.

    ValueError when there is neither (a course row without revisions): nothing to copy.
    """
    if course.draft_revision is not None:
        return course.draft_revision
    published = course.published_revision
    if published is None:
        raise ValueError(f"course {course.code} has no published revision to copy")
    draft = CourseRevision(
        course_id=course.id, number=_next_revision_number(course), title=published.title,
        summary=published.summary, version_label=published.version_label,
        audience_job_roles=list(published.audience_job_roles),
        audience_levels=list(published.audience_levels), cover_name=published.cover_name,
        self_enrol=published.self_enrol, asset_map=dict(published.asset_map),
        created_by_id=actor.id if actor else None,
    )
    _make_draft(course, draft, published.modules)
    return draft


def revision_digest(revision: CourseRevision) -> str:
    """The same digest as ``CourseSource.digest`` for what a revision holds."""
    assets = {a.id: a for a in db.session.scalars(
        select(CourseAsset).where(CourseAsset.id.in_(list(revision.asset_map.values()))))}
    source = CourseSource(
        code=revision.course.code, title=revision.title, summary=revision.summary,
        version_label=revision.version_label, job_roles=list(revision.audience_job_roles),
        levels=list(revision.audience_levels), cover_name=revision.cover_name,
        self_enrol=revision.self_enrol,
        assets={name: (assets[asset_id].content_type, assets[asset_id].data)
                for name, asset_id in revision.asset_map.items() if asset_id in assets},
    )
    source.modules = [ModuleSource(title=m.title, items=list(m.items)) for m in revision.modules]
    return source.digest()


def misplaced_requirements(revision: CourseRevision) -> dict[int, list[str]]:
    """Item id -> keys it requires that do not come before it (after a move, say)."""
    seen: set[str] = set()
    misplaced: dict[int, list[str]] = {}
    for item in revision.ordered_items():
        later = [key for key in item.requires if key not in seen]
        if later:
            misplaced[item.id] = later
        seen.add(item.key)
    return misplaced


def draft_problems(revision: CourseRevision) -> list[str]:
    """What stops the revision from being published, in the user's language (empty: ready).

    Files are checked for the same when they are read; a draft edited on the web can get
    there in steps (an empty lesson, a requirement moved below its item).
    """
    problems = []
    if not revision.items:
        problems.append(_("The course has no items yet."))
    misplaced = misplaced_requirements(revision)
    for item in revision.ordered_items():
        kind = ITEM_KINDS.get(item.kind)
        reasons = kind.validate(item.body, item.url, item.settings) if kind else [item.kind]
        for reason in reasons:
            problems.append(_("“%(title)s” is not ready: %(reason)s", title=item.title,
                              reason=reason))
        if item.id in misplaced:
            problems.append(_("“%(title)s” opens after %(keys)s, which does not come before it.",
                              title=item.title, keys=", ".join(misplaced[item.id])))
    return problems


def publish_draft(course: Course, actor=None, redo_changed_items: bool = False) -> CourseRevision:
    """Make the draft the revision learners see; carry progress over from the previous one.

    With ``redo_changed_items`` people who completed an item that changed must do it again;
    otherwise their completion carries over. DraftNotReady (nothing changed) for a draft
    with problems (see ``draft_problems``).
    """
    from lms.catalog.progress import carry_progress  # progress imports this module

    draft = course.draft_revision
    if draft is None:
        raise ValueError("there is no draft to publish")
    problems = draft_problems(draft)
    if problems:
        raise DraftNotReady(problems)
    previous = course.published_revision
    if previous is not None:
        previous.state = "superseded"
    draft.state = "published"
    draft.published_at = utcnow()
    draft.published_by_id = actor.id if actor else None
    draft.redo_changed_items = redo_changed_items
    course.published_revision = draft
    course.draft_revision = None
    course.withdrawn = False
    course.self_enrol = draft.self_enrol
    db.session.flush()
    # Quizzes are built when their revision goes live (never for a draft: the course's bank is
    # shared by every revision, so building a draft's quiz would change the live one).
    from lms.assessment.quizzes import quiz_for_item  # the assessment package uses the catalog

    for item in draft.items:
        if item.kind == "quiz":
            quiz_for_item(item)
    if previous is not None:
        carry_progress(previous, draft, redo_changed_items)
    audit.record("course.publish", target=course.code, actor=actor,
                 after={"revision": draft.number, "version": draft.version_label,
                        "redo_changed_items": redo_changed_items})
    return draft


def set_withdrawn(course: Course, withdrawn: bool, actor=None) -> None:
    """Unpublish (hide from learners, keeping everything) or publish again."""
    if course.withdrawn == withdrawn:
        return
    course.withdrawn = withdrawn
    db.session.flush()
    audit.record("course.unpublish" if withdrawn else "course.republish",
                 target=course.code, actor=actor)


@dataclass
class RevisionFields:
    title: str
    summary: str
    version_label: str
    job_roles: list[str]
    levels: list[str]
    self_enrol: bool
    cover_name: str | None = None


def update_revision(revision: CourseRevision, fields: RevisionFields,
                    expected_version: int) -> CourseRevision:
    """Save a draft's course settings, refusing if someone saved them meanwhile."""
    _check_version(revision, expected_version)
    revision.title = fields.title
    revision.summary = fields.summary
    revision.version_label = fields.version_label
    revision.audience_job_roles = fields.job_roles
    revision.audience_levels = fields.levels
    revision.cover_name = fields.cover_name
    revision.self_enrol = fields.self_enrol
    _flush_or_conflict(revision)
    return revision


@dataclass
class ItemFields:
    """What the item editor saves; each field is the CourseItem column of the same name."""

    title: str
    minutes: int
    required: bool
    requires: list[str]
    body: str
    url: str | None
    settings: dict


def update_item(item: CourseItem, fields: ItemFields, expected_version: int) -> CourseItem:
    """Save an item of a draft; EditConflict if another editor saved it since loading."""
    _check_version(item, expected_version)
    for name, value in asdict(fields).items():
        setattr(item, name, value)
    item.content_hash = item_content_hash(item)
    _flush_or_conflict(item)
    return item


def _check_version(obj, expected_version: int) -> None:
    if obj.lock_version != expected_version:
        raise EditConflict(obj)


def _flush_or_conflict(obj) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # Another request saved between our read and our write.
        db.session.rollback()
        raise EditConflict(db.session.get(type(obj), obj.id)) from None
