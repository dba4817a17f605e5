"""A manual chapter's Markdown to HTML: for the reader (relative links, permalinks) and for
the PDF (links between chapters as ``<slug>.html#anchor``, images as their paths).

Both use the one renderer of lessons (``lms.core.markdown``), so headings get the same
stable Unicode anchors everywhere and the output is sanitised by nh3.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from markupsafe import escape

from lms.core.markdown import RenderedMarkdown, render_markdown

# The sanitiser writes headings as <hN id="…">; a permalink is added after the text.
HEADING_TAG = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)


def _split_target(href: str) -> tuple[str, str]:
    path, _, fragment = href.partition("#")
    return unquote(path).removeprefix("./"), fragment


def chapter_resolver(chapter_slugs: set[str], asset_paths: set[str], *, for_pdf: bool):
    """The link resolver for one version: other chapters, headings, images, other manuals."""

    def resolve(href: str) -> str | None:
        if href.startswith("manual:"):
            code, _, anchor = href.removeprefix("manual:").partition("#")
            return None if for_pdf or not code else _other_manual_url(code, anchor)
        path, fragment = _split_target(href)
        if path in asset_paths:
            return path if for_pdf else "assets/" + quote(path)
        if path.endswith(".md") and path.removesuffix(".md") in chapter_slugs:
            slug = path.removesuffix(".md")
            target = f"{slug}.html" if for_pdf else slug
            return f"{target}#{fragment}" if fragment else target
        return None

    return resolve


def _other_manual_url(code: str, anchor: str) -> str:
    """Relative to a chapter page (/manuals/CODE/VERSION/CHAPTER), so publishing needs no
    request (the CLI has none) and the frozen HTML works under any host or prefix."""
    if anchor:
        return f"../../{quote(code)}/latest/find/{quote(anchor)}"
    return f"../../{quote(code)}/latest/"


def add_permalinks(html: str, label: str) -> str:
    """A ``¶`` link after every heading's text, for copying a link to the section."""

    def link(match: re.Match) -> str:
        level, anchor, inner = match.groups()
        return (f'<h{level} id="{anchor}">{inner}<a class="headerlink" href="#{anchor}" '
                f'title="{escape(label)}">¶</a></h{level}>')

    return HEADING_TAG.sub(link, html)


def render_chapter(source: str, chapter_slugs: set[str], asset_paths: set[str], *,
                   for_pdf: bool = False) -> RenderedMarkdown:
    return render_markdown(source, resolve_link=chapter_resolver(
        chapter_slugs, asset_paths, for_pdf=for_pdf))
