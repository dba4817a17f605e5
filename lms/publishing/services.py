"""Manuals: lookups, the working draft, and the folder round trip (publishing itself is in
publish.py).

Services take plain arguments, flush, write the audit entry and return the object; callers
commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts import audit
from lms.accounts.models import JobRole
from lms.catalog.services import EditConflict
from lms.database import utcnow
from lms.extensions import db
from lms.publishing import immutability  # noqa: F401  (registers the guard)
from lms.publishing.models import (
    Manual,
    ManualBlob,
    ManualDraftAsset,
    ManualDraftChapter,
    ManualVersion,
)
from lms.publishing.source import (
    ChapterSource,
    ManualSource,
    ManualSourceError,
    SourceProblem,
    check_chapter,
    check_settings,
    content_digest,
)
from lms.publishing.versions import is_version

DEFAULT_MANUALS_PATH = Path(__file__).resolve().parents[2] / "manuals"

__all__ = ["EditConflict", "PublishRefused"]


class PublishRefused(ValueError):
    """A publication that cannot happen; ``str()`` is the message for the user."""


# --------------------------------------------------------------------------- lookups

def manual_by_code(code: str) -> Manual | None:
    return db.session.scalar(select(Manual).where(Manual.code == code))


def versions_of(manual: Manual) -> list[ManualVersion]:
    """Published versions, newest (highest number) first."""
    return list(db.session.scalars(select(ManualVersion).where(
        ManualVersion.manual_id == manual.id).order_by(ManualVersion.sort_key.desc())
        .options(selectinload(ManualVersion.published_by))))


def version_of(manual: Manual, version: str) -> ManualVersion | None:
    return db.session.scalar(select(ManualVersion).where(
        ManualVersion.manual_id == manual.id, ManualVersion.version == version))


# --------------------------------------------------------------------------- blobs

def store_blob(data: bytes) -> ManualBlob:
    """The blob holding ``data``, stored once per content."""
    digest = hashlib.sha256(data).hexdigest()
    blob = db.session.scalar(select(ManualBlob).where(ManualBlob.sha256 == digest))
    if blob is None:
        blob = ManualBlob(sha256=digest, size=len(data), data=data)
        db.session.add(blob)
        db.session.flush()
    return blob


# --------------------------------------------------------------------------- the draft

def create_manual(code: str, title: str, *, actor=None) -> Manual:
    manual = Manual(code=code, title=title, draft_settings={
        "title": title, "summary": "", "language": "zh-CN", "access": "signed_in",
        "job_roles": []})
    db.session.add(manual)
    db.session.flush()
    audit.record("manual.create", target=code, actor=actor, after={"title": title})
    return manual


def unknown_job_roles(codes: list[str]) -> list[str]:
    known = set(db.session.scalars(select(JobRole.code).where(JobRole.code.in_(codes))))
    return [code for code in codes if code not in known]


def load_draft(manual: Manual, source: ManualSource) -> None:
    """Make the working draft exactly ``source`` (chapters, images, settings)."""
    manual.draft_settings = source.settings()
    by_name = {c.filename: c for c in manual.draft_chapters}
    wanted = {c.filename for c in source.chapters}
    for chapter in list(manual.draft_chapters):
        if chapter.filename not in wanted:
            manual.draft_chapters.remove(chapter)
    db.session.flush()
    for position, chapter_source in enumerate(source.chapters):
        chapter = by_name.get(chapter_source.filename)
        if chapter is None:
            chapter = ManualDraftChapter(filename=chapter_source.filename, position=position,
                                         source=chapter_source.source)
            manual.draft_chapters.append(chapter)
        elif chapter.source != chapter_source.source or chapter.position != position:
            chapter.source = chapter_source.source
            chapter.position = position
            chapter.lock_version += 1
            chapter.updated_at = utcnow()
    assets = {a.path: a for a in manual.draft_assets}
    for path, asset in assets.items():
        if path not in source.assets:
            manual.draft_assets.remove(asset)
    for path, (content_type, data) in source.assets.items():
        blob = store_blob(data)
        asset = assets.get(path)
        if asset is None:
            manual.draft_assets.append(ManualDraftAsset(path=path, content_type=content_type,
                                                        blob=blob))
        else:
            asset.content_type, asset.blob = content_type, blob
    manual.draft_chapters.sort(key=lambda c: c.position)
    manual.draft_lock_version += 1
    db.session.flush()


def draft_source(manual: Manual, *, with_image_bytes: bool = True) -> ManualSource:
    """The working draft as plain data (what publishing it would freeze).

    ``with_image_bytes=False`` leaves the images' bytes empty: enough for checking the draft
    (``draft_problems`` only asks which image paths exist) and for its settings.
    """
    settings = {"title": manual.title, "summary": "", "language": "zh-CN",
                "access": "signed_in", "job_roles": [], **(manual.draft_settings or {})}
    return ManualSource(
        code=manual.code, title=settings["title"], summary=settings["summary"],
        company=settings.get("company") or "",
        language=settings["language"], access=settings["access"],
        job_roles=list(settings["job_roles"]),
        chapters=[ChapterSource(c.filename, c.source) for c in manual.draft_chapters],
        assets={a.path: (a.content_type, a.blob.data if with_image_bytes else b"")
                for a in manual.draft_assets})


def draft_content_hash(manual: Manual) -> str:
    """``draft_source(manual).content_hash()`` from the digest each image blob keeps, so
    comparing a draft with its latest version reads no image bytes."""
    source = draft_source(manual, with_image_bytes=False)
    return content_digest(source.settings(), source.chapters, [
        (a.path, a.content_type, a.blob.sha256) for a in manual.draft_assets])


def draft_problems(source: ManualSource) -> list[str]:
    """Why the draft cannot be published yet (as ``file:line: reason`` lines)."""
    problems: list[SourceProblem] = []
    check_settings(source.settings(), "manual.yml", problems)
    if not source.chapters:
        problems.append(SourceProblem("manual.yml", None, "the manual has no chapters"))
    for chapter in source.chapters:
        check_chapter(chapter.filename, chapter.source, source.assets, problems)
    unknown = unknown_job_roles(source.job_roles)
    if unknown:
        problems.append(SourceProblem("manual.yml", None,
                                      "unknown job roles: " + ", ".join(unknown)))
    return [str(p) for p in problems]


def update_draft_settings(manual: Manual, settings: dict, lock_version: int) -> None:
    if lock_version != manual.draft_lock_version:
        raise EditConflict(manual.draft_settings)
    merged = {**(manual.draft_settings or {}), **settings}
    if not merged.get("company"):  # no company: the portal's; kept out like manual.yml does
        merged.pop("company", None)
    manual.draft_settings = merged
    manual.draft_lock_version += 1
    manual.draft_edited_on_web = True
    db.session.flush()


def update_draft_chapter(chapter: ManualDraftChapter, source: str, lock_version: int) -> None:
    """Save a chapter's text; EditConflict when someone saved it since the editor loaded."""
    if lock_version != chapter.lock_version:
        raise EditConflict(chapter.source)
    chapter.source = source
    chapter.lock_version += 1
    chapter.updated_at = utcnow()
    chapter.manual.draft_edited_on_web = True
    db.session.flush()


