"""Export a question bank as GIFT or as Moodle XML, for Moodle or for importing back here.

Each question's current version is turned back into a ``GiftQuestion``
(``convert.parsed_question``) and written so that importing the file again gives the same
content hash: GIFT's special characters are escaped (``\\~ \\= \\# \\{ \\} \\:`` and
``\\\\``), line breaks are written ``\\n`` so a question never spans a blank line, and a text
that starts like a format tag (``[html]…``) gets its format tag written before it.

GIFT cannot say everything: ``gift_warnings`` names what will not come back the same (a
multiple-answer question with a single right answer reads back as single-answer, ``->`` in a
short answer or on the left of a matching pair reads as matching syntax, a description has no
feedback, images have no bytes). Moodle XML carries every question kind this portal has.

Images of the bank (``question-image:<id>/<name>`` in texts, see ``images``) are written as
Moodle writes them: an ``@@PLUGINFILE@@/<name>`` reference, and in Moodle XML the bytes in a
``<file encoding="base64">`` next to the text that shows them, so importing the export into
the bank again finds the same images and leaves the questions unchanged. GIFT keeps the
reference only (as Moodle's own GIFT export does).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import quoteattr

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assessment.convert import VersionFields, parsed_question
from lms.assessment.gift import GiftAnswer, GiftQuestion
from lms.assessment.images import (
    file_location,
    image_ids,
    image_names,
    map_texts,
    to_plugin_references,
)
from lms.assessment.models import Question, QuestionBank, QuestionCategory, QuestionImage
from lms.assessment.moodle_xml import FORMAT_TO_MOODLE
from lms.assessment.services import version_fields_of
from lms.extensions import db

__all__ = ["ExportedQuestion", "bank_questions", "bank_to_gift", "bank_to_moodle_xml",
           "export_bank", "gift_question", "gift_warnings"]

EXPORT_FORMATS = {".gift": "gift", ".txt": "gift", ".xml": "moodle_xml"}
_GIFT_SPECIAL = str.maketrans({char: "\\" + char for char in "\\~=#{}:"} | {"\n": "\\n"})
_FORMAT_TAG = re.compile(r"\[(?:moodle|html|markdown|plain)\]")
_MOODLE_TYPE = {"single_choice": "multichoice", "multiple_choice": "multichoice",
                "true_false": "truefalse", "short_answer": "shortanswer",
                "numeric": "numerical", "matching": "matching", "essay": "essay",
                "description": "description"}


@dataclass
class ExportedQuestion:
    category: str
    title: str
    fields: VersionFields
    tags: list[str]

    @property
    def parsed(self) -> GiftQuestion:
        return parsed_question(self.fields, self.title, self.category)


@dataclass
class Export:
    content: bytes
    count: int
    warnings: list[str]


def bank_questions(bank: QuestionBank) -> list[ExportedQuestion]:
    """The bank's questions (not archived), category by category, in the order they were made."""
    questions = db.session.scalars(
        select(Question).join(QuestionCategory, Question.category_id == QuestionCategory.id)
        .where(Question.bank_id == bank.id, Question.archived.is_(False),
               Question.current_version_id.is_not(None))
        .order_by(QuestionCategory.id, Question.id)
        .options(joinedload(Question.category), joinedload(Question.current_version)))
    return [ExportedQuestion(q.category.name, q.title, version_fields_of(q.current_version),
                             list(q.tags or [])) for q in questions]


def export_bank(bank: QuestionBank, file_format: str) -> Export:
    """The bank as ``gift`` (UTF-8 text) or ``moodle_xml``, with what the format loses."""
    questions = bank_questions(bank)
    if file_format == "gift":
        warnings = [f"{q.category}/{q.title}: {warning}"
                    for q in questions for warning in gift_warnings(q.parsed)]
        return Export(_gift_file(bank, questions).encode("utf-8"), len(questions), warnings)
    if file_format == "moodle_xml":
        return Export(_moodle_xml_file(questions), len(questions), [])
    raise ValueError(f"unknown export format {file_format!r}")


