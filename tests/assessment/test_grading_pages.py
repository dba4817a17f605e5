"""Trainers' attempt pages: quizzes, attempts, a full attempt, the essay queue, regrading and
item statistics."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.assessment import services
from lms.assessment.convert import version_fields
from lms.assessment.gift import parse_gift
from lms.assessment.models import AttemptResponse, GradeChange, QuizAttempt
from lms.assessment.services import find_bank
from lms.extensions import db as _db
from tests.assessment import test_quiz_pages as pages
from tests.assessment.test_quiz_pages import (
    OBJECTIVE_GIFT,
    RIGHT_ANSWERS,
    save,
    start,
    submit,
)

# Fixtures shared with the learner pages' tests.
english = pages.english
learner = pages.learner
quiz_course = pages.quiz_course

ESSAY = "我会先查客户的信用额度，再录入销售订单。"


@pytest.fixture
def submitted(quiz_course, learner, client, login_as):
    """A learner's submitted attempt with an essay waiting; then signed in as a trainer.

    Returns (quiz id, attempt id).
    """
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    for position, answer in RIGHT_ANSWERS.items():
        assert save(client, attempt_id, position, answer).status_code == 200
    assert save(client, attempt_id, 7, {"text": ESSAY}).status_code == 200
    assert submit(client, attempt_id).status_code == 303
    client.post("/logout", data={})
    login_as("grader", roles=("trainer",))
    attempt = _db.session.get(QuizAttempt, attempt_id)
    return attempt.quiz_id, attempt_id


def test_quizzes_and_their_attempts(submitted, client):
    quiz_id, attempt_id = submitted
    listing = client.get("/manage/quizzes/").data.decode()
    assert f'data-quiz="{quiz_id}"' in listing and 'id="waiting-essays"' in listing
    page = client.get(f"/manage/quizzes/{quiz_id}/attempts")
    assert page.status_code == 200
    text = page.data.decode()
    assert f'data-attempt="{attempt_id}" data-learner="quizzer"' in text
    assert 'data-state="needs_grading"' in text
    assert f"/manage/attempts/{attempt_id}" in text


def test_the_full_attempt_shows_answers_feedback_and_history(submitted, client):
    _quiz_id, attempt_id = submitted
    page = client.get(f"/manage/attempts/{attempt_id}").data.decode()
    assert "WH-SH" in page and "反馈甲" in page and "data-right-answers" in page
    assert ESSAY in page and "essay-grade-form" in page
    assert "data-awarded" in page
    assert 'data-reason="graded"' in page


def test_the_essay_queue_completes_the_attempt(submitted, client, db, english):
    _quiz_id, attempt_id = submitted
    queue = client.get("/manage/grading").data.decode()
    assert ESSAY in queue
    response_id = int(re.search(r'class="card mb-3 essay-to-grade" data-response="(\d+)"',
                                queue).group(1))
    reply = client.post(f"/manage/grading/responses/{response_id}",
                        data={f"r{response_id}-percent": "80",
                              f"r{response_id}-comment": "思路清楚。", "unit": "percent"})
    assert reply.status_code == 303 and reply.location.endswith("/manage/grading")
    attempt = db.session.get(QuizAttempt, attempt_id)
    db.session.refresh(attempt)
    assert attempt.state == "graded" and attempt.score == pytest.approx(6.8)
    assert "The attempt is complete" in client.get(reply.location).data.decode()
    assert 'id="queue-empty"' in client.get("/manage/grading").data.decode()
    history = client.get(f"/manage/attempts/{attempt_id}").data.decode()
    assert 'data-reason="essay"' in history and "思路清楚。" in history
    # Grading the same answer again is refused with a note, not an error.
    again = client.post(f"/manage/grading/responses/{response_id}",
                        data={f"r{response_id}-percent": "10"})
    assert again.status_code == 303
    assert db.session.scalar(select(func.count(GradeChange.id)).where(
        GradeChange.attempt_id == attempt_id, GradeChange.reason == "essay")) == 1


def test_an_essay_graded_in_marks_from_the_attempt_page(submitted, client, db):
    _quiz_id, attempt_id = submitted
    response = db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.needs_grading.is_(True)))
    reply = client.post(f"/manage/grading/responses/{response.id}",
                        data={f"r{response.id}-percent": "0.5", "unit": "mark",
                              "back": "attempt"})
    assert reply.status_code == 303
    assert reply.location.endswith(f"/manage/attempts/{attempt_id}")
    db.session.refresh(response)
    assert response.fraction == pytest.approx(0.5)


def test_bad_grades_are_refused(submitted, client, db):
    _quiz_id, attempt_id = submitted
    response = db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.needs_grading.is_(True)))
    for value, unit in (("abc", "percent"), ("120", "percent"), ("2", "mark"), ("", "percent")):
        reply = client.post(f"/manage/grading/responses/{response.id}",
                            data={f"r{response.id}-percent": value, "unit": unit})
        assert reply.status_code == 400, value
    db.session.refresh(response)
    assert response.needs_grading
    assert client.post("/manage/grading/responses/999999",
                       data={"r999999-percent": "50"}).status_code == 404


def test_regrade_after_correcting_a_question(submitted, client, db, english):
    quiz_id, attempt_id = submitted
    bank = find_bank("quiz-course")
    # The trainer decides that "客户关系管理" was right too: a corrected version of "pick".
    corrected = parse_gift("::pick::ERP 的中文全称是什么？{=企业资源计划#反馈甲：正确 "
                           "=客户关系管理#反馈乙：错了 ~供应链管理#反馈丙：错了}")[0]
    services.save_question(bank, "quiz", "pick", version_fields(corrected))
    db.session.commit()
    reply = client.post(f"/manage/quizzes/{quiz_id}/regrade", data={})
    assert reply.status_code == 303 and reply.location.endswith(f"/{quiz_id}/attempts")
    assert "Regraded" in client.get(reply.location).data.decode()


def test_statistics_page(submitted, client):
    quiz_id, _attempt_id = submitted
    page = client.get(f"/manage/quizzes/{quiz_id}/statistics")
    assert page.status_code == 200
    text = page.data.decode()
    assert 'id="item-statistics"' in text and 'data-title="pick"' in text
    assert 'data-facility="100' in text
    assert '<svg class="quiz-bar"' in text and "style=" not in text.split("<main")[1]


def test_trainer_pages_are_closed_to_learners(submitted, client, login_as, db):
    quiz_id, attempt_id = submitted
    response = db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.needs_grading.is_(True)))
    client.post("/logout", data={})
    login_as("nosy")
    for path in ("/manage/quizzes/", f"/manage/quizzes/{quiz_id}/attempts",
                 f"/manage/attempts/{attempt_id}", "/manage/grading",
                 f"/manage/quizzes/{quiz_id}/statistics"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/manage/quizzes/{quiz_id}/regrade", data={}).status_code == 403
    assert client.post(f"/manage/grading/responses/{response.id}",
                       data={f"r{response.id}-percent": "100"}).status_code == 403


def test_unknown_ids_are_not_found(login_as, client):
    login_as("grader", roles=("trainer",))
    for path in ("/manage/quizzes/999999/attempts", "/manage/attempts/999999",
                 "/manage/quizzes/999999/statistics"):
        assert client.get(path).status_code == 404, path
    assert client.post("/manage/quizzes/999999/regrade", data={}).status_code == 404
    assert client.get("/manage/grading").status_code == 200
    assert client.get("/manage/quizzes/").status_code == 200


def test_an_open_attempt_in_the_full_view(quiz_course, learner, client, login_as):
    course = quiz_course(body=OBJECTIVE_GIFT)
    learner(course)
    attempt_id = start(client)
    client.post("/logout", data={})
    login_as("grader", roles=("trainer",))
    page = client.get(f"/manage/attempts/{attempt_id}")
    assert page.status_code == 200 and 'id="attempt-open"' in page.data.decode()
