"""Quiz attempts: start or resume, save answers as the learner goes, submit once, grade.

What an attempt keeps, and why:

- **What the learner saw.** Starting an attempt draws the random questions, fixes the version
  of every question and the order of its choices (and of matching answers) and stores all of
  it in ``attempt.layout``; one ``AttemptResponse`` per position points at the version. The
  questions page, the review and grading all read the attempt, never the quiz's current
  questions, so a reload, a restart or a later edit of the bank changes nothing.
- **Every answer on the server.** ``save_response`` stores each answer when it is given.
  Nothing lives only in the browser: closing the tab or restarting the server loses nothing,
  and ``start_or_resume`` returns the same attempt with the same deadline.
- **Time on the server.** ``deadline_at`` = start + time limit, capped by the quiz's close
  time. Saving is refused after the deadline + ``GRACE_SECONDS``; an attempt still open after
  that is closed and graded with what was saved (``closed_by="deadline"``), lazily by
  ``start_or_resume``/``save_response``/``submit_attempt``/``review_of`` and in bulk by
  ``close_overdue``.
- **Submitted exactly once.** ``submit_attempt`` moves the attempt out of ``in_progress`` with
  one guarded ``UPDATE … WHERE id = ? AND state = 'in_progress' AND version = ?``: of two tabs
  or two concurrent requests (PostgreSQL included) exactly one changes the row; the other
  gets ``AttemptClosed`` (or ``StaleAttempt`` for a token from another state).
  ``attempt.version`` changes with the attempt's state and grade (submit, close, essay
  grade, regrade), not with autosaves, so a page's token stays valid while it saves answers.
  Saving locks the attempt row too, so an answer can never land after the grading read.
- **Grades.** Objective questions are graded on submit; answered essays wait for a trainer
  (an unanswered essay scores 0 at once); the attempt's score, ``passed`` and state
  ``graded`` come when nothing waits. Every grade and change of grade is a ``GradeChange``.
- **Completion.** When an attempt is graded and the learner's quiz grade (by the grading
  method: highest, last or average) reaches the pass mark, the course item is completed.
  A completion is never taken back.

The two views of an attempt close this module: ``learner_questions`` (what the learner
answers: never a fraction, a feedback or a correct answer) and ``review_of`` (what the quiz's
review options let the learner see afterwards; everything for trainers).
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.assessment import clock
from lms.assessment.grading import FRACTION_TOLERANCE, checked_response, grade_response
from lms.assessment.models import (
    AttemptResponse,
    GradeChange,
    Question,
    QuestionVersion,
    Quiz,
    QuizAttempt,
)
from lms.assessment.quizzes import drawable_questions, inline_html, question_html
from lms.assessment.services import save_question
from lms.assessment.settings import GRACE_SECONDS, QuizSettings, quiz_settings
from lms.extensions import db

IN_PROGRESS, NEEDS_GRADING, GRADED = "in_progress", "needs_grading", "graded"
SUBMITTED_STATES = (NEEDS_GRADING, GRADED)
REFUSAL_MESSAGES = {
    "not_open": _l("This quiz is not open yet."),
    "closed": _l("This quiz is closed."),
    "no_attempts_left": _l("You have used all your attempts at this quiz."),
}


class AttemptRefused(Exception):
    """No new attempt may start: ``reason_code`` is not_open, closed or no_attempts_left."""

    def __init__(self, reason_code: str) -> None:
        super().__init__(reason_code)
        self.reason_code = reason_code

    @property
    def message(self) -> str:
        return str(REFUSAL_MESSAGES[self.reason_code])


class AttemptClosed(Exception):
    """The attempt no longer takes answers: submitted, or past its deadline and grace."""


class StaleAttempt(Exception):
    """The version token is not the attempt's: the page is out of date."""


# --------------------------------------------------------------------------- starting

def start_or_resume(quiz: Quiz, user_id: int) -> QuizAttempt:
    """The learner's open attempt, or a new one; raises AttemptRefused when none may start."""
    current = _in_progress(quiz, user_id)
    if current is not None and close_if_overdue(current):
        current = None
    if current is not None:
        return current
    # Two tabs starting at once: on PostgreSQL the second would see the first's committed
    # attempt only in its numbering query and start attempt 2 beside it. Locking the
    # learner's row serialises their starts; the check is repeated under the lock. (SQLite
    # ignores FOR UPDATE, but its single writer and snapshot make the loser hit the unique
    # number in _start.)
    _lock_learner(user_id)
    current = _in_progress(quiz, user_id)
    if current is not None and not close_if_overdue(current):
        return current
    settings = quiz_settings(quiz.settings or {})
    refusal = start_refusal(quiz, user_id, settings)
    if refusal is not None:
        raise AttemptRefused(refusal)
    return _start(quiz, user_id, settings)


