"""Grading one response to one question version, and checking a response's shape.

Response shapes (what the learner pages send and attempts store), by kind:

- ``single_choice``: ``{"choice": "c2"}``
- ``multiple_choice``: ``{"choices": ["c1", "c3"]}``
- ``true_false``: ``{"value": true}``
- ``short_answer``: ``{"text": "ABC123"}``
- ``numeric``: ``{"value": "3.14"}`` (as typed; full-width digits are read as digits)
- ``matching``: ``{"matches": {"p1": "answer text", ...}}``
- ``essay``: ``{"text": "..."}``

``None`` is an unanswered question (scores 0). Rules:

- **Multiple choice, partial credit:** the fraction is the sum of the fractions of the chosen
  options, clamped to 0–100 %. Options with negative weights subtract, so choosing every
  option scores no more than the rule allows (usually 0).
- **Short answer:** the response and the accepted answers are compared after
  ``normalise_text`` (NFKC, so full-width ``ＡＢＣ１２３`` equals ``ABC123``; case folded;
  surrounding space, including the ideographic space, trimmed; inner runs of space made
  one). ``*`` in an accepted answer matches any text (``\\*`` is a literal star). The first
  accepted answer that matches gives its fraction, as in Moodle.
- **Numeric:** a plain decimal (``-12.5``, ``3e2``; no thousands separators), right within
  the answer's tolerance; anything that is not a number scores 0.
- **Matching:** right pairs / pairs that have a question.
- **Essay:** no fraction (``None``) until a trainer grades it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNESCAPED_STAR = re.compile(r"(?<!\\)\*")
MAX_SHORT_TEXT = 1000
MAX_ESSAY_TEXT = 50_000
MAX_NUMBER_TEXT = 100
# Sums of weights such as 3 × 33.33333 % are right within this: snapped to exactly 0 or 1.
FRACTION_TOLERANCE = 1e-6


@dataclass
class GradeResult:
    # 0..1, or None for a response only a trainer can grade (an essay).
    fraction: float | None
    # Feedback written for the answers given (the chosen options, the matched answer).
    feedback: list[str] = field(default_factory=list)


def normalise_text(text: str) -> str:
    """Text as compared for short answers: NFKC, case-folded, trimmed, inner space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def grade_response(version, response: dict | None) -> GradeResult:
    """Grade ``response`` against a QuestionVersion (or VersionFields) by its kind."""
    kind, data = version.kind, version.data
    if kind == "essay":
        return GradeResult(None)
    if kind == "description":
        return GradeResult(0.0)
    if not response:
        return GradeResult(0.0)
    grader = _GRADERS[kind]
    fraction, feedback = grader(data, response)
    return GradeResult(snap_fraction(fraction), [text for text in feedback if text])


def snap_fraction(fraction: float) -> float:
    """``fraction`` clamped to 0–1, rounded to 7 places, and exactly 0 or 1 when within
    ``FRACTION_TOLERANCE`` of them (so 3 × 33.33333 % is fully right)."""
    fraction = round(min(1.0, max(0.0, fraction)), 7)
    if fraction >= 1 - FRACTION_TOLERANCE:
        return 1.0
    if fraction <= FRACTION_TOLERANCE:
        return 0.0
    return fraction


def _single_choice(data: dict, response: dict) -> tuple[float, list[str]]:
    chosen = next((c for c in data["choices"] if c["id"] == response.get("choice")), None)
    if chosen is None:
        return 0.0, []
    return chosen["fraction"] / 100, [chosen.get("feedback", "")]


def _multiple_choice(data: dict, response: dict) -> tuple[float, list[str]]:
    chosen_ids = set(response.get("choices") or [])
    chosen = [c for c in data["choices"] if c["id"] in chosen_ids]
    return sum(c["fraction"] for c in chosen) / 100, [c.get("feedback", "") for c in chosen]


def _true_false(data: dict, response: dict) -> tuple[float, list[str]]:
    if not isinstance(response.get("value"), bool):
        return 0.0, []
    if response["value"] == data["correct"]:
        return 1.0, [data.get("feedback_right", "")]
    return 0.0, [data.get("feedback_wrong", "")]


def _short_answer(data: dict, response: dict) -> tuple[float, list[str]]:
    given = normalise_text(response.get("text") or "")
    if not given:
        return 0.0, []
    for answer in data["answers"]:
        if short_answer_matches(given, answer["text"]):
            return answer["fraction"] / 100, [answer.get("feedback", "")]
    return 0.0, []


