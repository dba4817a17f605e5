"""What changed between two published versions of a manual: chapters, then blocks, then words.

Pure Python (no database, no request). :func:`compare_versions` takes each version's chapters
as :class:`ChapterText` (slug, title, sanitised HTML) and returns one :class:`ChapterChange`
per chapter, in the new version's order, removed chapters placed where they were.

Inside a chapter present in both versions:

1. The rendered HTML is cut into blocks (``diff_blocks.py``: headings, paragraphs, list
   items, table rows, code blocks, admonition titles, footnotes, images…) of plain text.
   Pure formatting (bold, a link's target, an image's file under the same
   alt text) is not text, so it is not compared; a chapter whose HTML differs only in that
   way is ``changed`` with ``formatting_only`` set.
2. Blocks are aligned with ``difflib.SequenceMatcher`` (``autojunk=False``). In a replaced
   run, blocks of the same kind whose word-level similarity is at least
   :data:`SIMILARITY` are paired (order kept) and shown as one block with an inline diff;
   the rest are deletions and insertions. A deleted block whose exact text is inserted
   elsewhere in the chapter is flagged ``moved`` on both sides.
3. Paired blocks are diffed word by word (:func:`tokenize`: one token per CJK character,
   Latin words and numbers such as ``50,000.00`` or ``SO-0003`` whole), then adjacent
   changes are merged into phrases (:func:`diff_words`).

**Limits.** ``SequenceMatcher`` is quadratic or worse on repetitive input (thousands of
identical table rows, a long paragraph of common words), so every alignment is costed first
— (pairs of equal items) × (the shorter length), after trimming the common start and end —
and charged to a budget (:class:`DiffLimits`; a unit is roughly a nanosecond): at most
``max_item_work`` for one alignment and ``max_total_work`` for the whole call, a second or
two at worst. Over budget:

* a chapter's blocks are aligned only on the blocks that occur once on each side (patience
  diff's anchors, O(n log n)) and the rest is listed as deleted and added blocks
  (``ChapterChange.simplified``); chapters of more than ``max_blocks`` blocks always are;
* a pair of blocks shows its common start and end around one deletion and one insertion,
  without a word diff (``BlockChange.word_level`` false).

Pairing similar blocks looks at most :data:`PAIR_BAND` blocks ahead, so it is linear too.
A pathological document therefore costs near-linear time and cannot hang a request.
"""

from __future__ import annotations

import bisect
import difflib
import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

from markupsafe import Markup, escape

from lms.publishing.diff_blocks import Block, extract_blocks

__all__ = [
    "Block", "BlockChange", "ChangeCounts", "ChapterChange", "ChapterText", "DiffLimits",
    "Segment", "SIMILARITY", "compare_versions", "diff_words", "extract_blocks", "tokenize",
]

SIMILARITY = 0.5
"""Replaced blocks at least this similar (difflib ratio over tokens) are shown as one."""

PAIR_BAND = 8
"""How far ahead pairing looks for a similar block in a replaced run (see ``_pairs``)."""

QUICK_CHECK_WORK = 200
"""Work charged per token for the cheap similarity bounds tried before pairing two blocks
(in the units of :class:`DiffLimits`: one unit is about a nanosecond of SequenceMatcher)."""

MIN_MOVED_CHARS = 8
"""Shorter blocks ("提示", "1") repeat too often to call a delete + insert of them a move."""


@dataclass(frozen=True)
class DiffLimits:
    """Caps on the work of one comparison (see the module docstring)."""

    max_blocks: int = 5000            # blocks per chapter side: beyond, block level only
    max_item_work: int = 50_000_000   # one alignment (blocks of a chapter, words of a pair)
    max_total_work: int = 400_000_000  # everything in one compare_versions call


DEFAULT_LIMITS = DiffLimits()


# --------------------------------------------------------------------------- data

@dataclass(frozen=True)
class ChapterText:
    slug: str     # chapter file name without .md
    title: str
    html: str     # the chapter's sanitised, rendered HTML (lms.core.markdown.render_markdown)




class Segment(NamedTuple):
    """A run of text of a word-level diff: ``equal``, ``delete`` or ``insert``."""

    op: Literal["equal", "delete", "insert"]
    text: str


def _wrap(tag: str, text: str, label: str) -> Markup:
    hidden = (Markup('<span class="visually-hidden mdiff-label">{} </span>').format(label)
              if label else Markup(""))
    return Markup("<{0}>{1}{2}</{0}>").format(Markup(tag), hidden, text)