def _lock_learner(user_id: int) -> None:
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def start_refusal(quiz: Quiz, user_id: int, settings: QuizSettings | None = None) -> str | None:
    """Why a new attempt cannot start now (not_open / closed / no_attempts_left), or None."""
    settings = settings or quiz_settings(quiz.settings or {})
    now = clock.now()
    if settings.open_at is not None and now < settings.open_at:
        return "not_open"
    if settings.close_at is not None and now >= settings.close_at:
        return "closed"
    if attempts_left(quiz, user_id) == 0:
        return "no_attempts_left"
    return None


def _in_progress(quiz: Quiz, user_id: int) -> QuizAttempt | None:
    return db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.quiz_id.in_(same_quiz_ids(quiz)), QuizAttempt.user_id == user_id,
        QuizAttempt.state == IN_PROGRESS).order_by(QuizAttempt.number.desc()).limit(1))


def same_quiz_ids(quiz: Quiz) -> list[int]:
    """This quiz and the quizzes of the course's other revisions with the same questions.

    Publishing a course makes new items and so new quizzes. Where the quiz item's GIFT did
    not change, its attempts count together (numbering, attempts allowed, the quiz grade,
    resuming), so republishing a course to fix a lesson hands out no fresh attempts. A quiz
    whose questions changed starts afresh, as its completion does not carry over either.
    """
    if quiz.item_id is None:
        return [quiz.id]
    from lms.catalog.models import CourseItem, CourseRevision  # catalog imports assessment

    item = quiz.item
    ids = db.session.scalars(
        select(Quiz.id).join(CourseItem, Quiz.item_id == CourseItem.id)
        .join(CourseRevision, CourseItem.revision_id == CourseRevision.id)
        .where(CourseRevision.course_id == item.revision.course_id,
               CourseItem.key == item.key, CourseItem.body == item.body)).all()
    return sorted(set(ids) | {quiz.id})


def _start(quiz: Quiz, user_id: int, settings: QuizSettings) -> QuizAttempt:
    now = clock.now()
    number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.quiz_id.in_(same_quiz_ids(quiz)), QuizAttempt.user_id == user_id)) or 0) + 1
    deadline = None
    if settings.time_limit_minutes:
        deadline = now + timedelta(minutes=settings.time_limit_minutes)
    if settings.close_at is not None and (deadline is None or settings.close_at < deadline):
        deadline = settings.close_at
    layout = _draw_layout(quiz, settings)
    attempt = QuizAttempt(
        quiz_id=quiz.id, user_id=user_id, number=number, state=IN_PROGRESS, started_at=now,
        deadline_at=deadline, layout=layout, max_score=sum(e["mark"] for e in layout),
        version=1)
    attempt.responses = [
        AttemptResponse(position=e["position"], version_id=e["version_id"], seconds=0,
                        needs_grading=False, grader_comment="") for e in layout]
    try:
        # Two tabs starting at once both pick the same number; the unique (quiz, user,
        # number) lets one win, and the other resumes the winner's attempt.
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        existing = _in_progress(quiz, user_id)
        if existing is None:
            raise
        return existing
    return attempt


def _draw_layout(quiz: Quiz, settings: QuizSettings) -> list[dict]:
    rng = random.SystemRandom()
    used = {slot.question_id for slot in quiz.slots if slot.question_id}
    layout: list[dict] = []
    for slot in quiz.slots:
        if slot.question_id is not None:
            versions = [slot.question.current_version] if slot.question.current_version else []
        else:
            pool = drawable_questions(slot.category_id, used)
            picked = rng.sample(pool, min(slot.draw_count, len(pool)))
            used.update(question.id for question in picked)
            versions = [question.current_version for question in picked]
        for version in versions:
            layout.append({
                "position": len(layout) + 1, "slot_id": slot.id,
                "question_id": version.question_id, "version_id": version.id,
                "mark": 0.0 if version.kind == "description" else slot.mark,
                "order": _shown_order(version, settings.shuffle_answers, rng),
            })
    return layout


