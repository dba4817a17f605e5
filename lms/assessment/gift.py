"""Parse GIFT, Moodle's plain-text question format, into question objects.

``parse_gift`` reads a whole file and returns its questions in order; it raises ``GiftError``
(a ``ValueError`` carrying the line of the bad question) for anything it cannot import.

The dialect is the one Moodle's own importer reads (``question/format/gift/format.php`` and the
line splitting of ``question/format.php``), so a file that imports into Moodle gives the same
questions here:

* Questions are separated by blank lines. Every line is trimmed first, as Moodle does, so
  indentation and trailing spaces inside a question are lost (write ``\\n`` to keep a line
  break inside a single line).
* Lines starting with ``//`` are comments. ``$CATEGORY: path`` sets the category of the
  questions that follow it.
* ``::title::`` starts a question; ``[html]``, ``[markdown]``, ``[plain]`` or ``[moodle]``
  before a text sets its format. Answers and feedback inherit the question text's format.
* The answer block ``{...}`` decides the type, checked in Moodle's order: no block is a
  description, an empty block an essay, ``{#...}`` numeric, any ``~`` a choice question,
  ``=`` with ``->`` matching, ``T``/``TRUE``/``F``/``FALSE`` true/false, anything else a
  short answer. A block inside the text (not at its end) leaves ``_____`` in its place.
* ``\\~ \\= \\# \\{ \\} \\:`` are literal characters, ``\\\\`` is a backslash and ``\\n`` a line
  break; a backslash before any other character is kept as it is.

Besides what Moodle rejects too (an unclosed answer block, too few answers, a matching pair
without ``->``), this parser refuses what Moodle would import silently broken, because a
question nobody can answer correctly is worse than an error at import time: a second answer
block or a ``{`` inside one, an unclosed ``::title``, a ``$CATEGORY`` line with a question
under it, a weight that is not a number or lies outside -100..100, a numeric answer that is
not a number (Moodle stores it unchecked) or a ``~answer`` in a numeric question, an empty
answer, a question where no answer gives credit, and a matching question with fewer than
three pairs (the Moodle documentation asks for three; its importer checks only two).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = [
    "KINDS",
    "TEXT_FORMATS",
    "BLANK",
    "GiftAnswer",
    "GiftError",
    "GiftMatch",
    "GiftQuestion",
    "NumericAnswer",
    "parse_gift",
]

KINDS = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "short_answer",
    "numeric",
    "matching",
    "essay",
    "description",
)
TEXT_FORMATS = ("moodle", "html", "markdown", "plain")
# What Moodle puts where a "missing word" answer block stood inside the question text.
BLANK = "_____"

# PHP's trim() set. Moodle trims with it; Python's str.strip() would also remove U+3000
# (ideographic space) and no-break spaces, which are ordinary text in Chinese questions.
_WHITESPACE = " \t\n\r\0\x0b"
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY_MARK = "$CATEGORY:"
# ASCII digits only: Python's float() and \d also accept full-width digits (１８２２), which
# Moodle does not read as numbers, so a numeric answer written with them must be an error.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WEIGHT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

# Escaped control characters are swapped for code points from the end of Supplementary
# Private Use Area-B while the structure is parsed, so that ``\{`` or ``\=`` never counts as
# syntax, and swapped back in every finished text. (Moodle does the same with "&&058;"-style
# placeholders, which wrongly also turns a literal "&&058;" in the text into ":".)
_ESCAPED = {char: chr(0x10FF00 + ord(char)) for char in ":#={}~"}
_ESCAPED["n"] = chr(0x10FF00 + ord("\n"))
_UNESCAPE = str.maketrans(
    {code: "\n" if char == "n" else char for char, code in _ESCAPED.items()}
)
_PLACEHOLDERS = frozenset(_ESCAPED.values())
# A backslash and the character after it, read left to right: in "\\:" the first pair is a
# literal backslash and the colon stays syntax, exactly as Moodle reads it.
_ESCAPE_SEQUENCE = re.compile(r"\\(.)", re.DOTALL)


class GiftError(ValueError):
    """A GIFT file that cannot be imported.

    ``line`` is the 1-based line where the offending question starts (its first line that is
    not a comment); ``reason`` says what is wrong, in short English.
    """

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason

    def __reduce__(self) -> tuple[type[GiftError], tuple[int, str]]:
        # The default would call GiftError(message) and fail: keep the two fields instead.
        return (type(self), (self.line, self.reason))


@dataclass
class GiftAnswer:
    """A choice, an accepted short answer, or the true/false answer."""

    text: str
    fraction: float  # percent credit: 100 is fully right, negative values take marks away
    feedback: str = ""


@dataclass
class GiftMatch:
    """One pair of a matching question; an empty ``question`` is an extra wrong answer."""

    question: str
    answer: str


@dataclass
class NumericAnswer:
    """An accepted number: right if within ``value`` ± ``tolerance``."""

    value: float
    tolerance: float
    fraction: float  # percent credit, as in GiftAnswer
    feedback: str = ""


@dataclass
class GiftQuestion:
    """One question of a GIFT file.

    ``answers`` holds choices and accepted short answers; a true/false question has a single
    answer "true" or "false" whose feedback is shown for a right response, and
    ``wrong_feedback`` for a wrong one. Numeric questions keep their answers in ``numeric``
    and the feedback for every other number (GIFT ``~#feedback``) in ``wrong_feedback``.
    """

    kind: str
    title: str
    text: str
    text_format: str
    category: str | None
    line: int  # first line of the question (after any comment lines) in the input
    answers: list[GiftAnswer] = field(default_factory=list)
    wrong_feedback: str = ""
    numeric: list[NumericAnswer] = field(default_factory=list)
    matches: list[GiftMatch] = field(default_factory=list)
    general_feedback: str = ""


def parse_gift(text: str) -> list[GiftQuestion]:
    """Parse a GIFT file's text into its questions, in file order.

    Accepts a leading BOM and any of ``\\r\\n``, ``\\r`` or ``\\n`` line endings. Raises
    ``GiftError`` for the first malformed question, with the line where that question starts.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    questions: list[GiftQuestion] = []
    category: str | None = None
    for block in _blocks(lines):
        # Comments are dropped wherever they are, even inside a question, as Moodle does.
        body = [(number, line) for number, line in block if not line.startswith("//")]
        if not body:
            continue
        first_line = body[0][0]
        source = _protect("\n".join(line for _, line in body), first_line)
        if source.startswith(_CATEGORY_MARK):
            category = _category(source, first_line)
        else:
            questions.append(_question(source, first_line, category))
    return questions


def _blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Group trimmed, numbered lines into questions separated by blank lines."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = _trim(raw)
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _trim(text: str) -> str:
    return text.strip(_WHITESPACE)


def _protect(text: str, line: int) -> str:
    """Replace escape sequences by placeholders that no syntax rule matches."""
    clashing = sorted(_PLACEHOLDERS.intersection(text))
    if clashing:
        raise GiftError(line, f"unsupported character U+{ord(clashing[0]):X}")
    return _ESCAPE_SEQUENCE.sub(_placeholder, text)


def _placeholder(match: re.Match[str]) -> str:
    char = match.group(1)
    if char == "\\":
        return "\\"
    # A backslash before anything else (LaTeX "\frac", a Windows path) is an ordinary one.
    return _ESCAPED.get(char, match.group(0))


def _finish(text: str) -> str:
    """Resolve placeholders and trim: the last step for every text handed out."""
    return _trim(text.translate(_UNESCAPE))


def _with_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading ``[html]``-style format tag off ``text``; unknown tags stay text."""
    text = _trim(text)
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in TEXT_FORMATS:
            return _finish(text[end + 1:]), text[1:end]
    return _finish(text), default


def _category(source: str, line: int) -> str:
    path = _trim(source[len(_CATEGORY_MARK):])
    if "\n" in path:
        # Moodle would swallow the next lines into the category name.
        raise GiftError(line, "$CATEGORY must be followed by a blank line")
    category = _finish(path)
    if not category:
        raise GiftError(line, "empty $CATEGORY")
    return category


def _question(source: str, line: int, category: str | None) -> GiftQuestion:
    title = ""
    if source.startswith("::"):
        end = source.find("::", 2)
        if end < 0:
            raise GiftError(line, "unclosed question title ::")
        title = _finish(source[2:end])
        source = _trim(source[end + 2:])

    opening, closing = source.find("{"), source.find("}")
    if opening < 0 and closing < 0:
        text, text_format = _with_format(source, "moodle")
        return GiftQuestion("description", title, text, text_format, category, line)
    if closing < 0:
        raise GiftError(line, "unclosed answer block {")
    if opening < 0 or closing < opening:
        raise GiftError(line, "} without an opening {")
    if source.find("{", opening + 1, closing) >= 0:
        raise GiftError(line, "{ inside an answer block (write \\{ for a literal brace)")
    after = source[closing + 1:]
    if "{" in after or "}" in after:
        raise GiftError(line, "more than one answer block (write \\{ \\} for literal braces)")

    # An answer block at the very end is just removed; one inside the sentence is a blank.
    stem = source[:opening] if not after else source[:opening] + BLANK + after
    text, text_format = _with_format(stem, "moodle")
    body = _trim(source[opening + 1:closing])
    general_feedback = ""
    separator = body.rfind("####")
    if separator >= 0:
        general_feedback = _with_format(body[separator + 4:], text_format)[0]
        body = _trim(body[:separator])

    question = GiftQuestion("essay", title, text, text_format, category, line,
                            general_feedback=general_feedback)
    # The order of these tests is Moodle's, and decides e.g. that "{#...~...}" is numeric.
    if not body:
        pass
    elif body.startswith("#"):
        _numeric(question, body[1:])
    elif "~" in body:
        _choices(question, body)
    elif "=" in body and "->" in body:
        _matching(question, body)
    elif _trim(body.split("#", 1)[0]) in _TRUE_FALSE:
        _true_false(question, body)
    else:
        _short_answer(question, body)
    return question


def _entries(body: str, markers: str) -> list[tuple[str, str]]:
    """Split an answer block at unescaped marker characters into (marker, text) pairs.

    Text before the first marker is an answer too when not blank (Moodle reads
    ``{One}`` as a short answer "One"); it gets the marker "".
    """
    parts = re.split(f"([{re.escape(markers)}])", body)
    entries = [("", _trim(parts[0]))] if _trim(parts[0]) else []
    entries += [(marker, _trim(part)) for marker, part in zip(parts[1::2], parts[2::2],
                                                               strict=True)]
    return entries


def _weight(entry: str, line: int) -> tuple[float | None, str]:
    """Take a leading ``%n%`` weight off an answer; None when there is none."""
    if not entry.startswith("%"):
        return None, entry
    end = entry.find("%", 1)
    if end < 0:
        return None, entry  # a lone "%" is text, e.g. "%-Zeichen"
    raw = entry[1:end].strip(_WHITESPACE)
    if not _WEIGHT.fullmatch(raw):
        # Moodle would keep "%abc%" as part of the answer text at 0 %: a typo in a weight
        # (or a decimal comma, "%33,3%") would silently make a right answer wrong.
        shown = entry[1:end].translate(_UNESCAPE)
        shown = shown if len(shown) <= 20 else shown[:20] + "…"
        raise GiftError(line, f"answer weight %{shown}% is not a number")
    weight = float(raw)
    if not -100 <= weight <= 100:
        raise GiftError(line, f"answer weight {raw}% is outside -100..100")
    return weight, entry[end + 1:]


def _answer_and_feedback(entry: str, text_format: str) -> tuple[str, str]:
    """Split ``answer#feedback``; only the first ``#`` separates, later ones are text."""
    answer, _, feedback = entry.partition("#")
    return _with_format(answer, text_format)[0], _with_format(feedback, text_format)[0]


def _choices(question: GiftQuestion, body: str) -> None:
    line = question.line
    has_right_answer = False
    for marker, entry in _entries(body, "~="):
        if marker == "=":
            has_right_answer = True
            if _weight(entry, line)[0] is not None:
                # Moodle would keep "%50%" as answer text worth 100 %.
                raise GiftError(line, "a weighted choice is written ~%n%answer, not =%n%")
            fraction = 100.0
        else:
            weight, entry = _weight(entry, line)
            fraction = 0.0 if weight is None else weight
        text, feedback = _answer_and_feedback(entry, question.text_format)
        if not text:
            raise GiftError(line, "empty answer in a choice question")
        question.answers.append(GiftAnswer(text, fraction, feedback))
    if len(question.answers) < 2:
        raise GiftError(line, "a choice question needs at least 2 answers")
    credited = [answer for answer in question.answers if answer.fraction > 0]
    if not credited:
        raise GiftError(line, "no answer of this choice question gives credit")
    # Moodle makes any question with an "=" answer single-response (several "=" answers are
    # each fully right). Without one, it is single only if exactly one answer is worth 100 %.
    single = has_right_answer or (len(credited) == 1 and credited[0].fraction == 100)
    question.kind = "single_choice" if single else "multiple_choice"


def _short_answer(question: GiftQuestion, body: str) -> None:
    question.kind = "short_answer"
    for _, entry in _entries(body, "="):
        weight, entry = _weight(entry, question.line)
        text, feedback = _answer_and_feedback(entry, question.text_format)
        if not text:
            raise GiftError(question.line, "empty answer in a short-answer question")
        question.answers.append(GiftAnswer(text, 100.0 if weight is None else weight, feedback))
    if not any(answer.fraction > 0 for answer in question.answers):
        raise GiftError(question.line, "no answer of this short-answer question gives credit")


def _true_false(question: GiftQuestion, body: str) -> None:
    # {TRUE#feedback if wrong#feedback if right}: Moodle's order, the first is for a mistake.
    question.kind = "true_false"
    parts = body.split("#", 2)
    correct = _TRUE_FALSE[_trim(parts[0])]
    wrong = _with_format(parts[1], question.text_format)[0] if len(parts) > 1 else ""
    right = _with_format(parts[2], question.text_format)[0] if len(parts) > 2 else ""
    question.answers.append(GiftAnswer("true" if correct else "false", 100.0, right))
    question.wrong_feedback = wrong


def _matching(question: GiftQuestion, body: str) -> None:
    question.kind = "matching"
    line = question.line
    for _, entry in _entries(body, "="):
        left, arrow, right = entry.partition("->")
        if not arrow:
            raise GiftError(line, "matching pair without ->")
        answer = _finish(right)
        if not answer:
            raise GiftError(line, "matching pair with nothing after ->")
        question.matches.append(GiftMatch(_with_format(left, question.text_format)[0], answer))
    # The Moodle docs ask for three pairs; its question form needs two of them to have a
    # question (a pair with an empty question only adds a wrong answer to the list).
    if len(question.matches) < 3 or sum(1 for pair in question.matches if pair.question) < 2:
        raise GiftError(line, "a matching question needs at least 3 pairs, 2 with a question")


def _numeric(question: GiftQuestion, body: str) -> None:
    question.kind = "numeric"
    line = question.line
    wrong_at = body.find("~")
    if wrong_at >= 0:
        # "~#feedback" gives feedback for every number not listed. Moodle drops any text
        # between "~" and "#", so a wrong answer written "~4" would vanish without a word.
        body, tail = body[:wrong_at], body[wrong_at + 1:]
        ignored, _, feedback = tail.partition("#")
        if _trim(ignored) or "~" in feedback:
            raise GiftError(line, "a numeric question takes one ~#feedback, not ~answers")
        question.wrong_feedback = _with_format(feedback, question.text_format)[0]
    entries = _entries(body, "=")
    if not entries:
        raise GiftError(line, "numeric question without an answer")
    for _, entry in entries:
        weight, entry = _weight(entry, line)
        fraction = 100.0 if weight is None else weight
        value, feedback = _answer_and_feedback(entry, question.text_format)
        if value == "*" and fraction == 0:
            # "*" is Moodle's wildcard, "any other number": the same as "~#feedback".
            question.wrong_feedback = feedback
            continue
        number, tolerance = _number_and_tolerance(value, line)
        question.numeric.append(NumericAnswer(number, tolerance, fraction, feedback))
    if not any(answer.fraction > 0 for answer in question.numeric):
        raise GiftError(line, "no answer of this numeric question gives credit")


def _number_and_tolerance(value: str, line: int) -> tuple[float, float]:
    """Read ``n``, ``n:tolerance`` or ``min..max`` (a range becomes its middle ± half)."""
    if value.find("..") > 0:
        low_text, _, high_text = value.partition("..")
        low, high = _number(low_text, line), _number(high_text, line)
        if low > high:
            raise GiftError(line, f"numeric range {value} goes from high to low")
        return (low + high) / 2, (high - low) / 2
    if value.find(":") > 0:
        number_text, _, tolerance_text = value.partition(":")
        number, tolerance = _number(number_text, line), _number(tolerance_text, line)
        if tolerance < 0:
            raise GiftError(line, f"negative tolerance in numeric answer {value}")
        return number, tolerance
    return _number(value, line), 0.0


def _number(text: str, line: int) -> float:
    text = _trim(text)
    if not _NUMBER.fullmatch(text):
        raise GiftError(line, f"numeric answer {text!r} is not a number")
    number = float(text)
    if not math.isfinite(number):
        raise GiftError(line, f"numeric answer {text!r} is too large")
    return number
