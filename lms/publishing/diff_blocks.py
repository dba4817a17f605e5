"""Cutting a chapter's rendered HTML into blocks of plain text (headings, paragraphs, list
items, table rows, code, admonition titles, footnotes, images), for "what changed" (diff.py).

The stdlib ``html.parser`` reads the sanitised HTML; pure formatting (bold, a link's target)
is not text and is dropped. An image is a block of its alt text (or file name), plus the
fingerprint of its content when the caller marks the ``<img>`` with ``data-digest``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table_row", "code",
                    "admonition_title", "footnote", "term", "definition", "caption",
                    "summary", "image"]


@dataclass(frozen=True)
class Block:
    """One block of a chapter as plain text. ``level`` is 1–6 for headings, else 0;
    ``anchor`` is the element's id (headings, footnotes), for links into the chapter."""

    kind: BlockKind
    text: str
    level: int = 0
    anchor: str | None = None

    @property
    def key(self) -> tuple[str, int, str]:
        """What alignment compares: the anchor is derived and may shift, so it is left out."""
        return (self.kind, self.level, self.text)


# --------------------------------------------------------------------------- blocks

_CONTAINERS = frozenset({"div", "blockquote", "details", "ul", "ol", "dl", "table", "thead",
                         "tbody", "tfoot", "section", "article", "aside", "figure", "header",
                         "footer", "nav", "main", "body", "html"})
_FLOW_KINDS = {"p": "paragraph", "li": "list_item", "dt": "term", "dd": "definition",
               "caption": "caption", "figcaption": "caption", "summary": "summary"}
_ATOMIC_KINDS = {"pre": "code", "tr": "table_row", **{f"h{n}": "heading" for n in range(1, 7)}}
_VOID = frozenset({"br", "hr", "img", "wbr", "col", "area", "source", "track", "input",
                   "embed", "meta", "link", "base", "param"})
SKIPPED_LINK_CLASSES = frozenset({"footnote-backref", "headerlink"})
"""Links that are furniture, not text: a footnote's "↩" and a heading's "¶" permalink."""
_SEPARATING = _CONTAINERS | frozenset(_FLOW_KINDS) | frozenset({"td", "th", "tr", "pre"})


class _Frame:
    """An open block or container; ``parts`` collects its own text (``cells`` in a row)."""

    def __init__(self, tag: str | None, kind: str, *, atomic: bool = False,
                 container: bool = False, level: int = 0, anchor: str | None = None,
                 footnotes: bool = False) -> None:
        self.tag, self.kind, self.level, self.anchor = tag, kind, level, anchor
        self.atomic, self.container, self.footnotes = atomic, container, footnotes
        self.parts: list[str] = []
        self.cells: list[list[str]] = []
        self.images: list[Block] = []
        self.depth = 0  # same-tag nesting inside an atomic frame (a table in a cell)

    def sink(self) -> list[str]:
        return self.cells[-1] if self.tag == "tr" and self.cells else self.parts


def _image_block(attrs: dict[str, str | None]) -> Block | None:
    alt = (attrs.get("alt") or "").strip()
    name = (attrs.get("src") or "").replace("\\", "/").rsplit("/", 1)[-1]
    # The caller may mark an image with a fingerprint of its content (data-digest), so a
    # screenshot replaced under the same file name shows as a changed image.
    digest = (attrs.get("data-digest") or "").strip()
    text = alt or name
    if text and digest:
        text = f"{text} #{digest}"
    return Block("image", text) if text else None


