"""Operation manuals, their working draft and their immutable published versions.

A ``Manual`` is a stable identity (its code). Trainers edit one working draft (settings on
the manual, ``ManualDraftChapter`` rows, ``ManualDraftAsset`` images); publishing copies the
draft into a ``ManualVersion`` with its chapters (source and rendered HTML), images, search
sections and PDF. Published rows are never changed afterwards (see ``immutability.py``).
File contents live once in ``ManualBlob`` (by SHA-256), shared by drafts and versions, so a
screenshot kept by ten versions is stored once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db

ACCESS_LEVELS = ("public", "signed_in")


class ManualBlob(db.Model):
    """The bytes of an image or a PDF, stored once per content."""

    __tablename__ = "manual_blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class Manual(db.Model):
    """A manual. ``title`` … ``job_roles`` are those of the latest published version (what
    readers are checked against); ``draft_settings`` holds the working draft's."""

    __tablename__ = "manuals"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="zh-CN")
    access: Mapped[str] = mapped_column(String(20), default="signed_in")
    job_roles: Mapped[list] = mapped_column(JSON, default=list)
    draft_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    # Set by a save in the web editor, cleared by publishing: `lms manuals publish` from files
    # then refuses to overwrite the trainer's unpublished work.
    draft_edited_on_web: Mapped[bool] = mapped_column(default=False)
    draft_lock_version: Mapped[int] = mapped_column(default=1)
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("manual_versions.id", use_alter=True, name="fk_manuals_latest_version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    latest_version: Mapped[ManualVersion | None] = relationship(
        foreign_keys=[latest_version_id], post_update=True)
    draft_chapters: Mapped[list[ManualDraftChapter]] = relationship(
        back_populates="manual", order_by="ManualDraftChapter.position",
        cascade="all, delete-orphan")
    draft_assets: Mapped[list[ManualDraftAsset]] = relationship(
        order_by="ManualDraftAsset.path", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.title or self.code


class ManualDraftChapter(db.Model):
    __tablename__ = "manual_draft_chapters"
    __table_args__ = (UniqueConstraint("manual_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manual_id: Mapped[int] = mapped_column(ForeignKey("manuals.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int]
    filename: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manual: Mapped[Manual] = relationship(back_populates="draft_chapters")

    @property
    def slug(self) -> str:
        return self.filename.removesuffix(".md")


class ManualDraftAsset(db.Model):
    __tablename__ = "manual_draft_assets"
    __table_args__ = (UniqueConstraint("manual_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manual_id: Mapped[int] = mapped_column(ForeignKey("manuals.id", ondelete="CASCADE"),
                                           index=True)
    path: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[int] = mapped_column(ForeignKey("manual_blobs.id"))

    blob: Mapped[ManualBlob] = relationship()


class ManualVersion(db.Model):
    """One published version: everything a reader sees of it, frozen."""

    __tablename__ = "manual_versions"
    __table_args__ = (UniqueConstraint("manual_id", "version"),
                      Index("ix_manual_versions_order", "manual_id", "sort_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    manual_id: Mapped[int] = mapped_column(ForeignKey("manuals.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(32))
    # Zero-padded numbers ("000001.000010.000000"), so SQL orders 1.10 after 1.9.
    sort_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10))
    access: Mapped[str] = mapped_column(String(20))
    job_roles: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    manual_yml: Mapped[str] = mapped_column(Text, default="")
    pdf_blob_id: Mapped[int | None] = mapped_column(ForeignKey("manual_blobs.id"))
    pdf_pages: Mapped[int | None]

    manual: Mapped[Manual] = relationship(foreign_keys=[manual_id])
    published_by = relationship("User")
    pdf_blob: Mapped[ManualBlob | None] = relationship()
    chapters: Mapped[list[ManualChapter]] = relationship(
        back_populates="version", order_by="ManualChapter.position",
        cascade="all, delete-orphan")
    assets: Mapped[list[ManualAsset]] = relationship(cascade="all, delete-orphan")

    def chapter(self, slug: str) -> ManualChapter | None:
        return next((c for c in self.chapters if c.slug == slug), None)


class ManualChapter(db.Model):
    __tablename__ = "manual_chapters"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id",
                                                       ondelete="CASCADE"), index=True)
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = deferred(mapped_column(Text))
    html: Mapped[str] = deferred(mapped_column(Text))
    # [[level, anchor, text], …] in document order, for the in-page table of contents.
    headings: Mapped[list] = mapped_column(JSON, default=list)

    version: Mapped[ManualVersion] = relationship(back_populates="chapters")


class ManualAsset(db.Model):
    __tablename__ = "manual_assets"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id",
                                                       ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[int] = mapped_column(ForeignKey("manual_blobs.id"))

    blob: Mapped[ManualBlob] = relationship()


class ManualSearchSection(db.Model):
    """A heading of a published version and the text under it, folded for searching."""

    __tablename__ = "manual_search_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id",
                                                       ondelete="CASCADE"), index=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("manual_chapters.id",
                                                       ondelete="CASCADE"))
    position: Mapped[int]
    level: Mapped[int]
    anchor: Mapped[str] = mapped_column(String(300), default="")
    heading: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # NFKC + casefold of heading and text, so ＡＢＣ finds abc and full-width digits match.
    folded: Mapped[str] = mapped_column(Text)

    chapter: Mapped[ManualChapter] = relationship()
