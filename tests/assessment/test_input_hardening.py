"""The quiz engine refuses what it cannot store or show, and grades and reviews soundly:
answers that are not UTF-8 or not strings, odd timings, weights summing to 99.99999 %, review
options changed on republishing and two trainers grading one essay."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from lms.assessment import attempts as engine
from lms.assessment.grading import checked_response, grade_response
from lms.assessment.models import AttemptResponse, QuizAttempt
from lms.catalog import services as catalog
from lms.extensions import db as _db
from tests.assessment import test_quiz_pages as pages
from tests.assessment.test_quiz_pages import (
    OBJECTIVE_GIFT,
    RIGHT_ANSWERS,
    quiz_source,
    quiz_url,
    save,
    start,
    submit,
)

english = pages.english
learner = pages.learner
quiz_course = pages.quiz_course


def _post_raw(client, attempt_id: int, position: int, body: str):
    """A JSON body as a script could send it (``\\ud800``, ``NaN`` and all)."""
    return client.post(f"/quiz/attempts/{attempt_id}/responses/{position}", data=body,
                       content_type="application/json",
                       headers={"X-CSRFToken": client.csrf_token(),
                                "Accept": "application/json"})


# --- Strings that cannot be stored or shown -------------------------------------------------


def test_lone_surrogates_are_refused_and_pages_keep_working(quiz_course, learner, client, db):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    for position, body in (
        (7, '{"response": {"text": "\\ud800 answer"}}'),
        (4, '{"response": {"text": "WH-SH\\udfff"}}'),
        (5, '{"response": {"value": "1\\ud800"}}'),
        (6, '{"response": {"matches": {"p1": "\\ud800"}}}'),
        (1, '{"response": {"choice": "\\ud800"}}'),
    ):
        assert _post_raw(client, attempt_id, position, body).status_code == 400, body
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert all(row.response is None for row in attempt.responses)
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 200
    assert submit(client, attempt_id).status_code == 303
    assert client.get(f"/quiz/attempts/{attempt_id}/review").status_code == 200


def test_checked_response_refuses_unencodable_text(app):
    essay = type("V", (), {"kind": "essay", "data": {}})()
    with app.app_context():
        with pytest.raises(ValueError):
            checked_response(essay, {"text": "a\ud800b"})
        assert checked_response(essay, {"text": "ERP 很好 😀"}) == {"text": "ERP 很好 😀"}


# --- Values of the wrong type ----------------------------------------------------------------


@pytest.mark.parametrize("position, answer", [
    (1, {"choice": ["c1"]}),
    (1, {"choice": {"id": "c1"}}),
    (1, {"choice": 1}),
    (2, {"choices": [["c1"]]}),
    (4, {"text": ["WH-SH"]}),
    (6, {"matches": {"p1": ["SO"]}}),
    (6, {"matches": {"p1": {"a": 1}}}),
    (6, {"matches": ["p1", "SO"]}),
])
def test_answers_of_the_wrong_type_are_refused(position, answer, quiz_course, learner,
                                               client):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    reply = save(client, attempt_id, position, answer)
    assert reply.status_code == 400, reply.data[:300]
    assert reply.get_json()["error"] == "invalid"


def test_refusals_are_worded_for_learners(quiz_course, learner, client, english):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    reply = save(client, attempt_id, 1, {"choice": "c9"})
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "The chosen answer is not one of the question's " \
        "options."


def test_refusals_are_translated(quiz_course, learner, client, app):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    message = save(client, attempt_id, 1, {"choice": "c9"}).get_json()["message"]
    # The default locale is Chinese; the message is whatever the catalogue says, never the
    # engine's old English wording.
    assert "unknown choice" not in message
    with app.app_context():
        pick = _db.session.scalars(select(AttemptResponse).where(
            AttemptResponse.attempt_id == attempt_id, AttemptResponse.position == 1)).one()
        with pytest.raises(ValueError, match="."):  # gettext outside a request works too
            checked_response(pick.version, {"choice": "c9"})


def test_non_finite_seconds_count_as_no_time(quiz_course, learner, client, db):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    for seconds in (float("nan"), float("inf"), float("-inf"), None):
        engine.save_response(attempt, 1, {"choice": "c2"}, seconds)
    row = next(r for r in attempt.responses if r.position == 1)
    assert row.response == {"choice": "c2"} and row.seconds == 0


# --- Weights that add up to 99.99999 % --------------------------------------------------------

THIRDS_GIFT = """::multi::哪些属于主数据？{
  ~%33.33333%客户
  ~%33.33333%物料
  ~%33.33333%供应商
  ~%-100%销售发票
}
"""


def test_three_thirds_are_fully_right(quiz_course, learner, client, db):
    course = quiz_course(body=THIRDS_GIFT, settings={"pass_mark": 100})
    learner(course)
    attempt_id = start(client)
    reply = save(client, attempt_id, 1, {"choices": ["c1", "c2", "c3"]})
    assert reply.status_code == 200, reply.get_json()
    assert submit(client, attempt_id).status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.responses[0].fraction == 1.0
    assert attempt.passed is True and attempt.score == attempt.max_score
    review = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'data-outcome="correct"' in review and 'data-outcome="partial"' not in review


def test_grade_response_snaps_near_zero_and_one():
    version = type("V", (), {"kind": "multiple_choice", "data": {"choices": [
        {"id": "c1", "fraction": 33.33333}, {"id": "c2", "fraction": 33.33333},
        {"id": "c3", "fraction": 33.33333}, {"id": "c4", "fraction": -33.33333},
        {"id": "c5", "fraction": 0.00001}]}})()
    assert grade_response(version, {"choices": ["c1", "c2", "c3"]}).fraction == 1.0
    assert grade_response(version, {"choices": ["c5"]}).fraction == 0.0
    assert grade_response(version, {"choices": ["c1", "c4", "c5"]}).fraction == 0.0
    assert grade_response(version, {"choices": ["c1"]}).fraction == 0.3333333


def test_an_old_near_one_fraction_reads_as_correct(quiz_course, learner, client, db):
    course = quiz_course(body=THIRDS_GIFT)
    learner(course)
    attempt_id = start(client)
    assert submit(client, attempt_id).status_code == 303
    row = db.session.get(QuizAttempt, attempt_id).responses[0]
    row.fraction = 0.9999999  # as grading stored it before fractions were snapped
    assert engine._outcome(row) == "correct"
    row.fraction = 0.0000001
    assert engine._outcome(row) == "wrong"


# --- Review options changed on republishing ---------------------------------------------------


def _republish(course, db, **settings):
    catalog.revision_from_source(course, quiz_source(
        "quiz-course", settings={"attempts": 3, **settings}, body=OBJECTIVE_GIFT))
    catalog.publish_draft(course)
    db.session.commit()


def test_tightened_review_applies_to_earlier_attempts(quiz_course, learner, client, db):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"attempts": 3, "review": "feedback"})
    learner(course)
    attempt_id = start(client)
    for position, answer in RIGHT_ANSWERS.items():
        assert save(client, attempt_id, position, answer).status_code == 200
    assert submit(client, attempt_id).status_code == 303
    assert "data-right-answers" in client.get(f"/quiz/attempts/{attempt_id}/review").data \
        .decode()
    _republish(course, db, review="score")
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.quiz.item.revision_id != course.published_revision_id  # an old quiz
    assert engine.review_of(attempt, viewer_is_trainer=False).show == "score"
    review = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert "data-right-answers" not in review and "反馈甲" not in review
    # Trainers still see everything.
    assert engine.review_of(attempt, viewer_is_trainer=True).show == "feedback"


def test_loosened_review_applies_to_earlier_attempts(quiz_course, learner, client, db):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"attempts": 3, "review": "score"})
    learner(course)
    attempt_id = start(client)
    assert submit(client, attempt_id).status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert engine.review_of(attempt, viewer_is_trainer=False).show == "score"
    _republish(course, db, review="answers")
    assert engine.review_of(attempt, viewer_is_trainer=False).show == "answers"
    assert client.get(quiz_url()).status_code == 200


# --- Two trainers grading one essay ------------------------------------------------------------


@pytest.fixture
def waiting_essay(quiz_course, learner, client, login_as, db):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    assert save(client, attempt_id, 7, {"text": "先查信用额度。"}).status_code == 200
    assert submit(client, attempt_id).status_code == 303
    client.post("/logout", data={})
    login_as("grader", roles=("trainer",))
    return db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.needs_grading.is_(True)))


def test_an_essay_graded_meanwhile_is_not_graded_again(waiting_essay, db):
    engine.grade_essay(waiting_essay, 0.5, "", None)
    db.session.commit()
    # A second trainer's request read the answer before the first grade landed.
    set_committed_value(waiting_essay, "needs_grading", True)
    with pytest.raises(engine.AlreadyGraded):
        engine.grade_essay(waiting_essay, 1.0, "", None, only_waiting=True)
    db.session.rollback()
    db.session.refresh(waiting_essay)
    assert waiting_essay.fraction == 0.5 and not waiting_essay.needs_grading


def test_the_grading_page_answers_409_to_the_loser(waiting_essay, client, db, monkeypatch,
                                                   english):
    real = engine.grade_essay
    response_id = waiting_essay.id

    def graded_meanwhile(response, fraction, comment, grader, **options):
        # The other trainer's grade lands between the view's check and the row lock.
        _db.session.execute(update(AttemptResponse).where(AttemptResponse.id == response_id)
                            .values(needs_grading=False, fraction=0.5))
        return real(response, fraction, comment, grader, **options)

    monkeypatch.setattr(engine, "grade_essay", graded_meanwhile)
    reply = client.post(f"/manage/grading/responses/{response_id}",
                        data={f"r{response_id}-percent": "100", "unit": "percent"})
    assert reply.status_code == 409
    assert re.search(r"Another trainer graded this answer", reply.data.decode())


def test_a_graded_essay_may_still_be_changed_by_the_engine(waiting_essay, db):
    engine.grade_essay(waiting_essay, 0.5, "", None)
    engine.grade_essay(waiting_essay, 1.0, "改判", None)
    assert waiting_essay.fraction == 1.0


def test_autosave_with_a_non_finite_time_is_refused_not_a_crash(quiz_course, learner, client,
                                                                 db):
    """JSON as Flask reads it allows NaN and Infinity: the time spent must be a real number."""
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    for seconds in ("NaN", "Infinity", "-Infinity"):
        reply = _post_raw(client, attempt_id, 7,
                          '{"response": {"text": "答案"}, "seconds": ' + seconds + '}')
        assert reply.status_code == 400, seconds
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert all(row.response is None for row in attempt.responses)
