"""Courses and who takes them.

A course is a stable identity (its code) with revisions. Learners always see the current
published revision; editing a published course works on a draft revision, and publishing the
draft makes it current. Items carry a ``key`` that stays the same across revisions, so
progress can follow an item from one revision to the next, while each completion row stays
attached to the revision's item it was made against.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

LEVELS = ("management", "operations", "it_support")


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    # The published revision's self_enrol (set by publishing), so learners' queries need no join.
    self_enrol: Mapped[bool] = mapped_column(default=False)
    # A published course can be withdrawn (unpublished) without losing its revisions.
    withdrawn: Mapped[bool] = mapped_column(default=False)
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_revisions.id", use_alter=True, name="fk_courses_published_revision")
    )
    draft_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_revisions.id", use_alter=True, name="fk_courses_draft_revision")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published_revision: Mapped[CourseRevision | None] = relationship(
        foreign_keys=[published_revision_id], post_update=True
    )
    draft_revision: Mapped[CourseRevision | None] = relationship(
        foreign_keys=[draft_revision_id], post_update=True
    )

    @property
    def is_published(self) -> bool:
        return self.published_revision_id is not None and not self.withdrawn

    @property
    def latest_revision(self) -> CourseRevision | None:
        """What a trainer edits or reads: the draft if there is one, else the published one."""
        return self.draft_revision or self.published_revision

    def __str__(self) -> str:
        revision = self.latest_revision
        return revision.title if revision else self.code


class CourseRevision(db.Model):
    __tablename__ = "course_revisions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(12), default="draft")  # draft/published/superseded
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    version_label: Mapped[str] = mapped_column(String(20), default="1.0")
    audience_job_roles: Mapped[list] = mapped_column(JSON, default=list)
    audience_levels: Mapped[list] = mapped_column(JSON, default=list)
    cover_name: Mapped[str | None] = mapped_column(String(200))
    # Edited in the draft like the other settings; publishing copies it to Course.self_enrol,
    # which is what learners' pages read.
    self_enrol: Mapped[bool] = mapped_column(default=False)
    # Asset path inside the course folder -> CourseAsset id, e.g. {"images/a.png": 12}.
    asset_map: Mapped[dict] = mapped_column(JSON, default=dict)
    # Digest of the file form this revision was synced from; sync skips unchanged folders.
    source_digest: Mapped[str | None] = mapped_column(String(64))
    redo_changed_items: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    modules: Mapped[list[CourseModule]] = relationship(
        back_populates="revision", cascade="all, delete-orphan",
        order_by="CourseModule.position",
    )
    items: Mapped[list[CourseItem]] = relationship(
        back_populates="revision", cascade="all, delete-orphan", viewonly=False,
        order_by="CourseItem.position",
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_editable(self) -> bool:
        return self.state == "draft"

    def ordered_items(self) -> list[CourseItem]:
        """Items in reading order: module by module, then by position inside the module."""
        return [item for module in self.modules for item in module.items]


class CourseModule(db.Model):
    __tablename__ = "course_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("course_revisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))

    revision: Mapped[CourseRevision] = relationship(back_populates="modules")
    items: Mapped[list[CourseItem]] = relationship(
        back_populates="module", order_by="CourseItem.position",
    )


class CourseItem(db.Model):
    """One lesson, quiz, exercise, survey or resource of a revision."""

    __tablename__ = "course_items"
    __table_args__ = (UniqueConstraint("revision_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("course_revisions.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(
        ForeignKey("course_modules.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=10)
    required: Mapped[bool] = mapped_column(default=True)
    requires: Mapped[list] = mapped_column(JSON, default=list)
    # Markdown for a lesson, GIFT for a quiz, YAML for an exercise or survey.
    body: Mapped[str] = mapped_column(Text, default="")
    # The file name the body came from (lessons/01-x.md), kept so export writes it back there.
    source_name: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # What learners see of the item, hashed: tells a new revision which items changed.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    lock_version: Mapped[int] = mapped_column(default=1)

    revision: Mapped[CourseRevision] = relationship(back_populates="items")
    module: Mapped[CourseModule] = relationship(back_populates="items")

    __mapper_args__ = {"version_id_col": lock_version}


class CourseAsset(db.Model):
    """An image or file of a course, kept in the database so every app server can serve it."""

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """A course given to a job role, a department or one person."""

    __tablename__ = "course_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    job_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    required: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    course: Mapped[Course] = relationship()
    job_role = relationship("JobRole")
    department = relationship("Department")
    user = relationship("User", foreign_keys=[user_id])


class Enrolment(db.Model):
    """A person taking a course, with the due date and requirement of their assignments."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    # "assignment" when an assignment covers the person, "self" for self-enrolment.
    origin: Mapped[str] = mapped_column(String(12))
    # The person enrolled themselves (perhaps before an assignment covered them too): removing
    # the assignment must not take the course away from them.
    chose_self: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    required: Mapped[bool] = mapped_column(default=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_item_key: Mapped[str | None] = mapped_column(String(60))
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    user = relationship("User")


class ItemCompletion(db.Model):
    """A person completed one item of one revision (or had it carried over from the last)."""

    __tablename__ = "item_completions"
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_items.id", ondelete="CASCADE"), index=True
    )
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # viewed / marked / passed / submitted / opened / carried
    how: Mapped[str] = mapped_column(String(12))


class CourseCompletion(db.Model):
    """The moment a person completed a revision of a course; written once."""

    __tablename__ = "course_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "revision_id"),
        Index("ix_course_completions_user_course", "user_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    revision_id: Mapped[int] = mapped_column(
        ForeignKey("course_revisions.id", ondelete="CASCADE")
    )
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