def _shown_order(version: QuestionVersion, shuffle: bool, rng: random.Random):
    """Choice ids in the order shown; for matching, the questions and the answer list."""
    if version.kind in ("single_choice", "multiple_choice"):
        ids = [choice["id"] for choice in version.data["choices"]]
        if shuffle:
            rng.shuffle(ids)
        return ids
    if version.kind == "matching":
        pairs = version.data["pairs"]
        answers = sorted({pair["answer"] for pair in pairs})
        # The answer list is never in pair order, which would give the matches away:
        # shuffled, or alphabetical when shuffling is off.
        if shuffle:
            rng.shuffle(answers)
        return {"pairs": [pair["id"] for pair in pairs if pair["question"]],
                "answers": answers}
    return None


# --------------------------------------------------------------------------- answering

def save_response(attempt: QuizAttempt, position: int, response: dict | None,
                  seconds: int = 0) -> datetime:
    """Store the learner's answer at ``position`` now; returns the time it was saved.

    ValueError for a malformed response or an unknown position; AttemptClosed once the
    attempt is submitted or past its deadline + grace. ``seconds`` (time spent on the
    question since the last save, as the page measured it) is added, capped by the time
    the attempt has been open.
    """
    _lock(attempt)
    if close_if_overdue(attempt) or attempt.state != IN_PROGRESS:
        raise AttemptClosed()
    row = next((r for r in attempt.responses if r.position == position), None)
    if row is None:
        raise ValueError(f"the attempt has no question {position}")
    row.response = checked_response(row.version, response)
    now = clock.now()
    row.saved_at = now
    elapsed = max(0, int((now - attempt.started_at).total_seconds()))
    finite = isinstance(seconds, int | float) and math.isfinite(seconds)
    added = max(0, int(seconds)) if finite else 0  # NaN, Infinity: no time
    row.seconds = max(row.seconds, min(row.seconds + added, elapsed))
    db.session.flush()
    return now


def seconds_left(attempt: QuizAttempt) -> int | None:
    """Seconds until the deadline (0 when past it), or None without a deadline."""
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - clock.now()).total_seconds()))


def _lock(attempt: QuizAttempt) -> None:
    """Lock the attempt's row for this transaction and read it afresh (PostgreSQL: FOR
    UPDATE; SQLite's BEGIN IMMEDIATE already serialises writers)."""
    db.session.execute(select(QuizAttempt).where(QuizAttempt.id == attempt.id)
                       .with_for_update().execution_options(populate_existing=True))


# --------------------------------------------------------------------------- submitting

def submit_attempt(attempt: QuizAttempt, version_token: int) -> QuizAttempt:
    """Submit and grade the attempt, exactly once (see the module docstring)."""
    if close_if_overdue(attempt):
        raise AttemptClosed()
    if not _take_out_of_progress(attempt, version_token, "learner", clock.now()):
        if attempt.state != IN_PROGRESS:
            raise AttemptClosed()
        raise StaleAttempt()
    return attempt


