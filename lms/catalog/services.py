"""Courses, revisions, modules and items: creating, editing, publishing.

Each function flushes and returns; callers (views, CLI, demo) commit. Editing always happens
on a draft revision: ``ensure_draft`` copies the published revision the first time a trainer
changes a published course, so learners keep seeing the published one until the draft is
published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from lms.accounts import audit
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


def revision_from_source(course: Course, source: CourseSource, actor=None) -> CourseRevision:
    """A new draft revision holding exactly what the files say (replacing any draft)."""
    if course.draft_revision is not None:
        discard_draft(course)
    revision = CourseRevision(
        course_id=course.id, number=_next_revision_number(course), title=source.title,
        summary=source.summary, version_label=source.version_label,
        audience_job_roles=source.job_roles, audience_levels=source.levels,
        cover_name=source.cover_name, source_digest=source.digest(),
        created_by_id=actor.id if actor else None,
    )
    revision.asset_map = {
        name: store_asset(course, name, content_type, data).id
        for name, (content_type, data) in source.assets.items()
    }
    course.self_enrol = source.self_enrol
    for module_position, module_source in enumerate(source.modules, start=1):
        module = CourseModule(position=module_position, title=module_source.title)
        revision.modules.append(module)
        for position, item_source in enumerate(module_source.items, start=1):
            settings = dict(item_source.settings)
            item = CourseItem(
                key=item_source.key, position=position, kind=item_source.kind,
                title=item_source.title, minutes=item_source.minutes,
                required=item_source.required, requires=list(item_source.requires),
                body=item_source.body, source_name=item_source.source_name,
                url=item_source.url, settings=settings,
            )
            item.content_hash = item_content_hash(item)
            item.module = module
            revision.items.append(item)
    db.session.add(revision)
    db.session.flush()
    course.draft_revision = revision
    db.session.flush()
    return revision


def discard_draft(course: Course) -> None:
    draft = course.draft_revision
    if draft is None:
        return
    course.draft_revision = None
    db.session.flush()
    db.session.delete(draft)
    db.session.flush()


def ensure_draft(course: Course, actor=None) -> CourseRevision:
    """The course's draft revision, copied from the published one if there is none yet."""
    if course.draft_revision is not None:
        return course.draft_revision
    published = course.published_revision
    draft = CourseRevision(
        course_id=course.id, number=_next_revision_number(course), title=published.title,
        summary=published.summary, version_label=published.version_label,
        audience_job_roles=list(published.audience_job_roles),
        audience_levels=list(published.audience_levels), cover_name=published.cover_name,
        asset_map=dict(published.asset_map), created_by_id=actor.id if actor else None,
    )
    for module in published.modules:
        copy = CourseModule(position=module.position, title=module.title)
        draft.modules.append(copy)
        for item in module.items:
            item_copy = CourseItem(
                key=item.key, position=item.position, kind=item.kind, title=item.title,
                minutes=item.minutes, required=item.required, requires=list(item.requires),
                body=item.body, source_name=item.source_name, url=item.url,
                settings=dict(item.settings), content_hash=item.content_hash,
            )
            item_copy.module = copy
            draft.items.append(item_copy)
    db.session.add(draft)
    db.session.flush()
    course.draft_revision = draft
    db.session.flush()
    return draft


def revision_digest(revision: CourseRevision) -> str:
    """The same digest as ``CourseSource.digest`` for what a revision holds."""
    assets = {a.id: a for a in db.session.scalars(
        select(CourseAsset).where(CourseAsset.id.in_(list(revision.asset_map.values()))))}
    source = CourseSource(
        code=revision.course.code, title=revision.title, summary=revision.summary,
        version_label=revision.version_label, job_roles=list(revision.audience_job_roles),
        levels=list(revision.audience_levels), cover_name=revision.cover_name,
        self_enrol=revision.course.self_enrol,
        assets={name: (assets[asset_id].content_type, assets[asset_id].data)
                for name, asset_id in revision.asset_map.items() if asset_id in assets},
    )
    source.modules = [ModuleSource(title=m.title, items=list(m.items)) for m in revision.modules]
    return source.digest()


