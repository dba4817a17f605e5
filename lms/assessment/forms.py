"""Forms of the quiz pages: the question editor, the import upload, essay grading.

The question editor holds one row per choice, accepted answer, number or matching pair (plus
two blank rows for new ones, so it works without a script). ``fields_from_form`` turns the
rows into the stored ``VersionFields`` and reports mistakes on the rows themselves, then
checks the result with ``rules.question_problems`` — the rules the importers apply — so a
question edited here could also be written as GIFT.
"""

from __future__ import annotations

import math
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms.assessment.convert import VersionFields
from lms.assessment.models import QuestionVersion
from lms.assessment.rules import question_problems

MAX_TEXT = 20_000
MAX_ANSWER = 2_000
BLANK_ROWS = 2
MAX_TAGS = 20
TAG_SPLIT = re.compile(r"[,，;；、]")
TEXT_FORMATS = [SelectChoice("moodle", "Moodle"), SelectChoice("markdown", "Markdown"),
                SelectChoice("html", "HTML"), SelectChoice("plain", _l("Plain text"))]


def _clean(value):
    """Browsers send CRLF; stored texts use LF and are trimmed like GIFT trims them."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


class ChoiceRow(Form):
    id = HiddenField()
    text = StringField(_l("Answer"), filters=[_clean], validators=[Length(max=MAX_ANSWER)])
    fraction = StringField(_l("Credit (%)"), filters=[_clean], validators=[Length(max=20)])
    feedback = StringField(_l("Feedback"), filters=[_clean],
                           validators=[Length(max=MAX_ANSWER)])


class ShortAnswerRow(Form):
    text = StringField(_l("Accepted answer"), filters=[_clean],
                       validators=[Length(max=MAX_ANSWER)])
    fraction = StringField(_l("Credit (%)"), filters=[_clean], validators=[Length(max=20)])
    feedback = StringField(_l("Feedback"), filters=[_clean],
                           validators=[Length(max=MAX_ANSWER)])


class NumberRow(Form):
    value = StringField(_l("Accepted value"), filters=[_clean], validators=[Length(max=40)])
    tolerance = StringField(_l("Tolerance (±)"), filters=[_clean], validators=[Length(max=40)])
    fraction = StringField(_l("Credit (%)"), filters=[_clean], validators=[Length(max=20)])
    feedback = StringField(_l("Feedback"), filters=[_clean],
                           validators=[Length(max=MAX_ANSWER)])


class PairRow(Form):
    id = HiddenField()
    question = StringField(_l("Matching item"), filters=[_clean],
                           validators=[Length(max=MAX_ANSWER)])
    answer = StringField(_l("Matches"), filters=[_clean], validators=[Length(max=MAX_ANSWER)])


class QuestionForm(FlaskForm):
    # The version the editor was loaded from: saving over a newer one is refused.
    based_on = HiddenField()
    text = TextAreaField(_l("Question text"), filters=[_clean],
                         validators=[DataRequired(), Length(max=MAX_TEXT)])
    text_format = SelectField(_l("Text format"), choices=TEXT_FORMATS, default="moodle")
    general_feedback = TextAreaField(_l("General feedback (shown after answering)"),
                                     filters=[_clean], validators=[Length(max=MAX_TEXT)])
    tags = StringField(_l("Tags (separated by commas)"), filters=[_clean],
                       validators=[Optional(), Length(max=1000)])
    multiple = BooleanField(_l("Several answers may be chosen (multiple choice)"))
    choices = FieldList(FormField(ChoiceRow), min_entries=0, max_entries=50)
    correct = SelectField(_l("The statement is"),
                          choices=[SelectChoice("true", _l("True")),
                                   SelectChoice("false", _l("False"))], default="true")
    feedback_right = StringField(_l("Feedback for a right response"), filters=[_clean],
                                 validators=[Length(max=MAX_ANSWER)])
    feedback_wrong = StringField(_l("Feedback for a wrong response"), filters=[_clean],
                                 validators=[Length(max=MAX_ANSWER)])
    answers = FieldList(FormField(ShortAnswerRow), min_entries=0, max_entries=50)
    numbers = FieldList(FormField(NumberRow), min_entries=0, max_entries=50)
    wrong_feedback = StringField(_l("Feedback for any other number"), filters=[_clean],
                                 validators=[Length(max=MAX_ANSWER)])
    pairs = FieldList(FormField(PairRow), min_entries=0, max_entries=50)


class ImportForm(FlaskForm):
    file = FileField(_l("GIFT or Moodle XML file"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    """The small POST forms (start, submit, confirm, regrade): only the CSRF token."""


class EssayGradeForm(FlaskForm):
    percent = StringField(_l("Credit (%)"), filters=[_clean],
                          validators=[DataRequired(), Length(max=20)])
    comment = TextAreaField(_l("Comment for the learner"), filters=[_clean],
                            validators=[Length(max=MAX_TEXT)])


# --- Reading numbers ----------------------------------------------------------------------


def read_number(text: str | None) -> float | None:
    """A decimal number typed by a person (full-width digits allowed); None if it is not one."""
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def number_text(value: float | int | None) -> str:
    """A number as an author would write it: 100, not 100.0; 33.33333 kept as is."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def split_tags(text: str | None) -> list[str]:
    tags: list[str] = []
    for part in TAG_SPLIT.split(text or ""):
        tag = part.strip()[:50]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


