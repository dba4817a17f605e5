"""Import questions into a bank from GIFT or Moodle XML files: a preview first, then the import.

``preview_import`` reads a file and lists every question in it with what importing would do
(``new``, ``update``, ``unchanged``) or why it cannot be imported (``rejected``), so nothing
is ever dropped without a word. ``apply_import`` saves the importable questions in the
caller's transaction; when the preview has problems — a rejected question, or an imported one
losing a part this portal cannot keep (hints, an embedded file that is not an acceptable
image …, see ``moodle_xml``) — it imports nothing unless the trainer has confirmed the
importable part (``accept_partial``).

Images embedded in a Moodle XML file are no problem: the preview lists them with their
questions, and the import stores each once per bank by content and makes the questions'
references name it (see ``images``). A GIFT file cannot carry images: its ``@@PLUGINFILE@@``
references are removed and reported — except those naming an image the same question of the
bank already shows, as in a GIFT export of the bank, so that importing it back changes
nothing.

A GIFT file is split into questions at blank lines, exactly as Moodle and ``parse_gift`` do,
and each question is parsed on its own: one malformed question is rejected with its line,
and the others still import. (A blank line inside an answer block splits a question in two
for Moodle too; the two halves are reported as one rejected question. Splitting only outside
braces instead would let a single unclosed "{" swallow every question after it.)

Checks shared by both formats, besides each parser's own: a question needs a text; a
single-answer choice question needs a choice worth 100 %, and the positive weights of a
multiple-answer one must add up to 100 % (Moodle's own rules for these types); titles
identify questions inside a category, so two questions of one file with the same title in
the same category are an error (a question without a title gets one made from its text).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import unquote

from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment.convert import parsed_question, version_fields
from lms.assessment.gift import GiftError, GiftQuestion, parse_gift
from lms.assessment.images import (
    PLUGINFILE,
    EmbeddedImage,
    image_references,
    known_image_ids,
    question_texts,
    store_image,
    with_image_ids,
)
from lms.assessment.models import Question, QuestionBank, QuestionCategory, QuestionVersion
from lms.assessment.moodle_xml import (
    XmlFileError,
    category_path,
    file_note,
    parse_moodle_xml,
    replace_plugin_files,
)
from lms.assessment.rules import question_problems
from lms.assessment.services import (
    DEFAULT_CATEGORY,
    find_bank,
    get_or_create_bank,
    save_question,
    version_fields_of,
)
from lms.extensions import db

__all__ = ["ImportPreview", "ImportResult", "PreviewEntry", "QuestionFileError",
           "apply_import", "decode_gift_bytes", "preview_import"]

MAX_NAME_LENGTH = 200  # Question.title and QuestionCategory.name columns
_PHP_WHITESPACE = " \t\n\r\0\x0b"
_TAG_COMMENT = re.compile(r"\[tag:([^\]]+)\]")
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ue000-\uf8ff]")


class QuestionFileError(ValueError):
    """The file as a whole cannot be read (encoding, XML that is not well-formed …)."""


@dataclass
class PreviewEntry:
    """One question of the file: what importing it does, or why it cannot be imported.

    ``reason`` is why a ``rejected`` question is left out; for an importable one it says
    what part of it is not imported (empty when all of it is). ``index`` is the position
    among the file's questions (from 1), ``line`` where the question starts (0 if unknown).
    """

    index: int
    title: str
    kind: str
    category: str
    status: str  # new | update | unchanged | rejected
    reason: str = ""
    line: int = 0
    question: GiftQuestion | None = field(default=None, repr=False, compare=False)
    tags: list[str] | None = field(default=None, repr=False, compare=False)
    # Checked images the question shows (Moodle XML), imported with it: not a problem.
    images: list[EmbeddedImage] = field(default_factory=list, repr=False, compare=False)

    @property
    def has_problem(self) -> bool:
        return self.status == "rejected" or bool(self.reason)

    @property
    def image_names(self) -> list[str]:
        return [image.name for image in self.images] if self.status != "rejected" else []


@dataclass
class ImportPreview:
    format: str  # "gift" | "moodle_xml"
    entries: list[PreviewEntry]

    @property
    def has_problems(self) -> bool:
        return any(entry.has_problem for entry in self.entries)

    @property
    def rejected(self) -> list[PreviewEntry]:
        return [entry for entry in self.entries if entry.status == "rejected"]

    @property
    def importable(self) -> list[PreviewEntry]:
        return [entry for entry in self.entries if entry.status != "rejected"]

    def count(self, status: str) -> int:
        return sum(1 for entry in self.entries if entry.status == status)

    @property
    def image_count(self) -> int:
        """Distinct images the importable questions bring (each is stored once)."""
        return len({image.sha256 for entry in self.importable for image in entry.images})

    def kinds(self) -> dict[str, int]:
        """Importable questions per kind."""
        counts: dict[str, int] = {}
        for entry in self.importable:
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
        return counts

    @property
    def digest(self) -> str:
        """Fingerprint of what the preview promises, so a confirmation applies what was seen."""
        seen = [(e.index, e.title, e.kind, e.category, e.status, e.reason,
                 [image.sha256 for image in e.images]) for e in self.entries]
        return hashlib.sha256(repr(seen).encode("utf-8")).hexdigest()[:32]


@dataclass
class ImportResult:
    counts: dict[str, int]  # kind → questions imported (new, updated or unchanged)
    rejected: list[PreviewEntry]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    questions: list[Question] = field(default_factory=list, repr=False)


def preview_import(data: bytes, filename: str = "", bank_name: str | None = None
                   ) -> ImportPreview:
    """What importing ``data`` into ``bank_name`` would do; writes nothing.

    The format comes from the extension (``.gift``/``.txt``, ``.xml``), else from the
    content. Raises ``QuestionFileError`` for a file that cannot be read at all.
    """
    file_format = detect_format(data, filename)
    bank = find_bank(bank_name) if bank_name else None
    if file_format == "moodle_xml":
        entries = _xml_entries(data)
    else:
        entries = _gift_entries(decode_gift_bytes(data))
        _gift_files(entries, bank)
    _check(entries)
    _set_statuses(entries, bank)
    return ImportPreview(file_format, entries)


def apply_import(preview_or_data: ImportPreview | bytes, bank_name: str,
                 accept_partial: bool = False, actor=None, *, filename: str = ""
                 ) -> ImportResult:
    """Save the importable questions in bank ``bank_name`` (made if missing); flushes only.

    Raises ValueError when the preview has problems and ``accept_partial`` is False: the
    trainer must have seen what is left out. Everything happens in the caller's transaction,
    so a caller that does not commit (or rolls back after an error) leaves no trace.
    """
    preview = preview_or_data if isinstance(preview_or_data, ImportPreview) \
        else preview_import(preview_or_data, filename, bank_name)
    if preview.has_problems and not accept_partial:
        raise ValueError(_("Some questions of this file cannot be imported, or not completely: "
                           "nothing was imported. Confirm to import the rest."))
    result = ImportResult(counts={}, rejected=preview.rejected)
    if not preview.importable:
        return result
    bank = get_or_create_bank(bank_name)
    for entry in preview.importable:
        parsed = entry.question
        if entry.images:
            parsed = with_image_ids(parsed, {image.sha256: store_image(bank.id, image)
                                             for image in entry.images})
        question, changed = save_question(bank, entry.category, entry.title,
                                          version_fields(parsed), tags=entry.tags,
                                          actor=actor)
        result.questions.append(question)
        result.counts[entry.kind] = result.counts.get(entry.kind, 0) + 1
        if not changed:
            result.unchanged += 1
        elif question.current_version.number > 1:
            result.updated += 1
        else:
            result.created += 1
    return result


def detect_format(data: bytes, filename: str) -> str:
    """``moodle_xml`` for .xml, ``gift`` for .gift; otherwise (Moodle names its GIFT
    exports .txt) what the file starts with decides."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".xml", ".gift"):
        return "moodle_xml" if suffix == ".xml" else "gift"
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    start = data[:400].decode("utf-16" if utf16 else "utf-8", errors="ignore")
    return "moodle_xml" if start.lstrip("\ufeff \t\r\n").startswith(("<?xml", "<quiz")) \
        else "gift"


