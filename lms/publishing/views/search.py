"""Searching one version of a manual (the latest by default), Chinese included."""

from __future__ import annotations

from flask import render_template, request

from lms.accounts.permissions import public
from lms.catalog.reports import Page
from lms.publishing.access import readable_manual_or_abort
from lms.publishing.search import query_terms, search_version
from lms.publishing.versions import LATEST
from lms.publishing.views import blueprint
from lms.publishing.views.reader import chapter_url, version_or_404

PER_PAGE = 20


# "latest" gets its own rule: /<code>/latest/<chapter> would otherwise take "search".
@blueprint.get("/<code>/latest/search", defaults={"version": LATEST})
@blueprint.get("/<code>/<version>/search")
@public
def search(code: str, version: str = LATEST):
    manual = readable_manual_or_abort(code)
    row = version_or_404(manual, version)
    query = request.args.get("q", "").strip()
    page_number = request.args.get("page", 1, type=int)
    page_number = page_number if 1 <= page_number <= 10_000 else 1
    hits, total = search_version(row.id, query, limit=PER_PAGE,
                                 offset=(page_number - 1) * PER_PAGE)
    return render_template(
        "publishing/search.html", manual=manual, version=row, url_version=version,
        query=query, terms=query_terms(query), hits=hits,
        page=Page(hits, page_number, PER_PAGE, total),
        is_old=row.id != manual.latest_version_id,
        chapter_url=lambda slug, anchor=None: chapter_url(manual, version, slug, anchor))
