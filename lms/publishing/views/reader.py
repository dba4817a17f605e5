"""Reading a manual: the list, a chapter of a version, its images and its PDF.

``/manuals/CODE/latest/…`` always shows the newest version (a stable URL for bookmarks and
lessons); ``/manuals/CODE/1.1/…`` one version for good. Links inside chapters are relative
(``sales#审批``, ``assets/images/x.png``), so the same frozen HTML works under both.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.permissions import public
from lms.core.errors import abort_with_message
from lms.extensions import db
from lms.publishing import services
from lms.publishing.access import (
    can_read,
    can_read_version,
    readable_manual_or_abort,
    readable_version_or_abort,
)
from lms.publishing.models import Manual, ManualAsset, ManualBlob, ManualChapter, ManualVersion
from lms.publishing.versions import LATEST, is_version
from lms.publishing.views import blueprint

VERSION_CACHE_SECONDS = 86400


def version_or_404(manual: Manual, url_version: str) -> ManualVersion:
    """The version in the URL, if the visitor may read it (see access.py)."""
    if url_version == LATEST:
        return readable_version_or_abort(manual, manual.latest_version)
    if not is_version(url_version):
        abort(404)
    version = services.version_of(manual, url_version)
    if version is None:
        abort_with_message(404, _("Version %(version)s of this manual does not exist.",
                                  version=url_version))
    return readable_version_or_abort(manual, version)


def readable_versions(manual: Manual) -> list[ManualVersion]:
    """The versions this visitor may read, newest first (for the switcher and lists)."""
    return [v for v in services.versions_of(manual)
            if can_read_version(manual, v, current_user)]


def chapter_url(manual: Manual, url_version: str, slug: str, anchor: str | None = None) -> str:
    if url_version == LATEST:
        url = url_for("publishing.latest", code=manual.code, chapter=slug)
    else:
        url = url_for("publishing.chapter", code=manual.code, version=url_version, chapter=slug)
    return f"{url}#{anchor}" if anchor else url


@blueprint.get("/")
@public
def index():
    """The manuals this visitor may read."""
    manuals = db.session.scalars(select(Manual).where(Manual.latest_version_id.is_not(None))
                                 .options(joinedload(Manual.latest_version))
                                 .order_by(Manual.title)).all()
    readable = [m for m in manuals if can_read(m, current_user)]
    return render_template("publishing/index.html", manuals=readable,
                           hidden=len(manuals) - len(readable))


@blueprint.get("/<code>/")
@public
def manual(code: str):
    readable_manual_or_abort(code)
    return redirect(url_for("publishing.latest", code=code))


@blueprint.get("/<code>/latest/", defaults={"chapter": None})
@blueprint.get("/<code>/latest/<chapter>")
@public
def latest(code: str, chapter: str | None):
    return _chapter_page(code, LATEST, chapter)


@blueprint.get("/<code>/<version>/", defaults={"chapter": None})
@blueprint.get("/<code>/<version>/<chapter>")
@public
def chapter(code: str, version: str, chapter: str | None):
    return _chapter_page(code, version, chapter)


def _chapter_page(code: str, url_version: str, slug: str | None):
    manual = readable_manual_or_abort(code)
    version = version_or_404(manual, url_version)
    chapters = version.chapters
    if slug is None:
        return redirect(chapter_url(manual, url_version, chapters[0].slug))
    current = next((c for c in chapters if c.slug == slug), None)
    if current is None:
        abort_with_message(404, _("This version of the manual has no chapter “%(chapter)s”.",
                                  chapter=slug))
    html = db.session.scalar(select(ManualChapter.html).where(ManualChapter.id == current.id))
    index = chapters.index(current)
    versions = readable_versions(manual)
    response = make_response(render_template(
        "publishing/chapter.html", manual=manual, version=version, url_version=url_version,
        chapter=current, chapter_html=html, chapters=chapters, versions=versions,
        latest=manual.latest_version, is_old=version.id != manual.latest_version_id,
        previous=chapters[index - 1] if index > 0 else None,
        following=chapters[index + 1] if index + 1 < len(chapters) else None,
        chapter_url=lambda slug, anchor=None: chapter_url(manual, url_version, slug, anchor)))
    if manual.access != "public":
        response.headers["Cache-Control"] = "private, no-store"
    return response


@blueprint.get("/<code>/switch")
@public
def switch(code: str):
    """The version switcher: the same chapter in another version, or its first chapter."""
    manual = readable_manual_or_abort(code)
    target = request.args.get("to", LATEST)
    slug = request.args.get("chapter", "")
    version = version_or_404(manual, target)
    exists = db.session.scalar(select(ManualChapter.id).where(
        ManualChapter.version_id == version.id, ManualChapter.slug == slug))
    if exists is None and slug:
        flash(_("Version %(version)s has no chapter “%(chapter)s”; here is its first chapter.",
                version=version.version, chapter=slug), "info")
    return redirect(chapter_url(manual, target, slug if exists else version.chapters[0].slug))


@blueprint.get("/<code>/latest/find/<path:anchor>")
@public
def heading(code: str, anchor: str):
    """``manual:CODE#heading`` links from lessons: the chapter holding that heading now."""
    manual = readable_manual_or_abort(code)
    chapters = readable_version_or_abort(manual, manual.latest_version).chapters
    for candidate in chapters:
        if any(entry[1] == anchor for entry in candidate.headings):
            return redirect(chapter_url(manual, LATEST, candidate.slug, anchor))
    flash(_("The section “%(heading)s” is not in the current version of this manual.",
            heading=anchor), "warning")
    return redirect(chapter_url(manual, LATEST, chapters[0].slug))


def _frozen_file(blob: ManualBlob, content_type: str, manual: Manual, url_version: str,
                 download_name: str | None = None):
    """A frozen image or PDF with its content hash as ETag. A browser that has it already
    gets 304 before the bytes are even read from the database."""
    if blob.sha256 in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(blob.data)
        response.headers["Content-Type"] = content_type
        if download_name:
            response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(blob.sha256)
    if manual.access != "public":
        response.headers["Cache-Control"] = "private, no-cache"
    elif url_version == LATEST:
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        # A version's file never changes, but its access may be narrowed later (the
        # manual's setting applies to old versions too): shared caches keep it a day.
        response.headers["Cache-Control"] = f"public, max-age={VERSION_CACHE_SECONDS}"
    return response


@blueprint.get("/<code>/<version>/assets/<path:path>")
@public
def asset(code: str, version: str, path: str):
    manual = readable_manual_or_abort(code)
    row = version_or_404(manual, version)
    found = db.session.scalar(select(ManualAsset).where(
        ManualAsset.version_id == row.id, ManualAsset.path == path))
    if found is None:
        abort(404)
    return _frozen_file(found.blob, found.content_type, manual, version)


@blueprint.get("/<code>/latest/manual.pdf", defaults={"version": LATEST})
@blueprint.get("/<code>/<version>/manual.pdf")
@public
def pdf(code: str, version: str):
    """The PDF rendered when the version was published: served, never rendered here."""
    manual = readable_manual_or_abort(code)
    row = version_or_404(manual, version)
    if row.pdf_blob is None:
        abort_with_message(404, _("This version was published without a PDF."))
    return _frozen_file(row.pdf_blob, "application/pdf", manual, version,
                        download_name=f"{manual.code}-{row.version}.pdf")
