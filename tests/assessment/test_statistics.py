"""Item statistics on a small synthetic class whose facility and discrimination are known.

Ten learners answer five questions (1 = right). Ranked by total, the upper 27 % (3 people)
are L1-L3 and the lower 27 % are L8-L10:

          q1 q2 q3 q4 q5   total
    L1-3   1  1  0  1  1     4
    L4     1  1  0  1  0     3
    L5     1  0  1  1  0     3
    L6     1  0  1  0  0     2
    L7     1  1  0  0  0     2
    L8-9   0  0  1  0  0     1
    L10    1  0  0  0  0     1

facility: q1 80 %, q2 50 %, q3 40 %, q4 50 %, q5 30 %;
discrimination ((right in upper - right in lower) / 3): q1 (3-1)/3, q2 1, q3 (0-2)/3, q4 1,
q5 1.
"""

from __future__ import annotations

import pytest

from lms.assessment.attempts import save_response, start_or_resume, submit_attempt
from lms.assessment.statistics import item_statistics
from tests.assessment.test_quizzes import FakeClock, publish_quiz

GIFT = """
::q1::第一题。{T}

::q2::第二题。{T}

::q3::第三题。{T}

::q4::第四题。{T}

::q5::第五题。{=对 ~错甲 ~错乙}

::note::说明,不计分。
"""
PATTERNS = ["11011", "11011", "11011", "11010", "10110", "10100", "11000", "00100", "00100",
            "10000"]
# Wrong answers to q5 (a choice question): who picked which wrong option.
WRONG_CHOICE = {3: "c2", 4: "c2", 5: "c3", 6: "c2", 7: "c3", 8: "c3", 9: "c2"}


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr("lms.assessment.clock.now", fake)
    return fake


def take(quiz, user, pattern: str, clock, wrong_choice: str = "c2", seconds: int = 30):
    attempt = start_or_resume(quiz, user.id)
    clock.advance(minutes=10)
    for position, right in enumerate(pattern[:4], start=1):
        save_response(attempt, position, {"value": right == "1"}, seconds=seconds)
    save_response(attempt, 5, {"choice": "c1" if pattern[4] == "1" else wrong_choice},
                  seconds=seconds)
    submit_attempt(attempt, attempt.version)
    return attempt


@pytest.fixture
def class_of_ten(db, clock, create_user):
    _c, _i, quiz = publish_quiz(GIFT)
    for number, pattern in enumerate(PATTERNS):
        take(quiz, create_user(f"stat{number}", password=None), pattern, clock,
             WRONG_CHOICE.get(number, "c2"), seconds=10 * (number + 1))
    return quiz


def by_title(quiz):
    return {s.title: s for s in item_statistics(quiz)}


def test_facility_and_discrimination(class_of_ten):
    stats = by_title(class_of_ten)
    assert list(stats) == ["q1", "q2", "q3", "q4", "q5"]  # the description has none
    assert {t: s.facility for t, s in stats.items()} == {
        "q1": 80.0, "q2": 50.0, "q3": 40.0, "q4": 50.0, "q5": 30.0}
    assert {t: s.discrimination for t, s in stats.items()} == {
        "q1": pytest.approx(2 / 3, abs=1e-4), "q2": 1.0, "q3": pytest.approx(-2 / 3, abs=1e-4),
        "q4": 1.0, "q5": 1.0}
    assert all(s.responses == 10 and s.graded == 10 and s.unanswered == 0
               for s in stats.values())


def test_answer_distribution_and_time(class_of_ten):
    stats = by_title(class_of_ten)
    q5 = [(a.key, a.label, a.count, a.fraction) for a in stats["q5"].distribution]
    assert q5 == [("c1", "对", 3, 100.0), ("c2", "错甲", 4, 0.0), ("c3", "错乙", 3, 0.0)]
    q3 = [(a.key, a.count, a.fraction) for a in stats["q3"].distribution]
    assert q3 == [("true", 4, 100.0), ("false", 6, 0.0)]
    # Learner n spent 10 * (n + 1) seconds on every question: the mean is 55.
    assert stats["q1"].average_seconds == 55.0
    assert stats["q1"].positions == [1] and stats["q5"].kind == "single_choice"


def test_only_first_attempts_rank_learners(class_of_ten, create_user, clock, db):
    from lms.accounts.services import find_user

    # L8 tries again and gets everything right: facility counts every graded response,
    # discrimination still ranks by first attempts.
    take(class_of_ten, find_user("stat7"), "11111", clock)
    stats = by_title(class_of_ten)
    assert stats["q2"].facility == pytest.approx(100 * 6 / 11, abs=0.01)
    assert stats["q2"].discrimination == 1.0 and stats["q2"].responses == 11


def test_few_attempts_give_no_discrimination(db, clock, create_user):
    _c, _i, quiz = publish_quiz(GIFT)
    for number, pattern in enumerate(PATTERNS[:4]):
        take(quiz, create_user(f"few{number}", password=None), pattern, clock)
    stats = by_title(quiz)
    assert stats["q1"].facility == 100.0 and stats["q1"].discrimination is None


def test_free_text_distribution(db, clock, create_user):
    _c, _i, quiz = publish_quiz("::sa::物料编码?{=ABC123}\n\n::n::数值?{#10:1}\n")
    for number, (text, value) in enumerate([("ABC123", "10"), ("ＡＢＣ１２３", "１０"),
                                            (" abc123 ", "10.0"), ("xyz", "x")]):
        attempt = start_or_resume(quiz, create_user(f"free{number}", password=None).id)
        save_response(attempt, 1, {"text": text})
        save_response(attempt, 2, {"value": value})
        submit_attempt(attempt, attempt.version)
    stats = by_title(quiz)
    assert [(a.key, a.count) for a in stats["sa"].distribution] == [("abc123", 3), ("xyz", 1)]
    assert [(a.key, a.count) for a in stats["n"].distribution] == [("10", 3), ("x", 1)]
    assert stats["sa"].facility == 75.0 and stats["sa"].average_seconds == 0.0
