"""What learners see: a quiz's intro, the attempt page (autosaved), submission and review.

The attempt page shows only ``attempts.learner_questions`` — never fractions, feedback or
right answers — and works without a script: the form posts every answer of the page, and
"Submit" is a button of the same form. With the script (static/js/quiz.js) each changed
answer is saved at once as JSON, and a countdown submits the form when time is up.
"""

from __future__ import annotations

import math

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from lms.accounts.permissions import require_permission
from lms.assessment import attempts as engine
from lms.assessment import quizzes
from lms.assessment.forms import ConfirmForm
from lms.assessment.models import Question, QuestionVersion, Quiz, QuizAttempt, QuizSlot
from lms.assessment.settings import quiz_settings
from lms.assessment.views import blueprint
from lms.catalog import enrolment as enrolments
from lms.catalog import progress as progress_service
from lms.catalog.models import Course, CourseItem
from lms.catalog.services import find_course
from lms.core.templating import join_list
from lms.extensions import db

REFUSALS = {
    "not_open": _l("This quiz is not open yet."),
    "closed": _l("This quiz is closed; no new attempts can be started."),
    "no_attempts_left": _l("You have used all the attempts this quiz allows."),
}
# Longest time a single save may add to a question's time (the script sends small steps).
MAX_SECONDS_PER_SAVE = 3600


# --- Finding things, with 403/404 as appropriate ------------------------------------------


def _quiz_item(code: str, key: str) -> tuple[Course, CourseItem, bool]:
    """The published quiz item and whether the learner is enrolled (authors may look)."""
    course = find_course(code)
    if course is None or not course.is_published:
        abort(404)
    item = db.session.scalar(select(CourseItem).where(
        CourseItem.revision_id == course.published_revision_id, CourseItem.key == key))
    if item is None or item.kind != "quiz":
        abort(404)
    enrolled = enrolments.find_enrolment(current_user.id, course.id) is not None
    if not enrolled and not current_user.has_permission("author_courses"):
        abort(403)
    return course, item, enrolled


def _locked_redirect(course: Course, item: CourseItem):
    """A redirect to the course page when the item is still locked for this learner."""
    state = progress_service.course_progress(current_user.id, course).state_of(item)
    if state.state != progress_service.LOCKED:
        return None
    flash(_("“%(title)s” opens after you complete: %(items)s.", title=item.title,
            items=join_list(state.waiting_for)), "warning")
    return redirect(url_for("catalog.course", code=course.code), 303)


