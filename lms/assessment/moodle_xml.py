"""Read Moodle XML question files, as Moodle's own export writes them, into ``GiftQuestion``s.

The element names and their meaning follow Moodle's importer (``question/format/xml/
format.php``): ``<question type="category">`` sets the category of the questions after it;
``multichoice`` (``<single>``), ``truefalse``, ``shortanswer``, ``numerical``,
``matching``, ``essay`` and ``description`` become questions; answer ``fraction`` is a
percentage (``33.33333``, ``-50``); texts are trimmed, as Moodle does.

Nothing is dropped without a word. A question of a type this portal does not have
(calculated, cloze, drag and drop, random …) or one that would be broken (no right answer, a
numeric answer that is not a number …) is a rejected ``ImportProblem``. A question that
imports without some part of it gets a problem with ``rejected=False`` saying what is left
out: hints, units, case-sensitive short answers, a request not to shuffle the choices, essay
attachments and grader information, "correct/partially correct/incorrect" feedback that
differs from Moodle's default wording, and embedded files it cannot keep.

Embedded images (``<file encoding="base64">`` inside a text, shown there through an
``@@PLUGINFILE@@/<name>`` reference) are imported: each is checked as course images are
(``images.check_embedded_image``), the reference becomes a pending
``question-image:sha256-<hex>/<name>`` and ``XmlParse.images`` lists the image with its
question, for ``importing.apply_import`` to store. A reference without its file, a file that
is not an acceptable image (a PDF, a disguised file, an SVG with scripts …) or one no text
shows is a problem saying why; such a reference is removed (an ``<img>`` entirely, a link
keeps its words).

The XML is read with the standard library's expat. A file with a DOCTYPE or an entity
declaration is refused before anything else is read: a question file never needs one, and
they are how "billion laughs" and external-entity attacks begin.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.parsers import expat

from flask_babel import gettext as _

from lms.assessment.gift import GiftAnswer, GiftMatch, GiftQuestion, NumericAnswer
from lms.assessment.images import (
    AssetRejected,
    EmbeddedImage,
    check_embedded_image,
    pending_hashes,
    pending_reference,
)

__all__ = ["ImportProblem", "XmlFileError", "XmlParse", "category_path", "file_note",
           "parse_moodle_xml", "replace_plugin_files", "without_plugin_files"]

# Moodle's names for text formats, both ways.
FORMAT_FROM_MOODLE = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain",
                      "markdown": "markdown", "wiki_like": "moodle"}
FORMAT_TO_MOODLE = {"html": "html", "moodle": "moodle_auto_format", "plain": "plain_text",
                    "markdown": "markdown"}
_KIND_OF_TYPE = {"truefalse": "true_false", "shortanswer": "short_answer",
                 "numerical": "numeric", "matching": "matching", "match": "matching",
                 "essay": "essay", "description": "description"}
_PHP_WHITESPACE = " \t\n\r\0\x0b"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLUGINFILE = "@@PLUGINFILE@@/"
_PLUGINFILE_NAME = re.compile(r"@@PLUGINFILE@@/([^\"'\s<>)]+)")
_PLUGINFILE_IMG = re.compile(r"<img\b[^>]*@@PLUGINFILE@@/[^>]*>", re.IGNORECASE)
_PLUGINFILE_ATTRIBUTE = re.compile(
    r"\s(?:href|src|data)\s*=\s*([\"'])@@PLUGINFILE@@/[^\"']*\1", re.IGNORECASE)
_PLUGINFILE_MARKDOWN = re.compile(r"(!?)\[([^\]]*)\]\(@@PLUGINFILE@@/[^)]*\)")
_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# What Moodle fills the combined feedback fields with when the author leaves them alone
# (English and Simplified Chinese language packs): not worth a note when dropped.
_DEFAULT_COMBINED_FEEDBACK = {
    "", "Your answer is correct.", "Your answer is partially correct.",
    "Your answer is incorrect.", "您的回答正确。", "您的回答部分正确。", "您的回答不正确。",
    "你的回答正确。", "你的回答部分正确。", "你的回答不正确。",
}


class XmlFileError(ValueError):
    """The file as a whole cannot be read as Moodle XML (``line`` 0 when unknown)."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line else reason)
        self.line = line
        self.reason = reason


@dataclass
class ImportProblem:
    """Something about one question of an import file.

    ``rejected`` problems keep the question out; the others say what part of an imported
    question is left out. ``index`` is the question's 1-based position among the file's
    questions, ``line`` where it starts in the file.
    """

    index: int
    title: str
    reason: str
    line: int = 0
    kind: str = ""
    category: str | None = None
    rejected: bool = True