def publish_draft(course: Course, actor=None, redo_changed_items: bool = False) -> CourseRevision:
    """Make the draft the revision learners see; carry progress over from the previous one.

    With ``redo_changed_items`` people who completed an item that changed must do it again;
    otherwise their completion carries over.
    """
    from lms.catalog.progress import carry_progress  # progress imports this module

    draft = course.draft_revision
    if draft is None:
        raise ValueError("there is no draft to publish")
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
    db.session.flush()
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
    revision.course.self_enrol = fields.self_enrol
    _flush_or_conflict(revision)
    return revision


@dataclass
class ItemFields:
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
    item.title = fields.title
    item.minutes = fields.minutes
    item.required = fields.required
    item.requires = fields.requires
    item.body = fields.body
    item.url = fields.url
    item.settings = fields.settings
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


def add_module(revision: CourseRevision, title: str) -> CourseModule:
    position = max((m.position for m in revision.modules), default=0) + 1
    module = CourseModule(position=position, title=title)
    revision.modules.append(module)
    db.session.flush()
    return module


def rename_module(module: CourseModule, title: str) -> None:
    module.title = title
    db.session.flush()


def delete_module(module: CourseModule) -> bool:
    """Delete an empty module; False (nothing done) while it still holds items."""
    if module.items:
        return False
    revision = module.revision
    revision.modules.remove(module)
    db.session.flush()
    _renumber(revision.modules)
    return True


def unique_item_key(revision: CourseRevision, wanted: str) -> str:
    taken = {item.key for item in revision.items}
    key, number = wanted, 2
    while key in taken:
        key, number = f"{wanted}-{number}", number + 1
    return key


def add_item(module: CourseModule, kind: str, title: str, key: str) -> CourseItem:
    revision = module.revision
    item = CourseItem(
        key=unique_item_key(revision, key), kind=kind, title=title, minutes=10, required=True,
        requires=[], body="", position=max((i.position for i in module.items), default=0) + 1,
        settings={"pass_mark": 60} if kind == "quiz" else {},
    )
    item.module = module
    revision.items.append(item)
    item.content_hash = item_content_hash(item)
    db.session.flush()
    return item


def delete_item(item: CourseItem) -> None:
    """Delete an item; items that required it no longer do."""
    revision, module = item.revision, item.module
    for other in revision.items:
        if item.key in other.requires:
            other.requires = [key for key in other.requires if key != item.key]
            other.content_hash = item_content_hash(other)
    module.items.remove(item)
    revision.items.remove(item)
    db.session.flush()
    _renumber(module.items)


def move_item(item: CourseItem, direction: int) -> None:
    """Move an item one place up (-1) or down (+1), across module borders at the ends."""
    modules = item.revision.modules
    module = item.module
    siblings = list(module.items)
    index = siblings.index(item)
    target = index + direction
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        _renumber(siblings)
    else:
        module_index = modules.index(module) + direction
        if not 0 <= module_index < len(modules):
            return
        other = modules[module_index]
        module.items.remove(item)
        item.module = other
        others = [i for i in other.items if i is not item]
        others = [item, *others] if direction > 0 else [*others, item]
        _renumber(others)
        _renumber(module.items)
    db.session.flush()


def reorder_items(revision: CourseRevision, order: list[tuple[int, int]]) -> None:
    """Apply a complete new order: (module id, item id) pairs in reading order."""
    items = {item.id: item for item in revision.items}
    modules = {module.id: module for module in revision.modules}
    if sorted(item_id for _m, item_id in order) != sorted(items) or \
            any(module_id not in modules for module_id, _i in order):
        raise ValueError("the order must list every item of the revision exactly once")
    positions: dict[int, int] = {}
    for module_id, item_id in order:
        positions[module_id] = positions.get(module_id, 0) + 1
        item = items[item_id]
        item.module = modules[module_id]
        item.position = positions[module_id]
    db.session.flush()
    for module in revision.modules:
        db.session.refresh(module)


def move_module(module: CourseModule, direction: int) -> None:
    modules = list(module.revision.modules)
    index = modules.index(module)
    target = index + direction
    if 0 <= target < len(modules):
        modules[index], modules[target] = modules[target], modules[index]
        _renumber(modules)
        db.session.flush()


def _renumber(rows) -> None:
    for position, row in enumerate(rows, start=1):
        row.position = position
