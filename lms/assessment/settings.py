"""A quiz's settings: what course.yml (and the item editor) may say, checked and read.

Settings live in the quiz item's ``settings`` under the course.yml names (``QUIZ_SETTING_KEYS``),
as JSON-safe values (times as ISO 8601 strings, see ``stored_quiz_settings``):

```yaml
pass_mark: 60            # percent needed to pass (0-100)
attempts: 2              # attempts allowed, 0 = unlimited
grading: highest         # the quiz grade from several attempts: highest / last / average
time_limit: 20           # minutes per attempt (none or 0: no limit)
open_at: 2026-12-01 09:00        # no attempt starts before; a time without an offset is
close_at: 2026-12-15 18:00       #   in the company's time zone (DEFAULT_TIMEZONE)
shuffle: true            # shuffle the choices of choice questions
review: feedback         # after submitting learners see: score / answers / feedback
review_when: immediately # or after_close (needs close_at): details only once the quiz closed
layout: all              # all questions on one page, or one_per_page
draw:                    # random questions, besides the fixed ones of the GIFT file
  - {category: "sales-quiz/题库", count: 3}          # from this course's bank
  - {bank: erp-basics, category: "basics-quiz", count: 2}
```

``validate_quiz_settings`` gives English reasons for files and logs; ``quiz_settings`` reads a
dict that passed validation (an invalid value falls back to its default, so a learner's page
never breaks on a setting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

GRACE_SECONDS = 30  # answers saved this long after the deadline still count (network, clocks)

GRADING_METHODS = ("highest", "last", "average")
REVIEW_SHOW = ("score", "answers", "feedback")
REVIEW_WHEN = ("immediately", "after_close")
LAYOUTS = ("all", "one_per_page")
QUIZ_SETTING_KEYS = ("pass_mark", "attempts", "grading", "time_limit", "open_at", "close_at",
                     "shuffle", "review", "review_when", "layout", "draw")
DRAW_KEYS = ("bank", "category", "count")
MAX_ATTEMPTS = 100
MAX_TIME_LIMIT = 24 * 60
MAX_DRAW = 200

# Labels for the settings form and the quiz page.
GRADING_LABELS = {
    "highest": _l("Highest grade"),
    "last": _l("Last attempt"),
    "average": _l("Average of all attempts"),
}
REVIEW_SHOW_LABELS = {
    "score": _l("Score only"),
    "answers": _l("Score and the learner's answers"),
    "feedback": _l("Answers, correct answers and feedback"),
}
REVIEW_WHEN_LABELS = {
    "immediately": _l("Immediately after the attempt"),
    "after_close": _l("After the quiz closes"),
}
LAYOUT_LABELS = {
    "all": _l("All questions on one page"),
    "one_per_page": _l("One question per page"),
}


@dataclass
class QuizSettings:
    pass_mark: float = 60
    attempts_allowed: int = 0  # 0 = unlimited
    grading: str = "highest"
    time_limit_minutes: int | None = None
    open_at: datetime | None = None
    close_at: datetime | None = None
    shuffle_answers: bool = True
    review_show: str = "feedback"
    review_when: str = "immediately"
    layout: str = "all"
    # [{"bank": name or None (= the course's own bank), "category": name, "count": n}]
    draws: list[dict] = field(default_factory=list)


def validate_quiz_settings(settings: dict) -> list[str]:
    """Reasons the settings are not valid (empty when they are), in English."""
    errors = [f"unknown quiz setting {key!r}" for key in sorted(set(settings) -
                                                                set(QUIZ_SETTING_KEYS))]
    pass_mark = settings.get("pass_mark", 60)
    if not _is_number(pass_mark) or not 0 <= pass_mark <= 100:
        errors.append("pass_mark must be a number from 0 to 100")
    attempts = settings.get("attempts", 0)
    if not _is_int(attempts) or not 0 <= attempts <= MAX_ATTEMPTS:
        errors.append(f"attempts must be a whole number from 0 (unlimited) to {MAX_ATTEMPTS}")
    time_limit = settings.get("time_limit")
    if time_limit is not None and (not _is_int(time_limit)
                                   or not 0 <= time_limit <= MAX_TIME_LIMIT):
        errors.append(f"time_limit must be a whole number of minutes from 0 (none) to "
                      f"{MAX_TIME_LIMIT}")
    for key, allowed in (("grading", GRADING_METHODS), ("review", REVIEW_SHOW),
                         ("review_when", REVIEW_WHEN), ("layout", LAYOUTS)):
        if key in settings and settings[key] not in allowed:
            errors.append(f"{key} must be one of {', '.join(allowed)}")
    if "shuffle" in settings and not isinstance(settings["shuffle"], bool):
        errors.append("shuffle must be true or false")
    times = {}
    for key in ("open_at", "close_at"):
        if settings.get(key) is None:
            continue
        try:
            times[key] = parse_time(settings[key], "UTC")
        except ValueError:
            errors.append(f"{key} must be a date and time such as 2026-12-01 09:00")
    if len(times) == 2 and times["close_at"] <= times["open_at"]:
        errors.append("close_at must be later than open_at")
    if settings.get("review_when") == "after_close" and settings.get("close_at") is None:
        errors.append("review_when: after_close needs a close_at time")
    errors.extend(_draw_errors(settings.get("draw", [])))
    return errors


def _draw_errors(draws) -> list[str]:
    if not isinstance(draws, list):
        return ["draw must be a list of {category, count} entries"]
    errors = []
    for number, draw in enumerate(draws, start=1):
        if not isinstance(draw, dict):
            errors.append(f"draw {number} must be a mapping with category and count")
            continue
        errors.extend(f"draw {number}: unknown key {key!r}"
                      for key in sorted(set(draw) - set(DRAW_KEYS)))
        if not isinstance(draw.get("category"), str) or not draw["category"].strip():
            errors.append(f"draw {number} needs a category")
        if "bank" in draw and (not isinstance(draw["bank"], str) or not draw["bank"].strip()):
            errors.append(f"draw {number}: bank must be a bank name")
        count = draw.get("count")
        if not _is_int(count) or not 1 <= count <= MAX_DRAW:
            errors.append(f"draw {number}: count must be a whole number from 1 to {MAX_DRAW}")
    return errors


def quiz_settings(settings: dict, zone: str | None = None) -> QuizSettings:
    """The settings of a quiz from its stored dict; invalid values fall back to defaults.

    Times without an offset are read in ``zone`` (by default the company's time zone).
    """
    zone = zone or _default_zone()
    result = QuizSettings()
    if _is_number(settings.get("pass_mark")) and 0 <= settings["pass_mark"] <= 100:
        result.pass_mark = settings["pass_mark"]
    if _is_int(settings.get("attempts")) and 0 <= settings["attempts"] <= MAX_ATTEMPTS:
        result.attempts_allowed = settings["attempts"]
    if _is_int(settings.get("time_limit")) and 0 < settings["time_limit"] <= MAX_TIME_LIMIT:
        result.time_limit_minutes = settings["time_limit"]
    for key, attribute, allowed in (("grading", "grading", GRADING_METHODS),
                                    ("review", "review_show", REVIEW_SHOW),
                                    ("review_when", "review_when", REVIEW_WHEN),
                                    ("layout", "layout", LAYOUTS)):
        if settings.get(key) in allowed:
            setattr(result, attribute, settings[key])
    if isinstance(settings.get("shuffle"), bool):
        result.shuffle_answers = settings["shuffle"]
    for key in ("open_at", "close_at"):
        if settings.get(key) is not None:
            try:
                setattr(result, key, parse_time(settings[key], zone))
            except ValueError:
                pass
    if isinstance(settings.get("draw"), list) and not _draw_errors(settings["draw"]):
        result.draws = [{"bank": (d.get("bank") or "").strip() or None,
                         "category": d["category"].strip(), "count": d["count"]}
                        for d in settings["draw"]]
    return result


def stored_quiz_settings(settings: dict) -> dict:
    """``settings`` with values JSON can store: dates and times become ISO 8601 strings.

    YAML reads ``2026-12-01 09:00:00`` as a datetime, which a JSON column cannot hold; the
    string keeps what the author wrote (a time without an offset stays in company time).
    """
    stored = {}
    for key, value in settings.items():
        if isinstance(value, datetime):
            value = value.isoformat(sep=" ")
        elif isinstance(value, date):
            value = value.isoformat()
        stored[key] = value
    return stored


def settings_from_course_yml(item_data: dict) -> dict:
    """The quiz settings of an item mapping read from course.yml, ready to store.

    Takes the ``QUIZ_SETTING_KEYS`` present, drops bookkeeping keys a loader may have added
    to nested mappings (``__line__``), and makes times JSON-safe. Validate the result with
    ``validate_quiz_settings``.
    """
    return stored_quiz_settings({key: _without_bookkeeping(item_data[key])
                                 for key in QUIZ_SETTING_KEYS if key in item_data})


def _without_bookkeeping(value):
    if isinstance(value, dict):
        return {k: _without_bookkeeping(v) for k, v in value.items()
                if not (isinstance(k, str) and k.startswith("__"))}
    if isinstance(value, list):
        return [_without_bookkeeping(v) for v in value]
    return value


def item_settings(quiz: QuizSettings) -> dict:
    """The course.yml form of ``quiz`` (for the settings form and export), defaults left out."""
    default = QuizSettings()
    names = {"pass_mark": "pass_mark", "attempts_allowed": "attempts", "grading": "grading",
             "time_limit_minutes": "time_limit", "shuffle_answers": "shuffle",
             "review_show": "review", "review_when": "review_when", "layout": "layout"}
    result: dict = {"pass_mark": quiz.pass_mark}
    for attribute, key in names.items():
        if getattr(quiz, attribute) != getattr(default, attribute):
            result[key] = getattr(quiz, attribute)
    for key in ("open_at", "close_at"):
        if getattr(quiz, key) is not None:
            result[key] = getattr(quiz, key).isoformat(sep=" ")
    if quiz.draws:
        result["draw"] = [{k: v for k, v in d.items() if v is not None} for d in quiz.draws]
    return result


def parse_time(value, zone: str) -> datetime:
    """An aware UTC datetime from a datetime, a date (midnight) or an ISO 8601 string.

    Raises ValueError for anything else. Values without an offset are in ``zone``.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"not a time: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(zone))
    return moment.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _default_zone() -> str:
    if has_app_context():
        return current_app.config.get("DEFAULT_TIMEZONE") or "UTC"
    return "UTC"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