@dataclass(frozen=True)
class BlockChange:
    """An added, removed or changed block. ``context`` is the nearest heading before it in
    the new version (None at the chapter's start); ``segments`` its word-level diff."""

    status: Literal["added", "removed", "changed"]
    old: Block | None
    new: Block | None
    context: Block | None
    segments: tuple[Segment, ...]
    word_level: bool = True   # False: over a cap, no word diff (common start/end kept)
    moved: bool = False       # removed here and inserted unchanged elsewhere (or vice versa)

    @property
    def block(self) -> Block:
        """The new block, or the old one if removed."""
        block = self.new or self.old
        assert block is not None
        return block

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def level(self) -> int:
        return self.block.level

    def inline_html(self, deleted_label: str = "", inserted_label: str = "") -> Markup:
        """One text with ``<del>``/``<ins>``; labels go in visually hidden spans inside them."""
        return Markup("").join(
            escape(text) if op == "equal"
            else _wrap("del" if op == "delete" else "ins", text,
                       deleted_label if op == "delete" else inserted_label)
            for op, text in self.segments)

    def old_html(self, deleted_label: str = "") -> Markup:
        """The old side: unchanged text and ``<del>`` only (empty for an added block)."""
        if self.old is None:
            return Markup("")
        return Markup("").join(escape(text) if op == "equal" else _wrap("del", text, deleted_label)
                               for op, text in self.segments if op != "insert")

    def new_html(self, inserted_label: str = "") -> Markup:
        """The new side: unchanged text and ``<ins>`` only (empty for a removed block)."""
        if self.new is None:
            return Markup("")
        return Markup("").join(escape(text) if op == "equal" else _wrap("ins", text, inserted_label)
                               for op, text in self.segments if op != "delete")

    @property
    def inline(self) -> Markup:
        return self.inline_html()

    @property
    def old_side(self) -> Markup:
        return self.old_html()

    @property
    def new_side(self) -> Markup:
        return self.new_html()


@dataclass(frozen=True)
class ChangeCounts:
    """Blocks added, removed, changed and moved (a move counts once, not as two)."""

    added: int = 0
    removed: int = 0
    changed: int = 0
    moved: int = 0

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed + self.moved


ChapterStatus = Literal["added", "removed", "changed", "unchanged"]


@dataclass(frozen=True)
class ChapterChange:
    """One chapter's fate. ``title`` is the new title (the old one if removed); ``old_title``
    None if added. ``blocks`` only for ``changed``; ``counts`` for every status (an added
    chapter counts all its blocks as added, a removed one as removed)."""

    slug: str
    title: str
    old_title: str | None
    status: ChapterStatus
    blocks: tuple[BlockChange, ...] = ()
    counts: ChangeCounts = field(default_factory=ChangeCounts)
    formatting_only: bool = False  # the HTML changed but none of its text did
    simplified: bool = False       # a cap was hit: block level only for (part of) the chapter

    @property
    def renamed(self) -> bool:
        return self.old_title is not None and self.old_title != self.title


# --------------------------------------------------------------------------- words

_CJK = ("\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
        "\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f")
_WORD_CHAR = rf"(?:(?![{_CJK}])[^\W_])"
_TOKEN_RE = re.compile(rf"[{_CJK}]|{_WORD_CHAR}+(?:[.,\-_'’]{_WORD_CHAR}+)*|\s+|.", re.S)


def tokenize(text: str) -> list[str]:
    """Split text for a word diff: each CJK character or punctuation mark alone, runs of
    letters/digits whole (``.``, ``,``, ``-``, ``_``, ``'`` inside them: ``50,000.00``,
    ``SO-0003``), whitespace runs, any other character alone. ``"".join`` gives it back."""
    return _TOKEN_RE.findall(text)


class _Work:
    """What is left of the comparison's budget (see :class:`DiffLimits`)."""

    def __init__(self, limits: DiffLimits) -> None:
        self.limits = limits
        self.left = limits.max_total_work

    def allow(self, cost: int) -> bool:
        if cost > self.limits.max_item_work or cost > self.left:
            return False
        self.left -= cost
        return True


Opcode = tuple[str, int, int, int, int]