def add_draft_chapter(manual: Manual, filename: str, title: str) -> ManualDraftChapter:
    chapter = ManualDraftChapter(filename=filename, position=len(manual.draft_chapters),
                                 source=f"# {title}\n")
    manual.draft_chapters.append(chapter)
    manual.draft_edited_on_web = True
    db.session.flush()
    return chapter


def remove_draft_chapter(chapter: ManualDraftChapter) -> None:
    manual = chapter.manual
    manual.draft_chapters.remove(chapter)
    for position, other in enumerate(manual.draft_chapters):
        other.position = position
    manual.draft_edited_on_web = True
    db.session.flush()


def move_draft_chapter(chapter: ManualDraftChapter, offset: int) -> None:
    """Move a chapter up (-1) or down (+1) in the chapter order."""
    chapters = list(chapter.manual.draft_chapters)
    index = chapters.index(chapter)
    target = index + offset
    if not 0 <= target < len(chapters):
        return
    chapters[index], chapters[target] = chapters[target], chapters[index]
    for position, other in enumerate(chapters):
        other.position = position
    chapter.manual.draft_chapters.sort(key=lambda c: c.position)
    chapter.manual.draft_edited_on_web = True
    db.session.flush()


def attach_draft_image(manual: Manual, path: str, content_type: str,
                       data: bytes) -> ManualDraftAsset:
    existing = next((a for a in manual.draft_assets if a.path == path), None)
    blob = store_blob(data)
    if existing is not None:
        existing.content_type, existing.blob = content_type, blob
        asset = existing
    else:
        asset = ManualDraftAsset(path=path, content_type=content_type, blob=blob)
        manual.draft_assets.append(asset)
    manual.draft_edited_on_web = True
    db.session.flush()
    return asset


def discard_draft(manual: Manual, *, actor=None) -> None:
    """Back to the latest published version's sources."""
    if manual.latest_version is None:
        raise PublishRefused(_("There is no published version to go back to."))
    load_draft(manual, version_source(manual.latest_version))
    manual.draft_edited_on_web = False
    audit.record("manual.discard_draft", target=manual.code, actor=actor)


def version_source(version: ManualVersion) -> ManualSource:
    frozen = yaml.safe_load(version.manual_yml or "") or {}
    return ManualSource(
        code=version.manual.code, title=version.title, summary=version.summary,
        company=str(frozen.get("company") or ""),
        language=version.language, access=version.access, job_roles=list(version.job_roles),
        chapters=[ChapterSource(f"{c.slug}.md", c.source) for c in version.chapters],
        assets={a.path: (a.content_type, a.blob.data) for a in version.assets})


# --------------------------------------------------------------------------- folders

def read_releases(folder: Path) -> list[dict]:
    """``releases.yml``: the release history a demo manual is published from, oldest first."""
    path = folder / "releases.yml"
    if not path.is_file():
        return []
    releases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(releases, list) or not all(
            isinstance(r, dict) and is_version(str(r.get("version", ""))) for r in releases):
        raise ManualSourceError([SourceProblem("releases.yml", None,
                                               "expected a list of {version, from, notes}")])
    return releases


def export_manual(manual: Manual, target: Path) -> list[Path]:
    """Write the working draft back to a manual folder (manual.yml, chapters, images)."""
    source = draft_source(manual)
    target.mkdir(parents=True, exist_ok=True)
    written = [target / "manual.yml"]
    written[0].write_text(source.manual_yml(), encoding="utf-8")
    for chapter in source.chapters:
        path = target / chapter.filename
        path.write_text(chapter.source, encoding="utf-8")
        written.append(path)
    for relative, (_kind, data) in source.assets.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written
