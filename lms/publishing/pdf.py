"""A manual version as one PDF: cover, contents, chapters; rendered by WeasyPrint.

``build_pdf_html`` runs in the caller's process (it needs an app context for the template
and the document's language); ``render_pdf`` then hands plain data to a separate worker
process (:mod:`lms.publishing.pdf_worker`) with a memory limit and a wall-clock timeout, so a
pathological manual cannot take the web or queue worker down with it.

Chapters are written for the web, one page each, so their ids collide once they share one
document. Every id inside a chapter gets the prefix ``<slug>--`` and links are rewritten to
match: ``#X`` → ``#<slug>--X``, ``<other>.html#X`` → ``#<other>--X``, ``<other>.html`` →
``#<other>`` (the chapter's ``<section id>``). This is done on the tokens of a real HTML
parser (stdlib ``html.parser``), never with a regex over the markup.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup

from lms.publishing import pdf_worker
from lms.publishing.pdf_worker import BASE_URL, fetch_url_for

__all__ = [
    "BASE_URL",
    "CJK_FONT",
    "CjkFontMissing",
    "PdfChapter",
    "PdfDocument",
    "PdfError",
    "RenderedPdf",
    "build_pdf_html",
    "check_cjk_font",
    "fetch_url_for",
    "render_pdf",
]

CJK_FONT = "Noto Sans CJK SC"
STYLESHEET = Path(__file__).with_name("pdf.css")
TEMPLATE = "publishing/pdf/manual.html"
# Characters left as they are in a rewritten "#fragment"; everything else is %-encoded, and
# WeasyPrint decodes internal links before matching them against ids.
_FRAGMENT_SAFE = "-._~!$&'()*+,;=:@/?"
# A table with at least this many columns gets class="wide-table" (smaller type).
WIDE_TABLE_COLUMNS = 6


@dataclass(frozen=True)
class PdfChapter:
    slug: str
    title: str
    html: str


@dataclass(frozen=True)
class PdfDocument:
    code: str
    title: str
    version: str
    published_at: datetime
    company: str
    language: str  # "zh-CN" or "en"
    chapters: list[PdfChapter]
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    sha256: str


class PdfError(Exception):
    """The PDF could not be made; ``str()`` is a message for the person who asked for it."""


class CjkFontMissing(PdfError):
    """Fontconfig has no "Noto Sans CJK SC": Chinese text would come out as empty boxes."""


def check_cjk_font() -> None:
    """Raise :class:`CjkFontMissing` unless fontconfig knows "Noto Sans CJK SC".

    Asks ``fc-list`` in a subprocess, so it sees the same fontconfig setup (including
    ``FONTCONFIG_FILE``) that WeasyPrint will, without loading Pango here.
    """
    fc_list = shutil.which("fc-list")
    found = ""
    if fc_list:
        result = subprocess.run(
            [fc_list, f":family={CJK_FONT}", "family"],
            capture_output=True, text=True, timeout=30, check=False,
        )
        found = result.stdout
    if CJK_FONT not in found:
        raise CjkFontMissing(_(
            "The font %(font)s is not installed, so Chinese text cannot be put in the PDF. "
            "Install Debian's fonts-noto-cjk package (apt-get install fonts-noto-cjk) on "
            "the server.", font=CJK_FONT))


# --------------------------------------------------------------------------- chapter HTML


@dataclass(frozen=True)
class _Section:
    text: str
    href: str


@dataclass
class _PreparedChapter:
    anchor: str
    anchor_href: str
    title: str
    title_id: str | None
    html: Markup
    sections: list[_Section]


def _fragment_href(anchor: str) -> str:
    return quote(anchor, safe=_FRAGMENT_SAFE)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class _ChapterRewriter(HTMLParser):
    """Re-emits one chapter's HTML with ids prefixed and links pointing inside the PDF.

    Also collects what the PDF needs from the chapter: its ``##`` headings (for the
    contents), the images it uses, and a leading ``<h1>`` (the Markdown title) that the
    chapter title replaces.
    """

    def __init__(self, slug: str, chapter_slugs: set[str]) -> None:
        super().__init__(convert_charrefs=False)  # entities are re-emitted as written
        self.slug = slug
        self.chapter_slugs = chapter_slugs
        self.out: list[str] = []
        self.sections: list[_Section] = []
        self.images: set[str] = set()
        self.seen_element = False
        # The leading <h1>: out[start:end], its id, its text.
        self.leading_h1: tuple[int, int, str | None, str] | None = None
        self._h1_start: int | None = None
        self._h1_id: str | None = None
        self._heading: tuple[str, list[str]] | None = None  # an h2's id and text so far
        self._tables: list[list[int]] = []  # [index of <table> in out, rows, first-row cells]

    def rewrite(self, fragment: str) -> str:
        self.feed(fragment)
        self.close()
        return "".join(self.out)

    # -------------------------------------------------------------- attributes

    def prefixed(self, value: str) -> str:
        return f"{self.slug}--{value}"

    def _href(self, href: str) -> str | None:
        """The href inside the PDF, or ``None`` when it can lead nowhere there."""
        if href.startswith("#"):
            return "#" + _fragment_href(self.prefixed(unquote(href[1:])))
        try:
            parts = urlsplit(href)
        except ValueError:
            return None
        if parts.scheme or parts.netloc:
            return href  # http(s)/mailto: the reader's PDF viewer opens them
        path = posixpath.normpath(unquote(parts.path))
        if "/" in path or not path.endswith(".html"):
            return None
        target = path.removesuffix(".html")
        if target not in self.chapter_slugs:
            return None  # a chapter that is not in this PDF
        if parts.fragment:
            return "#" + _fragment_href(f"{target}--{unquote(parts.fragment)}")
        return "#" + _fragment_href(target)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> list:
        rewritten = []
        for name, value in attrs:
            if value is not None and name == "id":
                value = self.prefixed(value)
            elif value is not None and name == "href" and tag == "a":
                value = self._href(value)
                if value is None:
                    continue
            elif value is not None and name == "src" and tag == "img":
                self.images.add(unquote(value))
            rewritten.append((name, value))
        return rewritten

    def _emit_tag(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"'
            for name, value in self._attributes(tag, attrs)
        )
        self.out.append(f"<{tag}{rendered}{' /' if closed else ''}>")

    # -------------------------------------------------------------- tokens

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        values = dict(attrs)
        if tag == "h1" and not self.seen_element:
            self._h1_start, self._h1_id = len(self.out), values.get("id")
        self.seen_element = True
        if tag == "h2" and values.get("id"):
            self._heading = (values["id"], [])
        if tag == "table":
            self._tables.append([len(self.out), 0, 0])  # index, rows seen, first-row cells
        elif tag == "tr" and self._tables:
            self._tables[-1][1] += 1
        elif tag in ("th", "td") and self._tables and self._tables[-1][1] == 1:
            span = values.get("colspan") or "1"
            # isdigit() accepts "²" and other digits int() refuses: ASCII digits only.
            self._tables[-1][2] += min(int(span), 1000) if span.isascii() and span.isdigit() \
                else 1
        self._emit_tag(tag, attrs, closed)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if tag == "h1" and self._h1_start is not None:
            text = _plain("".join(self.out[self._h1_start + 1:-1]))
            self.leading_h1 = (self._h1_start, len(self.out), self._h1_id, text)
            self._h1_start = None
        elif tag == "h2" and self._heading is not None:
            anchor, parts = self._heading
            text = " ".join("".join(parts).split())
            self.sections.append(_Section(text, _fragment_href(self.prefixed(anchor))))
            self._heading = None
        elif tag == "table" and self._tables:
            index, _rows, columns = self._tables.pop()
            if columns >= WIDE_TABLE_COLUMNS:
                self.out[index] = self.out[index].replace("<table", '<table class="wide-table"', 1)

    def _text(self, raw: str, text: str) -> None:
        self.out.append(raw)
        if text.strip():
            self.seen_element = True
        if self._heading is not None:
            self._heading[1].append(text)

    def handle_data(self, data: str) -> None:
        self._text(data, data)

    def handle_entityref(self, name: str) -> None:
        self._text(f"&{name};", html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._text(f"&#{name};", html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")


def _plain(markup: str) -> str:
    """Text of a small HTML fragment (a heading's content)."""
    parser = HTMLParser()
    parts: list[str] = []
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parts).split())