def _anchored(a: Sequence, b: Sequence) -> list[Opcode]:
    """Cheap opcodes (patience diff's first step, O(n log n)): items occurring once in each
    sequence, in the longest run of the same order, are equal; everything between them is
    replaced."""
    count_a, count_b = Counter(a), Counter(b)
    where_b = {item: j for j, item in enumerate(b) if count_b[item] == 1}
    tails: list[int] = []    # tails[k]: index in ``found`` ending the best run of length k + 1
    tail_js: list[int] = []  # the j of each of those, for the binary search
    found: list[tuple[int, int, int]] = []  # (i, j, index in ``found`` of the previous one)
    for i, item in enumerate(a):
        if count_a[item] != 1 or item not in where_b:
            continue
        j = where_b[item]
        k = bisect.bisect_left(tail_js, j)
        found.append((i, j, tails[k - 1] if k else -1))
        tails[k:k + 1] = [len(found) - 1]
        tail_js[k:k + 1] = [j]
    anchors: list[tuple[int, int]] = []
    at = tails[-1] if tails else -1
    while at >= 0:
        anchors.append(found[at][:2])
        at = found[at][2]
    ops: list[Opcode] = []
    i = j = 0
    for ai, bj in [*reversed(anchors), (len(a), len(b))]:
        if i < ai or j < bj:
            tag = "replace" if i < ai and j < bj else "delete" if i < ai else "insert"
            ops.append((tag, i, ai, j, bj))
        if ai < len(a):
            if ops and ops[-1][0] == "equal" and ops[-1][2] == ai:
                ops[-1] = ("equal", ops[-1][1], ai + 1, ops[-1][3], bj + 1)
            else:
                ops.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    return ops