def decode_gift_bytes(data: bytes) -> str:
    """Text of a GIFT file saved as UTF-8 (with or without BOM), UTF-16 or GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            # GB18030 decodes almost any bytes; control and private-use characters mean the
            # guess was wrong (or the file is not text at all).
            if not _BINARY.search(text):
                return text
    raise QuestionFileError(_("The file's encoding is not recognised. Save it as UTF-8 text "
                              "and try again."))


def _trim(text: str) -> str:
    return text.strip(_PHP_WHITESPACE)


def _xml_entries(data: bytes) -> list[PreviewEntry]:
    try:
        parsed = parse_moodle_xml(data)
    except XmlFileError as error:
        raise QuestionFileError(str(error)) from None
    notes: dict[int, list[str]] = {}
    entries = []
    for problem in parsed.problems:
        if problem.rejected:
            entries.append(PreviewEntry(problem.index, problem.title, problem.kind,
                                        problem.category or DEFAULT_CATEGORY, "rejected",
                                        problem.reason, problem.line))
        else:
            notes.setdefault(problem.line, []).append(problem.reason)
    for question in parsed.questions:
        entries.append(PreviewEntry(
            0, question.title, question.kind, question.category or DEFAULT_CATEGORY, "new",
            "; ".join(notes.get(question.line, [])), question.line, question,
            tags=parsed.tags.get(question.line), images=parsed.images.get(question.line, [])))
    entries.sort(key=lambda entry: entry.line)
    for index, entry in enumerate(entries, start=1):
        entry.index = index
    return entries


def _gift_blocks(text: str) -> list[list[tuple[int, str]]]:
    """Numbered lines grouped into questions at blank lines, as ``parse_gift`` groups them.

    A block whose answer block is still open is joined with the next when that one closes
    it: one question with a blank line inside its braces, reported once.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"),
                                 start=1):
        if _trim(raw):
            blocks[-1].append((number, raw))
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    joined: list[list[tuple[int, str]]] = []
    for block in blocks:
        if joined and _brace_depths(joined[-1])[1] > 0 and _brace_depths(block)[0] < 0:
            joined[-1] = joined[-1] + [(0, "")] + block
        else:
            joined.append(block)
    return joined