@dataclass
class XmlParse:
    """The importable questions of a file (``line`` = their ``<question>`` line), and the
    problems; ``tags`` maps a question's line to its Moodle tags when the file has any,
    ``images`` to the checked images its texts show (pending references)."""

    questions: list[GiftQuestion]
    problems: list[ImportProblem]
    tags: dict[int, list[str]] = field(default_factory=dict)
    images: dict[int, list[EmbeddedImage]] = field(default_factory=dict)


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_moodle_xml(data: bytes) -> XmlParse:
    """Read a Moodle XML export; raises ``XmlFileError`` when it is not readable XML."""
    root, lines = _parse_xml(data)
    if root.tag != "quiz":
        raise XmlFileError(1, _("This is not a Moodle XML question file (no <quiz> element)."))
    result = XmlParse([], [])
    category: str | None = None
    index = 0
    for element, line in zip(root, lines, strict=True):
        if element.tag != "question":
            continue
        qtype = (element.get("type") or "").strip()
        if qtype == "category":
            category = category_path(_category_text(element))
            continue
        index += 1
        title = _trim(element.findtext("name/text") or "")
        try:
            question, notes, images = _question(element, qtype, title, category, line)
        except _Rejected as rejected:
            shown = title or _start_of_text(element)
            result.problems.append(ImportProblem(index, shown, rejected.reason, line, qtype,
                                                 category))
            continue
        result.questions.append(question)
        if images:
            result.images[line] = images
        result.problems += [ImportProblem(index, title, note, line, question.kind, category,
                                          rejected=False) for note in notes]
        tags = element.find("tags")
        if tags is not None:
            result.tags[line] = [_trim(tag.findtext("text") or "") for tag in tags
                                 if _trim(tag.findtext("text") or "")]
    return result


def _start_of_text(element: ET.Element) -> str:
    """What names an untitled question in a list: the start of its text."""
    text = re.sub(r"<[^>]*>", " ", element.findtext("questiontext/text") or "")
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:40] + "…"


def category_path(path: str) -> str | None:
    """Our category name for a Moodle path: without ``$course$/`` and ``top/``; None for the top.

    ``$course$/top/Default for ERP/销售`` → ``Default for ERP/销售``; GIFT ``$CATEGORY:``
    lines from Moodle use the same paths.
    """
    path = _trim(path)
    path = re.sub(r"^\$[a-z0-9]+\$(?:/|$)", "", path)
    path = re.sub(r"^top(?:/|$)", "", path)
    path = path.strip("/").strip()
    return path or None


def _trim(text: str) -> str:
    return text.strip(_PHP_WHITESPACE)


def _parse_xml(data: bytes) -> tuple[ET.Element, list[int]]:
    """The document's root and the line of each of the root's child elements."""
    text = _decode(data)
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    depth = 0
    lines: list[int] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2:
            lines.append(parser.CurrentLineNumber)
        builder.start(tag, attributes)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(tag)

    def refuse(*_args) -> None:
        raise XmlFileError(parser.CurrentLineNumber, _(
            "The file has a DOCTYPE or entity declaration, which question files never need; "
            "it is refused for safety."))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise XmlFileError(error.lineno, _("The XML is not well-formed: %(error)s",
                                           error=expat.ErrorString(error.code))) from None
    return builder.close(), lines