def _opcodes(a: Sequence, b: Sequence, work: _Work, *,
             anchored: bool = False) -> tuple[list[Opcode], bool]:
    """SequenceMatcher opcodes of ``a`` → ``b``, and whether they are complete. Over budget,
    only the common start and end are found, and the middle is one ``replace`` or, with
    ``anchored``, aligned on the items unique to both sides (:func:`_anchored`)."""
    n, m = len(a), len(b)
    start = 0
    while start < min(n, m) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(n, m) - start and a[n - 1 - end] == b[m - 1 - end]:
        end += 1
    mid_a, mid_b = a[start:n - end], b[start:m - end]
    ops: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    complete = True
    if mid_a and mid_b:
        counts_b = Counter(mid_b)
        cost = sum(counts_b[item] for item in mid_a) * min(len(mid_a), len(mid_b))
        if work.allow(cost + len(mid_a) + len(mid_b)):
            matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
            ops += [(tag, i1 + start, i2 + start, j1 + start, j2 + start)
                    for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
        elif anchored:
            complete = False
            ops += [(tag, i1 + start, i2 + start, j1 + start, j2 + start)
                    for tag, i1, i2, j1, j2 in _anchored(mid_a, mid_b)]
        else:
            complete = False
            ops.append(("replace", start, n - end, start, m - end))
    elif mid_a:
        ops.append(("delete", start, n - end, start, start))
    elif mid_b:
        ops.append(("insert", start, start, start, m - end))
    if end:
        ops.append(("equal", n - end, n, m - end, m))
    return ops, complete


def _ratio(ops: list[Opcode], n: int, m: int) -> float:
    matched = sum(i2 - i1 for tag, i1, i2, _j1, _j2 in ops if tag == "equal")
    return 2.0 * matched / (n + m) if n + m else 1.0


def _phrases(ops: list[Opcode], a: list[str], b: list[str]) -> list[list[str]]:
    """Hunks as ``[equal_text]`` or ``[deleted, inserted]``, with adjacent changes merged and
    an equal run between two changes absorbed into them when it is only whitespace or no
    longer than the changes on both sides (diff-match-patch's semantic cleanup): so
    ``<del>over 20,000</del><ins>above 50,000</ins>``, not four fragments."""
    hunks: list[list[str]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            hunks.append(["".join(a[i1:i2])])
        elif hunks and len(hunks[-1]) == 2:
            hunks[-1][0] += "".join(a[i1:i2])
            hunks[-1][1] += "".join(b[j1:j2])
        else:
            hunks.append(["".join(a[i1:i2]), "".join(b[j1:j2])])
    merged = True
    while merged:
        merged = False
        for index in range(1, len(hunks) - 1):
            before, equal, after = hunks[index - 1:index + 2]
            if len(equal) != 1 or len(before) != 2 or len(after) != 2:
                continue
            text = equal[0]
            if text.isspace() or len(text) <= min(max(map(len, before)), max(map(len, after))):
                hunks[index - 1:index + 2] = [[before[0] + text + after[0],
                                               before[1] + text + after[1]]]
                merged = True
                break
    return hunks


def _segments(ops: list[Opcode], a: list[str], b: list[str]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for hunk in _phrases(ops, a, b):
        if len(hunk) == 1:
            segments.append(Segment("equal", hunk[0]))
            continue
        if hunk[0]:
            segments.append(Segment("delete", hunk[0]))
        if hunk[1]:
            segments.append(Segment("insert", hunk[1]))
    return tuple(segments)


def diff_words(old: str, new: str, *, limits: DiffLimits = DEFAULT_LIMITS
               ) -> tuple[tuple[Segment, ...], bool]:
    """The word-level diff of two texts as segments, and whether it is word level (False:
    over the cap, only the common start and end are kept around one deletion + insertion)."""
    a, b = tokenize(old), tokenize(new)
    ops, complete = _opcodes(a, b, _Work(limits))
    return _segments(ops, a, b), complete


# --------------------------------------------------------------------------- chapters

class _ChapterDiff:
    """Aligns the blocks of one chapter's two versions and lists the changes."""

    def __init__(self, old: list[Block], new: list[Block], work: _Work) -> None:
        self.old, self.new, self.work = old, new, work
        self.tokens: dict[tuple[str, int], list[str]] = {}
        self.word_ops: dict[tuple[int, int], tuple[list[Opcode], bool]] = {}
        self.headings: list[Block | None] = [None]
        for block in new:
            self.headings.append(block if block.kind == "heading" else self.headings[-1])
        self.simplified = False
        self.changes: list[BlockChange] = []

    def run(self) -> list[BlockChange]:
        limits = self.work.limits
        if max(len(self.old), len(self.new)) > limits.max_blocks:
            self.work = _Work(DiffLimits(max_item_work=0, max_total_work=0))
        ops, complete = _opcodes([b.key for b in self.old], [b.key for b in self.new], self.work,
                                 anchored=True)
        self.simplified = not complete
        for tag, i1, i2, j1, j2 in ops:
            if tag != "equal":
                self._hunk(i1, i2, j1, j2)
        self._mark_moves()
        return self.changes

    def _tokens(self, side: str, index: int) -> list[str]:
        key = (side, index)
        if key not in self.tokens:
            block = (self.old if side == "old" else self.new)[index]
            self.tokens[key] = tokenize(block.text)
        return self.tokens[key]

    def _similarity(self, i: int, j: int) -> float:
        if self.old[i].key == self.new[j].key:
            return 1.0
        if self.old[i].kind != self.new[j].kind:
            return 0.0
        a, b = self._tokens("old", i), self._tokens("new", j)
        if not self.work.allow(QUICK_CHECK_WORK * (len(a) + len(b))):
            self.simplified = True
            return 0.0
        quick = difflib.SequenceMatcher(None, a, b, autojunk=False)
        if quick.real_quick_ratio() < SIMILARITY or quick.quick_ratio() < SIMILARITY:
            return 0.0
        ops, complete = self.word_ops[i, j] = _opcodes(a, b, self.work)
        # Over budget the opcodes miss most matches: the bag-of-tokens bound decides instead.
        return _ratio(ops, len(a), len(b)) if complete else quick.quick_ratio()

    def _pairs(self, i1: int, i2: int, j1: int, j2: int) -> list[tuple[int, int]]:
        """Pair similar blocks of a replaced run, in order: walk both sides, pairing the
        current blocks if similar, else the nearest similar pair at most :data:`PAIR_BAND`
        blocks ahead on either side (the skipped ones are deleted or inserted). Linear in
        the run's length; a block both rewritten and moved far is a deletion plus an
        insertion."""
        similar = functools.cache(lambda i, j: self._similarity(i, j) >= SIMILARITY)
        pairs: list[tuple[int, int]] = []
        i, j = i1, j1
        while i < i2 and j < j2:
            pair = next(((pi, pj) for k in range(PAIR_BAND + 1)
                         for pi, pj in ((i, j + k), (i + k, j))
                         if pi < i2 and pj < j2 and similar(pi, pj)), None)
            if pair is None:  # nothing near: this old block is deleted, this new one inserted
                i, j = i + 1, j + 1
            else:
                pairs.append(pair)
                i, j = pair[0] + 1, pair[1] + 1
        return pairs

    def _hunk(self, i1: int, i2: int, j1: int, j2: int) -> None:
        pairs = self._pairs(i1, i2, j1, j2) if i1 < i2 and j1 < j2 else []
        i, j = i1, j1
        for pi, pj in [*pairs, (i2, j2)]:
            for index in range(i, pi):
                block = self.old[index]
                self.changes.append(BlockChange("removed", block, None, self.headings[j],
                                                (Segment("delete", block.text),)))
            for index in range(j, pj):
                block = self.new[index]
                self.changes.append(BlockChange("added", None, block, self.headings[index],
                                                (Segment("insert", block.text),)))
            # The anchored fallback can leave equal blocks in a replaced run: not a change.
            if (pi, pj) != (i2, j2) and self.old[pi].key != self.new[pj].key:
                self.changes.append(self._changed(pi, pj))
            i, j = pi + 1, pj + 1

    def _changed(self, i: int, j: int) -> BlockChange:
        a, b = self._tokens("old", i), self._tokens("new", j)
        ops, complete = self.word_ops.get((i, j)) or _opcodes(a, b, self.work)
        return BlockChange("changed", self.old[i], self.new[j], self.headings[j],
                           _segments(ops, a, b), word_level=complete)

    def _mark_moves(self) -> None:
        """Flag a removed block inserted unchanged elsewhere (and that insertion) as moved."""
        inserted: dict[tuple[str, int, str], list[int]] = {}
        for index, change in enumerate(self.changes):
            if change.status == "added" and len(change.block.text) >= MIN_MOVED_CHARS:
                inserted.setdefault(change.block.key, []).append(index)
        for index, change in enumerate(self.changes):
            if change.status == "removed" and inserted.get(change.block.key):
                other = inserted[change.block.key].pop(0)
                self.changes[index] = replace(change, moved=True)
                self.changes[other] = replace(self.changes[other], moved=True)


def _count(changes: Sequence[BlockChange]) -> ChangeCounts:
    moved = sum(1 for c in changes if c.moved and c.status == "added")
    return ChangeCounts(
        added=sum(1 for c in changes if c.status == "added" and not c.moved),
        removed=sum(1 for c in changes if c.status == "removed" and not c.moved),
        changed=sum(1 for c in changes if c.status == "changed"),
        moved=moved,
    )


def _compare_chapter(old: ChapterText | None, new: ChapterText | None,
                     work: _Work) -> ChapterChange:
    if new is None:
        assert old is not None
        return ChapterChange(old.slug, old.title, old.title, "removed",
                             counts=ChangeCounts(removed=len(extract_blocks(old.html))))
    if old is None:
        return ChapterChange(new.slug, new.title, None, "added",
                             counts=ChangeCounts(added=len(extract_blocks(new.html))))
    if old.html == new.html:
        status = "unchanged" if old.title == new.title else "changed"
        return ChapterChange(new.slug, new.title, old.title, status)
    differ = _ChapterDiff(extract_blocks(old.html), extract_blocks(new.html), work)
    changes = differ.run()
    return ChapterChange(new.slug, new.title, old.title, "changed", tuple(changes),
                         _count(changes), formatting_only=not changes,
                         simplified=differ.simplified)


def _ordered(old: list[ChapterText], new: list[ChapterText]
             ) -> list[tuple[ChapterText | None, ChapterText | None]]:
    """(old, new) chapter pairs in the new order; a removed chapter follows the chapter that
    preceded it in the old version (the first still present before it), or comes first."""
    for version in (old, new):
        slugs = [chapter.slug for chapter in version]
        if len(set(slugs)) != len(slugs):
            raise ValueError("chapter slugs must be unique within a version")
    old_by_slug = {chapter.slug: chapter for chapter in old}
    new_slugs = {chapter.slug for chapter in new}
    removed_after: dict[str | None, list[ChapterText]] = {}
    previous = None
    for chapter in old:
        if chapter.slug in new_slugs:
            previous = chapter.slug
        else:
            removed_after.setdefault(previous, []).append(chapter)
    pairs: list[tuple[ChapterText | None, ChapterText | None]] = [
        (chapter, None) for chapter in removed_after.get(None, [])]
    for chapter in new:
        pairs.append((old_by_slug.get(chapter.slug), chapter))
        pairs.extend((removed, None) for removed in removed_after.get(chapter.slug, []))
    return pairs


def compare_versions(old: list[ChapterText], new: list[ChapterText], *,
                     limits: DiffLimits = DEFAULT_LIMITS) -> list[ChapterChange]:
    """Compare two versions' chapters (matched by slug): one :class:`ChapterChange` per
    chapter of either version, in the new version's order with removed chapters where they
    were. Work is capped by ``limits`` (see the module docstring)."""
    work = _Work(limits)
    return [_compare_chapter(o, n, work) for o, n in _ordered(old, new)]