# --- Filling the editor from a version, and a version from the editor ----------------------


def editor_data(version: QuestionVersion, tags: list[str]) -> dict:
    """The editor's initial data for ``version``."""
    data = version.data or {}
    result: dict = {
        "based_on": str(version.id), "text": version.text, "text_format": version.text_format,
        "general_feedback": version.general_feedback, "tags": "、".join(tags),
        "multiple": version.kind == "multiple_choice",
    }
    if version.kind in ("single_choice", "multiple_choice"):
        result["choices"] = [{"id": c["id"], "text": c["text"],
                              "fraction": number_text(c["fraction"]),
                              "feedback": c.get("feedback", "")} for c in data["choices"]]
    elif version.kind == "true_false":
        result.update(correct="true" if data.get("correct") else "false",
                      feedback_right=data.get("feedback_right", ""),
                      feedback_wrong=data.get("feedback_wrong", ""))
    elif version.kind == "short_answer":
        result["answers"] = [{"text": a["text"], "fraction": number_text(a["fraction"]),
                              "feedback": a.get("feedback", "")} for a in data["answers"]]
    elif version.kind == "numeric":
        result["numbers"] = [{"value": number_text(a["value"]),
                              "tolerance": number_text(a["tolerance"]),
                              "fraction": number_text(a["fraction"]),
                              "feedback": a.get("feedback", "")} for a in data["answers"]]
        result["wrong_feedback"] = data.get("wrong_feedback", "")
    elif version.kind == "matching":
        result["pairs"] = [{"id": p["id"], "question": p["question"], "answer": p["answer"]}
                           for p in data["pairs"]]
    return result


def add_blank_rows(form: QuestionForm, kind: str) -> None:
    """Blank rows for new answers (ignored when left empty)."""
    rows = {"single_choice": form.choices, "multiple_choice": form.choices,
            "short_answer": form.answers, "numeric": form.numbers,
            "matching": form.pairs}.get(kind)
    if rows is not None:
        for _ in range(BLANK_ROWS):
            rows.append_entry()


def _fraction(row, default: float) -> float | None:
    if not row.fraction.data:
        return default
    value = read_number(row.fraction.data)
    if value is None or not -100 <= value <= 100:
        row.fraction.errors.append(_l("Enter a number from -100 to 100."))
        return None
    return value


def _next_ids(rows, prefix: str) -> list[str]:
    """Keep the ids of existing rows (attempts refer to them) and number new ones after them."""
    used = {row.id.data for row in rows if row.id.data}
    numbers = [int(i[1:]) for i in used if re.fullmatch(prefix + r"\d+", i)]
    following = max(numbers, default=0) + 1
    ids = []
    for row in rows:
        if row.id.data and re.fullmatch(prefix + r"\d+", row.id.data) and row.id.data not in ids:
            ids.append(row.id.data)
        else:
            ids.append(f"{prefix}{following}")
            following += 1
    return ids