def close_if_overdue(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Close and grade an open attempt past its deadline + grace; True if this call did."""
    if attempt.state != IN_PROGRESS or attempt.deadline_at is None:
        return False
    now = now or clock.now()
    if now <= attempt.deadline_at + timedelta(seconds=GRACE_SECONDS):
        return False
    return _take_out_of_progress(attempt, None, "deadline", attempt.deadline_at)


def close_overdue(now: datetime | None = None) -> int:
    """Close and grade every open attempt past its deadline + grace; returns how many."""
    now = now or clock.now()
    limit = now - timedelta(seconds=GRACE_SECONDS)
    overdue = db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.state == IN_PROGRESS, QuizAttempt.deadline_at < limit)).all()
    return sum(1 for attempt in overdue if close_if_overdue(attempt, now))


def _take_out_of_progress(attempt: QuizAttempt, version_token: int | None, closed_by: str,
                          submitted_at: datetime) -> bool:
    """The guarded UPDATE that only one request can win; the winner grades the attempt."""
    guard = [QuizAttempt.id == attempt.id, QuizAttempt.state == IN_PROGRESS]
    if version_token is not None:
        guard.append(QuizAttempt.version == version_token)
    result = db.session.execute(
        update(QuizAttempt).where(*guard).values(
            state=NEEDS_GRADING, version=QuizAttempt.version + 1, submitted_at=submitted_at,
            closed_by=closed_by).execution_options(synchronize_session=False))
    db.session.refresh(attempt)
    if result.rowcount != 1:
        return False
    _grade_submitted(attempt)
    return True


def _grade_submitted(attempt: QuizAttempt) -> None:
    marks = _marks(attempt)
    for row in _fresh_responses(attempt):
        kind = row.version.kind
        if kind == "description":
            row.fraction, row.mark = None, 0.0
        elif kind == "essay" and _has_text(row.response):
            row.fraction, row.mark, row.needs_grading = None, None, True
        else:
            fraction = grade_response(row.version, row.response).fraction or 0.0
            row.fraction, row.mark = fraction, fraction * marks[row.position]
    _settle_score(attempt)
    _record(attempt, "graded", None, attempt.score)
    _complete_if_passed(attempt)


def _has_text(response: dict | None) -> bool:
    return bool(response and (response.get("text") or "").strip())


def _fresh_responses(attempt: QuizAttempt) -> list[AttemptResponse]:
    """The attempt's responses as committed now (another request may have saved one)."""
    return list(db.session.scalars(
        select(AttemptResponse).where(AttemptResponse.attempt_id == attempt.id)
        .order_by(AttemptResponse.position).options(selectinload(AttemptResponse.version))
        .execution_options(populate_existing=True)))


def _marks(attempt: QuizAttempt) -> dict[int, float]:
    return {entry["position"]: entry["mark"] for entry in attempt.layout}


def _settle_score(attempt: QuizAttempt) -> None:
    """Score, pass and state from the responses: graded unless an essay waits."""
    responses = attempt.responses
    if any(row.needs_grading for row in responses):
        attempt.state, attempt.score, attempt.passed, attempt.graded_at = \
            NEEDS_GRADING, None, None, None
        return
    attempt.score = round(sum(row.mark or 0.0 for row in responses), 6)
    attempt.passed = attempt_percent(attempt) >= quiz_settings(attempt.quiz.settings or {}) \
        .pass_mark - 1e-9
    if attempt.state != GRADED:
        attempt.state, attempt.graded_at = GRADED, clock.now()


def attempt_percent(attempt: QuizAttempt) -> float | None:
    """The attempt's score in percent of its maximum (None until graded)."""
    if attempt.score is None:
        return None
    if not attempt.max_score:
        return 100.0
    return round(100.0 * attempt.score / attempt.max_score, 4)


def _record(attempt: QuizAttempt, reason: str, old_score: float | None,
            new_score: float | None, position: int | None = None, comment: str = "",
            actor=None) -> None:
    db.session.add(GradeChange(
        attempt_id=attempt.id, position=position, old_score=old_score, new_score=new_score,
        reason=reason, comment=comment, changed_by_id=actor.id if actor else None,
        changed_at=clock.now()))
    db.session.flush()


def _complete_if_passed(attempt: QuizAttempt) -> None:
    quiz = attempt.quiz
    if attempt.state != GRADED or quiz.item is None:
        return
    grade = quiz_grade(quiz, attempt.user_id)
    if grade is None or grade < quiz_settings(quiz.settings or {}).pass_mark - 1e-9:
        return
    from lms.catalog.progress import complete_item  # catalog imports assessment

    complete_item(attempt.user_id, quiz.item, "passed")
    # An attempt begun before the course was republished completes the unchanged quiz of
    # the revision learners now see as well.
    published = quiz.item.revision.course.published_revision
    if published is not None and published.id != quiz.item.revision_id:
        same = next((i for i in published.items if i.key == quiz.item.key
                     and i.content_hash == quiz.item.content_hash), None)
        if same is not None:
            complete_item(attempt.user_id, same, "passed")


# --------------------------------------------------------------------------- trainers

class AlreadyGraded(Exception):
    """The essay no longer waits for a grade: another trainer graded it meanwhile."""


def grade_essay(response: AttemptResponse, fraction: float, comment: str,
                grader, *, only_waiting: bool = False) -> QuizAttempt:
    """A trainer's grade (0..1) for an essay; the attempt is graded once no essay waits.

    A graded essay may be graded again (the change is kept in the history). With
    ``only_waiting`` (the grading pages) AlreadyGraded is raised instead when the essay no
    longer waits: checked under the attempt's lock, so of two trainers grading one waiting
    essay at once exactly one succeeds.
    """
    if not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
        raise ValueError("the grade must be between 0 and 1")
    attempt = response.attempt
    _lock(attempt)
    _fresh_responses(attempt)  # another trainer may just have graded the other essay
    if attempt.state == IN_PROGRESS:
        raise ValueError("the attempt is still in progress")
    if response.version.kind != "essay":
        raise ValueError("only essays are graded by hand")
    if only_waiting and not response.needs_grading:  # read afresh under the lock above
        raise AlreadyGraded()
    old_score = attempt.score
    response.fraction = float(fraction)
    response.mark = float(fraction) * _marks(attempt)[response.position]
    response.needs_grading = False
    response.grader_comment = comment or ""
    response.graded_by_id = grader.id if grader else None
    response.graded_at = clock.now()
    attempt.version += 1
    _settle_score(attempt)
    _record(attempt, "essay", old_score, attempt.score, response.position, comment or "",
            grader)
    _complete_if_passed(attempt)
    return attempt


def regrade_attempts(quiz: Quiz, actor=None) -> int:
    """Grade every submitted attempt again against the versions it used; returns how many
    attempts' scores changed (each such change is a GradeChange "regrade")."""
    attempts = db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.state.in_(SUBMITTED_STATES))
        .order_by(QuizAttempt.id)).all()
    changed = 0
    for attempt in attempts:
        old_score, old_state = attempt.score, attempt.state
        marks = _marks(attempt)
        for row in _fresh_responses(attempt):
            if row.version.kind in ("essay", "description"):
                continue
            fraction = grade_response(row.version, row.response).fraction or 0.0
            row.fraction, row.mark = fraction, fraction * marks[row.position]
        _settle_score(attempt)
        if attempt.score != old_score or attempt.state != old_state:
            attempt.version += 1
            _record(attempt, "regrade", old_score, attempt.score, actor=actor)
            _complete_if_passed(attempt)
            changed += 1
    db.session.flush()
    return changed


