"""Quiz settings as course.yml writes them: defaults, validation reasons, times, round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml

from lms.assessment.settings import (
    QUIZ_SETTING_KEYS,
    QuizSettings,
    item_settings,
    quiz_settings,
    settings_from_course_yml,
    stored_quiz_settings,
    validate_quiz_settings,
)

FULL = """
pass_mark: 80
attempts: 2
grading: average
time_limit: 20
open_at: 2026-12-01 09:00
close_at: 2026-12-15 18:00:00+08:00
shuffle: false
review: answers
review_when: after_close
layout: one_per_page
draw:
  - {category: "sales-quiz/题库", count: 3}
  - {bank: erp-basics, category: basics-quiz, count: 2}
"""


def test_defaults():
    assert quiz_settings({}) == QuizSettings()
    assert QuizSettings().pass_mark == 60 and QuizSettings().attempts_allowed == 0
    assert QuizSettings().grading == "highest" and QuizSettings().review_show == "feedback"
    assert validate_quiz_settings({}) == []


def test_every_setting_from_course_yml(app):
    data = yaml.safe_load(FULL)
    assert set(data) == set(QUIZ_SETTING_KEYS)
    assert validate_quiz_settings(data) == []
    stored = stored_quiz_settings(data)
    assert stored["close_at"] == "2026-12-15 18:00:00+08:00"  # JSON-safe
    with app.app_context():  # company time zone: Asia/Shanghai
        settings = quiz_settings(stored)
    assert settings == QuizSettings(
        pass_mark=80, attempts_allowed=2, grading="average", time_limit_minutes=20,
        open_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        close_at=datetime(2026, 12, 15, 10, 0, tzinfo=UTC), shuffle_answers=False,
        review_show="answers", review_when="after_close", layout="one_per_page",
        draws=[{"bank": None, "category": "sales-quiz/题库", "count": 3},
               {"bank": "erp-basics", "category": "basics-quiz", "count": 2}])
    assert settings.open_at.utcoffset() == timedelta(0)


def test_times_without_offset_use_the_given_zone():
    settings = quiz_settings({"open_at": "2026-12-01 09:00"}, zone="Europe/Berlin")
    assert settings.open_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    aware = quiz_settings({"open_at": datetime(2026, 12, 1, 9, 0,
                                               tzinfo=timezone(timedelta(hours=8)))})
    assert aware.open_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("settings, reason", [
    ({"pass_mark": 120}, "pass_mark must be a number from 0 to 100"),
    ({"pass_mark": True}, "pass_mark must be a number from 0 to 100"),
    ({"attempts": -1}, "attempts must be a whole number from 0 (unlimited) to 100"),
    ({"attempts": 1.5}, "attempts must be a whole number from 0 (unlimited) to 100"),
    ({"time_limit": "20m"}, "time_limit must be a whole number of minutes from 0 (none) to 1440"),
    ({"grading": "best"}, "grading must be one of highest, last, average"),
    ({"review": "all"}, "review must be one of score, answers, feedback"),
    ({"review_when": "later"}, "review_when must be one of immediately, after_close"),
    ({"layout": "pages"}, "layout must be one of all, one_per_page"),
    ({"shuffle": "yes"}, "shuffle must be true or false"),
    ({"open_at": "next monday"}, "open_at must be a date and time such as 2026-12-01 09:00"),
    ({"open_at": "2026-12-02 09:00", "close_at": "2026-12-01 09:00"},
     "close_at must be later than open_at"),
    ({"review_when": "after_close"}, "review_when: after_close needs a close_at time"),
    ({"draw": {"category": "x"}}, "draw must be a list of {category, count} entries"),
    ({"draw": [{"count": 2}]}, "draw 1 needs a category"),
    ({"draw": [{"category": "x", "count": 0}]}, "draw 1: count must be a whole number from 1 "
                                                "to 200"),
    ({"draw": [{"category": "x", "count": 1, "random": True}]}, "draw 1: unknown key 'random'"),
    ({"passmark": 60}, "unknown quiz setting 'passmark'"),
])
def test_validation_reasons(settings, reason):
    assert reason in validate_quiz_settings(settings)


def test_invalid_values_fall_back_to_defaults_when_read():
    settings = quiz_settings({"pass_mark": 300, "grading": "best", "time_limit": 0,
                              "open_at": "soon", "draw": [{"count": 1}]})
    assert settings == QuizSettings()


def test_item_settings_round_trip():
    original = QuizSettings(pass_mark=75, attempts_allowed=3, grading="last",
                            time_limit_minutes=15,
                            close_at=datetime(2026, 12, 15, 10, 0, tzinfo=UTC),
                            review_show="score", layout="one_per_page",
                            draws=[{"bank": None, "category": "池", "count": 2}])
    written = item_settings(original)
    assert written == {"pass_mark": 75, "attempts": 3, "grading": "last", "time_limit": 15,
                       "review": "score", "layout": "one_per_page",
                       "close_at": "2026-12-15 10:00:00+00:00",
                       "draw": [{"category": "池", "count": 2}]}
    assert validate_quiz_settings(written) == []
    assert quiz_settings(written) == original


class LineLoader(yaml.SafeLoader):
    """Like the catalog's course.yml loader: every mapping remembers its line."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def test_settings_from_a_course_yml_item():
    item = yaml.load(f"key: quiz\nkind: quiz\nsource: quiz.gift\n{FULL}", Loader=LineLoader)
    settings = settings_from_course_yml(item)
    assert set(settings) == set(QUIZ_SETTING_KEYS)
    assert settings["draw"][0] == {"category": "sales-quiz/题库", "count": 3}
    assert settings["close_at"] == "2026-12-15 18:00:00+08:00"
    assert validate_quiz_settings(settings) == []
    assert json.loads(json.dumps(settings)) == settings
