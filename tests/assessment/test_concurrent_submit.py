"""Several requests submitting the same attempt at once (two tabs, a double click, a retry):
exactly one grades it. Each thread has its own app context and so its own session and
connection, as concurrent requests do. Runs on SQLite (writers queue on the database lock)
and on PostgreSQL (the guarded UPDATE's row lock decides) when LMS_TEST_DATABASE_URL names it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from lms import create_app
from lms.accounts import services as accounts
from lms.assessment.attempts import (
    AttemptClosed,
    StaleAttempt,
    save_response,
    start_or_resume,
    submit_attempt,
)
from lms.assessment.models import GradeChange, Quiz, QuizAttempt
from lms.catalog.models import ItemCompletion
from lms.extensions import db
from tests.assessment.test_quizzes import publish_quiz
from tests.conftest import make_test_config

pytestmark = pytest.mark.own_database
THREADS = 8


@pytest.fixture
def quiz_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url("quiz_submit")),
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def open_attempt(app) -> tuple[int, int]:
    """A learner's attempt with a right answer saved; returns (attempt id, version token)."""
    with app.app_context():
        user = accounts.create_user(accounts.UserFields(
            username="tabs", display_name="两个标签页", email="tabs@example.com",
            role_names=["learner"]))
        _course, _item, quiz = publish_quiz("::q::ERP 是企业资源计划。{T}\n")
        attempt = start_or_resume(quiz, user.id)
        save_response(attempt, 1, {"value": True})
        db.session.commit()
        result = attempt.id, attempt.version
        db.session.remove()
        return result


def submit_concurrently(app, attempt_id: int, tokens: list[int]) -> list[str]:
    start = threading.Barrier(len(tokens))

    def submit(token: int) -> str:
        start.wait()
        with app.app_context():
            try:
                attempt = db.session.get(QuizAttempt, attempt_id)
                submit_attempt(attempt, token)
                db.session.commit()
                return "graded"
            except AttemptClosed:
                db.session.rollback()
                return "closed"
            except StaleAttempt:
                db.session.rollback()
                return "stale"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(submit, tokens))


def test_concurrent_submissions_grade_the_attempt_once(quiz_app):
    attempt_id, token = open_attempt(quiz_app)
    outcomes = submit_concurrently(quiz_app, attempt_id, [token] * THREADS)
    assert sorted(outcomes) == ["closed"] * (THREADS - 1) + ["graded"]
    with quiz_app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.state == "graded" and attempt.score == 1.0 and attempt.passed
        assert attempt.version == token + 1
        assert db.session.scalar(select(func.count()).select_from(GradeChange)) == 1
        assert db.session.scalar(select(func.count()).select_from(ItemCompletion)) == 1
        db.session.remove()


def test_two_tabs_starting_at_once_share_one_attempt(quiz_app):
    with quiz_app.app_context():
        user = accounts.create_user(accounts.UserFields(
            username="starter", display_name="同时开始", email="starter@example.com",
            role_names=["learner"]))
        _course, _item, quiz = publish_quiz("::q::ERP 是企业资源计划。{T}\n")
        db.session.commit()
        ids = quiz.id, user.id
        db.session.remove()
    start = threading.Barrier(THREADS)

    def begin(_n: int) -> int:
        start.wait()
        with quiz_app.app_context():
            try:
                attempt = start_or_resume(db.session.get(Quiz, ids[0]), ids[1])
                db.session.commit()
                return attempt.id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        started = list(pool.map(begin, range(THREADS)))
    assert len(set(started)) == 1
    with quiz_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
        db.session.remove()


def test_stale_pages_lose_against_the_current_one(quiz_app):
    attempt_id, token = open_attempt(quiz_app)
    tokens = [token - 1] * (THREADS - 2) + [token, token]
    outcomes = submit_concurrently(quiz_app, attempt_id, tokens)
    assert outcomes.count("graded") == 1
    assert set(outcomes) <= {"graded", "closed", "stale"}
    with quiz_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(GradeChange)) == 1
        db.session.remove()
