"""The one Markdown renderer for Praxis: course lessons and operation manuals both use it.

``render_markdown`` turns author Markdown into HTML that is safe to insert into a page
unescaped, plus the list of headings (for a page's table of contents and for deep links).

Pipeline, in order:

1. Python-Markdown with ``tables``, ``fenced_code`` (no Pygments: code keeps a
   ``language-xxx`` class), ``footnotes``, ``admonition``, ``attr_list``, ``sane_lists``
   and ``toc``, plus two steps of our own:

   * VuePress/markdown-it containers (``::: tip 标题`` … ``:::``), which the imported
     manuals use throughout, become the same ``div.admonition`` markup as MkDocs'
     ``!!! tip "标题"``. Unknown kinds (``::: structure``) keep their content in a
     ``div.admonition.<kind>`` without a default title, so nothing is lost.
   * One treeprocessor, run after ``attr_list`` and before ``toc``, which passes every
     link and image URL through the caller's resolver (both Markdown links and raw
     HTML ``<a>``/``<img>``), turns the tables extension's ``style="text-align: …"`` into
     ``text-left``/``text-center``/``text-right`` classes, and registers the ids already in
     the document so heading anchors never collide with them.

2. nh3 (ammonia) sanitises the final HTML against an allow-list. This is the security
   boundary: anything the steps above miss, or that an author smuggles in through raw
   HTML or ``attr_list`` (``{: onclick="…"}``), is removed here.

Heading anchors come from :func:`slugify_heading`; duplicates within one document get
``-2``, ``-3``… (our own dedupe step, wrapped around the slugify that ``toc`` calls, so
``toc``'s ``_1`` suffixes never appear).
"""

from __future__ import annotations

import html
import re
import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markdown.util import AMP_SUBSTITUTE

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "Heading",
    "LinkResolver",
    "RenderedMarkdown",
    "render_markdown",
    "slugify_heading",
]


@dataclass(frozen=True)
class Heading:
    """A heading of the rendered document: its level (1-6), its ``id`` and its plain text."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class RenderedMarkdown:
    """Sanitised HTML and the document's headings in document order."""

    html: str
    headings: list[Heading]


LinkResolver = Callable[[str], str | None]
"""Maps an author's link or image target to the URL to emit, or ``None`` if it cannot."""


# --------------------------------------------------------------------------- slugs

FALLBACK_SLUG = "section"


def slugify_heading(text: str, separator: str = "-") -> str:
    """Return a readable, stable anchor for a heading's text.

    NFKC-normalises first (so full-width ``ＡＢＣ１`` becomes ``abc1``), keeps Unicode letters,
    digits and combining marks (so Chinese stays Chinese), lowercases, turns whitespace,
    dashes, underscores and the separator itself into one separator, and drops all other
    punctuation and symbols, ASCII or full-width (``、，。：（）`` …). Separators never
    repeat and never start or end the slug. Never empty: falls back to ``"section"``.

    >>> slugify_heading("1. 创建 Sales Order（草稿）")
    '1-创建-sales-order草稿'
    """
    parts: list[str] = []
    pending_separator = False
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category[0] in "LNM":
            # Only emit a separator between two kept runs: that both collapses repeats
            # and keeps the slug from starting or ending with one.
            if pending_separator and parts:
                parts.append(separator)
            pending_separator = False
            parts.append(char.lower())
        elif char.isspace() or category in ("Pd", "Pc") or char == separator:
            # Dashes and underscores separate words as spaces do ("Sales-Order").
            pending_separator = True
        # Everything else (punctuation, symbols, emoji, format characters) is dropped.
    return "".join(parts) or FALLBACK_SLUG