class _BlockExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.stack = [_Frame(None, "paragraph", container=True)]
        self.skip = 0          # depth inside a skipped link (SKIPPED_LINK_CLASSES)
        self.footnote_ref = False

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        if self.skip:
            self.skip += tag not in _VOID
            return
        attrs = dict(attr_list)
        classes = (attrs.get("class") or "").split()
        top = self.stack[-1]
        if tag == "a" and not SKIPPED_LINK_CLASSES.isdisjoint(classes):
            self.skip = 1
        elif tag == "a" and "footnote-ref" in classes:
            top.sink().append("[")
            self.footnote_ref = True
        elif top.atomic:
            self._inline_in_atomic(top, tag, attrs)
        elif tag == "img":
            image = _image_block(attrs)
            if image and top.container:
                self._flush(top)
                self.blocks.append(image)
            elif image:
                top.images.append(image)
        elif tag == "br":
            top.parts.append(" ")
        elif tag in _ATOMIC_KINDS or tag in _FLOW_KINDS or tag in _CONTAINERS:
            self._flush(top)
            self.stack.append(self._open(tag, attrs, classes, top))

    def _open(self, tag: str, attrs: dict, classes: list[str], parent: _Frame) -> _Frame:
        if tag in _ATOMIC_KINDS:
            level = int(tag[1]) if tag[0] == "h" else 0
            anchor = attrs.get("id") if level else None
            return _Frame(tag, _ATOMIC_KINDS[tag], atomic=True, level=level, anchor=anchor)
        footnotes = parent.footnotes or (tag == "div" and "footnote" in classes)
        if tag in _CONTAINERS:
            return _Frame(tag, "paragraph", container=True, footnotes=footnotes)
        kind = _FLOW_KINDS[tag]
        anchor = None
        if tag == "li" and footnotes:
            kind, anchor = "footnote", attrs.get("id")
        elif tag == "p" and "admonition-title" in classes:
            kind = "admonition_title"
        elif tag == "p" and not parent.container:
            # A paragraph of a loose list item (or footnote) is still that item; its first
            # block takes the item's id.
            kind, anchor, parent.anchor = parent.kind, parent.anchor, None
        return _Frame(tag, kind, anchor=anchor, footnotes=footnotes)

    def _inline_in_atomic(self, top: _Frame, tag: str, attrs: dict) -> None:
        if tag == top.tag:
            top.depth += 1
        if top.tag == "tr" and tag in ("td", "th") and not top.depth:
            top.cells.append([])
        elif tag == "img":
            top.sink().append(f" {(attrs.get('alt') or '').strip()} ")
        elif tag == "br" or tag in _SEPARATING:
            top.sink().append("\n" if top.tag == "pre" else " ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        top = self.stack[-1]
        if tag == "a" and self.footnote_ref:
            top.sink().append("]")
            self.footnote_ref = False
        elif top.atomic:
            if tag == top.tag and top.depth:
                top.depth -= 1
            elif tag == top.tag:
                self._flush(self.stack.pop())
            elif tag in _SEPARATING:
                top.sink().append(" ")
        elif tag in _ATOMIC_KINDS or tag in _FLOW_KINDS or tag in _CONTAINERS:
            for index in range(len(self.stack) - 1, 0, -1):
                if self.stack[index].tag == tag:
                    while len(self.stack) > index:
                        self._flush(self.stack.pop())
                    return

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.stack[-1].sink().append(data)

    def _flush(self, frame: _Frame) -> None:
        """Emit the text the frame collected so far (then its images) as a block."""
        if frame.tag == "pre":
            text = "".join(frame.parts).strip("\n")
            text = text if text.strip() else ""
        elif frame.tag == "tr":
            cells = [" ".join("".join(cell).split()) for cell in frame.cells]
            text = " | ".join(cells) if any(cells) else ""
        else:
            text = " ".join("".join(frame.parts).split())
        if text:
            self.blocks.append(Block(frame.kind, text, frame.level, frame.anchor))
        self.blocks.extend(frame.images)
        frame.parts, frame.cells, frame.images = [], [], []

    def close(self) -> None:
        super().close()
        while self.stack:
            self._flush(self.stack.pop())


def extract_blocks(html: str) -> list[Block]:
    """The block-level units of rendered HTML, in document order, as plain text."""
    parser = _BlockExtractor()
    parser.feed(html)
    parser.close()
    return parser.blocks
