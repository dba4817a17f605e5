"""Item kinds: what each kind of course item needs and how it is completed.

One class per kind in a registry (the CTFd plugin pattern), so the file loader, the web editor
and the learner's pages ask the kind instead of branching on strings. Quizzes, exercises and
surveys get their own engines in their packages; here they declare what a valid item is.
"""

from __future__ import annotations

import re

import yaml
from flask_babel import lazy_gettext as _l

from lms.assessment.gift import GiftError, parse_gift
from lms.assessment.rules import question_problems
from lms.assessment.settings import validate_quiz_settings

LEVEL_LABELS = {
    "management": _l("Management"),
    "operations": _l("Operations"),
    "it_support": _l("IT support"),
}
URL_PATTERN = re.compile(r"^(https?://\S+|manual:[\w.-]+(#\S*)?)$")


class ItemKind:
    name = ""
    label = _l("Item")
    # How a learner completes an item of this kind, for the outline and the editor.
    completion_rule = _l("Opened")
    needs_body = True
    # The language of the body, for the editor's help and preview (None: no body).
    body_format: str | None = "markdown"
    # Lessons and resources complete from the item page itself; the others from their engines.
    completes_on_page = False

    def validate(self, body: str, url: str | None, settings: dict) -> list[str]:
        """Reasons the item is not valid (empty when it is), in English for files and logs."""
        if self.needs_body and not body.strip():
            return ["the item has no content"]
        return self.content_errors(body, url, settings)

    def content_errors(self, body: str, url: str | None, settings: dict) -> list[str]:
        """What is wrong with the content, once there is some; kinds with a format say."""
        return []


class LessonKind(ItemKind):
    name = "lesson"
    label = _l("Lesson")
    completion_rule = _l("Read to the end or marked as done")
    completes_on_page = True


class QuizKind(ItemKind):
    name = "quiz"
    label = _l("Quiz")
    completion_rule = _l("Passed")
    body_format = "gift"

    def content_errors(self, body: str, url: str | None, settings: dict) -> list[str]:
        try:
            questions = [q for q in parse_gift(body) if q.kind != "description"]
        except GiftError as exc:
            return [f"question bank: {exc}"]
        errors = [] if questions else ["the question bank has no questions"]
        for question in questions:
            where = f'question "{question.title}" (line {question.line})' if question.title \
                else f"question at line {question.line}"
            errors += [f"{where}: {problem}"
                       for problem in question_problems(question, translate=False)]
        return errors + validate_quiz_settings(settings)


class YamlKind(ItemKind):
    """An item whose body is a YAML mapping, read by its engine (exercises, surveys)."""

    body_format = "yaml"

    def content_errors(self, body: str, url: str | None, settings: dict) -> list[str]:
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            return [f"not valid YAML{where}"]
        return [] if isinstance(data, dict) else ["the YAML must be a mapping"]


class ExerciseKind(YamlKind):
    name = "exercise"
    label = _l("Hands-on exercise")
    completion_rule = _l("Passed")


class SurveyKind(YamlKind):
    name = "survey"
    label = _l("Survey")
    completion_rule = _l("Submitted")


class ResourceKind(ItemKind):
    name = "resource"
    label = _l("Resource")
    completion_rule = _l("Opened")
    needs_body = False
    body_format = None
    completes_on_page = True

    def content_errors(self, body: str, url: str | None, settings: dict) -> list[str]:
        if url:
            return [] if URL_PATTERN.match(url) else [
                "url must start with https://, http:// or manual:"]
        if not settings.get("asset"):
            return ["a resource needs a url or a file"]
        return []


ITEM_KINDS: dict[str, ItemKind] = {
    kind.name: kind
    for kind in (LessonKind(), QuizKind(), ExerciseKind(), SurveyKind(), ResourceKind())
}


def item_kind(name: str) -> ItemKind:
    return ITEM_KINDS[name]