def _own_attempt(attempt_id: int) -> QuizAttempt:
    """The learner's own attempt; anyone else's is 404, not 403 (ids are not disclosed)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _item_of(quiz: Quiz) -> CourseItem | None:
    return db.session.get(CourseItem, quiz.item_id) if quiz.item_id else None


def _close_if_overdue(attempt: QuizAttempt) -> None:
    """Grade an attempt whose time ran out with what was saved (the engine does the work)."""
    if engine.close_if_overdue(attempt):
        db.session.commit()


# --- The quiz's intro, and starting -------------------------------------------------------


def question_count(quiz: Quiz) -> int:
    """How many marked questions an attempt shows: fixed ones plus the drawn ones."""
    fixed = db.session.scalar(
        select(func.count(QuizSlot.id))
        .join(Question, Question.id == QuizSlot.question_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuizSlot.quiz_id == quiz.id, QuestionVersion.kind != "description")) or 0
    drawn = db.session.scalar(select(func.sum(QuizSlot.draw_count)).where(
        QuizSlot.quiz_id == quiz.id, QuizSlot.question_id.is_(None))) or 0
    return fixed + drawn


@blueprint.get("/courses/<code>/items/<key>/quiz")
@require_permission("take_courses")
def quiz(code: str, key: str):
    course, item, enrolled = _quiz_item(code, key)
    if enrolled and (locked := _locked_redirect(course, item)):
        return locked
    the_quiz = quizzes.quiz_for_item(item)
    db.session.commit()
    settings = quiz_settings(the_quiz.settings)
    past = engine.attempts_of(the_quiz, current_user.id) if enrolled else []
    in_progress = next((a for a in past if a.state == "in_progress"), None)
    if in_progress is not None and engine.close_if_overdue(in_progress):
        db.session.commit()
        in_progress = None
    refusal = engine.start_refusal(the_quiz, current_user.id, settings) \
        if enrolled and in_progress is None else None
    return render_template(
        "assessment/learner/quiz.html", course=course, item=item, quiz=the_quiz,
        settings=settings, attempts=past, in_progress=in_progress, enrolled=enrolled,
        grade=engine.quiz_grade(the_quiz, current_user.id) if enrolled else None,
        questions=question_count(the_quiz), refusal=REFUSALS.get(refusal),
        form=ConfirmForm(),
    )


@blueprint.post("/courses/<code>/items/<key>/quiz/start")
@require_permission("take_courses")
def start(code: str, key: str):
    course, item, enrolled = _quiz_item(code, key)
    if not enrolled:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if locked := _locked_redirect(course, item):
        return locked
    the_quiz = quizzes.quiz_for_item(item)
    try:
        attempt = engine.start_or_resume(the_quiz, current_user.id)
    except engine.AttemptRefused as refusal:
        db.session.commit()  # an overdue attempt may have been closed on the way
        flash(str(REFUSALS.get(refusal.reason_code, REFUSALS["closed"])), "warning")
        return redirect(url_for(".quiz", code=code, key=key), 303)
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


# --- The attempt page ---------------------------------------------------------------------


def _pages(questions: list, layout: str) -> list[list]:
    """The questions per page: all on one, or one marked question per page (a description
    stays with the question after it)."""
    if layout != "one_per_page":
        return [questions]
    pages: list[list] = []
    waiting: list = []
    for question in questions:
        waiting.append(question)
        if question.kind != "description":
            pages.append(waiting)
            waiting = []
    if waiting:
        if pages:
            pages[-1].extend(waiting)
        else:
            pages.append(waiting)
    return pages or [[]]


def _page_number(pages: list) -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), len(pages))


def _closed_redirect(attempt: QuizAttempt, message: str | None = None):
    """To the result of a closed attempt, saying why it is closed."""
    if attempt.closed_by == "deadline":
        message = _("Time ran out: your saved answers were submitted. Here is the result.")
    flash(message or _("This attempt is closed. Here is its result."), "info")
    return redirect(url_for(".review", attempt_id=attempt.id), 303)


@blueprint.get("/quiz/attempts/<int:attempt_id>")
@require_permission("take_courses")
def attempt(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    _close_if_overdue(attempt)
    if attempt.state != "in_progress":
        return _closed_redirect(attempt)
    settings = quiz_settings(attempt.quiz.settings)
    questions = engine.learner_questions(attempt)
    pages = _pages(questions, settings.layout)
    number = _page_number(pages)
    item = _item_of(attempt.quiz)
    return render_template(
        "assessment/learner/attempt.html", attempt=attempt, quiz=attempt.quiz, item=item,
        settings=settings, questions=pages[number - 1], page=number, pages=len(pages),
        remaining=engine.seconds_left(attempt), form=ConfirmForm(),
    )


def response_from_form(question, form) -> dict | None:
    """The response a no-script form post gives for one question (None: nothing posted),
    in the page's keys (``question.keys.stored`` maps it to stored ids)."""
    prefix = f"q{question.position}-"
    if form.get(prefix + "shown") is None:
        return None
    kind = question.kind
    if kind == "single_choice":
        choice = form.get(prefix + "choice")
        return {"choice": choice} if choice else None
    if kind == "multiple_choice":
        return {"choices": form.getlist(prefix + "choices")}
    if kind == "true_false":
        value = form.get(prefix + "value")
        return {"value": value == "true"} if value in ("true", "false") else None
    if kind in ("short_answer", "essay"):
        return {"text": form.get(prefix + "text", "")}
    if kind == "numeric":
        return {"value": form.get(prefix + "value", "")}
    if kind == "matching":
        matches = {}
        for key, _text in question.match_questions:
            answer = form.get(f"{prefix}match-{key}", "")
            if answer:
                matches[key] = answer
        return {"matches": matches}
    return None


def is_blank(response: dict | None) -> bool:
    """Whether a response gives no answer at all (no choice, no text, no match)."""
    if not response:
        return True
    return all(value is None or value == [] or value == {}
               or (isinstance(value, str) and not value.strip())
               for value in response.values())


def _save_posted_answers(attempt: QuizAttempt) -> tuple[list[str], list[str]]:
    """Save the answers the form carries that are news; returns the problems (malformed
    answers) and the notes on answers not taken because a newer one was saved elsewhere.

    The page records each question's stamp (``qN-saved``: when its answer was last saved
    as the page knows it; the script updates it with every autosave). An answer whose
    stored response changed since (another tab or device) is left as stored. Without a
    stamp a blank answer never replaces a stored one: a blank input is "no change", not
    "clear" — clearing counts only on a page that showed the answer being cleared.
    """
    problems, kept = [], []
    for question in engine.learner_questions(attempt):
        response = response_from_form(question, request.form)
        if response is None:
            continue
        seen = request.form.get(f"q{question.position}-saved")
        if seen is not None and seen != question.saved:
            if not is_blank(response) and response != question.response:
                kept.append(_("Question %(number)d: a newer answer saved in another window "
                              "was kept.", number=question.number or 0))
            continue
        if seen is None and is_blank(response) and not is_blank(question.response):
            continue
        if response == question.response:
            continue  # nothing changed: keep the stamp as it is
        try:
            engine.save_response(attempt, question.position, question.keys.stored(response))
        except ValueError as error:
            problems.append(_("Question %(number)d: %(reason)s", number=question.number or 0,
                              reason=str(error)))
    return problems, kept