class _UniqueSlugs:
    """The ``slugify`` handed to ``toc`` for one document: slugs plus ``-2``/``-3`` dedupe.

    ``toc`` would dedupe with ``_1``, ``_2``; doing it here instead keeps one readable
    style. ``used`` is seeded (by our treeprocessor, just before ``toc`` runs) with the ids
    already in the document, e.g. footnotes' or ids set with ``attr_list``, so ``toc`` never
    has to add a suffix of its own.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, value: str, separator: str) -> str:
        base = slugify_heading(value, separator)
        slug = base
        number = 2
        while slug in self.used:
            slug = f"{base}{separator}{number}"
            number += 1
        self.used.add(slug)
        return slug


# --------------------------------------------------------------------------- links

# Left alone and never shown to the resolver: they already point somewhere definite.
PASS_THROUGH_SCHEMES = frozenset({"http", "https", "mailto"})
# Never shown to the resolver either: no resolver should be tempted to pass them on.
UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob"})

UNRESOLVED_LINK_CLASS = "unresolved-link"
UNRESOLVED_IMAGE_CLASS = "unresolved-image"

_KEEP = object()  # sentinel: "leave the URL exactly as written"


def _plain_url(value: str) -> str:
    """Undo Python-Markdown's encoding of auto-links (``<me@example.com>``).

    It writes those hrefs as ``&#109;&#97;…`` with ``&`` swapped for a placeholder, so
    without this an obfuscated ``mailto:`` would look like a relative path to the resolver.
    """
    if AMP_SUBSTITUTE in value:
        return html.unescape(value.replace(AMP_SUBSTITUTE, "&"))
    return value


def _resolve_url(url: str, resolver: LinkResolver | None) -> str | None | object:
    """Decide what becomes of one href/src: ``_KEEP``, a new URL, or ``None`` (unresolved)."""
    plain = _plain_url(url)
    stripped = plain.strip()
    if not stripped:
        # ``[图 3 - 1]()`` in the manuals: a link to nowhere is a placeholder, not a link.
        return None
    if stripped.startswith("#") or stripped.startswith("//"):
        # Same-page fragments, and network-path references (which are absolute).
        return _KEEP
    try:
        scheme = urlsplit(stripped).scheme.lower()
    except ValueError:  # e.g. "http://[broken" - not a URL anyone can follow
        return None
    if scheme in PASS_THROUGH_SCHEMES:
        return _KEEP
    if scheme in UNSAFE_SCHEMES:
        return None
    if resolver is not None:
        return resolver(plain)
    # No resolver: relative paths stay as written; any other scheme (manual:, ftp: …)
    # is something only a resolver could map, so the link is unresolved.
    return None if scheme else _KEEP


def _rewrite_tree_links(root: etree.Element, resolver: LinkResolver | None) -> None:
    """Resolve Markdown links and images in place; unresolvable ones become spans."""
    for el in list(root.iter()):
        if el.tag == "a" and "href" in el.attrib:
            outcome = _resolve_url(el.attrib["href"], resolver)
            if outcome is None:
                # Keep the text (and any nested markup) but make it plainly not a link.
                el.tag = "span"
                el.attrib.clear()
                el.set("class", UNRESOLVED_LINK_CLASS)
            elif isinstance(outcome, str):
                el.set("href", outcome)
        elif el.tag == "img" and "src" in el.attrib:
            outcome = _resolve_url(el.attrib["src"], resolver)
            if outcome is None:
                alt = el.get("alt", "")
                el.tag = "span"
                el.attrib.clear()
                el.set("class", UNRESOLVED_IMAGE_CLASS)
                el.text = alt
            elif isinstance(outcome, str):
                el.set("src", outcome)


class _RawHtmlLinkRewriter(HTMLParser):
    """Resolves ``<a href>``/``<img src>`` inside one stashed raw-HTML fragment.

    Raw HTML never reaches Python-Markdown's ElementTree (it waits in the ``htmlStash`` as
    text), yet the imported manuals put all their screenshots in raw ``<img>`` tags. This
    uses a real HTML tokenizer, re-emits every tag it does not change verbatim, and only
    rebuilds the tags whose URL changed. It is not a security measure: nh3 runs last.
    """

    def __init__(self, resolver: LinkResolver | None) -> None:
        # Keep character references as written: we only re-emit what we are given.
        super().__init__(convert_charrefs=False)
        self.resolver = resolver
        self.out: list[str] = []
        self.changed = False

    def rewrite(self, fragment: str) -> str:
        self.feed(fragment)
        self.close()
        return "".join(self.out) if self.changed else fragment

    def _emit_tag(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        original = self.get_starttag_text() or ""
        url_attr = {"a": "href", "img": "src"}.get(tag)
        values = dict(attrs)
        if url_attr is None or values.get(url_attr) is None:
            self.out.append(original)
            return
        outcome = _resolve_url(values[url_attr] or "", self.resolver)
        if outcome is _KEEP:
            self.out.append(original)
            return
        self.changed = True
        if outcome is None and tag == "img":
            alt = html.escape(values.get("alt") or "")
            self.out.append(f'<span class="{UNRESOLVED_IMAGE_CLASS}">{alt}</span>')
            return
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if name == url_attr:
                if isinstance(outcome, str):
                    new_attrs.append((name, outcome))
            elif name != "class" or outcome is not None:
                new_attrs.append((name, value))
        if outcome is None:
            # An <a> whose closing tag may sit in another stash entry (inline HTML is
            # stashed tag by tag), so it stays an <a>, just without href, with the class.
            new_attrs.append(("class", UNRESOLVED_LINK_CLASS))
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"'
            for name, value in new_attrs
        )
        self.out.append(f"<{tag}{rendered}{' /' if closing else ''}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit_tag(tag, attrs, closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit_tag(tag, attrs, closing=True)

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


def _rewrite_raw_html(fragment: str, resolver: LinkResolver | None) -> str:
    """Resolve links in one raw-HTML fragment; leave it untouched if it cannot be parsed."""
    if "<a" not in fragment.lower() and "<img" not in fragment.lower():
        return fragment  # fenced code and most raw HTML: nothing to do
    try:
        return _RawHtmlLinkRewriter(resolver).rewrite(fragment)
    except Exception:
        # html.parser can still assert on odd markup. Resolving raw-HTML links is a
        # convenience, not a safeguard: nh3 still sanitises the fragment.
        return fragment


# --------------------------------------------------------------------------- tables

_ALIGN_CLASSES = {"left": "text-left", "center": "text-center", "right": "text-right"}


def _align_style_to_class(root: etree.Element) -> None:
    """The tables extension aligns with inline styles; we allow no styles, so use classes."""
    for el in root.iter():
        if el.tag not in ("th", "td") or "style" not in el.attrib:
            continue
        declarations = dict(
            (prop.strip().lower(), value.strip().lower())
            for prop, _, value in (part.partition(":") for part in el.attrib["style"].split(";"))
            if prop.strip()
        )
        align_class = _ALIGN_CLASSES.get(declarations.get("text-align", ""))
        del el.attrib["style"]
        if align_class:
            classes = el.get("class", "").split()
            el.set("class", " ".join([*classes, align_class]))


# --------------------------------------------------------------------------- extension

class _PraxisTreeprocessor(Treeprocessor):
    """Links, table alignment and id bookkeeping, after ``attr_list`` and before ``toc``.

    Running after ``attr_list`` (priority 8) means an author cannot swap a resolved href
    for another with ``{: href="…"}``; running before ``toc`` (priority 5) lets us seed the
    heading slugger with every id already present.
    """

    def __init__(
        self, md: markdown.Markdown, resolver: LinkResolver | None, slugs: _UniqueSlugs
    ) -> None:
        super().__init__(md)
        self.resolver = resolver
        self.slugs = slugs

    def run(self, root: etree.Element) -> None:
        _align_style_to_class(root)
        _rewrite_tree_links(root, self.resolver)
        stash = self.md.htmlStash.rawHtmlBlocks
        for index, fragment in enumerate(stash):
            if isinstance(fragment, str):
                stash[index] = _rewrite_raw_html(fragment, self.resolver)
        self.slugs.used.update(el.attrib["id"] for el in root.iter() if "id" in el.attrib)


class _ContainerBlockProcessor(BlockProcessor):
    """VuePress / markdown-it-container blocks: ``::: kind [title]`` … ``:::``.

    Follows markdown-it-container: the block closes at the first bare fence with at least
    as many colons (nest by using more colons outside), an unclosed block runs to the end,
    and the opening fence may interrupt a paragraph.
    """

    START_RE = re.compile(
        r"^ {0,3}(?P<colons>:{3,})[ \t]*(?P<kind>[A-Za-z][A-Za-z0-9_-]*)(?:[ \t]+(?P<title>.*))?$"
    )
    END_RE = re.compile(r"^ {0,3}(?P<colons>:{3,})[ \t]*$")
    # Kinds VuePress styles as callouts; they get a default title as `!!! kind` does.
    TITLED_KINDS = frozenset(
        {"tip", "info", "note", "warning", "caution", "danger", "important", "details"}
    )

    def test(self, parent: etree.Element, block: str) -> bool:
        return any(self.START_RE.match(line) for line in block.split("\n"))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).split("\n")
        start = next(i for i, line in enumerate(lines) if self.START_RE.match(line))
        if start:
            self.parser.parseBlocks(parent, ["\n".join(lines[:start])])
        opening = self.START_RE.match(lines[start])
        assert opening is not None  # test() found this line

        remainder = lines[start + 1:]
        body, rest = self._split_at_closing(
            (["\n".join(remainder)] if remainder else []) + blocks, len(opening["colons"])
        )
        blocks[:] = rest  # in place: the parser goes on consuming this same list

        kind = opening["kind"].lower()
        title = (opening["title"] or "").strip()
        if not title and kind in self.TITLED_KINDS:
            title = kind.capitalize()
        div = etree.SubElement(parent, "div")
        div.set("class", f"admonition {kind}")
        if title:
            heading = etree.SubElement(div, "p")
            heading.set("class", "admonition-title")
            heading.text = title
        self.parser.parseBlocks(div, [block for block in body if block.strip()])

    def _split_at_closing(self, blocks: list[str], width: int) -> tuple[list[str], list[str]]:
        """Split ``blocks`` at the closing fence: (the container's body, what follows it)."""
        for block_index, block in enumerate(blocks):
            block_lines = block.split("\n")
            for line_index, line in enumerate(block_lines):
                closing = self.END_RE.match(line)
                if closing and len(closing["colons"]) >= width:
                    body = [*blocks[:block_index], "\n".join(block_lines[:line_index])]
                    after = "\n".join(block_lines[line_index + 1:])
                    rest = ([after] if after.strip() else []) + blocks[block_index + 1:]
                    return body, rest
        return blocks, []  # unclosed: runs to the end, as in markdown-it-container


class _PraxisExtension(Extension):
    def __init__(self, resolver: LinkResolver | None, slugs: _UniqueSlugs) -> None:
        self.resolver = resolver
        self.slugs = slugs
        super().__init__()

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Just above `admonition` (105); both claim blocks by their own fence only.
        md.parser.blockprocessors.register(_ContainerBlockProcessor(md.parser), "container", 106)
        md.treeprocessors.register(
            _PraxisTreeprocessor(md, self.resolver, self.slugs), "praxis_links", 6
        )


# --------------------------------------------------------------------------- sanitising

ALLOWED_TAGS: frozenset[str] = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
    "em", "strong", "b", "i", "s", "del", "ins", "sub", "sup", "kbd", "mark", "small", "abbr",
    "a", "img", "div", "span", "details", "summary",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
})

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    **{f"h{level}": frozenset({"id"}) for level in range(1, 7)},
    # Footnotes: <sup id="fnref:1"><a class="footnote-ref">, <li id="fn:1">.
    "sup": frozenset({"id", "class"}),
    "li": frozenset({"id", "class"}),
    # sane_lists writes start="3" for a list that starts at 3.
    "ol": frozenset({"class", "start"}),
    # p: admonition titles (class="admonition-title").
    **{tag: frozenset({"class"}) for tag in ("div", "span", "code", "pre", "p")},
    # th/td: alignment classes (text-left/center/right), never style.
    **{tag: frozenset({"class", "colspan", "rowspan"}) for tag in ("th", "td")},
    "abbr": frozenset({"title"}),
}

