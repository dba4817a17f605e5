"""Item statistics of a quiz: how hard each question was and how well it separated learners.

Per question version used in submitted attempts:

- **facility**: the mean fraction of its graded responses, in percent (an unanswered
  question counts as 0; an essay waiting for a trainer does not count yet);
- **discrimination index**: learners' first graded attempts ranked by total score, the top
  27 % against the bottom 27 %: (credit in the upper group − credit in the lower group) /
  group size, from −1 to 1, where credit is the fraction earned (1 for a right answer).
  For a drawn question only the group members who were given it count. None with fewer
  than 5 such attempts, too few for the groups to mean anything;
- **answer distribution**: how often each option was chosen (choice and true/false
  questions), or the most frequent responses after normalisation (short answer, numeric,
  matching); essays have none;
- **average seconds** spent on it by those who answered it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.assessment.grading import normalise_text, parse_number
from lms.assessment.models import AttemptResponse, QuestionVersion, Quiz, QuizAttempt
from lms.extensions import db

MIN_ATTEMPTS_FOR_DISCRIMINATION = 5
GROUP_SHARE = 0.27
TOP_RESPONSES = 10


@dataclass
class AnswerCount:
    key: str  # choice id, "true"/"false", or the normalised response
    label: str  # what the learner chose or wrote (author text for choices, unrendered)
    count: int
    fraction: float | None = None  # percent credit of a choice


@dataclass
class SlotStatistics:
    version_id: int
    question_id: int
    title: str
    version_number: int
    kind: str
    positions: list[int]  # where the version appeared in attempts
    responses: int  # responses in submitted attempts
    graded: int  # of which graded (an essay may wait)
    facility: float | None
    discrimination: float | None
    distribution: list[AnswerCount] = field(default_factory=list)
    unanswered: int = 0
    average_seconds: float | None = None


def item_statistics(quiz: Quiz) -> list[SlotStatistics]:
    """Statistics of every question version used in the quiz's submitted attempts."""
    attempts = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id,
                                  QuizAttempt.state.in_(("needs_grading", "graded")))
        .options(selectinload(QuizAttempt.responses).selectinload(AttemptResponse.version)
                 .selectinload(QuestionVersion.question))
        .order_by(QuizAttempt.id)).all()
    by_version: dict[int, list[AttemptResponse]] = {}
    for attempt in attempts:
        for row in attempt.responses:
            if row.version.kind != "description":
                by_version.setdefault(row.version_id, []).append(row)
    upper, lower = _groups(attempts)
    result = []
    for rows in by_version.values():
        version = rows[0].version
        graded = [row.fraction for row in rows if row.fraction is not None]
        answered = [row for row in rows if row.response]
        result.append(SlotStatistics(
            version_id=version.id, question_id=version.question_id,
            title=version.question.title, version_number=version.number, kind=version.kind,
            positions=sorted({row.position for row in rows}), responses=len(rows),
            graded=len(graded),
            facility=round(100 * sum(graded) / len(graded), 2) if graded else None,
            discrimination=_discrimination(rows, upper, lower),
            distribution=_distribution(version, rows),
            unanswered=len(rows) - len(answered),
            average_seconds=round(sum(r.seconds for r in answered) / len(answered), 1)
            if answered else None))
    result.sort(key=lambda s: (min(s.positions), s.title, s.version_number))
    return result


def _groups(attempts: list[QuizAttempt]) -> tuple[set[int], set[int]]:
    """Attempt ids of the upper and lower 27 % (learners' first graded attempts)."""
    first: dict[int, QuizAttempt] = {}
    for attempt in attempts:
        if attempt.state != "graded":
            continue
        known = first.get(attempt.user_id)
        if known is None or attempt.number < known.number:
            first[attempt.user_id] = attempt
    if len(first) < MIN_ATTEMPTS_FOR_DISCRIMINATION:
        return set(), set()
    ranked = sorted(first.values(), key=lambda a: (_percent(a), a.id))
    size = max(1, round(GROUP_SHARE * len(ranked)))
    return {a.id for a in ranked[-size:]}, {a.id for a in ranked[:size]}


def _percent(attempt: QuizAttempt) -> float:
    return attempt.score / attempt.max_score if attempt.max_score else 1.0


def _discrimination(rows: list[AttemptResponse], upper: set[int],
                    lower: set[int]) -> float | None:
    credit_upper = [row.fraction for row in rows
                    if row.attempt_id in upper and row.fraction is not None]
    credit_lower = [row.fraction for row in rows
                    if row.attempt_id in lower and row.fraction is not None]
    if not credit_upper or not credit_lower:
        return None
    return round(sum(credit_upper) / len(credit_upper) - sum(credit_lower) / len(credit_lower),
                 4)


def _distribution(version: QuestionVersion, rows: list[AttemptResponse]) -> list[AnswerCount]:
    responses = [row.response for row in rows if row.response]
    if version.kind in ("single_choice", "multiple_choice"):
        counts = Counter(choice for response in responses
                         for choice in (response.get("choices") or [response.get("choice")]))
        return [AnswerCount(c["id"], c["text"], counts.get(c["id"], 0), c["fraction"])
                for c in version.data["choices"]]
    if version.kind == "true_false":
        counts = Counter(response.get("value") for response in responses)
        right = version.data["correct"]
        return [AnswerCount("true", _("True"), counts.get(True, 0), 100.0 if right else 0.0),
                AnswerCount("false", _("False"), counts.get(False, 0),
                            0.0 if right else 100.0)]
    if version.kind == "essay":
        return []
    counts = Counter(_response_key(version, response) for response in responses)
    return [AnswerCount(key, key, count) for key, count in counts.most_common(TOP_RESPONSES)]


def _response_key(version: QuestionVersion, response: dict) -> str:
    kind = version.kind
    if kind == "short_answer":
        return normalise_text(response.get("text") or "")
    if kind == "numeric":
        value = parse_number(response.get("value"))
        return f"{value:g}" if value is not None else normalise_text(str(response.get("value")))
    if kind == "matching":
        matches = response.get("matches") or {}
        return "; ".join(f"{pair['question']} → {matches[pair['id']]}"
                         for pair in version.data["pairs"] if pair["id"] in matches)
    return normalise_text(str(response))