def correct_question(question: Question, fields, actor=None, regrade: bool = True) -> int:
    """Save a trainer's correction of a question as a new version; with ``regrade`` move the
    attempts that used the corrected version onto the new one and grade them again.

    Attempts are moved only when the new version is the same question with the same options
    (same kind, same choice ids, same matching pairs and answers): a fix to a fraction, a
    feedback, an accepted answer or a wording. A correction that adds or removes options is
    a different question for anyone who answered the old one, so those attempts keep the
    version they saw. Returns the number of attempts whose score changed.
    """
    old = question.current_version
    question, changed = save_question(question.bank, question.category.name, question.title,
                                      fields, actor=actor)
    new = question.current_version
    if not (changed and regrade and old is not None and _same_options(old, new)):
        return 0
    rows = db.session.scalars(select(AttemptResponse).where(
        AttemptResponse.version_id == old.id)).all()
    quiz_ids = set()
    for row in rows:
        row.version = new
        attempt = row.attempt
        attempt.layout = [dict(entry, version_id=new.id) if entry["position"] == row.position
                          else entry for entry in attempt.layout]
        quiz_ids.add(attempt.quiz_id)
    db.session.flush()
    return sum(regrade_attempts(db.session.get(Quiz, quiz_id), actor)
               for quiz_id in sorted(quiz_ids))


def _same_options(old: QuestionVersion, new: QuestionVersion) -> bool:
    if old.kind != new.kind:
        return False
    if old.kind in ("single_choice", "multiple_choice"):
        return [c["id"] for c in old.data["choices"]] == [c["id"] for c in new.data["choices"]]
    if old.kind == "matching":
        def shape(data):
            return ([(p["id"], bool(p["question"])) for p in data["pairs"]],
                    sorted({p["answer"] for p in data["pairs"]}))
        return shape(old.data) == shape(new.data)
    return True


# --------------------------------------------------------------------------- grades

def attempts_of(quiz: Quiz, user_id: int) -> list[QuizAttempt]:
    """The learner's attempts at this quiz (and at the same quiz of earlier revisions)."""
    return list(db.session.scalars(select(QuizAttempt).where(
        QuizAttempt.quiz_id.in_(same_quiz_ids(quiz)), QuizAttempt.user_id == user_id)
        .order_by(QuizAttempt.number, QuizAttempt.id)))


def attempts_left(quiz: Quiz, user_id: int) -> int | None:
    """Attempts the learner may still start (None = unlimited)."""
    allowed = quiz_settings(quiz.settings or {}).attempts_allowed
    if not allowed:
        return None
    used = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.quiz_id.in_(same_quiz_ids(quiz)), QuizAttempt.user_id == user_id)) or 0
    return max(0, allowed - used)


def quiz_grade(quiz: Quiz, user_id: int) -> float | None:
    """The learner's grade for the quiz in percent, by its grading method (None if no
    attempt is graded yet)."""
    percents = [attempt_percent(a) for a in attempts_of(quiz, user_id) if a.state == GRADED]
    if not percents:
        return None
    method = quiz_settings(quiz.settings or {}).grading
    if method == "last":
        return percents[-1]
    if method == "average":
        return round(sum(percents) / len(percents), 4)
    return max(percents)