def _decode(data: bytes) -> str:
    """The document as text; expat then reads it as UTF-8, whatever its declaration says."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        declared = _DECLARED_ENCODING.match(data.lstrip()[:200])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        raise XmlFileError(0, _("The file is not valid %(encoding)s text.",
                                encoding=encoding.upper())) from None


def _category_text(element: ET.Element) -> str:
    category = element.find("category")
    if category is None:
        return ""
    # <category><text>path</text></category>, or the older <category>path</category>.
    return category.findtext("text") if category.find("text") is not None \
        else (category.text or "")


def _fraction(element: ET.Element) -> float:
    raw = _trim(element.get("fraction") or "0")
    try:
        value = float(raw)
    except ValueError:
        raise _Rejected(_("answer grade %(grade)s is not a number", grade=raw)) from None
    if not -100 <= value <= 100:
        raise _Rejected(_("answer grade %(grade)s%% is outside -100..100", grade=raw))
    return value


class _Reader:
    """Texts of one question: formats reconciled with the question's, images taken in (or
    reported when they cannot be)."""

    def __init__(self, element: ET.Element) -> None:
        self.element = element
        questiontext = element.find("questiontext")
        raw = questiontext.get("format", "html") if questiontext is not None else "html"
        self.text_format = FORMAT_FROM_MOODLE.get(_trim(raw), "html")
        self.notes: list[str] = []
        self.noted: set[str] = set()  # files (by path) already reported
        self.referenced: set[str] = set()
        self.images: dict[str, EmbeddedImage] = {}  # sha256 → image
        self.checked: dict[int, EmbeddedImage | str] = {}  # id(<file>) → image or problem
        # A reference is looked up among its own text's files first (Moodle keeps files per
        # text), then among the question's.
        self.files: dict[str, ET.Element] = {}
        for file in element.iter("file"):
            self.files.setdefault(_file_key(file), file)

    def text(self, container: ET.Element | None, *, plain: bool = False) -> str:
        """The text of ``<container><text>``; ``plain`` for answers Moodle keeps as plain text."""
        if container is None:
            return ""
        if container.find("text") is not None:
            value = _trim(container.findtext("text") or "")
        else:  # a few old files put the answer straight into the element
            value = _trim((container.text or "") + "".join(child.tail or "" for child in container))
        if plain:
            return value
        value = self._without_files(container, value)
        own = FORMAT_FROM_MOODLE.get(_trim(container.get("format", "")), self.text_format)
        if own == "plain" and self.text_format == "html":
            value = html.escape(value, quote=False)  # shown as HTML, so keep "<" literal
        return value

    def _without_files(self, container: ET.Element, value: str) -> str:
        """``value`` with its references to acceptable images made pending, others removed."""
        own: dict[str, ET.Element] = {}
        for file in container.findall("file"):
            own.setdefault(_file_key(file), file)

        def target(reference: str) -> str | None:
            key = _reference_key(reference)
            self.referenced.add(key)
            file = own.get(key, self.files.get(key))
            if file is None:
                self.note(key, file_note(key))
                return None
            image = self._image(file, key)
            return None if image is None else pending_reference(image, reference)

        return replace_plugin_files(value, target)

    def _image(self, file: ET.Element, key: str) -> EmbeddedImage | None:
        checked = self.checked.get(id(file))
        if checked is None:
            checked = _read_image(file)
            self.checked[id(file)] = checked
        if isinstance(checked, str):
            self.note(key, checked)
            return None
        self.images[checked.sha256] = checked
        return checked

    def note(self, key: str, reason: str) -> None:
        """Report a file once, however many texts refer to it."""
        if key not in self.noted:
            self.noted.add(key)
            self.notes.append(reason)

    def finish(self, question: GiftQuestion) -> list[EmbeddedImage]:
        """Report the files no text refers to; the images the question's texts show."""
        for file in self.element.iter("file"):
            key = _file_key(file)
            if key not in self.referenced:
                self.note(key, file_note(key))
        shown = pending_hashes(question)
        return [image for digest, image in self.images.items() if digest in shown]

    def note_unless_empty(self, tag: str, reason: str) -> None:
        element = self.element.find(tag)
        if element is not None and self.text(element):
            self.notes.append(reason)


def _file_key(file: ET.Element) -> str:
    """The path a text uses for a ``<file>``: its name, below its folder unless that is /."""
    folder = (file.get("path") or "/").strip("/")
    name = file.get("name") or ""
    return f"{folder}/{name}" if folder else name


def _reference_key(reference: str) -> str:
    """The file a reference names: ``sub/%E5%9B%BE.png?time=1`` → ``sub/图.png``."""
    return unquote(re.split(r"[?#]", reference, maxsplit=1)[0])


