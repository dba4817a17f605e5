"""Attempts: what the learner saw is stored, answers are saved on the server, time is enforced
on the server, submission happens once, grades (essays, regrades, methods) and reviews."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from lms import create_app
from lms.accounts import services as accounts
from lms.assessment.attempts import (
    AttemptClosed,
    AttemptRefused,
    StaleAttempt,
    attempts_left,
    attempts_of,
    close_overdue,
    correct_question,
    grade_essay,
    learner_questions,
    quiz_grade,
    regrade_attempts,
    review_of,
    save_response,
    seconds_left,
    start_or_resume,
    submit_attempt,
)
from lms.assessment.convert import version_fields
from lms.assessment.gift import parse_gift
from lms.assessment.models import GradeChange, Question, Quiz, QuizAttempt
from lms.assessment.quizzes import quiz_for_item
from lms.assessment.settings import GRACE_SECONDS
from lms.catalog.progress import DONE, OPEN, complete_item, course_progress
from lms.extensions import db as _db
from tests.assessment.test_quizzes import START, FakeClock, publish_quiz
from tests.conftest import make_test_config

ALL_KINDS = """
::sc::单选题目。{=选项正确#FB-SC-RIGHT ~选项错误#FB-SC-WRONG ~选项其他 ####GF-SC}

::mc::多选题目。{~%50%多选甲#FB-MC-A ~%50%多选乙 ~%-100%多选丙#FB-MC-C}

::tf::判断题目。{T#FB-TF-WRONG#FB-TF-RIGHT}

::sa::填空题目。{=SECRET-ANSWER#FB-SA ####GF-SA}

::num::数值题目。{#271828:5#FB-NUM}

::match::配对题目。{=左一 -> 右一 =左二 -> 右二 =左三 -> 右三}

::essay::论述题目。{}

::desc::说明文字。
"""
RIGHT = {"sc": {"choice": "c1"}, "mc": {"choices": ["c1", "c2"]}, "tf": {"value": True},
         "sa": {"text": "ｓｅｃｒｅｔ-answer "}, "num": {"value": "271830"},
         "match": {"matches": {"p1": "右一", "p2": "右二", "p3": "右三"}},
         "essay": {"text": "我的看法。"}}
TWO_TRUE_FALSE = "::a::第一题。{T}\n\n::b::第二题。{T}\n"


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr("lms.assessment.clock.now", fake)
    return fake


@pytest.fixture
def learner(create_user):
    return create_user("learner1", job_roles=["sales"])


def titles(attempt) -> dict[int, str]:
    """Position -> question title, from the versions the attempt stored."""
    return {row.position: row.version.question.title for row in attempt.responses}


def answer(attempt, by_title: dict[str, dict]) -> None:
    for position, title in titles(attempt).items():
        if title in by_title:
            save_response(attempt, position, by_title[title])


# --------------------------------------------------------------------------- what was shown

def test_start_stores_versions_order_and_one_response_per_question(db, clock, learner):
    _c, _i, quiz = publish_quiz(ALL_KINDS, time_limit=30)
    attempt = start_or_resume(quiz, learner.id)
    assert attempt.state == "in_progress" and attempt.number == 1
    assert attempt.started_at == START and attempt.deadline_at == START + timedelta(minutes=30)
    assert [e["position"] for e in attempt.layout] == list(range(1, 9))
    assert [r.version_id for r in attempt.responses] == [e["version_id"] for e in attempt.layout]
    assert attempt.max_score == 7.0  # the description carries no marks
    sc = attempt.layout[0]
    assert sorted(sc["order"]) == ["c1", "c2", "c3"]
    match = attempt.layout[5]["order"]
    assert match["pairs"] == ["p1", "p2", "p3"] and sorted(match["answers"]) == ["右一", "右三",
                                                                                "右二"]
    # Starting again resumes the same attempt.
    assert start_or_resume(quiz, learner.id).id == attempt.id


def test_random_draw_and_shuffle_are_reproduced_from_the_database(db, clock, create_user):
    pool = "\n\n".join(
        f"::池{n}::第 {n} 题。{{=甲{n} ~乙{n} ~丙{n} ~丁{n} ~戊{n} ~己{n}}}" for n in range(1, 9))
    gift = f"::固定::固定题。{{=对 ~错 ~不知道}}\n\n$CATEGORY: 池\n\n{pool}\n"
    _c, item, quiz = publish_quiz(gift, draw=[{"category": "quiz/池", "count": 3}])
    learners = [create_user(f"drawer{n}", password=None) for n in range(6)]
    seen = {}
    for person in learners:
        attempt = start_or_resume(quiz, person.id)
        # (The page names choices by the attempt's keys; these are their stored ids.)
        shown = [(q.position, q.text, [(q.keys.choices[k], t) for k, t in q.choices])
                 for q in learner_questions(attempt)]
        seen[attempt.id] = shown
        drawn = [e["question_id"] for e in attempt.layout[1:]]
        assert len(shown) == 4 and len(set(drawn)) == 3
        assert attempt.layout[0]["question_id"] not in drawn
        # What is shown is what the layout stored: these questions, these choice orders.
        assert [[c[0] for c in choices] for _p, _t, choices in shown] == \
            [e["order"] for e in attempt.layout]
        assert [t for _p, t, _c in shown[1:]] == [
            f"<p>第 {db.session.get(Question, q).title[1:]} 题。</p>" for q in drawn]
    db.session.commit()
    # Questions drawn and choice orders differ between attempts (6 attempts, 8 * 720 ways),
    # and choices are shuffled, not shown in the order written.
    assert len({tuple(map(str, s)) for s in seen.values()}) > 1
    orders = [[c[0] for c in choices] for s in seen.values() for _p, _t, choices in s[1:]]
    assert any(order != ["c1", "c2", "c3", "c4", "c5", "c6"] for order in orders)
    # The bank changes afterwards: a new revision rewrites every pool question.
    publish_quiz(gift.replace("题。", "题(新)。"), draw=[{"category": "quiz/池", "count": 3}])
    db.session.expunge_all()
    for attempt_id, shown in seen.items():
        attempt = db.session.get(QuizAttempt, attempt_id)
        again = [(q.position, q.text, [(q.keys.choices[k], t) for k, t in q.choices])
                 for q in learner_questions(attempt)]
        assert again == shown
        review = review_of(attempt, viewer_is_trainer=True)
        assert [(q.position, q.text, [(c.id, c.text) for c in q.choices])
                for q in review.questions] == shown
    assert "(新)" not in str(seen)


def test_learner_questions_give_nothing_away(db, clock, learner):
    _c, _i, quiz = publish_quiz(ALL_KINDS)
    attempt = start_or_resume(quiz, learner.id)
    views = learner_questions(attempt)
    assert [v.kind for v in views] == ["single_choice", "multiple_choice", "true_false",
                                       "short_answer", "numeric", "matching", "essay",
                                       "description"]
    assert [v.number for v in views] == [1, 2, 3, 4, 5, 6, 7, None]
    text = json.dumps([v.as_dict() for v in views], ensure_ascii=False)
    for secret in ("FB-", "GF-", "SECRET-ANSWER", "271828", "fraction", "feedback",
                   "correct", "100.0"):
        assert secret not in text, secret
    for shown in ("单选题目", "选项正确", "多选丙", "右三", "左二", "说明文字"):
        assert shown in text
    # Still nothing after answering: the saved response is the learner's own.
    answer(attempt, RIGHT)
    text = json.dumps([v.as_dict() for v in learner_questions(attempt)], ensure_ascii=False)
    assert "FB-" not in text and "SECRET-ANSWER" not in text and "ｓｅｃｒｅｔ" in text


# --------------------------------------------------------------------------- saving and time

def test_answers_are_saved_as_the_learner_goes(db, clock, learner):
    _c, _i, quiz = publish_quiz(ALL_KINDS)
    attempt = start_or_resume(quiz, learner.id)
    clock.advance(seconds=40)
    saved_at = save_response(attempt, 1, {"choice": "c2"}, seconds=25)
    save_response(attempt, 1, {"choice": "c1"}, seconds=10_000)  # capped at time elapsed
    db.session.commit()
    attempt_id = attempt.id
    db.session.expunge_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    row = attempt.responses[0]
    assert row.response == {"choice": "c1"} and row.saved_at == saved_at == clock()
    assert row.seconds == 40
    view = learner_questions(attempt)[0]  # shown by the attempt's key, stored by id
    assert view.keys.stored(view.response) == {"choice": "c1"}
    with pytest.raises(ValueError):
        save_response(attempt, 1, {"choice": "c9"})
    with pytest.raises(ValueError):
        save_response(attempt, 99, {"choice": "c1"})
    with pytest.raises(ValueError):
        save_response(attempt, 8, {"text": "描述不能作答"})


def test_time_limit_is_enforced_on_the_server(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, time_limit=10)
    attempt = start_or_resume(quiz, learner.id)
    clock.advance(minutes=9, seconds=59)
    save_response(attempt, 1, {"value": True})  # before the deadline
    assert seconds_left(attempt) == 1
    clock.advance(seconds=GRACE_SECONDS)
    save_response(attempt, 2, {"value": True})  # within the grace period: still counts
    assert seconds_left(attempt) == 0
    clock.advance(seconds=2)
    with pytest.raises(AttemptClosed):
        save_response(attempt, 2, {"value": False})  # after the grace: refused
    # ... and the attempt was closed and graded with what was saved in time.
    assert attempt.state == "graded" and attempt.closed_by == "deadline"
    assert attempt.submitted_at == attempt.deadline_at and attempt.score == 2.0
    assert attempt.responses[1].response == {"value": True}


def test_deadline_is_capped_by_the_close_time(db, clock, learner):
    close = START + timedelta(minutes=5)
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, time_limit=30, close_at=close.isoformat())
    assert start_or_resume(quiz, learner.id).deadline_at == close


def test_overdue_attempt_is_closed_by_start_or_resume(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, time_limit=10, attempts=1)
    first = start_or_resume(quiz, learner.id)
    save_response(first, 1, {"value": True})
    db.session.commit()
    clock.advance(minutes=11)
    with pytest.raises(AttemptRefused) as refused:
        start_or_resume(quiz, learner.id)
    assert refused.value.reason_code == "no_attempts_left"
    assert first.state == "graded" and first.closed_by == "deadline" and first.score == 1.0
    assert attempts_left(quiz, learner.id) == 0


def test_overdue_attempt_closed_then_a_new_one_starts(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, time_limit=10)
    first = start_or_resume(quiz, learner.id)
    clock.advance(minutes=10, seconds=GRACE_SECONDS + 1)
    second = start_or_resume(quiz, learner.id)
    assert second.id != first.id and second.number == 2 and second.state == "in_progress"
    assert first.state == "graded" and first.score == 0.0 and first.closed_by == "deadline"


def test_close_overdue_closes_only_overdue_attempts(db, clock, create_user):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, time_limit=10)
    early, late = create_user("early"), create_user("late")
    overdue = start_or_resume(quiz, early.id)
    save_response(overdue, 2, {"value": True})
    clock.advance(minutes=5)
    running = start_or_resume(quiz, late.id)
    clock.advance(minutes=5, seconds=GRACE_SECONDS)
    assert close_overdue() == 0  # exactly at deadline + grace: not yet
    clock.advance(seconds=1)
    assert close_overdue() == 1
    assert overdue.state == "graded" and overdue.score == 1.0
    assert running.state == "in_progress"
    assert close_overdue(clock() + timedelta(minutes=6)) == 1 and running.state == "graded"


# --------------------------------------------------------------------------- submitting

def test_submitting_twice_or_with_a_stale_token_grades_once(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE)
    attempt = start_or_resume(quiz, learner.id)
    token = attempt.version
    save_response(attempt, 1, {"value": True})
    assert attempt.version == token  # autosaves keep the page's token valid
    with pytest.raises(StaleAttempt):
        submit_attempt(attempt, token - 1)
    assert attempt.state == "in_progress"
    submit_attempt(attempt, token)
    assert attempt.state == "graded" and attempt.score == 1.0 and attempt.passed is False
    assert attempt.version == token + 1 and attempt.closed_by == "learner"
    for again in (token, attempt.version):  # the same page again, or a fresh one
        with pytest.raises(AttemptClosed):
            submit_attempt(attempt, again)
    with pytest.raises(AttemptClosed):
        save_response(attempt, 2, {"value": True})
    assert db.session.scalar(select(func.count()).select_from(GradeChange).where(
        GradeChange.attempt_id == attempt.id)) == 1


def test_all_kinds_graded_on_submit(db, clock, learner):
    _c, _i, quiz = publish_quiz(ALL_KINDS)
    attempt = start_or_resume(quiz, learner.id)
    answer(attempt, {**RIGHT, "mc": {"choices": ["c1", "c3"]},
                     "match": {"matches": {"p1": "右一", "p2": "右三"}}})
    submit_attempt(attempt, attempt.version)
    fractions = {titles(attempt)[r.position]: r.fraction for r in attempt.responses}
    assert fractions == {"sc": 1.0, "mc": 0.0, "tf": 1.0, "sa": 1.0, "num": 1.0,
                         "match": pytest.approx(1 / 3), "essay": None, "desc": None}
    assert attempt.state == "needs_grading" and attempt.score is None


# --------------------------------------------------------------------------- limits

def test_attempts_limit(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, attempts=2)
    assert attempts_left(quiz, learner.id) == 2
    for _ in range(2):
        attempt = start_or_resume(quiz, learner.id)
        submit_attempt(attempt, attempt.version)
    assert attempts_left(quiz, learner.id) == 0
    with pytest.raises(AttemptRefused) as refused:
        start_or_resume(quiz, learner.id)
    assert refused.value.reason_code == "no_attempts_left" and refused.value.message
    unlimited = publish_quiz(TWO_TRUE_FALSE, code="unlimited")[2]
    assert attempts_left(unlimited, learner.id) is None


def test_republishing_a_course_hands_out_no_fresh_attempts(db, clock, learner):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, attempts=2, lessons=1)
    first = start_or_resume(quiz, learner.id)
    save_response(first, 1, {"value": True})
    submit_attempt(first, first.version)
    open_one = start_or_resume(quiz, learner.id)
    # A lesson changes; the quiz's questions do not: a new quiz, the same attempts.
    course, _item, republished = publish_quiz(TWO_TRUE_FALSE, attempts=2, lessons=2)
    assert republished.id != quiz.id
    # Attempts stay with the revision they were made against.
    db.session.refresh(first)
    assert first.quiz_id == quiz.id and quiz.item.revision.state == "superseded"
    assert republished.item.revision.number == quiz.item.revision.number + 1
    assert start_or_resume(republished, learner.id).id == open_one.id  # resumed
    submit_attempt(open_one, open_one.version)
    assert attempts_left(republished, learner.id) == 0
    assert [a.number for a in attempts_of(republished, learner.id)] == [1, 2]
    assert quiz_grade(republished, learner.id) == 50.0
    with pytest.raises(AttemptRefused):
        start_or_resume(republished, learner.id)
    # New questions: a quiz to take afresh.
    _c, _i, changed = publish_quiz(TWO_TRUE_FALSE + "\n::c::第三题。{F}\n", attempts=2)
    assert attempts_left(changed, learner.id) == 2 and quiz_grade(changed, learner.id) is None
    assert start_or_resume(changed, learner.id).number == 1


def test_open_and_close_window(db, clock, learner):
    opens, closes = START + timedelta(hours=1), START + timedelta(hours=2)
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, open_at=opens.isoformat(),
                                close_at=closes.isoformat())
    with pytest.raises(AttemptRefused) as refused:
        start_or_resume(quiz, learner.id)
    assert refused.value.reason_code == "not_open"
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 0
    clock.advance(hours=1)
    attempt = start_or_resume(quiz, learner.id)
    assert attempt.deadline_at == closes
    submit_attempt(attempt, attempt.version)
    clock.advance(hours=1)
    with pytest.raises(AttemptRefused) as refused:
        start_or_resume(quiz, learner.id)
    assert refused.value.reason_code == "closed"


@pytest.mark.parametrize("method, expected", [("highest", 100.0), ("last", 50.0),
                                              ("average", 50.0)])
def test_grading_methods(db, clock, learner, method, expected):
    _c, _i, quiz = publish_quiz(TWO_TRUE_FALSE, grading=method)
    assert quiz_grade(quiz, learner.id) is None
    for answers in ({"a": {"value": True}, "b": {"value": True}},   # 100 %
                    {"a": {"value": False}},                         # 0 %
                    {"a": {"value": True}, "b": {"value": False}}):  # 50 %
        attempt = start_or_resume(quiz, learner.id)
        answer(attempt, answers)
        submit_attempt(attempt, attempt.version)
    start_or_resume(quiz, learner.id)  # an open attempt does not count
    assert quiz_grade(quiz, learner.id) == expected


# --------------------------------------------------------------------------- essays, completion

def test_passing_the_course_quiz_completes_the_item(db, clock, make_course, learner):
    course = make_course(quiz=True)
    item = next(i for i in course.published_revision.items if i.key == "quiz")
    quiz = quiz_for_item(item)
    for lesson in course.published_revision.items[:2]:
        complete_item(learner.id, lesson, "viewed")
    failed = start_or_resume(quiz, learner.id)
    save_response(failed, 1, {"value": False})
    submit_attempt(failed, failed.version)
    assert failed.passed is False
    assert course_progress(learner.id, course).state_of(item).state == OPEN
    passed = start_or_resume(quiz, learner.id)
    save_response(passed, 1, {"value": True})
    submit_attempt(passed, passed.version)
    progress = course_progress(learner.id, course)
    assert passed.passed and progress.state_of(item).state == DONE and progress.is_complete


ESSAYS = "::tf::判断。{T}\n\n::e1::第一篇。{}\n\n::e2::第二篇。{}\n"


def test_essays_wait_for_a_trainer_then_the_item_completes(db, clock, learner, create_user):
    trainer = create_user("trainer1", roles=("trainer",))
    course, item, quiz = publish_quiz(ESSAYS)
    attempt = start_or_resume(quiz, learner.id)
    answer(attempt, {"tf": {"value": True}, "e1": {"text": "一"}, "e2": {"text": "二"}})
    submit_attempt(attempt, attempt.version)
    assert attempt.state == "needs_grading" and attempt.score is None and attempt.passed is None
    assert course_progress(learner.id, course).state_of(item).state == OPEN
    e1, e2 = attempt.responses[1], attempt.responses[2]
    assert e1.needs_grading and e2.needs_grading
    grade_essay(e1, 1.0, "很好", trainer)
    assert attempt.state == "needs_grading"
    assert course_progress(learner.id, course).state_of(item).state == OPEN
    grade_essay(e2, 0.5, "一般", trainer)
    assert attempt.state == "graded" and attempt.score == 2.5 and attempt.passed
    assert course_progress(learner.id, course).state_of(item).state == DONE
    history = db.session.execute(select(
        GradeChange.reason, GradeChange.position, GradeChange.old_score, GradeChange.new_score,
        GradeChange.changed_by_id).where(GradeChange.attempt_id == attempt.id)
        .order_by(GradeChange.id)).all()
    assert [row[:4] for row in history] == [("graded", None, None, None),
                                            ("essay", 2, None, None), ("essay", 3, None, 2.5)]
    assert history[-1][4] == trainer.id
    # A changed essay grade is kept in the history too.
    grade_essay(e2, 0.0, "重新评分", trainer)
    assert attempt.score == 2.0
    with pytest.raises(ValueError):
        grade_essay(e2, 1.5, "", trainer)
    with pytest.raises(ValueError):
        grade_essay(attempt.responses[0], 1.0, "", trainer)


def test_an_unanswered_essay_scores_zero_without_a_trainer(db, clock, learner):
    _c, _i, quiz = publish_quiz(ESSAYS)
    attempt = start_or_resume(quiz, learner.id)
    answer(attempt, {"tf": {"value": True}, "e1": {"text": "  "}})
    submit_attempt(attempt, attempt.version)
    assert attempt.state == "graded" and attempt.score == 1.0


# --------------------------------------------------------------------------- regrading

def test_correcting_a_question_regrades_with_history(db, clock, learner, create_user):
    trainer = create_user("trainer1", roles=("trainer",))
    course, item, quiz = publish_quiz("::key::这一题的答案标错了。{T}\n")
    attempt = start_or_resume(quiz, learner.id)
    save_response(attempt, 1, {"value": False})
    submit_attempt(attempt, attempt.version)
    assert attempt.score == 0.0 and not attempt.passed
    assert regrade_attempts(quiz, trainer) == 0  # nothing changed yet
    question = db.session.scalar(select(Question).where(Question.title == "key"))
    old_version = question.current_version_id
    (fixed,) = parse_gift("::key::这一题的答案标错了。{F}\n")
    assert correct_question(question, version_fields(fixed), trainer) == 1
    assert attempt.responses[0].version_id == question.current_version_id != old_version
    assert attempt.layout[0]["version_id"] == question.current_version_id
    assert attempt.score == 1.0 and attempt.passed
    assert course_progress(learner.id, course).state_of(item).state == DONE
    history = db.session.execute(select(
        GradeChange.reason, GradeChange.old_score, GradeChange.new_score, GradeChange.changed_by_id)
        .where(GradeChange.attempt_id == attempt.id).order_by(GradeChange.id)).all()
    assert history == [("graded", None, 0.0, None), ("regrade", 0.0, 1.0, trainer.id)]


def test_a_correction_that_changes_the_options_keeps_old_attempts(db, clock, learner):
    _c, _i, quiz = publish_quiz("::c::选哪个?{=甲 ~乙}\n")
    attempt = start_or_resume(quiz, learner.id)
    save_response(attempt, 1, {"choice": "c2"})
    submit_attempt(attempt, attempt.version)
    question = db.session.scalar(select(Question).where(Question.title == "c"))
    used = attempt.responses[0].version_id
    (changed,) = parse_gift("::c::选哪个?{~甲 =乙 ~丙}\n")
    assert correct_question(question, version_fields(changed)) == 0
    assert attempt.responses[0].version_id == used and attempt.score == 0.0
    (fixed,) = parse_gift("::c::选哪个?{~甲 =乙}\n")
    assert correct_question(question, version_fields(fixed)) == 0  # v2 was never used
    # Regrading against the versions used is what regrade_attempts does.
    assert regrade_attempts(quiz) == 0


# --------------------------------------------------------------------------- reviews

@pytest.mark.parametrize("review, shows_answers, shows_feedback", [
    ("score", False, False), ("answers", True, False), ("feedback", True, True)])
def test_review_levels(db, clock, learner, create_user, review, shows_answers,
                       shows_feedback):
    _c, _i, quiz = publish_quiz(ALL_KINDS, review=review)
    attempt = start_or_resume(quiz, learner.id)
    assert review_of(attempt, viewer_is_trainer=False) is None
    answer(attempt, {**RIGHT, "sc": {"choice": "c2"}})
    submit_attempt(attempt, attempt.version)
    waiting = review_of(attempt, viewer_is_trainer=False)
    # The objective questions are graded; the essay is pending.
    assert waiting.show == review and waiting.state == "needs_grading"
    assert waiting.score is None and waiting.passed is None
    assert ("FB-SC-WRONG" in str([q.__dict__ for q in waiting.questions])) == shows_feedback
    if shows_answers:
        assert waiting.questions[6].outcome == "pending"
    grade_essay(attempt.responses[6], 1.0, "GRADER-NOTE", create_user("trainer1"))
    shown = review_of(attempt, viewer_is_trainer=False)
    assert shown.show == review and shown.state == "graded" and shown.score == 6.0
    assert bool(shown.questions) == shows_answers
    text = str([q.__dict__ for q in shown.questions])
    for secret in ("FB-SC-WRONG", "GF-SC", "SECRET-ANSWER", "GRADER-NOTE"):
        assert (secret in text) == shows_feedback, secret
    if shows_answers:
        sc = shown.questions[0]
        assert [c.chosen for c in sc.choices if c.id == "c2"] == [True]
        assert sc.outcome == "wrong" and sc.awarded == 0.0
        assert shown.questions[6].outcome == "correct"
        assert shown.questions[7].outcome is None and shown.questions[7].number is None
    trainer_view = review_of(attempt, viewer_is_trainer=True)
    assert trainer_view.show == "feedback" and "FB-SC-WRONG" in str(trainer_view.questions)
    assert trainer_view.questions[0].seconds == 0


def test_review_after_close_shows_only_the_score_until_the_quiz_closes(db, clock, learner):
    closes = START + timedelta(hours=1)
    _c, _i, quiz = publish_quiz(ALL_KINDS, review_when="after_close",
                                close_at=closes.isoformat())
    attempt = start_or_resume(quiz, learner.id)
    answer(attempt, {**RIGHT, "essay": None})  # an unanswered essay: graded at once
    submit_attempt(attempt, attempt.version)
    assert attempt.state == "graded"
    assert review_of(attempt, viewer_is_trainer=False).show == "score"
    assert review_of(attempt, viewer_is_trainer=False).questions == []
    clock.advance(hours=1)
    later = review_of(attempt, viewer_is_trainer=False)
    assert later.show == "feedback" and later.questions[3].right_answers == ["SECRET-ANSWER"]


# --------------------------------------------------------------------------- restart

@pytest.mark.own_database
def test_resume_after_a_server_restart(fresh_database_url, tmp_path, monkeypatch):
    url = fresh_database_url("quiz_restart")
    clock = FakeClock()
    monkeypatch.setattr("lms.assessment.clock.now", clock)
    first = create_app(make_test_config(url), instance_path=str(tmp_path / "first"))
    with first.app_context():
        upgrade()
        user = accounts.create_user(accounts.UserFields(
            username="restart", display_name="重启", email="restart@example.com",
            role_names=["learner"]))
        _c, _i, quiz = publish_quiz(ALL_KINDS, time_limit=30)
        attempt = start_or_resume(quiz, user.id)
        clock.advance(minutes=5)
        answer(attempt, {"sc": RIGHT["sc"], "sa": RIGHT["sa"]})
        _db.session.commit()
        before = [(q.position, q.text, q.choices, q.match_answers, q.response)
                  for q in learner_questions(attempt)]
        ids = (quiz.id, user.id, attempt.id)
        _db.session.remove()
        _db.engine.dispose()
    clock.advance(minutes=7)
    second = create_app(make_test_config(url), instance_path=str(tmp_path / "second"))
    with second.app_context():
        quiz = _db.session.get(Quiz, ids[0])
        resumed = start_or_resume(quiz, ids[1])
        assert resumed.id == ids[2] and resumed.state == "in_progress"
        assert seconds_left(resumed) == 18 * 60
        after = [(q.position, q.text, q.choices, q.match_answers, q.response)
                 for q in learner_questions(resumed)]
        assert after == before
        first = learner_questions(resumed)[0]
        assert first.keys.stored(after[0][4]) == {"choice": "c1"}
        assert after[3][4] == {"text": "ｓｅｃｒｅｔ-answer "}
        submit_attempt(resumed, resumed.version)
        assert resumed.state == "graded" and resumed.score == 2.0  # sc and sa were right
        _db.session.remove()
        _db.engine.dispose()