# --------------------------------------------------------------------------- views

@dataclass
class AnswerKeys:
    """The names a question's options have on the learner's page of one attempt.

    Stored choice and pair ids (``c1``, ``p1``…) follow the source file, where the right
    answer often comes first, so the page never shows them: a choice is ``o1``, ``o2``… and
    a matching row ``m1``, ``m2``… in the order this attempt shows them. The keys say no
    more than the order the learner sees anyway; ``stored`` maps a posted response back to
    the ids the engine grades, ``shown`` maps a saved one to the page's keys.
    """

    kind: str
    choices: dict[str, str] = field(default_factory=dict)  # key -> stored choice id
    pairs: dict[str, str] = field(default_factory=dict)  # key -> stored pair id

    @classmethod
    def of(cls, version: QuestionVersion, entry: dict) -> AnswerKeys:
        keys = cls(version.kind)
        if version.kind in ("single_choice", "multiple_choice"):
            shown = [choice_id for choice_id, _t, _c in _choices(version, entry)]
            keys.choices = {f"o{index}": choice_id for index, choice_id in enumerate(shown, 1)}
        elif version.kind == "matching":
            keys.pairs = {f"m{index}": pair_id
                          for index, pair_id in enumerate(entry["order"]["pairs"], 1)}
        return keys

    def key_of(self, stored_id: str) -> str | None:
        return next((key for key, value in {**self.choices, **self.pairs}.items()
                     if value == stored_id), None)

    def stored(self, response):
        """A response as the page sent it (keys) in stored ids; ValueError for a key this
        attempt did not show (stored ids included: the page never had them)."""
        if not isinstance(response, dict):
            return response
        if self.kind == "single_choice" and response.get("choice") is not None:
            return {**response, "choice": self._choice(response["choice"])}
        if self.kind == "multiple_choice" and "choices" in response:
            chosen = response["choices"]
            if not isinstance(chosen, list):
                raise ValueError(_("The answer could not be read."))
            return {**response, "choices": [self._choice(key) for key in chosen]}
        if self.kind == "matching" and isinstance(response.get("matches"), dict):
            matches = {}
            for key, answer in response["matches"].items():
                if not isinstance(key, str) or key not in self.pairs:
                    raise ValueError(_("The answer names a pair the question does not have."))
                matches[self.pairs[key]] = answer
            return {**response, "matches": matches}
        return response

    def _choice(self, key) -> str:
        if not isinstance(key, str):
            raise ValueError(_("The answer could not be read."))
        if key not in self.choices:
            raise ValueError(_("The chosen answer is not one of the question's options."))
        return self.choices[key]

    def shown(self, response: dict | None) -> dict | None:
        """A saved response with the page's keys instead of stored ids."""
        if not response:
            return response
        if self.kind == "single_choice":
            return {"choice": self.key_of(response.get("choice"))}
        if self.kind == "multiple_choice":
            return {"choices": [key for key in map(self.key_of, response.get("choices") or [])
                                if key]}
        if self.kind == "matching":
            return {"matches": {self.key_of(pair_id): answer
                                for pair_id, answer in (response.get("matches") or {}).items()
                                if self.key_of(pair_id)}}
        return response


def response_stamp(saved_at: datetime | None) -> str:
    """A response's revision as the page records it: when it was last saved (microseconds
    since the epoch), "" when never. A page posts the stamps it was shown with, so answers
    saved since from another tab or device are not overwritten by an out-of-date form."""
    if saved_at is None:
        return ""
    return str((saved_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))


@dataclass
class QuestionView:
    """One question as the learner answers it: nothing that would give an answer away.

    ``choices`` and ``match_questions`` carry the attempt's keys (see ``AnswerKeys``), never
    stored ids, and ``response`` is the saved answer in those keys; ``keys`` (server side
    only, left out of ``as_dict``) maps them back. ``saved`` is the response's stamp."""

    position: int
    number: int | None  # the number shown; descriptions have none
    kind: str
    text: Markup
    mark: float
    choices: list[tuple[str, Markup]] = field(default_factory=list)
    match_questions: list[tuple[str, Markup]] = field(default_factory=list)
    match_answers: list[str] = field(default_factory=list)
    response: dict | None = None
    saved: str = ""
    keys: AnswerKeys | None = None

    def as_dict(self) -> dict:
        shown = asdict(self)
        shown.pop("keys")
        return shown