def bank_to_gift(bank: QuestionBank) -> str:
    return _gift_file(bank, bank_questions(bank))


def bank_to_moodle_xml(bank: QuestionBank) -> bytes:
    return _moodle_xml_file(bank_questions(bank))


def number_text(value: float) -> str:
    """A float written exactly, without an exponent: 100.0 → "100", 1e-05 → "0.00001"."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# GIFT ------------------------------------------------------------------------------------

def _gift_file(bank: QuestionBank, questions: list[ExportedQuestion]) -> str:
    name = " ".join(bank.name.split())
    parts = [f"// {name}: exported from Praxis\n"]
    category = None
    for question in questions:
        if question.category != category:
            category = question.category
            parts.append(f"$CATEGORY: $course$/top/{_escape(category)}\n")
        tags = " ".join(f"[tag:{tag.replace(']', ' ')}]" for tag in question.tags)
        parsed = map_texts(question.parsed, lambda text: to_plugin_references(text)[0])
        parts.append((f"// {tags}\n" if tags else "") + gift_question(parsed) + "\n")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_GIFT_SPECIAL)


def _gift_text(text: str, text_format: str) -> str:
    """An answer or feedback text; a leading "[html]" would be read as a format tag."""
    prefix = f"[{text_format}]" if _FORMAT_TAG.match(text) else ""
    return prefix + _escape(text)


def _with_feedback(text: str, feedback: str, text_format: str) -> str:
    return _gift_text(text, text_format) + ("#" + _gift_text(feedback, text_format)
                                            if feedback else "")


def _weight(fraction: float) -> str:
    return "" if fraction == 0 else f"%{number_text(fraction)}%"


def gift_question(question: GiftQuestion) -> str:
    """One question in GIFT, on as few lines as its answers allow."""
    fmt = question.text_format
    tag = f"[{fmt}]" if fmt != "moodle" or _FORMAT_TAG.match(question.text) else ""
    head = f"::{_escape(question.title)}::{tag}{_escape(question.text)}"
    if question.kind == "description":
        return head
    lines = _gift_answers(question)
    if question.general_feedback:
        lines.append("####" + _gift_text(question.general_feedback, fmt))
    opening = "{#" if question.kind == "numeric" else "{"
    if question.kind == "true_false" or not lines:
        return head + opening + "".join(lines) + "}"
    return head + opening + "\n" + "\n".join(lines) + "\n}"


def _gift_answers(question: GiftQuestion) -> list[str]:
    fmt, kind = question.text_format, question.kind
    if kind == "single_choice":
        return [("=" if a.fraction == 100 else "~" + _weight(a.fraction))
                + _with_feedback(a.text, a.feedback, fmt) for a in question.answers]
    if kind == "multiple_choice":
        return ["~" + _weight(a.fraction) + _with_feedback(a.text, a.feedback, fmt)
                for a in question.answers]
    if kind == "true_false":
        answer: GiftAnswer = question.answers[0]
        text = "TRUE" if answer.text == "true" else "FALSE"
        if question.wrong_feedback or answer.feedback:
            text += "#" + _gift_text(question.wrong_feedback, fmt)
        if answer.feedback:
            text += "#" + _gift_text(answer.feedback, fmt)
        return [text]
    if kind == "short_answer":
        return ["=" + ("" if a.fraction == 100 else _weight(a.fraction) or "%0%")
                + _with_feedback(a.text, a.feedback, fmt) for a in question.answers]
    if kind == "numeric":
        lines = []
        for n in question.numeric:
            value = number_text(n.value) + (f":{number_text(n.tolerance)}" if n.tolerance else "")
            weight = "" if n.fraction == 100 else _weight(n.fraction) or "%0%"
            lines.append("=" + weight + value + ("#" + _gift_text(n.feedback, fmt)
                                                 if n.feedback else ""))
        if question.wrong_feedback:
            lines.append("~#" + _gift_text(question.wrong_feedback, fmt))
        return lines
    if kind == "matching":
        return ["=" + _gift_text(m.question, fmt) + " -> " + _escape(m.answer)
                for m in question.matches]
    return []  # essay


def gift_warnings(question: GiftQuestion) -> list[str]:
    """What of ``question`` a GIFT file cannot carry (it reads back differently)."""
    warnings = []
    credited = [a for a in question.answers if a.fraction > 0]
    if question.kind == "multiple_choice" and len(credited) == 1 and credited[0].fraction == 100:
        warnings.append(_("GIFT reads a multiple-answer question with one right answer back "
                          "as single-answer"))
    if question.kind == "short_answer" and any(
            "->" in a.text or "->" in a.feedback for a in question.answers):
        warnings.append(_("GIFT reads -> in a short answer as a matching pair"))
    if question.kind == "matching" and any("->" in m.question for m in question.matches):
        warnings.append(_("GIFT cannot write -> on the left of a matching pair"))
    if question.kind == "description" and question.general_feedback:
        warnings.append(_("GIFT has no general feedback for a description"))
    names = image_names(question)
    if names:
        warnings.append(_("GIFT cannot carry images: %(names)s stay @@PLUGINFILE@@ references "
                          "without the image (export as Moodle XML to keep them)",
                          names=", ".join(names)))
    return warnings


# Moodle XML ------------------------------------------------------------------------------

def _cdata(text: str) -> str:
    """Text content as Moodle writes it: in CDATA when it holds markup characters."""
    if not any(char in text for char in "<>&"):
        return text
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


Images = dict[int, bytes]  # image id → bytes, of the images the exported texts show


def _with_files(text: str, images: Images, indent: int) -> str:
    """``<text>`` of a text with its images as Moodle writes them: ``@@PLUGINFILE@@``
    references, and a ``<file>`` after the ``<text>`` for each image."""
    text, files = to_plugin_references(text)
    pad = "  " * indent
    out = [f"{pad}<text>{_cdata(text)}</text>\n"]
    for path, image_id in files:
        if image_id not in images:
            continue  # not in the database (cannot happen while banks keep their images)
        name, folder = file_location(path)
        out.append(f"{pad}<file name={quoteattr(name)} path={quoteattr(folder)} "
                   f'encoding="base64">{base64.b64encode(images[image_id]).decode()}</file>\n')
    return "".join(out)


def _text_element(tag: str, text: str, text_format: str | None, indent: int,
                  images: Images | None = None) -> str:
    pad = "  " * indent
    attribute = f' format="{FORMAT_TO_MOODLE[text_format]}"' if text_format else ""
    return (f"{pad}<{tag}{attribute}>\n" + _with_files(text, images or {}, indent + 1)
            + f"{pad}</{tag}>\n")


def _answer(fraction: float, text: str, text_format: str, feedback: str, feedback_format: str,
            images: Images, extra: str = "") -> str:
    return (f'    <answer fraction="{number_text(fraction)}" '
            f'format="{FORMAT_TO_MOODLE[text_format]}">\n'
            + _with_files(text, images, 3)
            + _text_element("feedback", feedback, feedback_format, 3, images) + extra
            + "    </answer>\n")


def _images_of(questions: list[GiftQuestion]) -> Images:
    ids = set().union(*(image_ids(question) for question in questions))
    if not ids:
        return {}
    return dict(db.session.execute(select(QuestionImage.id, QuestionImage.data)
                                   .where(QuestionImage.id.in_(ids))).all())


def _moodle_xml_file(questions: list[ExportedQuestion]) -> bytes:
    parsed = [question.parsed for question in questions]
    images = _images_of(parsed)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    category = None
    for question, shown in zip(questions, parsed, strict=True):
        if question.category != category:
            category = question.category
            parts.append('  <question type="category">\n    <category>\n'
                         f"      <text>{_cdata('$course$/top/' + category)}</text>\n"
                         "    </category>\n"
                         '    <info format="html">\n      <text></text>\n    </info>\n'
                         "  </question>\n\n")
        parts.append(_xml_question(question, shown, images) + "\n")
    parts.append("</quiz>\n")
    return "".join(parts).encode("utf-8")


def _xml_question(item: ExportedQuestion, question: GiftQuestion, images: Images) -> str:
    fmt = question.text_format
    out = [f'  <question type="{_MOODLE_TYPE[question.kind]}">\n',
           _text_element("name", question.title, None, 2),
           _text_element("questiontext", question.text, fmt, 2, images),
           _text_element("generalfeedback", question.general_feedback, fmt, 2, images),
           f"    <defaultgrade>{0 if question.kind == 'description' else 1}</defaultgrade>\n",
           "    <penalty>0</penalty>\n    <hidden>0</hidden>\n    <idnumber></idnumber>\n"]
    out += _xml_body(question, images)
    if item.tags:
        out.append("    <tags>\n" + "".join(f"      <tag><text>{_cdata(tag)}</text></tag>\n"
                                            for tag in item.tags) + "    </tags>\n")
    out.append("  </question>\n")
    return "".join(out)


def _xml_body(question: GiftQuestion, images: Images) -> list[str]:
    fmt, kind = question.text_format, question.kind
    if kind in ("single_choice", "multiple_choice"):
        return [f"    <single>{'true' if kind == 'single_choice' else 'false'}</single>\n"
                "    <shuffleanswers>true</shuffleanswers>\n"
                "    <answernumbering>abc</answernumbering>\n"]  \
            + [_answer(a.fraction, a.text, fmt, a.feedback, fmt, images)
               for a in question.answers]
    if kind == "true_false":
        answer = question.answers[0]
        right = answer.text == "true"
        return [_answer(100 if right else 0, "true", "moodle",
                        answer.feedback if right else question.wrong_feedback, fmt, images),
                _answer(0 if right else 100, "false", "moodle",
                        question.wrong_feedback if right else answer.feedback, fmt, images)]
    if kind == "short_answer":
        return ["    <usecase>0</usecase>\n"] + [
            _answer(a.fraction, a.text, "moodle", a.feedback, fmt, images)
            for a in question.answers]
    if kind == "numeric":
        lines = [_answer(n.fraction, number_text(n.value), "moodle", n.feedback, fmt, images,
                         f"      <tolerance>{number_text(n.tolerance)}</tolerance>\n")
                 for n in question.numeric]
        if question.wrong_feedback:
            lines.append(_answer(0, "*", "moodle", question.wrong_feedback, fmt, images,
                                 "      <tolerance>0</tolerance>\n"))
        return lines + ["    <unitgradingtype>0</unitgradingtype>\n"
                        "    <unitpenalty>0.1000000</unitpenalty>\n"
                        "    <showunits>3</showunits>\n    <unitsleft>0</unitsleft>\n"]
    if kind == "matching":
        return ["    <shuffleanswers>true</shuffleanswers>\n"] + [
            f'    <subquestion format="{FORMAT_TO_MOODLE[fmt]}">\n'
            + _with_files(m.question, images, 3)
            + f"      <answer>\n        <text>{_cdata(m.answer)}</text>\n      </answer>\n"
            "    </subquestion>\n" for m in question.matches]
    if kind == "essay":
        return ["    <responseformat>editor</responseformat>\n"
                "    <responserequired>1</responserequired>\n"
                "    <responsefieldlines>15</responsefieldlines>\n"
                "    <attachments>0</attachments>\n"
                "    <attachmentsrequired>0</attachmentsrequired>\n"
                '    <graderinfo format="html">\n      <text></text>\n    </graderinfo>\n'
                '    <responsetemplate format="html">\n      <text></text>\n'
                "    </responsetemplate>\n"]
    return []
