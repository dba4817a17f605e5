"""Full-text search in one published version, Chinese included.

At publish time every chapter is cut at its headings into sections (heading + the text under
it), stored in ``manual_search_sections`` with a folded copy (NFKC + casefold). A query is
folded the same way, split at spaces, and a section matches when it contains every term:
``LIKE '%term%'`` on the folded text, the same SQL on SQLite and PostgreSQL.

Why substring matching and not an FTS index: Chinese has no spaces, and the words people
search for are often two characters (审批, 库存). SQLite's FTS5 trigram tokenizer cannot match
a term shorter than three characters, and a word segmenter (jieba) misses terms it splits
differently from the author. A version of a manual is a few hundred sections, so scanning its
sections (indexed by version) is exact and fast; see benchmarks/README.md for the figures.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import Markup, escape
from sqlalchemy import and_, select

from lms.extensions import db
from lms.publishing.models import ManualChapter, ManualSearchSection, ManualVersion

HEADING_TAGS = {f"h{n}" for n in range(1, 7)}
# Text of these is navigation, not content (footnote back-links).
SKIPPED_CLASSES = {"footnote-backref", "headerlink"}
BLOCK_TAGS = {"p", "li", "tr", "pre", "div", "table", "blockquote", "br", "td", "th", "hr"}
SNIPPET_CHARS = 60
MAX_TERMS = 8
MAX_QUERY_CHARS = 100


def fold(text: str) -> str:
    """What search compares: NFKC (full-width ＡＢＣ１ → ABC1) then casefold."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass
class Section:
    level: int
    anchor: str
    heading: str
    text: str


class _SectionSplitter(HTMLParser):
    def __init__(self, chapter_title: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections = [Section(1, "", chapter_title, "")]
        self.parts: list[str] = []
        self.in_heading: str | None = None
        self.heading_parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if self.skip_depth or SKIPPED_CLASSES & set((values.get("class") or "").split()):
            self.skip_depth += 1 if tag not in ("br", "hr", "img") else 0
            return
        if tag in HEADING_TAGS:
            self._close_section()
            self.in_heading = tag
            self.heading_parts = []
            self.sections.append(Section(int(tag[1]), values.get("id") or "", "", ""))
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
        elif tag == "img" and values.get("alt"):
            self.parts.append(values["alt"])

    def handle_endtag(self, tag):
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag == self.in_heading:
            self.sections[-1].heading = " ".join("".join(self.heading_parts).split())
            self.in_heading = None
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data):
        if self.skip_depth:
            return
        (self.heading_parts if self.in_heading else self.parts).append(data)

    def _close_section(self) -> None:
        lines = ("".join(self.parts)).split("\n")
        self.sections[-1].text = "\n".join(" ".join(line.split()) for line in lines
                                           if line.strip())
        self.parts = []

    def result(self) -> list[Section]:
        self._close_section()
        first = self.sections[0]
        # A chapter's own "# title" is its first heading: merge the placeholder into it.
        if len(self.sections) > 1 and not first.text and self.sections[1].level == 1:
            self.sections.pop(0)
        return self.sections


def split_sections(chapter_title: str, html: str) -> list[Section]:
    """The chapter's sections in document order: heading, its anchor, the text under it."""
    splitter = _SectionSplitter(chapter_title)
    splitter.feed(html)
    splitter.close()
    return splitter.result()


def index_chapter(version: ManualVersion, chapter: ManualChapter, html: str) -> None:
    """Store the chapter's sections for searching (called while publishing)."""
    for position, section in enumerate(split_sections(chapter.title, html)):
        db.session.add(ManualSearchSection(
            version_id=version.id, chapter_id=chapter.id, position=position,
            level=section.level, anchor=section.anchor[:300], heading=section.heading,
            text=section.text, folded=fold(section.heading + "\n" + section.text)))


def query_terms(query: str) -> list[str]:
    """The folded, de-duplicated terms of a query (at most MAX_TERMS)."""
    terms: list[str] = []
    for term in fold(query[:MAX_QUERY_CHARS]).split():
        if term not in terms:
            terms.append(term)
    return terms[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class SearchHit:
    chapter_slug: str
    chapter_title: str
    anchor: str
    heading: Markup
    snippet: Markup
    level: int


def search_version(version_id: int, query: str, *, limit: int = 20,
                   offset: int = 0) -> tuple[list[SearchHit], int]:
    """(hits of this page, total) for ``query`` in one version, in reading order."""
    terms = query_terms(query)
    if not terms:
        return [], 0
    condition = and_(ManualSearchSection.version_id == version_id, *(
        ManualSearchSection.folded.like(_like_pattern(term), escape="\\") for term in terms))
    total = db.session.scalar(select(db.func.count()).select_from(ManualSearchSection)
                              .where(condition))
    rows = db.session.execute(
        select(ManualSearchSection, ManualChapter.slug, ManualChapter.title)
        .join(ManualChapter, ManualSearchSection.chapter_id == ManualChapter.id)
        .where(condition)
        .order_by(ManualChapter.position, ManualSearchSection.position)
        .limit(limit).offset(offset)).all()
    hits = [SearchHit(slug, title, section.anchor, highlight(section.heading, terms),
                      snippet(section.text, terms), section.level)
            for section, slug, title in rows]
    return hits, total or 0


def _folded_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (positions in the original text).

    NFKC can change a string's length, so matching runs on a per-character folded copy with
    a map back to the original positions.
    """
    folded_chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = fold(char)
        folded_chars.append(piece)
        origin.extend([index] * len(piece))
    folded = "".join(folded_chars)
    spans = []
    for term in terms:
        for match in re.finditer(re.escape(term), folded):
            start = origin[match.start()]
            end = origin[match.end() - 1] + 1
            spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with every occurrence of a term in ``<mark>``."""
    out: list[str] = []
    last = 0
    for start, end in _folded_spans(text, terms):
        out.append(str(escape(text[last:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        last = end
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def snippet(text: str, terms: list[str]) -> Markup:
    """About SNIPPET_CHARS characters around the first hit in the text, highlighted."""
    text = " ".join(text.split())
    spans = _folded_spans(text, terms)
    if not spans:
        short = text[: SNIPPET_CHARS * 2]
        return highlight(short + ("…" if len(text) > len(short) else ""), terms)
    start = max(0, spans[0][0] - SNIPPET_CHARS)
    end = min(len(text), spans[0][1] + SNIPPET_CHARS)
    body = highlight(text[start:end], terms)
    return Markup(("…" if start > 0 else "") + body + ("…" if end < len(text) else ""))