def learner_questions(attempt: QuizAttempt) -> list[QuestionView]:
    """The attempt's questions in the order and form the learner saw them."""
    responses = {row.position: row for row in _responses_with_versions(attempt)}
    views, number = [], 0
    for entry in attempt.layout:
        row = responses[entry["position"]]
        version = row.version
        if version.kind != "description":
            number += 1
        keys = AnswerKeys.of(version, entry)
        view = QuestionView(
            position=entry["position"], number=None if version.kind == "description" else number,
            kind=version.kind, text=question_html(version.text, version.text_format),
            mark=entry["mark"], response=keys.shown(row.response),
            saved=response_stamp(row.saved_at), keys=keys)
        view.choices = [(keys.key_of(choice_id) or choice_id, text)
                        for choice_id, text, _c in _choices(version, entry)]
        if version.kind == "matching":
            pairs = {pair["id"]: pair for pair in version.data["pairs"]}
            view.match_questions = [(keys.key_of(pair_id), inline_html(
                pairs[pair_id]["question"], version.text_format))
                for pair_id in entry["order"]["pairs"]]
            view.match_answers = list(entry["order"]["answers"])
        views.append(view)
    return views


def answer_keys(attempt: QuizAttempt, position: int) -> AnswerKeys | None:
    """The page's keys of the question at ``position`` (None: the attempt has none there)."""
    entry = next((e for e in attempt.layout if e["position"] == position), None)
    row = next((r for r in attempt.responses if r.position == position), None)
    if entry is None or row is None:
        return None
    return AnswerKeys.of(row.version, entry)


def _responses_with_versions(attempt: QuizAttempt) -> list[AttemptResponse]:
    return list(db.session.scalars(
        select(AttemptResponse).where(AttemptResponse.attempt_id == attempt.id)
        .options(selectinload(AttemptResponse.version)).order_by(AttemptResponse.position)))


def _choices(version: QuestionVersion, entry: dict) -> list[tuple[str, Markup, dict | None]]:
    """(id, shown text, stored choice) in the attempt's order; true/false as two choices."""
    if version.kind == "true_false":
        return [("true", escape(_("True")), None), ("false", escape(_("False")), None)]
    if version.kind not in ("single_choice", "multiple_choice"):
        return []
    by_id = {choice["id"]: choice for choice in version.data["choices"]}
    return [(choice_id, inline_html(by_id[choice_id]["text"], version.text_format),
             by_id[choice_id]) for choice_id in entry["order"] if choice_id in by_id]


@dataclass
class ReviewChoice:
    id: str
    text: Markup
    chosen: bool
    fraction: float | None = None  # percent; only with correct answers shown
    feedback: Markup | None = None


@dataclass
class ReviewMatch:
    question: Markup
    given: str | None
    right: str | None = None  # only with correct answers shown


@dataclass
class ReviewQuestion:
    position: int
    number: int | None
    kind: str
    text: Markup
    mark: float
    response: dict | None
    # "correct" / "partial" / "wrong" / "pending" (an essay waiting) / None (a description)
    outcome: str | None
    awarded: float | None
    choices: list[ReviewChoice] = field(default_factory=list)
    matches: list[ReviewMatch] = field(default_factory=list)
    right_answers: list[Markup] = field(default_factory=list)
    feedback: list[Markup] = field(default_factory=list)
    general_feedback: Markup | None = None
    grader_comment: str = ""
    seconds: int | None = None  # trainers only


@dataclass
class AttemptReview:
    attempt: QuizAttempt
    show: str  # "score", "answers" or "feedback": how much of the attempt is shown
    state: str
    score: float | None
    max_score: float
    percent: float | None
    passed: bool | None
    questions: list[ReviewQuestion] = field(default_factory=list)


def review_of(attempt: QuizAttempt, viewer_is_trainer: bool) -> AttemptReview | None:
    """What the viewer may see of an attempt; None while a learner's attempt is open.

    Learners see the quiz's ``review`` level (score / their answers / also the correct
    answers and feedback), immediately or, with ``review_when: after_close``, only their
    score until the quiz's close time. A submitted attempt is graded except for essays
    waiting for a trainer, so its review follows these options already (an essay waiting
    shows as "pending"). Trainers always see everything.
    """
    close_if_overdue(attempt)
    settings = quiz_settings(_review_quiz(attempt.quiz).settings or {})
    if viewer_is_trainer:
        show = "feedback"
    elif attempt.state == IN_PROGRESS:
        return None
    elif settings.review_when == "after_close" and (
            settings.close_at is None or clock.now() < settings.close_at):
        show = "score"
    else:
        show = settings.review_show
    review = AttemptReview(attempt=attempt, show=show, state=attempt.state,
                           score=attempt.score, max_score=attempt.max_score,
                           percent=attempt_percent(attempt), passed=attempt.passed)
    if show == "score":
        return review
    rows = {row.position: row for row in _responses_with_versions(attempt)}
    number = 0
    for entry in attempt.layout:
        row = rows[entry["position"]]
        if row.version.kind != "description":
            number += 1
        review.questions.append(_review_question(
            row, entry, None if row.version.kind == "description" else number,
            show == "feedback", viewer_is_trainer))
    return review