def short_answer_matches(given_normalised: str, accepted: str) -> bool:
    """Whether a normalised response matches an accepted answer (``*`` is a wildcard)."""
    accepted = normalise_text(accepted)
    if "*" not in accepted:
        return given_normalised == accepted
    parts = [re.escape(part.replace("\\*", "*")) for part in _UNESCAPED_STAR.split(accepted)]
    return re.fullmatch(".*".join(parts), given_normalised, re.DOTALL) is not None


def parse_number(text) -> float | None:
    """A number typed by a learner (full-width digits allowed), or None."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def _numeric(data: dict, response: dict) -> tuple[float, list[str]]:
    value = parse_number(response.get("value"))
    if value is not None:
        for answer in data["answers"]:
            # A little slack for binary floating point (0.1 + 0.2 is right for 0.3 ± 0).
            slack = 1e-9 * max(1.0, abs(answer["value"]))
            if abs(value - answer["value"]) <= answer["tolerance"] + slack:
                return answer["fraction"] / 100, [answer.get("feedback", "")]
    return 0.0, [data.get("wrong_feedback", "")]


def _matching(data: dict, response: dict) -> tuple[float, list[str]]:
    pairs = [p for p in data["pairs"] if p["question"]]
    if not pairs:
        return 0.0, []
    matches = response.get("matches") or {}
    right = sum(1 for p in pairs if matches.get(p["id"]) == p["answer"])
    return right / len(pairs), []


_GRADERS = {
    "single_choice": _single_choice,
    "multiple_choice": _multiple_choice,
    "true_false": _true_false,
    "short_answer": _short_answer,
    "numeric": _numeric,
    "matching": _matching,
}


def checked_response(version, response) -> dict | None:
    """``response`` in its stored shape for the version's kind; ValueError if malformed.

    ``None`` (or an empty dict) clears the answer. Ids must be the version's own choice or
    pair ids and matching answers one of its answer texts, so nothing a browser sends can
    smuggle a value the question does not offer. Every string must be a ``str`` that
    encodes as UTF-8 (no lone surrogates, which no page could show again). The refusals'
    messages are translated (they reach learners).
    """
    kind, data = version.kind, version.data
    if kind == "description":
        raise ValueError(_("A description takes no answer."))
    if response is None or response == {}:
        return None
    if not isinstance(response, dict):
        raise ValueError(_("The answer could not be read."))
    if kind == "single_choice":
        choice = response.get("choice")
        if choice is None:
            return None
        if not _is_text(choice) or choice not in {c["id"] for c in data["choices"]}:
            raise ValueError(_("The chosen answer is not one of the question's options."))
        return {"choice": choice}
    if kind == "multiple_choice":
        chosen = response.get("choices")
        if not isinstance(chosen, list) or not all(_is_text(c) for c in chosen):
            raise ValueError(_("The answer could not be read."))
        ids = [c["id"] for c in data["choices"]]
        if set(chosen) - set(ids):
            raise ValueError(_("The chosen answer is not one of the question's options."))
        return {"choices": [i for i in ids if i in set(chosen)]}
    if kind == "true_false":
        if not isinstance(response.get("value"), bool):
            raise ValueError(_("Choose true or false."))
        return {"value": response["value"]}
    if kind in ("short_answer", "essay"):
        text = response.get("text")
        limit = MAX_ESSAY_TEXT if kind == "essay" else MAX_SHORT_TEXT
        if not _is_text(text):
            raise ValueError(_("The answer could not be read."))
        if len(text) > limit:
            raise ValueError(_("The answer is too long: at most %(limit)d characters.",
                               limit=limit))
        return {"text": text}
    if kind == "numeric":
        value = response.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = repr(value)
        if not _is_text(value) or len(value) > MAX_NUMBER_TEXT:
            raise ValueError(_("Enter a number."))
        return {"value": value}
    if kind == "matching":
        return {"matches": _checked_matches(data, response.get("matches"))}
    raise ValueError(_("This question cannot be answered."))


def _is_text(value) -> bool:
    """Whether ``value`` is a string that can be stored and shown (encodes as UTF-8)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked_matches(data: dict, matches) -> dict:
    if not isinstance(matches, dict):
        raise ValueError(_("The answer could not be read."))
    pair_ids = {p["id"] for p in data["pairs"] if p["question"]}
    answers = {p["answer"] for p in data["pairs"]}
    checked = {}
    for pair_id, answer in matches.items():
        if not _is_text(pair_id) or pair_id not in pair_ids:
            raise ValueError(_("The answer names a pair the question does not have."))
        if answer is None or answer == "":
            continue
        if not _is_text(answer) or answer not in answers:
            raise ValueError(_("The chosen answer is not one of the question's options."))
        checked[pair_id] = answer
    return checked