@blueprint.post("/quiz/attempts/<int:attempt_id>/answers")
@require_permission("take_courses")
def save_answers(attempt_id: int):
    """The form post of a page's answers (without a script, or when moving between pages)."""
    attempt = _own_attempt(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        problems, kept = _save_posted_answers(attempt)
    except engine.AttemptClosed:
        db.session.commit()  # the engine may just have closed and graded the attempt
        return _closed_redirect(attempt)
    db.session.commit()
    for problem in problems + kept:
        flash(problem, "warning")
    if not problems:
        flash(_("Your answers are saved."), "success")
    page = request.form.get("goto", type=int) or request.form.get("page", type=int) or 1
    return redirect(url_for(".attempt", attempt_id=attempt.id, page=max(page, 1)), 303)


@blueprint.post("/quiz/attempts/<int:attempt_id>/responses/<int:position>")
@require_permission("take_courses")
def save_response(attempt_id: int, position: int):
    """Autosave of one answer: JSON ``{"response": {...}, "seconds": n}`` → when it was saved."""
    attempt = _own_attempt(attempt_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("response"), dict):
        return jsonify(error="invalid", message=_("The answer could not be read.")), 400
    seconds = payload.get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not math.isfinite(seconds):
        return jsonify(error="invalid", message=_("The time spent could not be read.")), 400
    seconds = int(min(max(seconds, 0), MAX_SECONDS_PER_SAVE))
    keys = engine.answer_keys(attempt, position)
    if keys is None:
        abort(404)
    try:
        # The page names options by this attempt's keys, never by stored ids.
        response = keys.stored(payload["response"])
        saved_at = engine.save_response(attempt, position, response, seconds)
    except engine.AttemptClosed:
        db.session.commit()  # the engine may just have closed and graded the attempt
        return jsonify(error="closed", message=_("This attempt is closed; answers can no "
                                                 "longer be changed."),
                       review_url=url_for(".review", attempt_id=attempt.id)), 409
    except ValueError as error:
        db.session.rollback()
        return jsonify(error="invalid", message=str(error)), 400
    db.session.commit()
    return jsonify(saved=True, saved_at=saved_at.isoformat(), version=attempt.version,
                   stamp=engine.response_stamp(saved_at),
                   message=_("Saved at %(time)s", time=format_time(saved_at, "HH:mm:ss")))


@blueprint.post("/quiz/attempts/<int:attempt_id>/submit")
@require_permission("take_courses")
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if attempt.state != "in_progress":
        return _closed_redirect(attempt, _("This attempt was already submitted. Here is its "
                                           "result."))
    token = request.form.get("version", "")
    if token != str(attempt.version):
        # Another tab saved or submitted since this page was shown: keep what this form
        # carries, but let the learner look again before submitting.
        return _stale(attempt)
    try:
        problems, kept = _save_posted_answers(attempt)
        if problems:
            db.session.commit()
            for problem in problems:
                flash(problem, "warning")
            return redirect(url_for(".attempt", attempt_id=attempt.id), 303)
        engine.submit_attempt(attempt, int(token))
    except engine.StaleAttempt:
        db.session.rollback()
        return _stale(attempt)
    except engine.AttemptClosed:
        db.session.commit()  # the engine may just have closed and graded the attempt
        return _closed_redirect(attempt, _("This attempt was already submitted. Here is its "
                                           "result."))
    db.session.commit()
    flash(_("Your attempt is submitted."), "success")
    for note in kept:
        flash(note, "warning")
    return redirect(url_for(".review", attempt_id=attempt.id), 303)


def _stale(attempt: QuizAttempt):
    db.session.refresh(attempt)
    if attempt.state != "in_progress":
        return _closed_redirect(attempt, _("This attempt was already submitted. Here is its "
                                           "result."))
    try:
        problems, kept = _save_posted_answers(attempt)
    except engine.AttemptClosed:
        db.session.commit()
        return _closed_redirect(attempt)
    db.session.commit()
    for problem in problems + kept:
        flash(problem, "warning")
    flash(_("This page was out of date (the attempt changed in another window). Your answers "
            "are saved: check them and submit again."), "warning")
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


# --- Review -------------------------------------------------------------------------------


@blueprint.get("/quiz/attempts/<int:attempt_id>/review")
@require_permission("take_courses")
def review(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    _close_if_overdue(attempt)
    if attempt.state == "in_progress":
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    settings = quiz_settings(attempt.quiz.settings)
    item = _item_of(attempt.quiz)
    return render_template(
        "assessment/learner/review.html", attempt=attempt, quiz=attempt.quiz, item=item,
        settings=settings, review=engine.review_of(attempt, viewer_is_trainer=False),
    )