def _brace_depths(block: list[tuple[int, str]]) -> tuple[int, int]:
    """(lowest, final) nesting depth of unescaped braces over the block's non-comment lines."""
    depth = lowest = 0
    for _number, raw in block:
        line = _trim(raw)
        if line.startswith("//"):
            continue
        escaped = False
        for char in line:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char in "{}":
                depth += 1 if char == "{" else -1
                lowest = min(lowest, depth)
    return lowest, depth


def _gift_entries(text: str) -> list[PreviewEntry]:
    entries: list[PreviewEntry] = []
    category: str | None = None
    broken_category = 0  # line of a $CATEGORY that could not be read
    for block in _gift_blocks(text):
        body = [(number, raw) for number, raw in block if not _trim(raw).startswith("//")]
        if not body:
            continue
        first = body[0][0]
        # Padding keeps the parser's line numbers those of the whole file.
        source = "\n" * (block[0][0] - 1) + "\n".join(raw for _number, raw in block)
        if _trim(body[0][1]).startswith("$CATEGORY:"):
            try:
                # A probe question after the block reads the path exactly as parse_gift does.
                category = category_path(parse_gift(source + "\n\nprobe")[0].category or "")
                broken_category = 0
            except GiftError as error:
                broken_category = error.line
                entries.append(_rejected_gift(len(entries) + 1, body, error.line, error.reason,
                                              category, kind="category"))
            continue
        tags = [_trim(tag) for number, raw in block if _trim(raw).startswith("//")
                for tag in _TAG_COMMENT.findall(raw)] or None
        if broken_category:
            entries.append(_rejected_gift(len(entries) + 1, body, first, _(
                "it follows the unreadable $CATEGORY line %(line)d", line=broken_category),
                category))
            continue
        if any(number == 0 for number, _raw in block):
            entries.append(_rejected_gift(len(entries) + 1, body, first, _(
                "a blank line inside the answer block { } ends the question there: GIFT "
                "separates questions by blank lines"), category))
            continue
        try:
            questions = parse_gift(source)
        except GiftError as error:
            entries.append(_rejected_gift(len(entries) + 1, body, error.line, error.reason,
                                          category))
            continue
        for question in questions:
            question.category = category
            entries.append(PreviewEntry(len(entries) + 1, question.title, question.kind,
                                        category or DEFAULT_CATEGORY, "new", "",
                                        question.line, question, tags=tags))
    return entries


def _gift_files(entries: list[PreviewEntry], bank: QuestionBank | None) -> None:
    """References to embedded files in GIFT questions: kept when they name an image the same
    question of the bank shows (a GIFT export of the bank), removed and reported otherwise."""
    for entry in entries:
        if entry.status == "rejected" or not any(
                PLUGINFILE in text for text in question_texts(entry.question)):
            continue
        current = _current_question(bank, entry.category, entry.title) if bank else None
        entry.reason = _without_gift_files(entry.question, image_references(current)
                                           if current is not None else {})


