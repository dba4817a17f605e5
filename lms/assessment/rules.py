"""Rules every stored question follows, wherever it comes from.

The GIFT and Moodle XML importers, the bank's question editor and course quiz files
(``catalog.kinds.QuizKind``) all ask ``question_problems``, so a question refused by one of
them cannot slip in through another. The rules are Moodle's own for these types: a question
needs a text; a single-answer choice question needs a choice worth 100 %; the positive
weights of a multiple-answer one add up to 100 % (rounded to whole percent, as Moodle does,
so 33.33333 × 3 is fine); a title fits the 200 characters of its column.

Each parser checks its own syntax first (weights within -100..100, at least one answer giving
credit …); these are the rules that hold for a question that parsed.
"""

from __future__ import annotations

from flask_babel import gettext

from lms.assessment.convert import VersionFields, parsed_question
from lms.assessment.gift import GiftQuestion

__all__ = ["MAX_TITLE_LENGTH", "question_problems"]

MAX_TITLE_LENGTH = 200  # Question.title column
_PHP_WHITESPACE = " \t\n\r\0\x0b"


def N_(message: str) -> str:  # noqa: N802 - the marker pybabel extracts by default
    """Marks a message for extraction; ``_reason`` translates it (or not)."""
    return message


def _reason(translate: bool, message: str, **values) -> str:
    if translate:
        return gettext(message, **values)
    return message % values if values else message


def question_problems(question: GiftQuestion | VersionFields, *,
                      translate: bool = True) -> list[str]:
    """What breaks the rules in a parsed question (``GiftQuestion``) or the fields of a
    version (``VersionFields``, without a title); empty when nothing does.

    Reasons are short, lowercase phrases, translated into the interface's language — or in
    English with ``translate=False``, for files and logs.
    """
    if isinstance(question, VersionFields):
        question = parsed_question(question, "", None)
    problems: list[str] = []
    if not (question.text or "").strip(_PHP_WHITESPACE):
        problems.append(_reason(translate, N_("the question has no text")))
    fractions = [answer.fraction for answer in question.answers]
    if question.kind == "single_choice" and fractions and max(fractions) != 100:
        problems.append(_reason(translate, N_(
            "no choice of this single-answer question gives full marks")))
    if question.kind == "multiple_choice":
        total = sum(fraction for fraction in fractions if fraction > 0)
        if round(total) != 100:
            problems.append(_reason(translate, N_(
                "the positive weights of this multiple-answer question add up to %(total)s%%, "
                "not 100%%"), total=f"{total:g}"))
    if question.title and len(question.title) > MAX_TITLE_LENGTH:
        problems.append(_reason(translate, N_("the title is longer than %(count)d characters"),
                                count=MAX_TITLE_LENGTH))
    return problems
