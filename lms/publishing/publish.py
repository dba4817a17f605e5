"""Publishing a manual version: check, render (reader HTML, PDF HTML, PDF), then write.

Rendering comes first and writes nothing, so a refused or failed publication leaves nothing
behind. The PDF (seconds for a long manual) is rendered outside any database transaction:
on SQLite every transaction holds the database's write lock from its first statement
(``BEGIN IMMEDIATE``, see ``lms/database.py``), and the whole portal would otherwise wait
for WeasyPrint. So publishing **ends the caller's transaction** before rendering the PDF
(call it with nothing pending), then reads the manual again, checks that the draft and the
version number are still what was rendered, and writes the version in a new transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from lms.accounts import audit
from lms.accounts.models import User
from lms.core.markdown import render_markdown
from lms.database import utcnow
from lms.extensions import db
from lms.publishing.immutability import NEW_VERSIONS
from lms.publishing.models import Manual, ManualAsset, ManualChapter, ManualVersion
from lms.publishing.rendering import add_permalinks, render_chapter
from lms.publishing.search import index_chapter
from lms.publishing.services import (
    PublishRefused,
    create_manual,
    draft_content_hash,
    draft_problems,
    draft_source,
    load_draft,
    manual_by_code,
    store_blob,
    unknown_job_roles,
    versions_of,
)
from lms.publishing.source import (
    ChapterSource,
    ManualSource,
    ManualSourceError,
    SourceProblem,
    chapter_title,
    read_manual_folder,
)
from lms.publishing.versions import is_version, sort_key, version_key


@dataclass
class RenderedChapter:
    source: ChapterSource
    title: str
    reader_html: str
    pdf_html: str
    headings: list


def render_all(source: ManualSource) -> list[RenderedChapter]:
    """Every chapter rendered for the reader and for the PDF."""
    slugs = {c.slug for c in source.chapters}
    paths = set(source.assets)
    permalink = _("Link to this section")
    rendered = []
    for chapter in source.chapters:
        reader = render_chapter(chapter.source, slugs, paths)
        pdf = render_chapter(chapter.source, slugs, paths, for_pdf=True)
        # The title as readers see it: the rendered text of the "# " heading, without the
        # Markdown of emphasis or code in it.
        first = next((h for h in reader.headings if h.level == 1), None)
        title = first.text if first else chapter_title(chapter.source) or chapter.slug
        rendered.append(RenderedChapter(
            chapter, title, add_permalinks(reader.html, permalink), pdf.html,
            [[h.level, h.anchor, h.text] for h in reader.headings]))
    return rendered


def check_version_number(manual: Manual | None, version: str, source: ManualSource) -> None:
    if not is_version(version):
        raise PublishRefused(_("“%(version)s” is not a version number: use MAJOR.MINOR or "
                               "MAJOR.MINOR.PATCH, such as 1.0 or 2.3.1.", version=version))
    existing = versions_of(manual) if manual is not None else []
    if any(version_key(v.version) == version_key(version) for v in existing):
        raise PublishRefused(_("Version %(version)s of this manual is already published; "
                               "published versions never change. Choose a new number.",
                               version=version))
    if existing and existing[0].content_hash == source.content_hash():
        raise PublishRefused(_("Nothing changed since version %(version)s: the sources are "
                               "identical, so there is nothing to publish.",
                               version=existing[0].version))


def _render_pdf(code: str, version: str, source: ManualSource,
                rendered: list[RenderedChapter], published_at: datetime):
    from lms.publishing.pdf import PdfChapter, PdfDocument, PdfError, render_pdf

    document = PdfDocument(
        code=code, title=source.title, version=version, published_at=published_at,
        company=source.company or current_app.config.get("COMPANY_NAME") or "",
        language=source.language,
        chapters=[PdfChapter(r.source.slug, r.title, r.pdf_html) for r in rendered],
        assets=dict(source.assets))
    try:
        return render_pdf(document, timeout=current_app.config["MANUAL_PDF_TIMEOUT"])
    except PdfError as error:
        raise PublishRefused(_("The PDF could not be made: %(reason)s", reason=str(error))) \
            from None


@dataclass
class _Prepared:
    source: ManualSource
    version: str
    rendered: list[RenderedChapter]
    published_at: datetime
    pdf: object | None


def _prepare(manual: Manual | None, code: str, source: ManualSource, version: str,
             published_at: datetime | None, with_pdf: bool) -> _Prepared:
    """Check and render; with the PDF, the caller's transaction is ended first."""
    problems = draft_problems(source)
    if problems:
        raise PublishRefused(_("The draft cannot be published yet:") + "\n" +
                             "\n".join(problems))
    check_version_number(manual, version, source)
    published_at = published_at or utcnow()
    rendered = render_all(source)
    pdf = None
    if with_pdf:
        db.session.commit()  # nothing is pending: this only ends the read transaction
        pdf = _render_pdf(code, version, source, rendered, published_at)
    return _Prepared(source, version, rendered, published_at, pdf)


