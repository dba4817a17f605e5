"""Trainers' side of attempts: the quizzes, their attempts, a full attempt, the essay queue,
regrading and item statistics (permission ``grade_attempts``)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.accounts.permissions import require_permission
from lms.assessment import attempts as engine
from lms.assessment import statistics
from lms.assessment.forms import ConfirmForm, EssayGradeForm, read_number
from lms.assessment.models import (
    AttemptResponse,
    GradeChange,
    Quiz,
    QuizAttempt,
)
from lms.assessment.quizzes import question_html
from lms.assessment.views import blueprint
from lms.catalog.models import CourseItem, CourseRevision
from lms.core.errors import render_error
from lms.extensions import db

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 20
MAX_PAGE = 10_000


def _page_number() -> int:
    number = request.args.get("page", 1, type=int) or 1
    return min(max(number, 1), MAX_PAGE)


def _quiz_or_404(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        abort(404)
    return quiz


def _item_of(quiz: Quiz) -> CourseItem | None:
    return db.session.get(CourseItem, quiz.item_id) if quiz.item_id else None


@blueprint.get("/manage/quizzes/")
@require_permission("grade_attempts")
def quizzes():
    """Every quiz with its attempt counts, newest course revisions first."""
    query = (select(Quiz).join(CourseItem, CourseItem.id == Quiz.item_id)
             .join(CourseRevision, CourseRevision.id == CourseItem.revision_id)
             .order_by(CourseRevision.course_id, CourseRevision.number.desc(), Quiz.title))
    page = db.paginate(query, page=_page_number(), per_page=PAGE_SIZE, error_out=False)
    ids = [quiz.id for quiz in page.items]
    counts = {quiz_id: (attempts, waiting) for quiz_id, attempts, waiting in db.session.execute(
        select(QuizAttempt.quiz_id, func.count(QuizAttempt.id),
               func.sum(case((QuizAttempt.state == "needs_grading", 1), else_=0)))
        .where(QuizAttempt.quiz_id.in_(ids)).group_by(QuizAttempt.quiz_id))} if ids else {}
    items = {item.id: item for item in db.session.scalars(
        select(CourseItem).where(CourseItem.id.in_({q.item_id for q in page.items} or {0}))
        .options(joinedload(CourseItem.revision).joinedload(CourseRevision.course)))}
    return render_template("assessment/grading/quizzes.html", page=page, counts=counts,
                           items=items, waiting=_waiting_count())


def _waiting_count() -> int:
    return db.session.scalar(select(func.count(AttemptResponse.id)).join(QuizAttempt).where(
        AttemptResponse.needs_grading.is_(True), QuizAttempt.state == "needs_grading")) or 0


@blueprint.get("/manage/quizzes/<int:quiz_id>/attempts")
@require_permission("grade_attempts")
def quiz_attempts(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    query = (select(QuizAttempt).join(User, User.id == QuizAttempt.user_id)
             .where(QuizAttempt.quiz_id == quiz.id)
             .order_by(User.username, QuizAttempt.number))
    page = db.paginate(query, page=_page_number(), per_page=PAGE_SIZE, error_out=False)
    users = {user.id: user for user in db.session.scalars(select(User).where(
        User.id.in_({a.user_id for a in page.items} or {0})))}
    return render_template("assessment/grading/attempts.html", quiz=quiz, item=_item_of(quiz),
                           page=page, users=users, form=ConfirmForm())


@blueprint.post("/manage/quizzes/<int:quiz_id>/regrade")
@require_permission("grade_attempts")
def regrade(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    changed = engine.regrade_attempts(quiz, current_user)
    db.session.commit()
    flash(_("Regraded. %(count)d attempts changed score.", count=changed), "success")
    return redirect(url_for(".quiz_attempts", quiz_id=quiz.id), 303)


@blueprint.get("/manage/attempts/<int:attempt_id>")
@require_permission("grade_attempts")
def attempt_detail(attempt_id: int):
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None:
        abort(404)
    learner = db.session.get(User, attempt.user_id)
    history = db.session.execute(
        select(GradeChange, User).outerjoin(User, User.id == GradeChange.changed_by_id)
        .where(GradeChange.attempt_id == attempt.id).order_by(GradeChange.changed_at)
    ).all()
    review = engine.review_of(attempt, viewer_is_trainer=True) \
        if attempt.state != "in_progress" else None
    return render_template(
        "assessment/grading/attempt.html", attempt=attempt, quiz=attempt.quiz, learner=learner,
        item=_item_of(attempt.quiz), review=review, history=history,
        grade_forms=_grade_forms(attempt),
    )


def _grade_forms(attempt: QuizAttempt) -> dict[int, EssayGradeForm]:
    return {response.id: EssayGradeForm(prefix=f"r{response.id}")
            for response in attempt.responses if response.needs_grading}


# --- The essay queue ----------------------------------------------------------------------


def _mark_of(response: AttemptResponse) -> float:
    for entry in response.attempt.layout or []:
        if entry.get("position") == response.position:
            return float(entry.get("mark", 1.0))
    return 1.0


@blueprint.get("/manage/grading")
@require_permission("grade_attempts")
def grading_queue():
    query = (select(AttemptResponse).join(QuizAttempt)
             .options(joinedload(AttemptResponse.attempt).joinedload(QuizAttempt.quiz),
                      joinedload(AttemptResponse.version))
             .where(AttemptResponse.needs_grading.is_(True),
                    QuizAttempt.state == "needs_grading")
             .order_by(QuizAttempt.submitted_at, QuizAttempt.id, AttemptResponse.position))
    page = db.paginate(query, page=_page_number(), per_page=QUEUE_PAGE_SIZE, error_out=False)
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({r.attempt.user_id for r in page.items} or {0})))}
    return render_template(
        "assessment/grading/queue.html", page=page, users=users, question_html=question_html,
        marks={r.id: _mark_of(r) for r in page.items},
        forms={r.id: EssayGradeForm(prefix=f"r{r.id}") for r in page.items},
    )


def fraction_from(form: EssayGradeForm, mark: float) -> float | None:
    """The fraction (0–1) a grader entered as a percentage, or as marks out of ``mark``."""
    value = read_number(form.percent.data)
    if value is None:
        return None
    if request.form.get("unit") == "mark":
        if mark <= 0 or not 0 <= value <= mark:
            return None
        return value / mark
    if not 0 <= value <= 100:
        return None
    return value / 100


@blueprint.post("/manage/grading/responses/<int:response_id>")
@require_permission("grade_attempts")
def grade_essay(response_id: int):
    response = db.session.get(AttemptResponse, response_id)
    if response is None:
        abort(404)
    form = EssayGradeForm(prefix=f"r{response.id}")
    back = request.form.get("back") == "attempt"
    target = url_for(".attempt_detail", attempt_id=response.attempt_id) if back \
        else url_for(".grading_queue")
    if not response.needs_grading:
        flash(_("This answer has already been graded."), "info")
        return redirect(target, 303)
    if not form.validate_on_submit():
        abort(400)
    mark = _mark_of(response)
    fraction = fraction_from(form, mark)
    if fraction is None:
        return render_error(400, _("Enter a percentage from 0 to 100, or marks from 0 to "
                                   "%(mark)s. Go back to correct it.", mark=f"{mark:g}"))
    try:
        attempt = engine.grade_essay(response, fraction, form.comment.data or "", current_user,
                                     only_waiting=True)
    except engine.AlreadyGraded:
        db.session.rollback()
        return render_error(409, _("Another trainer graded this answer meanwhile; your grade "
                                   "was not saved. Reload the page to see their grade."))
    db.session.commit()
    if attempt.state == "graded":
        flash(_("Graded. The attempt is complete: %(score)s of %(max)s.",
                score=f"{attempt.score:g}", max=f"{attempt.max_score:g}"), "success")
    else:
        flash(_("Graded. Other answers of this attempt still wait."), "success")
    return redirect(target, 303)


# --- Statistics ---------------------------------------------------------------------------


@blueprint.get("/manage/quizzes/<int:quiz_id>/statistics")
@require_permission("grade_attempts")
def quiz_statistics(quiz_id: int):
    quiz = _quiz_or_404(quiz_id)
    return render_template("assessment/grading/statistics.html", quiz=quiz,
                           item=_item_of(quiz), rows=statistics.item_statistics(quiz))