def _read_image(file: ET.Element) -> EmbeddedImage | str:
    """The checked image of a ``<file>``, or why it cannot be imported."""
    name = file.get("name") or ""
    try:
        if _trim(file.get("encoding") or "base64") != "base64":
            raise ValueError
        data = base64.b64decode("".join((file.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return _("embedded file %(name)s is not imported: its base64 data cannot be read",
                 name=name)
    try:
        return check_embedded_image(name, data)
    except AssetRejected as error:
        return _("embedded image %(name)s is not imported: %(reason)s", name=name,
                 reason=str(error))


def replace_plugin_files(text: str, target: Callable[[str], str | None]) -> str:
    """``text`` with each ``@@PLUGINFILE@@/<reference>`` replaced by ``target(reference)``.

    Where ``target`` gives None the reference goes: an ``<img>`` showing it entirely, a link
    keeps its words but loses its target (and paragraphs left empty go too).
    """
    if _PLUGINFILE not in text:
        return text
    outcomes: dict[str, str | None] = {}
    dropped = False

    def resolved(reference: str) -> str | None:
        if reference not in outcomes:
            outcomes[reference] = target(reference)
        return outcomes[reference]

    def swapped(fragment: str) -> str | None:
        """The fragment with every reference replaced; None when one of them goes."""
        nonlocal dropped
        if any(resolved(reference) is None
               for reference in _PLUGINFILE_NAME.findall(fragment)):
            dropped = True
            return None
        return _PLUGINFILE_NAME.sub(lambda match: resolved(match[1]) or "", fragment)

    text = _PLUGINFILE_IMG.sub(lambda match: swapped(match[0]) or "", text)
    text = _PLUGINFILE_ATTRIBUTE.sub(lambda match: swapped(match[0]) or "", text)
    text = _PLUGINFILE_MARKDOWN.sub(
        lambda match: swapped(match[0]) or ("" if match[1] else match[2]), text)
    text = _PLUGINFILE_NAME.sub(lambda match: swapped(match[0]) or "", text)
    if not dropped:
        return text
    return _trim(re.sub(r"<p\b[^>]*>\s*</p>", "", text))  # paragraphs left empty


def without_plugin_files(text: str) -> tuple[str, list[str]]:
    """``text`` without its references to Moodle's embedded files, and the files' names
    (for GIFT files, which name the files without carrying them)."""
    names: list[str] = []

    def drop(reference: str) -> None:
        names.append(unquote(reference))

    return replace_plugin_files(text, drop), list(dict.fromkeys(names))


def file_note(name: str) -> str:
    return _("embedded file %(name)s is not imported (upload it to the course and link it)",
             name=name)


def _question(element: ET.Element, qtype: str, title: str, category: str | None,
              line: int) -> tuple[GiftQuestion, list[str], list[EmbeddedImage]]:
    reader = _Reader(element)
    kind = "single_choice" if qtype == "multichoice" else _KIND_OF_TYPE.get(qtype)
    if kind is None:
        raise _Rejected(_unsupported(qtype))
    question = GiftQuestion(
        kind=kind, title=title, text=reader.text(element.find("questiontext")),
        text_format=reader.text_format, category=category, line=line,
        general_feedback=reader.text(element.find("generalfeedback")))
    if element.find("image_base64") is not None or _trim(element.findtext("image") or ""):
        reader.notes.append(file_note(_trim(element.findtext("image") or "")))
    answers = element.findall("answer")
    if qtype == "multichoice":
        _multichoice(question, element, answers, reader)
    elif kind == "true_false":
        _true_false(question, answers, reader)
    elif kind == "short_answer":
        _short_answer(question, element, answers, reader)
    elif kind == "numeric":
        _numerical(question, element, answers, reader)
    elif kind == "matching":
        _matching(question, element, reader)
    elif kind == "essay":
        _essay(element, reader)
    hints = [hint for hint in element.findall("hint") if reader.text(hint)]
    if hints:
        reader.notes.append(_("%(count)d hint(s) not imported: this portal does not show hints",
                              count=len(hints)))
    images = reader.finish(question)
    return question, reader.notes, images


def _unsupported(qtype: str) -> str:
    if qtype in ("cloze", "multianswer"):
        return _("embedded-answer (cloze) questions are not supported")
    if qtype.startswith("calculated"):
        return _("calculated questions are not supported")
    if qtype.startswith("random"):
        return _("random questions are not supported: use a quiz draw from a category")
    if qtype.startswith(("dd", "gapselect")):
        return _("drag-and-drop and select-missing-word questions are not supported")
    if not qtype:
        return _("the question has no type")
    return _("questions of type %(type)s are not supported", type=qtype)


def _combined_feedback(element: ET.Element, reader: _Reader) -> None:
    for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        container = element.find(tag)
        text = reader.text(container) if container is not None else ""
        shown = re.sub(r"<[^>]*>", "", text)
        if _trim(html.unescape(shown)) not in _DEFAULT_COMBINED_FEEDBACK or "<img" in text:
            reader.notes.append(_("the %(field)s text is not imported: this portal gives "
                                  "per-answer and general feedback only", field=tag))


def _multichoice(question: GiftQuestion, element: ET.Element, answers: list[ET.Element],
                 reader: _Reader) -> None:
    single = _trim(element.findtext("single") or "true")
    question.kind = "multiple_choice" if single in ("false", "0", "") else "single_choice"
    for answer in answers:
        text = reader.text(answer)
        if not text:
            raise _Rejected(_("empty answer in a choice question"))
        question.answers.append(GiftAnswer(text, _fraction(answer),
                                           reader.text(answer.find("feedback"))))
    if len(question.answers) < 2:
        raise _Rejected(_("a choice question needs at least 2 answers"))
    if not any(answer.fraction > 0 for answer in question.answers):
        raise _Rejected(_("no answer of this choice question gives credit"))
    if _trim(element.findtext("shuffleanswers") or "true") in ("false", "0"):
        reader.notes.append(_("the question asks to keep its choices in order; the quiz's "
                              "shuffle setting decides here"))
    _combined_feedback(element, reader)


def _true_false(question: GiftQuestion, answers: list[ET.Element], reader: _Reader) -> None:
    feedback = {True: "", False: ""}
    correct: set[bool] = set()
    for position, answer in enumerate(answers[:2]):
        text = _trim(answer.findtext("text") or "")
        # Moodle's rule: old files hold localised texts, and then the order is true, false.
        says_true = text == "true" if text in ("true", "false") else position == 0
        feedback[says_true] = reader.text(answer.find("feedback"))
        if _fraction(answer) == 100:
            correct.add(says_true)
    if len(answers) != 2 or len(correct) != 1:
        raise _Rejected(_("a true/false question needs the answers true and false, exactly "
                          "one of them right"))
    right = correct.pop()
    question.answers = [GiftAnswer("true" if right else "false", 100.0, feedback[right])]
    question.wrong_feedback = feedback[not right]


def _short_answer(question: GiftQuestion, element: ET.Element, answers: list[ET.Element],
                  reader: _Reader) -> None:
    for answer in answers:
        text = reader.text(answer, plain=True)
        if not text:
            raise _Rejected(_("empty answer in a short-answer question"))
        question.answers.append(GiftAnswer(text, _fraction(answer),
                                           reader.text(answer.find("feedback"))))
    if not any(answer.fraction > 0 for answer in question.answers):
        raise _Rejected(_("no answer of this short-answer question gives credit"))
    if _trim(element.findtext("usecase") or "0") not in ("0", ""):
        reader.notes.append(_("answers are compared ignoring case here (the question asked "
                              "for case-sensitive matching)"))


def _numerical(question: GiftQuestion, element: ET.Element, answers: list[ET.Element],
               reader: _Reader) -> None:
    for answer in answers:
        value = reader.text(answer, plain=True) or "*"
        fraction, feedback = _fraction(answer), reader.text(answer.find("feedback"))
        if value == "*":
            if fraction > 0:
                raise _Rejected(_("a numeric answer * (any number) that gives credit is not "
                                  "supported"))
            question.wrong_feedback = feedback
            continue
        tolerance = _trim(answer.findtext("tolerance") or "0") or "0"
        if not _NUMBER.fullmatch(value):
            raise _Rejected(_("numeric answer %(value)s is not a number", value=value))
        if not _NUMBER.fullmatch(tolerance) or float(tolerance) < 0:
            raise _Rejected(_("numeric tolerance %(value)s is not a number of 0 or more",
                              value=tolerance))
        question.numeric.append(NumericAnswer(float(value), float(tolerance), fraction,
                                              feedback))
    if not any(answer.fraction > 0 for answer in question.numeric):
        raise _Rejected(_("no answer of this numeric question gives credit"))
    units = [_trim(unit.findtext("unit_name") or "") for unit in element.iterfind("units/unit")]
    if any(units):
        reader.notes.append(_("units (%(units)s) are not imported: learners answer with the "
                              "number only", units=", ".join(unit for unit in units if unit)))


def _matching(question: GiftQuestion, element: ET.Element, reader: _Reader) -> None:
    for subquestion in element.findall("subquestion"):
        left = reader.text(subquestion)
        right = _trim(subquestion.findtext("answer/text") or "")
        if not left and not right:
            continue  # Moodle ignores a blank row of its form
        if not right:
            raise _Rejected(_("matching question %(question)s has no answer", question=left))
        question.matches.append(GiftMatch(left, right))
    if len(question.matches) < 3 or sum(1 for pair in question.matches if pair.question) < 2:
        raise _Rejected(_("a matching question needs at least 3 pairs, 2 with a question"))
    if _trim(element.findtext("shuffleanswers") or "true") in ("false", "0"):
        reader.notes.append(_("the question asks to keep its choices in order; the quiz's "
                              "shuffle setting decides here"))
    _combined_feedback(element, reader)


def _essay(element: ET.Element, reader: _Reader) -> None:
    attachments = _trim(element.findtext("attachments") or "0")
    if attachments not in ("0", ""):
        reader.notes.append(_("file attachments to the answer are not supported: learners "
                              "answer with text"))
    reader.note_unless_empty("graderinfo", _("the information for graders is not imported"))
    reader.note_unless_empty("responsetemplate", _("the response template is not imported"))