def _prepare_chapter(chapter: PdfChapter, chapter_slugs: set[str]) -> tuple[_PreparedChapter,
                                                                              set[str]]:
    rewriter = _ChapterRewriter(chapter.slug, chapter_slugs)
    body = rewriter.rewrite(chapter.html)
    title_id = None
    if rewriter.leading_h1 is not None:
        start, end, anchor, text = rewriter.leading_h1
        if _same_text(text, chapter.title):
            # The Markdown's "# Title" repeats the chapter title: drop it, keep its anchor.
            body = "".join(rewriter.out[:start] + rewriter.out[end:])
            title_id = rewriter.prefixed(anchor) if anchor else None
    prepared = _PreparedChapter(
        anchor=chapter.slug, anchor_href=_fragment_href(chapter.slug), title=chapter.title,
        title_id=title_id, html=Markup(body), sections=rewriter.sections,
    )
    return prepared, rewriter.images


# --------------------------------------------------------------------------- document


def _css_string(text: str) -> str:
    escaped = "".join(c if c.isalnum() or c in " /-.,:;()" or ord(c) > 127
                      else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def _footer_content() -> Markup:
    """CSS ``content`` for "Page N of M" in the active language, with page counters."""
    counters = {"\x00page\x00": "counter(page)", "\x00pages\x00": "counter(pages)"}
    label = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    pieces = re.split("(\x00pages?\x00)", label)
    return Markup(" ".join(counters.get(piece) or _css_string(piece) for piece in pieces if piece))


def _company_date(moment: datetime) -> date:
    """The day in the company's time zone (not the requesting user's): one PDF for all."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).date()


def _locale(language: str) -> str:
    return language.replace("-", "_")


def build_pdf_html(document: PdfDocument) -> str:
    """The whole PDF as one HTML document, labelled in ``document.language``.

    Needs an app context (the template and the translations).
    """
    return _build(document)[0]


def _build(document: PdfDocument) -> tuple[str, set[str]]:
    """The document's HTML and the (unquoted) image paths its chapters use."""
    slugs = {chapter.slug for chapter in document.chapters}
    chapters, images = [], set()
    for chapter in document.chapters:
        prepared, used = _prepare_chapter(chapter, slugs)
        chapters.append(prepared)
        images |= used
    # The template straight from the app's Jinja environment, not ``render_template``: the
    # app's context processors (navigation for the signed-in user) need a request, and a
    # PDF is also rendered from the CLI and background jobs, where there is none.
    template = current_app.jinja_env.get_template(TEMPLATE)
    with force_locale(_locale(document.language)):
        markup = template.render(
            document=document,
            chapters=chapters,
            stylesheet=Markup(STYLESHEET.read_text(encoding="utf-8")),
            footer_content=_footer_content(),
            published=format_date(_company_date(document.published_at), format="long"),
            created=document.published_at.isoformat(),
        )
    return markup, images


def _used_assets(document: PdfDocument, used: set[str]) -> dict[str, tuple[str, bytes]]:
    """Only the assets the chapters show cross to the worker process, as plain data."""
    return {
        str(path): (str(content_type), bytes(data))
        for path, (content_type, data) in document.assets.items()
        if unquote(path) in used or path in used
    }


def render_pdf(document: PdfDocument, *, timeout: float = 120,
               memory_mb: int = 1536) -> RenderedPdf:
    """Render ``document`` to PDF in a worker process; raise :class:`PdfError` on failure.

    Needs an app context (see :func:`build_pdf_html`). The worker may use at most
    ``memory_mb`` of address space and ``timeout`` seconds of wall-clock time.
    """
    check_cjk_font()
    markup, images = _build(document)
    try:
        data, pages = pdf_worker.run_worker(
            markup, _used_assets(document, images), timeout=timeout, memory_mb=memory_mb)
    except pdf_worker.WorkerTimeout:
        raise PdfError(_("Rendering the PDF took longer than %(seconds)s seconds and was "
                         "stopped.", seconds=f"{timeout:g}")) from None
    except pdf_worker.WorkerOutOfMemory:
        raise PdfError(_("Rendering the PDF needed more than %(megabytes)s MB of memory and "
                         "was stopped.", megabytes=memory_mb)) from None
    except pdf_worker.WorkerDied as died:
        raise PdfError(_("The PDF renderer stopped unexpectedly (exit code %(code)s); it may "
                         "have needed more than %(megabytes)s MB of memory.",
                         code=died.exitcode, megabytes=memory_mb)) from None
    except pdf_worker.WorkerFailed as error:
        raise PdfError(_("The PDF could not be rendered: %(reason)s",
                         reason=str(error))) from None
    return RenderedPdf(data=data, pages=pages, sha256=hashlib.sha256(data).hexdigest())
