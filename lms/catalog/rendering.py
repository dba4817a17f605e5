"""Turning an item's Markdown into safe HTML, resolving course images and manual links."""

from __future__ import annotations

from flask import current_app, g, url_for

from lms.catalog.models import CourseRevision
from lms.core.markdown import RenderedMarkdown, render_markdown


def manual_link(target: str) -> str | None:
    """``manual:CODE#heading`` -> the heading in the manual's latest published version.

    Manuals are served by the publishing blueprint; until it is installed (or when the
    manual has no published version) the link cannot be resolved and shows as plain text.
    """
    code, _, anchor = target.removeprefix("manual:").partition("#")
    if "publishing.latest" not in current_app.view_functions or not code:
        return None
    from lms.publishing.services import manual_by_code  # publishing imports catalog

    # One lookup per manual per request, however many links a lesson has.
    published = g.setdefault("published_manuals", {})
    if code not in published:
        manual = manual_by_code(code)
        published[code] = manual is not None and manual.latest_version_id is not None
    if not published[code]:
        return None
    if anchor:
        # The heading may move between chapters in later versions: this URL finds it then.
        return url_for("publishing.heading", code=code, anchor=anchor)
    return url_for("publishing.latest", code=code)


def asset_url(revision: CourseRevision, name: str) -> str | None:
    asset_id = revision.asset_map.get(name.removeprefix("./"))
    if asset_id is None:
        return None
    return url_for("catalog.asset", code=revision.course.code, asset_id=asset_id,
                   name=name.rsplit("/", 1)[-1])


def render_item_markdown(revision: CourseRevision, text: str) -> RenderedMarkdown:
    """Render a lesson (or preview) of ``revision`` exactly as learners see it."""

    def resolve(href: str) -> str | None:
        if href.startswith("manual:"):
            return manual_link(href)
        path, _, fragment = href.partition("#")
        url = asset_url(revision, path)
        if url is None:
            return None
        return f"{url}#{fragment}" if fragment else url

    return render_markdown(text, resolve_link=resolve)


def course_cover_url(revision: CourseRevision) -> str | None:
    """The cover image of a revision, or None when it has none."""
    return asset_url(revision, revision.cover_name) if revision.cover_name else None
