"""A manual's versions with their release notes, and "what changed" between any two."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from lms.accounts.permissions import public
from lms.core.errors import abort_with_message
from lms.extensions import db
from lms.publishing import services
from lms.publishing.access import readable_manual_or_abort
from lms.publishing.models import ManualChapter, ManualVersion
from lms.publishing.versions import LATEST, is_version
from lms.publishing.views import blueprint
from lms.publishing.views.reader import chapter_url

LAYOUTS = ("inline", "side")


@blueprint.get("/<code>/versions")
@public
def versions(code: str):
    manual = readable_manual_or_abort(code)
    return render_template("publishing/versions.html", manual=manual,
                           versions=services.versions_of(manual))


def _chapter_texts(version: ManualVersion) -> list:
    from lms.publishing.diff import ChapterText

    rows = db.session.scalars(select(ManualChapter).options(undefer(ManualChapter.html))
                              .where(ManualChapter.version_id == version.id)
                              .order_by(ManualChapter.position))
    return [ChapterText(row.slug, row.title, row.html) for row in rows]


@blueprint.get("/<code>/changes")
@public
def changes(code: str):
    """``?from=1.0&to=1.1`` (``to`` defaults to the latest, ``from`` to the one before it)."""
    manual = readable_manual_or_abort(code)
    versions = services.versions_of(manual)  # newest first
    by_number = {v.version: v for v in versions}
    to_text = request.args.get("to", LATEST)
    newer = manual.latest_version if to_text == LATEST else by_number.get(to_text)
    default_from = versions[1].version if len(versions) > 1 else versions[0].version
    from_text = request.args.get("from", default_from)
    older = by_number.get(from_text)
    for text, found in ((from_text, older), (to_text, newer)):
        if found is None:
            message = (_("Version %(version)s of this manual does not exist.", version=text)
                       if is_version(text) else
                       _("“%(version)s” is not a version number.", version=text))
            abort_with_message(404, message)
    if older.sort_key > newer.sort_key:  # compare old → new whichever way it was asked
        return redirect(url_for("publishing.changes", code=code, layout=request.args.get(
            "layout"), **{"from": newer.version, "to": older.version}))
    layout = request.args.get("layout", "inline")
    layout = layout if layout in LAYOUTS else "inline"
    from lms.publishing.diff import compare_versions

    comparison = compare_versions(_chapter_texts(older), _chapter_texts(newer)) \
        if older.id != newer.id else []
    between = [v for v in reversed(versions) if older.sort_key < v.sort_key <= newer.sort_key]
    url_version = LATEST if newer.id == manual.latest_version_id else newer.version
    return render_template(
        "publishing/changes.html", manual=manual, versions=versions, older=older, newer=newer,
        comparison=comparison, between=between, layout=layout,
        chapter_url=lambda slug, anchor=None: chapter_url(manual, url_version, slug, anchor))
