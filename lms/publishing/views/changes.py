"""A manual's versions with their release notes, and "what changed" between any two."""

from __future__ import annotations

import re
from urllib.parse import unquote

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from lms.accounts.permissions import public
from lms.core.errors import abort_with_message
from lms.extensions import db
from lms.publishing import services
from lms.publishing.access import readable_manual_or_abort, readable_version_or_abort
from lms.publishing.diff import ChapterText, compare_versions
from lms.publishing.models import Manual, ManualAsset, ManualBlob, ManualChapter, ManualVersion
from lms.publishing.versions import LATEST, is_version
from lms.publishing.views import blueprint
from lms.publishing.views.reader import chapter_url, readable_versions

LAYOUTS = ("inline", "side")


@blueprint.get("/<code>/versions")
@public
def versions(code: str):
    manual = readable_manual_or_abort(code)
    return render_template("publishing/versions.html", manual=manual,
                           versions=readable_versions(manual))


def _asked_version(manual: Manual, text: str) -> ManualVersion:
    """A version named in the query, readable by the visitor (404 / 403 otherwise)."""
    if text == LATEST:
        return readable_version_or_abort(manual, manual.latest_version)
    version = services.version_of(manual, text) if is_version(text) else None
    if version is None:
        abort_with_message(404, _("Version %(version)s of this manual does not exist.",
                                  version=text) if is_version(text) else
                           _("“%(version)s” is not a version number.", version=text))
    return readable_version_or_abort(manual, version)


# The frozen HTML shows an image as <img … src="assets/images/x.png">.
IMAGE_SRC = re.compile(r'<img\b([^>]*?)\ssrc="assets/([^"]+)"')


def _chapter_texts(version: ManualVersion) -> list[ChapterText]:
    """The version's chapters for the comparison, each image marked with a fingerprint of
    its bytes: a screenshot captured again under the same name is a change too."""
    digests = dict(db.session.execute(
        select(ManualAsset.path, ManualBlob.sha256).join(ManualBlob)
        .where(ManualAsset.version_id == version.id)).all())

    def mark(match: re.Match) -> str:
        digest = digests.get(unquote(match.group(2)), "")[:8]
        return f'<img{match.group(1)} data-digest="{digest}" src="assets/{match.group(2)}"'

    rows = db.session.scalars(select(ManualChapter).options(undefer(ManualChapter.html))
                              .where(ManualChapter.version_id == version.id)
                              .order_by(ManualChapter.position))
    return [ChapterText(row.slug, row.title, IMAGE_SRC.sub(mark, row.html)) for row in rows]


@blueprint.get("/<code>/changes")
@public
def changes(code: str):
    """``?from=1.0&to=1.1`` (``to`` defaults to the latest, ``from`` to the one before it)."""
    manual = readable_manual_or_abort(code)
    versions = readable_versions(manual)  # newest first
    newer = _asked_version(manual, request.args.get("to", LATEST))
    if "from" in request.args:
        older = _asked_version(manual, request.args["from"])
    else:  # the version just before the newer one, or the newer one itself if it is first
        older = next((v for v in versions if v.sort_key < newer.sort_key), newer)
    if older.sort_key > newer.sort_key:  # compare old → new whichever way it was asked
        return redirect(url_for("publishing.changes", code=code, layout=request.args.get(
            "layout"), **{"from": newer.version, "to": older.version}))
    layout = request.args.get("layout", "inline")
    layout = layout if layout in LAYOUTS else "inline"
    comparison = compare_versions(_chapter_texts(older), _chapter_texts(newer)) \
        if older.id != newer.id else []
    between = [v for v in reversed(versions) if older.sort_key < v.sort_key <= newer.sort_key]
    url_version = LATEST if newer.id == manual.latest_version_id else newer.version
    return render_template(
        "publishing/changes.html", manual=manual, versions=versions, older=older, newer=newer,
        comparison=comparison, between=between, layout=layout,
        chapter_url=lambda slug, anchor=None: chapter_url(manual, url_version, slug, anchor))