def _write_version(manual: Manual, prepared: _Prepared, notes: str, publisher_id: int | None,
                   actor) -> ManualVersion:
    source, pdf = prepared.source, prepared.pdf
    notes = notes.strip()
    row = ManualVersion(
        manual_id=manual.id, version=prepared.version, sort_key=sort_key(prepared.version),
        title=source.title, summary=source.summary, language=source.language,
        access=source.access, job_roles=list(source.job_roles), notes=notes,
        notes_html=render_markdown(notes).html if notes else "",
        published_by_id=publisher_id, published_at=prepared.published_at,
        content_hash=source.content_hash(), manual_yml=source.manual_yml(),
        pdf_blob=store_blob(pdf.data) if pdf else None, pdf_pages=pdf.pages if pdf else None)
    db.session.add(row)
    db.session.flush()
    # The immutability guard lets rows be added only to a version made in this session.
    db.session.info.setdefault(NEW_VERSIONS, set()).add(row.id)
    for position, chapter in enumerate(prepared.rendered):
        chapter_row = ManualChapter(
            version_id=row.id, position=position, slug=chapter.source.slug,
            title=chapter.title, source=chapter.source.source, html=chapter.reader_html,
            headings=chapter.headings)
        db.session.add(chapter_row)
        db.session.flush()
        index_chapter(row, chapter_row, chapter.reader_html)
    for path, (content_type, data) in source.assets.items():
        db.session.add(ManualAsset(version_id=row.id, path=path, content_type=content_type,
                                   blob=store_blob(data)))
    db.session.flush()
    _make_current(manual)
    manual.draft_edited_on_web = False
    audit.record("manual.publish", target=manual.code, actor=actor,
                 after={"version": prepared.version, "content_hash": row.content_hash})
    db.session.flush()
    return row


def _make_current(manual: Manual) -> None:
    """Point the manual at its highest version and take that version's reader settings."""
    db.session.expire(manual, ["latest_version"])
    latest = versions_of(manual)[0]
    manual.latest_version = latest
    manual.title, manual.summary, manual.language = latest.title, latest.summary, latest.language
    manual.access, manual.job_roles = latest.access, list(latest.job_roles)


def publish_version(manual: Manual, version: str, notes: str = "", *, publisher: User | None,
                    published_at: datetime | None = None, with_pdf: bool = True,
                    actor=None) -> ManualVersion:
    """Freeze the working draft as ``version``; PublishRefused says why not."""
    version = (version or "").strip()
    manual_id, code = manual.id, manual.code
    publisher_id = publisher.id if publisher else None
    source = draft_source(manual)
    prepared = _prepare(manual, code, source, version, published_at, with_pdf)
    manual = db.session.get(Manual, manual_id)
    if with_pdf:  # someone may have saved the draft or published while the PDF rendered
        if draft_content_hash(manual) != source.content_hash():
            raise PublishRefused(_("The draft changed while its PDF was being made, so nothing "
                                   "was published. Check the draft and publish again."))
        check_version_number(manual, version, source)
    return _write_version(manual, prepared, notes, publisher_id, actor or publisher)


def publish_from_folder(folder: Path, version: str, notes: str = "", *,
                        publisher: User | None, overlay: Path | None = None,
                        force: bool = False, published_at: datetime | None = None,
                        with_pdf: bool = True) -> ManualVersion:
    """Publish a manual folder (``lms manuals publish``): it becomes the draft and a version.

    A draft with unpublished web edits is not overwritten unless ``force``. Nothing changes
    (not even the draft) when the folder or the publication is refused.
    """
    source = read_manual_folder(folder, overlay)
    unknown = unknown_job_roles(source.job_roles)
    if unknown:
        raise ManualSourceError([SourceProblem("manual.yml", None,
                                               "unknown job roles: " + ", ".join(unknown))])
    publisher_id = publisher.id if publisher else None
    manual = manual_by_code(source.code)
    if manual is not None and manual.draft_edited_on_web and not force and \
            draft_content_hash(manual) != source.content_hash():
        raise PublishRefused(_(
            "The manual's draft has unpublished changes made in the web editor. Publish or "
            "discard them there first (or use --force to replace them with the files)."))
    prepared = _prepare(manual, source.code, source, version.strip(), published_at, with_pdf)
    manual = manual_by_code(source.code)
    if manual is None:
        manual = create_manual(source.code, source.title, actor=publisher)
    elif with_pdf:
        check_version_number(manual, prepared.version, source)
    load_draft(manual, source)
    return _write_version(manual, prepared, notes, publisher_id, publisher)
