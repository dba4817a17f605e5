"""The learner's quiz pages: the intro, an attempt (autosaved as JSON or posted as a form),
submitting once, and the review each quiz's options allow; nothing gives answers away."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.services import find_user
from lms.assessment.attempts import answer_keys
from lms.assessment.models import GradeChange, QuizAttempt
from lms.catalog import enrolment, progress, services
from lms.catalog.models import Course
from lms.catalog.source import CourseSource, ItemSource, ModuleSource
from lms.database import utcnow
from lms.extensions import db

# One question of every kind; the feedback texts are markers that must never reach an open
# attempt's page or JSON.
QUIZ_GIFT = """\
::pick::ERP 的中文全称是什么？{
  =企业资源计划#反馈甲：正确
  ~客户关系管理#反馈乙：错了
  ~供应链管理#反馈丙：错了
}

::multi::哪些属于主数据？{
  ~%50%客户#反馈丁
  ~%50%物料
  ~%-100%销售发票#反馈戊
}

::tf::ERP 把销售、采购、库存和财务连成一体。{TRUE#反馈己：错#反馈庚：对}

::short::上海总仓的仓库编码是什么？{=WH-SH#反馈辛}

::num::SO-0001 的价税合计是多少元？{#9661.50:0.01#反馈壬}

::match::把模块和单据配对。{
  =销售->SO
  =采购->PO
  =库存->GR
}

::essay::说说你在岗位上会怎样使用 ERP。{}
"""
FEEDBACK_MARKERS = ["反馈甲", "反馈乙", "反馈丙", "反馈丁", "反馈戊", "反馈己", "反馈庚",
                    "反馈辛", "反馈壬"]
# Every objective question answered right (the essay left for a trainer).
RIGHT_ANSWERS = {
    1: {"choice": "c1"},
    2: {"choices": ["c1", "c2"]},
    3: {"value": True},
    4: {"text": "ｗｈ－ｓｈ"},
    5: {"value": "9661.5"},
    6: {"matches": {"p1": "SO", "p2": "PO", "p3": "GR"}},
}
OBJECTIVE_GIFT = QUIZ_GIFT.split("::essay::")[0]


def quiz_source(code: str, settings: dict | None = None, body: str = QUIZ_GIFT,
                locked: bool = False) -> CourseSource:
    """A course with one lesson and a quiz (that needs the lesson first when ``locked``)."""
    items = [
        ItemSource(key="intro", kind="lesson", title="导论", body="## 导论\n\n内容。\n",
                   source_name="lessons/01.md"),
        ItemSource(key="quiz", kind="quiz", title="测验", body=body,
                   settings={"pass_mark": 60, **(settings or {})}, source_name="quiz.gift",
                   requires=["intro"] if locked else []),
    ]
    return CourseSource(code=code, title="测验课程", summary="用于测试测验。",
                        job_roles=["sales"], levels=["operations"],
                        modules=[ModuleSource(title="第一单元", items=items)])


@pytest.fixture
def quiz_course(db):
    """Publish a course with a quiz: ``make(code, settings=..., body=..., locked=...)``."""

    def make(code: str = "quiz-course", **options) -> Course:
        course = Course(code=code)
        db.session.add(course)
        db.session.flush()
        services.revision_from_source(course, quiz_source(code, **options))
        services.publish_draft(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def learner(login_as, client, db):
    """Sign in as a learner enrolled in ``course``: ``learner(course, username)``."""

    def sign_in(course: Course, username: str = "quizzer"):
        client.post("/logout", data={})
        login_as(username)
        enrolment.create_assignment(course, user=find_user(username),
                                    due_at=utcnow() + timedelta(days=7))
        db.session.commit()
        return client

    return sign_in


@pytest.fixture
def english(app, monkeypatch):
    """Messages in English, for tests that read wording (the default locale is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()


def quiz_url(code: str = "quiz-course") -> str:
    return f"/courses/{code}/items/quiz/quiz"


def start(client, code: str = "quiz-course") -> int:
    response = client.post(quiz_url(code) + "/start", data={})
    assert response.status_code == 303, response.data[:300]
    match = re.search(r"/quiz/attempts/(\d+)$", response.location)
    assert match, response.location
    return int(match.group(1))


def key(attempt_id: int, position: int, stored_id: str) -> str:
    """The key the attempt's page gives the stored choice or pair id (o1…, m1…)."""
    keys = answer_keys(db.session.get(QuizAttempt, attempt_id), position)
    return keys.key_of(stored_id) if keys and keys.key_of(stored_id) else stored_id


def as_posted(attempt_id: int, position: int, answer):
    """An answer written with stored ids (c1, p1…) as the page would post it (its keys);
    ids the question does not have, and malformed answers, are left as they are."""
    if not isinstance(answer, dict):
        return answer
    posted = dict(answer)
    if isinstance(answer.get("choice"), str):
        posted["choice"] = key(attempt_id, position, answer["choice"])
    if isinstance(answer.get("choices"), list):
        posted["choices"] = [key(attempt_id, position, c) if isinstance(c, str) else c
                             for c in answer["choices"]]
    if isinstance(answer.get("matches"), dict):
        posted["matches"] = {key(attempt_id, position, pair): value
                             for pair, value in answer["matches"].items()}
    return posted


def save(client, attempt_id: int, position: int, answer, seconds: int = 3,
         raw: bool = False):
    """Autosave an answer written with stored ids (translated to the page's keys unless
    ``raw``: then it is posted exactly as given)."""
    if not raw and db.session.get(QuizAttempt, attempt_id) is not None:
        answer = as_posted(attempt_id, position, answer)
    return client.post(
        f"/quiz/attempts/{attempt_id}/responses/{position}",
        data=json.dumps({"response": answer, "seconds": seconds}),
        content_type="application/json",
        headers={"X-CSRFToken": client.csrf_token(), "Accept": "application/json"})


def version_token(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def submit(client, attempt_id: int, token: str | None = None, **answers):
    if token is None:
        token = version_token(client.get(f"/quiz/attempts/{attempt_id}").data.decode())
    return client.post(f"/quiz/attempts/{attempt_id}/submit",
                       data={"version": token, **answers})


# --- The flow through the pages -----------------------------------------------------------


def test_learner_takes_a_quiz_through_the_pages(quiz_course, learner, db):
    course = quiz_course(settings={"attempts": 2})
    client = learner(course)

    intro = client.get(quiz_url())
    assert intro.status_code == 200
    page = intro.data.decode()
    assert 'data-setting="questions">7<' in page  # the essay counts too
    assert 'id="start-attempt"' in page and 'id="my-attempts"' not in page

    attempt_id = start(client)
    page = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    assert "ERP 的中文全称是什么？" in page and 'id="quiz-timer"' not in page
    for position, answer in RIGHT_ANSWERS.items():
        reply = save(client, attempt_id, position, answer)
        assert reply.status_code == 200, reply.data
        assert reply.json["saved"] and reply.json["saved_at"] and reply.json["message"]
    assert save(client, attempt_id, 7, {"text": "我会录入销售订单。"}).status_code == 200

    # A reload shows every saved answer.
    page = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    k1, k2, k3 = (key(attempt_id, 1, "c1"), key(attempt_id, 2, "c1"), key(attempt_id, 2, "c2"))
    assert re.search(rf'name="q1-choice" id="q1-{k1}" value="{k1}"\s+checked', page)
    assert re.search(rf'id="q2-{k2}" value="{k2}"\s+checked', page)
    assert re.search(rf'id="q2-{k3}" value="{k3}"\s+checked', page)
    assert len(re.findall(r'name="q2-choices"[^>]*checked', page)) == 2
    assert re.search(r'id="q3-true" value="true"\s+checked', page)
    assert 'value="ｗｈ－ｓｈ"' in page and 'value="9661.5"' in page
    assert re.search(r'<option value="PO"\s+selected>PO</option>', page)
    assert "我会录入销售订单。" in page

    reply = submit(client, attempt_id)
    assert reply.status_code == 303 and reply.location.endswith(f"/{attempt_id}/review")
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.state == "needs_grading"  # the essay waits for a trainer

    review = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'id="waiting-for-grading"' in review
    assert "反馈甲" in review  # feedback is shown after submitting (review: feedback)
    assert 'data-outcome="correct"' in review and 'data-outcome="pending"' in review

    intro = client.get(quiz_url()).data.decode()
    assert f'data-attempt="{attempt_id}"' in intro
    assert f"/quiz/attempts/{attempt_id}/review" in intro
    assert 'id="start-attempt"' in intro  # a second attempt is allowed


def test_passing_completes_the_course_item(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    for position, answer in RIGHT_ANSWERS.items():
        assert save(client, attempt_id, position, answer).status_code == 200
    assert submit(client, attempt_id).status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.state == "graded" and attempt.passed and attempt.score == 6
    user = find_user("quizzer")
    item = next(i for i in course.published_revision.items if i.key == "quiz")
    assert progress.course_progress(user.id, course).state_of(item).state == progress.DONE
    intro = client.get(quiz_url()).data.decode()
    assert 'data-grade="100' in intro


def test_the_form_works_without_a_script(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    q1c2, q2c3 = key(attempt_id, 1, "c2"), key(attempt_id, 2, "c3")
    form = {"q1-shown": "1", "q1-choice": q1c2, "q2-shown": "1",
            "q2-choices": [key(attempt_id, 2, "c1"), q2c3],
            "q3-shown": "1", "q3-value": "false", "q4-shown": "1", "q4-text": "wh-sh",
            "q5-shown": "1", "q5-value": "12", "q6-shown": "1", "q6-match-m1": "PO"}
    reply = client.post(f"/quiz/attempts/{attempt_id}/answers", data=form)
    assert reply.status_code == 303
    page = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    assert re.search(rf'id="q1-{q1c2}" value="{q1c2}"\s+checked', page)
    assert re.search(rf'id="q2-{q2c3}" value="{q2c3}"\s+checked', page)
    assert re.search(r'id="q3-false" value="false"\s+checked', page)
    assert re.search(r'<option value="PO"\s+selected>', page)
    assert 'name="q6-match-m1"' in page
    # "Submit" on the same form saves what it carries, then submits.
    reply = submit(client, attempt_id, **{"q1-shown": "1", "q1-choice": key(attempt_id, 1, "c1")})
    assert reply.status_code == 303
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.state == "graded"
    first = next(r for r in attempt.responses if r.position == 1)
    assert first.response == {"choice": "c1"} and first.fraction == 1


def test_one_question_per_page(quiz_course, learner):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"layout": "one_per_page"})
    client = learner(course)
    attempt_id = start(client)
    first = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    assert 'data-position="1"' in first and 'data-position="2"' not in first
    assert 'id="next-page"' in first
    second = client.get(f"/quiz/attempts/{attempt_id}?page=2").data.decode()
    assert 'data-position="2"' in second and 'data-position="1"' not in second
    reply = client.post(f"/quiz/attempts/{attempt_id}/answers",
                        data={"q2-shown": "1", "q2-choices": key(attempt_id, 2, "c1"),
                              "goto": "3", "page": "2"})
    assert reply.status_code == 303 and reply.location.endswith("page=3")
    # A page number out of range shows the nearest page, never an error.
    assert client.get(f"/quiz/attempts/{attempt_id}?page=99").status_code == 200


# --- Nothing gives the answers away -------------------------------------------------------


def test_an_open_attempt_shows_no_answers_or_feedback(quiz_course, learner):
    course = quiz_course()
    client = learner(course)
    attempt_id = start(client)
    bodies = [client.get(f"/quiz/attempts/{attempt_id}").data.decode()]
    for position, answer in RIGHT_ANSWERS.items():
        bodies.append(save(client, attempt_id, position, answer).data.decode())
    bodies.append(save(client, attempt_id, 1, {"choice": "nope"}).data.decode())
    bodies.append(client.get(f"/quiz/attempts/{attempt_id}").data.decode())
    for body in bodies:
        for marker in FEEDBACK_MARKERS:
            assert marker not in body
        assert "fraction" not in body and "feedback" not in body.replace("save-status", "")
        assert "9661" not in body.replace('value="9661.5"', "")  # only the learner's own
        assert "WH-SH" not in body and "%-100%" not in body and "%50%" not in body
        assert "correct" not in body


# --- Submitting exactly once --------------------------------------------------------------


def test_a_second_submit_shows_the_result_with_a_note(quiz_course, learner, db, english):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    token = version_token(client.get(f"/quiz/attempts/{attempt_id}").data.decode())
    first = submit(client, attempt_id, token)
    second = submit(client, attempt_id, token)
    assert first.status_code == 303 and second.status_code == 303
    assert second.location.endswith(f"/quiz/attempts/{attempt_id}/review")
    page = client.get(second.location).data.decode()
    assert "already submitted" in page
    assert db.session.scalar(select(func.count(QuizAttempt.id)).where(
        QuizAttempt.state == "graded")) == 1
    assert db.session.scalar(select(func.count(GradeChange.id)).where(
        GradeChange.attempt_id == attempt_id, GradeChange.reason == "graded")) == 1


def test_a_stale_token_does_not_submit(quiz_course, learner, db, english):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    q1c2 = key(attempt_id, 1, "c2")
    reply = submit(client, attempt_id, "999", **{"q1-shown": "1", "q1-choice": q1c2})
    assert reply.status_code == 303 and reply.location.endswith(f"/quiz/attempts/{attempt_id}")
    page = client.get(reply.location).data.decode()
    assert "out of date" in page
    assert re.search(rf'id="q1-{q1c2}" value="{q1c2}"\s+checked', page)  # what was posted is kept
    assert db.session.get(QuizAttempt, attempt_id).state == "in_progress"


# --- Who may do what ----------------------------------------------------------------------


def test_another_learners_attempt_is_not_found(quiz_course, learner, login_as, client):
    course = quiz_course()
    learner(course, "owner")
    attempt_id = start(client)
    learner(course, "intruder")
    assert client.get(f"/quiz/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/quiz/attempts/{attempt_id}/review").status_code == 404
    assert save(client, attempt_id, 1, {"choice": "c1"}).status_code == 404
    assert client.post(f"/quiz/attempts/{attempt_id}/submit",
                       data={"version": "1"}).status_code == 404
    assert client.post(f"/quiz/attempts/{attempt_id}/answers", data={}).status_code == 404


def test_a_locked_quiz_cannot_be_started(quiz_course, learner, db):
    course = quiz_course(locked=True)
    client = learner(course)
    reply = client.post(quiz_url() + "/start", data={})
    assert reply.status_code == 303 and reply.location.endswith("/courses/quiz-course/")
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0
    assert client.get(quiz_url()).status_code == 303


def test_only_enrolled_learners_take_a_quiz(quiz_course, login_as, client, db):
    quiz_course()
    login_as("stranger")
    assert client.get(quiz_url()).status_code == 403
    assert client.post(quiz_url() + "/start", data={}).status_code == 403
    assert client.get("/courses/quiz-course/items/intro/quiz").status_code == 404
    assert client.get("/courses/nope/items/quiz/quiz").status_code == 404
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0


# --- Refusals and time --------------------------------------------------------------------


def test_refusals_are_messages(quiz_course, learner, english):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"attempts": 1})
    client = learner(course)
    attempt_id = start(client)
    assert submit(client, attempt_id).status_code == 303
    intro = client.get(quiz_url())
    assert intro.status_code == 200
    assert 'id="quiz-refusal"' in intro.data.decode()
    reply = client.post(quiz_url() + "/start", data={})
    assert reply.status_code == 303 and reply.location.endswith(quiz_url())
    assert "used all the attempts" in client.get(reply.location).data.decode()


def test_a_quiz_not_open_yet(quiz_course, learner, english):
    course = quiz_course(body=OBJECTIVE_GIFT,
                         settings={"open_at": "2999-01-01 09:00", "close_at": "2999-02-01"})
    client = learner(course)
    page = client.get(quiz_url()).data.decode()
    assert "not open yet" in page and 'data-setting="open_at"' in page
    assert 'id="start-attempt"' not in page
    reply = client.post(quiz_url() + "/start", data={})
    assert reply.status_code == 303


def test_a_timed_attempt_closes_at_its_deadline(quiz_course, learner, monkeypatch, db,
                                                english):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"time_limit": 10})
    client = learner(course)
    attempt_id = start(client)
    page = client.get(f"/quiz/attempts/{attempt_id}").data.decode()
    remaining = int(re.search(r'data-remaining="(\d+)"', page).group(1))
    assert 590 <= remaining <= 600
    assert save(client, attempt_id, 1, {"choice": "c1"}).status_code == 200

    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr("lms.assessment.clock.now", lambda: later)
    reply = save(client, attempt_id, 2, {"choices": ["c1"]})
    assert reply.status_code == 409 and reply.json["error"] == "closed"
    assert reply.json["review_url"].endswith(f"/quiz/attempts/{attempt_id}/review")
    reply = client.get(f"/quiz/attempts/{attempt_id}")
    assert reply.status_code == 303 and reply.location.endswith("/review")
    review = client.get(reply.location).data.decode()
    assert "Time ran out" in review and 'id="closed-by-deadline"' in review
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.state == "graded" and attempt.closed_by == "deadline" and attempt.score == 1


# --- Review options -----------------------------------------------------------------------


def _submitted(quiz_course, learner, settings) -> tuple:
    course = quiz_course(body=OBJECTIVE_GIFT, settings=settings)
    client = learner(course)
    attempt_id = start(client)
    assert save(client, attempt_id, 1, {"choice": "c2"}).status_code == 200
    assert save(client, attempt_id, 4, {"text": "wh-sh"}).status_code == 200
    assert submit(client, attempt_id).status_code == 303
    return client, attempt_id


def test_review_shows_the_score_only(quiz_course, learner):
    client, attempt_id = _submitted(quiz_course, learner, {"review": "score"})
    page = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'id="attempt-score"' in page and 'id="score-only"' in page
    assert 'id="review-questions"' not in page and "ERP 的中文全称" not in page


def test_review_shows_answers_without_feedback(quiz_course, learner):
    client, attempt_id = _submitted(quiz_course, learner, {"review": "answers"})
    page = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'data-show="answers"' in page and "ERP 的中文全称" in page
    assert 'data-outcome="wrong"' in page and 'data-outcome="correct"' in page
    for marker in FEEDBACK_MARKERS:
        assert marker not in page
    assert "data-right-answers" not in page and "WH-SH" not in page


def test_review_with_feedback_shows_right_answers(quiz_course, learner):
    client, attempt_id = _submitted(quiz_course, learner, {"review": "feedback"})
    page = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'data-show="feedback"' in page and "data-right-answers" in page
    assert "反馈乙" in page  # the feedback of the wrong choice made
    assert "WH-SH" in page


def test_review_after_close_says_when(quiz_course, learner, monkeypatch, english):
    close = utcnow() + timedelta(days=2)
    client, attempt_id = _submitted(quiz_course, learner, {
        "review_when": "after_close", "close_at": close.isoformat()})
    page = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'id="review-later"' in page and "become available when the quiz closes" in page
    assert 'id="attempt-score"' in page and 'id="review-questions"' not in page
    later = close + timedelta(minutes=1)
    monkeypatch.setattr("lms.assessment.clock.now", lambda: later)
    page = client.get(f"/quiz/attempts/{attempt_id}/review").data.decode()
    assert 'id="review-questions"' in page and 'data-show="feedback"' in page


def test_review_of_an_open_attempt_goes_to_the_attempt(quiz_course, learner):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    reply = client.get(f"/quiz/attempts/{attempt_id}/review")
    assert reply.status_code == 302 and reply.location.endswith(f"/quiz/attempts/{attempt_id}")


# --- Bad input ----------------------------------------------------------------------------


def test_bad_autosave_requests_get_clear_errors(quiz_course, learner):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    token = client.csrf_token()
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    url = f"/quiz/attempts/{attempt_id}/responses/1"
    for body in ("not json", "[]", '{"response": 3}', '{"response": {}, "seconds": "x"}'):
        reply = client.post(url, data=body, content_type="application/json", headers=headers)
        assert reply.status_code == 400 and reply.json["error"] == "invalid", body
    assert save(client, attempt_id, 1, {"choice": "c9"}).status_code == 400
    assert save(client, attempt_id, 2, {"choices": "c1"}).status_code == 400
    assert save(client, attempt_id, 99, {"choice": "c1"}).status_code == 404
    assert save(client, 999_999, 1, {"choice": "c1"}).status_code == 404
    reply = client.post(url, data=json.dumps({"response": {"choice": "c1"}}),
                        content_type="application/json", headers={"Accept": "application/json"})
    assert reply.status_code == 400  # no CSRF token
    assert client.post(f"/quiz/attempts/{attempt_id}/submit", data={"version": "x"}
                       ).status_code == 303
    assert client.get("/quiz/attempts/999999").status_code == 404


def test_pages_do_not_query_per_question(quiz_course, learner, count_queries):
    doubled = OBJECTIVE_GIFT + "\n" + OBJECTIVE_GIFT.replace("::", "::again-")
    counts = {}
    for code, body in (("small-quiz", OBJECTIVE_GIFT), ("large-quiz", doubled)):
        client = learner(quiz_course(code, body=body), f"learner-{code}")
        attempt_id = start(client, code)
        assert save(client, attempt_id, 1, {"choice": "c1"}).status_code == 200
        for name, url in (("attempt", f"/quiz/attempts/{attempt_id}"), ("intro", quiz_url(code))):
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts[code, name] = len(statements)
    assert counts["small-quiz", "attempt"] == counts["large-quiz", "attempt"]
    assert counts["small-quiz", "intro"] == counts["large-quiz", "intro"]