def _current_question(bank: QuestionBank, category: str, title: str) -> GiftQuestion | None:
    version = db.session.scalar(
        select(QuestionVersion)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .join(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(QuestionCategory.bank_id == bank.id, QuestionCategory.name == category,
               Question.title == title))
    return None if version is None else parsed_question(version_fields_of(version), title,
                                                        category)


def _without_gift_files(question: GiftQuestion, known: dict[str, str]) -> str:
    """Drop references to Moodle's embedded files (a GIFT export from Moodle keeps them, but
    not the files) unless ``known`` maps them to the bank's images; the note saying so."""
    names: list[str] = []

    def target(reference: str) -> str | None:
        if reference in known:
            return known[reference]
        names.append(unquote(reference))
        return None

    def clean(text: str) -> str:
        return replace_plugin_files(text, target)

    question.text = clean(question.text)
    question.general_feedback = clean(question.general_feedback)
    question.wrong_feedback = clean(question.wrong_feedback)
    for answer in question.answers:
        if question.kind != "short_answer":  # those are compared, never shown as HTML
            answer.text = clean(answer.text)
        answer.feedback = clean(answer.feedback)
    for number in question.numeric:
        number.feedback = clean(number.feedback)
    for pair in question.matches:
        pair.question = clean(pair.question)
    return "; ".join(file_note(name) for name in dict.fromkeys(names))


def _rejected_gift(index: int, body: list[tuple[int, str]], line: int, reason: str,
                   category: str | None, kind: str = "") -> PreviewEntry:
    first = _trim(body[0][1])
    title = re.match(r"::(.*?)::", first)
    shown = _trim(title.group(1)) if title else (first if len(first) <= 40 else first[:40] + "…")
    return PreviewEntry(index, shown, kind, category or DEFAULT_CATEGORY, "rejected", reason,
                        line)


def _check(entries: list[PreviewEntry]) -> None:
    """Shared checks, made-up titles for untitled questions, duplicates within the file."""
    for entry in entries:
        if entry.status != "rejected" and (problems := question_problems(entry.question)):
            _reject(entry, "; ".join(problems))
    taken: dict[tuple[str, str], int] = {}
    for entry in entries:
        if entry.status != "rejected" and entry.title:
            key = (entry.category, entry.title)
            if key in taken:
                _reject(entry, _("question no. %(index)d of this file has the same title in the "
                                 "same category", index=taken[key]))
            else:
                taken[key] = entry.index
    for entry in entries:
        if entry.status == "rejected":
            continue
        if not entry.title:
            entry.title = _unique_title(_title_from_text(entry.question, entry.index),
                                        entry.category, taken)
            taken[(entry.category, entry.title)] = entry.index
        entry.question.title = entry.title
        if len(entry.title) > MAX_NAME_LENGTH:
            _reject(entry, _("the title is longer than %(count)d characters",
                             count=MAX_NAME_LENGTH))
        elif len(entry.category) > MAX_NAME_LENGTH:
            _reject(entry, _("the category name is longer than %(count)d characters",
                             count=MAX_NAME_LENGTH))


def _reject(entry: PreviewEntry, reason: str) -> None:
    entry.status, entry.reason = "rejected", reason


def _title_from_text(question: GiftQuestion, index: int) -> str:
    """A title made from the start of the text, as Moodle names untitled GIFT questions."""
    plain = re.sub(r"<[^>]*>", " ", question.text)
    plain = re.sub(r"\s+", " ", plain).strip()
    if not plain:
        return f"q{index}"
    return plain if len(plain) <= 40 else plain[:40].rstrip() + "…"


def _unique_title(title: str, category: str, taken: dict[tuple[str, str], int]) -> str:
    candidate, number = title, 2
    while (category, candidate) in taken:
        candidate, number = f"{title} ({number})", number + 1
    return candidate


def _set_statuses(entries: list[PreviewEntry], bank: QuestionBank | None) -> None:
    if bank is None:
        return
    # Images the bank already holds: a question showing only those may be unchanged.
    stored_images = known_image_ids(bank.id, {image.sha256 for entry in entries
                                              for image in entry.images})
    current = dict(((name, title), digest) for name, title, digest in db.session.execute(
        select(QuestionCategory.name, Question.title, QuestionVersion.content_hash)
        .join(Question, Question.category_id == QuestionCategory.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuestionCategory.bank_id == bank.id)))
    for entry in entries:
        if entry.status == "rejected":
            continue
        digest = current.get((entry.category, entry.title))
        if digest is not None:
            parsed = with_image_ids(entry.question, stored_images) if entry.images \
                else entry.question
            same = digest == version_fields(parsed).content_hash()
            entry.status = "unchanged" if same else "update"