def _choice_data(form: QuestionForm) -> tuple[str, dict]:
    rows = [entry.form for entry in form.choices if entry.form.text.data]
    choices = []
    for row, choice_id in zip(rows, _next_ids(rows, "c"), strict=True):
        fraction = _fraction(row, 0.0)
        choices.append({"id": choice_id, "text": row.text.data, "fraction": fraction,
                        "feedback": row.feedback.data or ""})
    if len(choices) < 2:
        form.form_errors.append(_l("A choice question needs at least 2 answers."))
    elif all(c["fraction"] is not None for c in choices) \
            and not any(c["fraction"] > 0 for c in choices):
        form.form_errors.append(_l("At least one answer must give credit."))
    kind = "multiple_choice" if form.multiple.data else "single_choice"
    return kind, {"choices": choices}


def _short_answer_data(form: QuestionForm) -> dict:
    answers = []
    for entry in form.answers:
        row = entry.form
        if row.text.data:
            answers.append({"text": row.text.data, "fraction": _fraction(row, 100.0),
                            "feedback": row.feedback.data or ""})
    if not answers:
        form.form_errors.append(_l("Give at least one accepted answer."))
    elif all(a["fraction"] is not None for a in answers) \
            and not any(a["fraction"] > 0 for a in answers):
        form.form_errors.append(_l("At least one answer must give credit."))
    return {"answers": answers}


def _numeric_data(form: QuestionForm) -> dict:
    answers = []
    for entry in form.numbers:
        row = entry.form
        if not row.value.data:
            continue
        value = read_number(row.value.data)
        if value is None:
            row.value.errors.append(_l("Enter a number."))
        tolerance = read_number(row.tolerance.data) if row.tolerance.data else 0.0
        if tolerance is None or tolerance < 0:
            row.tolerance.errors.append(_l("Enter zero or a positive number."))
        answers.append({"value": value, "tolerance": tolerance,
                        "fraction": _fraction(row, 100.0), "feedback": row.feedback.data or ""})
    if not answers:
        form.form_errors.append(_l("Give at least one accepted number."))
    elif all(a["fraction"] is not None for a in answers) \
            and not any(a["fraction"] > 0 for a in answers):
        form.form_errors.append(_l("At least one answer must give credit."))
    return {"answers": answers, "wrong_feedback": form.wrong_feedback.data or ""}


def _matching_data(form: QuestionForm) -> dict:
    rows = []
    for entry in form.pairs:
        row = entry.form
        if not (row.question.data or row.answer.data):
            continue
        if not row.answer.data:
            row.answer.errors.append(_l("Every pair needs an answer."))
        rows.append(row)
    pairs = [{"id": pair_id, "question": row.question.data or "", "answer": row.answer.data or ""}
             for row, pair_id in zip(rows, _next_ids(rows, "p"), strict=True)]
    if len(pairs) < 3 or sum(1 for p in pairs if p["question"]) < 2:
        form.form_errors.append(_l(
            "A matching question needs at least 3 pairs, 2 of them with an item."))
    return {"pairs": pairs}


def has_errors(form: QuestionForm) -> bool:
    """Whether any field, row or the form itself has an error (rows are checked after
    ``validate()``, which does not see errors added to them later)."""
    if form.form_errors:
        return True
    for field in form:
        if isinstance(field, FieldList):
            if any(sub.errors for entry in field for sub in entry.form):
                return True
        elif field.errors:
            return True
    return False


def fields_from_form(form: QuestionForm, kind: str) -> VersionFields | None:
    """The version the editor describes, or None (with errors on the form) if it is not valid.

    Call after ``form.validate()``; the kind stays the question's, except that a choice
    question may switch between single and multiple choice.
    """
    data: dict = {}
    if kind in ("single_choice", "multiple_choice"):
        kind, data = _choice_data(form)
    elif kind == "true_false":
        data = {"correct": form.correct.data == "true",
                "feedback_right": form.feedback_right.data or "",
                "feedback_wrong": form.feedback_wrong.data or ""}
    elif kind == "short_answer":
        data = _short_answer_data(form)
    elif kind == "numeric":
        data = _numeric_data(form)
    elif kind == "matching":
        data = _matching_data(form)
    if has_errors(form):
        return None
    fields = VersionFields(kind=kind, text=form.text.data, text_format=form.text_format.data,
                           data=data, general_feedback=form.general_feedback.data or "")
    # The rules every stored question follows (the importers apply the same ones).
    problems = question_problems(fields)
    if problems:
        form.form_errors.extend(problem[:1].upper() + problem[1:] for problem in problems)
        return None
    return fields