# Removed with their content, so no script text or fallback markup shows up as text.
CLEAN_CONTENT_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
    "noscript", "noembed", "noframes", "template", "textarea", "title", "xmp", "svg", "math",
})

URL_SCHEMES = frozenset({"http", "https", "mailto"})


def _sanitize(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


# --------------------------------------------------------------------------- entry point

def _flatten_headings(tokens: list[dict]) -> list[Heading]:
    """``toc_tokens`` nest by level; we want document order, flat."""
    headings: list[Heading] = []
    for token in tokens:
        # toc's "name" is tag-stripped but still HTML-escaped text.
        headings.append(Heading(token["level"], token["id"], html.unescape(token["name"])))
        headings.extend(_flatten_headings(token.get("children", [])))
    return headings


def render_markdown(source: str, *, resolve_link: LinkResolver | None = None) -> RenderedMarkdown:
    """Render author Markdown to sanitised HTML plus its headings.

    ``resolve_link`` is called with the raw target of every link and image (Markdown or
    raw HTML) that is not ``http(s):``/``mailto:``, a same-page ``#fragment`` or empty:
    relative paths (``images/a.png``, ``sales.md#审批``) and other schemes
    (``manual:erp-operation#销售订单``); never ``javascript:``, ``data:``, ``vbscript:``,
    ``file:`` or ``blob:``, which are always unresolved. It returns the URL to emit, or
    ``None`` when it cannot resolve the target: a Markdown link then becomes
    ``<span class="unresolved-link">text</span>``, a raw ``<a>`` loses its href and gets
    that class, and an image becomes ``<span class="unresolved-image">alt</span>``.
    Without a resolver, relative targets stay as written and other schemes are unresolved.
    """
    # A fresh Markdown per call: the resolver and slug registry are per document, and a
    # shared instance would not be safe across a threaded server's requests.
    slugs = _UniqueSlugs()
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "footnotes",
            "admonition",
            "attr_list",
            "sane_lists",
            "toc",
            _PraxisExtension(resolve_link, slugs),
        ],
        extension_configs={"toc": {"slugify": slugs, "permalink": False}},
    )
    body = md.convert(source)
    headings = _flatten_headings(getattr(md, "toc_tokens", []))
    return RenderedMarkdown(html=_sanitize(body), headings=headings)