def _review_quiz(quiz: Quiz) -> Quiz:
    """The quiz whose review options apply to an attempt at ``quiz``: the same item's quiz in
    the course's published revision (so options tightened on republishing apply to earlier
    attempts too), or ``quiz`` itself when the course has none."""
    item = quiz.item
    if item is None:
        return quiz
    published = item.revision.course.published_revision
    if published is None or published.id == item.revision_id:
        return quiz
    current = next((i for i in published.items if i.key == item.key), None)
    if current is None:
        return quiz
    return db.session.scalar(select(Quiz).where(Quiz.item_id == current.id)) or quiz


def _review_question(row: AttemptResponse, entry: dict, number: int | None, full: bool,
                     trainer: bool) -> ReviewQuestion:
    version, fmt = row.version, row.version.text_format
    question = ReviewQuestion(
        position=row.position, number=number, kind=version.kind,
        text=question_html(version.text, fmt), mark=entry["mark"], response=row.response,
        outcome=_outcome(row), awarded=row.mark,
        seconds=row.seconds if trainer else None)
    chosen = _chosen_ids(version.kind, row.response)
    for choice_id, text, stored in _choices(version, entry):
        shown = ReviewChoice(choice_id, text, choice_id in chosen)
        if full and stored is not None:
            shown.fraction = stored["fraction"]
            shown.feedback = inline_html(stored["feedback"], fmt) if stored.get("feedback") \
                else None
        question.choices.append(shown)
    if version.kind == "matching":
        pairs = {pair["id"]: pair for pair in version.data["pairs"]}
        given = (row.response or {}).get("matches", {})
        question.matches = [ReviewMatch(inline_html(pairs[pid]["question"], fmt), given.get(pid),
                                        pairs[pid]["answer"] if full else None)
                            for pid in entry["order"]["pairs"]]
    if full:
        question.right_answers = _right_answers(version)
        question.feedback = [inline_html(text, fmt)
                             for text in grade_response(version, row.response).feedback]
        if version.general_feedback:
            question.general_feedback = question_html(version.general_feedback, fmt)
        question.grader_comment = row.grader_comment
    return question


def _outcome(row: AttemptResponse) -> str | None:
    if row.version.kind == "description":
        return None
    if row.needs_grading:
        return "pending"
    if row.fraction is None:
        return None
    # The tolerance grade_response snaps with (fractions stored before it are read alike).
    if row.fraction >= 1 - FRACTION_TOLERANCE:
        return "correct"
    return "partial" if row.fraction > FRACTION_TOLERANCE else "wrong"


def _chosen_ids(kind: str, response: dict | None) -> set[str]:
    if not response:
        return set()
    if kind == "single_choice":
        return {response.get("choice")}
    if kind == "multiple_choice":
        return set(response.get("choices") or [])
    if kind == "true_false" and isinstance(response.get("value"), bool):
        return {"true" if response["value"] else "false"}
    return set()


def _right_answers(version: QuestionVersion) -> list[Markup]:
    data, fmt = version.data, version.text_format
    if version.kind in ("single_choice", "multiple_choice"):
        return [inline_html(c["text"], fmt) for c in data["choices"] if c["fraction"] > 0]
    if version.kind == "true_false":
        return [escape(_("True") if data["correct"] else _("False"))]
    if version.kind == "short_answer":
        best = max(answer["fraction"] for answer in data["answers"])
        return [escape(a["text"]) for a in data["answers"] if a["fraction"] == best]
    if version.kind == "numeric":
        best = max(answer["fraction"] for answer in data["answers"])
        return [escape(_number_text(a["value"], a["tolerance"])) for a in data["answers"]
                if a["fraction"] == best]
    return []


def _number_text(value: float, tolerance: float) -> str:
    shown = f"{value:g}"
    return f"{shown} ± {tolerance:g}" if tolerance else shown
