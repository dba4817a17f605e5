"""Between parsed questions (GIFT or Moodle XML, both as ``GiftQuestion``) and the stored form.

Stored ``QuestionVersion.data`` by kind:

- ``single_choice`` / ``multiple_choice``: ``{"choices": [{"id", "text", "fraction",
  "feedback"}]}``; fractions are percent (100 = fully right, negative takes marks away).
- ``true_false``: ``{"correct": bool, "feedback_right": str, "feedback_wrong": str}``
- ``short_answer``: ``{"answers": [{"text", "fraction", "feedback"}]}``
- ``numeric``: ``{"answers": [{"value", "tolerance", "fraction", "feedback"}],
  "wrong_feedback": str}``
- ``matching``: ``{"pairs": [{"id", "question", "answer"}]}`` (an empty question is a
  distractor answer)
- ``essay`` and ``description``: ``{}``

Choice and pair ids are stable inside a version ("c1", "c2" …, "p1" …): attempts store
responses and shuffled orders by id, never by position.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from lms.assessment.gift import GiftAnswer, GiftMatch, GiftQuestion, NumericAnswer


@dataclass
class VersionFields:
    kind: str
    text: str
    text_format: str
    data: dict
    general_feedback: str

    def content_hash(self) -> str:
        payload = json.dumps([self.kind, self.text, self.text_format, self.data,
                              self.general_feedback], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def version_fields(parsed: GiftQuestion) -> VersionFields:
    """The stored form of a parsed question."""
    kind = parsed.kind
    data: dict
    if kind in ("single_choice", "multiple_choice"):
        data = {"choices": [
            {"id": f"c{n}", "text": a.text, "fraction": a.fraction, "feedback": a.feedback}
            for n, a in enumerate(parsed.answers, start=1)]}
    elif kind == "true_false":
        answer = parsed.answers[0]
        data = {"correct": answer.text == "true", "feedback_right": answer.feedback,
                "feedback_wrong": parsed.wrong_feedback}
    elif kind == "short_answer":
        data = {"answers": [{"text": a.text, "fraction": a.fraction, "feedback": a.feedback}
                            for a in parsed.answers]}
    elif kind == "numeric":
        data = {"answers": [{"value": n.value, "tolerance": n.tolerance, "fraction": n.fraction,
                             "feedback": n.feedback} for n in parsed.numeric],
                "wrong_feedback": parsed.wrong_feedback}
    elif kind == "matching":
        data = {"pairs": [{"id": f"p{n}", "question": m.question, "answer": m.answer}
                          for n, m in enumerate(parsed.matches, start=1)]}
    else:
        data = {}
    return VersionFields(kind=kind, text=parsed.text, text_format=parsed.text_format or "moodle",
                         data=data, general_feedback=parsed.general_feedback)


def parsed_question(fields: VersionFields, title: str, category: str | None) -> GiftQuestion:
    """A stored question as a ``GiftQuestion``, for the GIFT and Moodle XML exporters."""
    question = GiftQuestion(kind=fields.kind, title=title, text=fields.text,
                            text_format=fields.text_format, category=category, line=0,
                            general_feedback=fields.general_feedback)
    data = fields.data
    if fields.kind in ("single_choice", "multiple_choice"):
        question.answers = [GiftAnswer(c["text"], c["fraction"], c.get("feedback", ""))
                            for c in data["choices"]]
    elif fields.kind == "true_false":
        question.answers = [GiftAnswer("true" if data["correct"] else "false", 100,
                                       data.get("feedback_right", ""))]
        question.wrong_feedback = data.get("feedback_wrong", "")
    elif fields.kind == "short_answer":
        question.answers = [GiftAnswer(a["text"], a["fraction"], a.get("feedback", ""))
                            for a in data["answers"]]
    elif fields.kind == "numeric":
        question.numeric = [NumericAnswer(a["value"], a["tolerance"], a["fraction"],
                                          a.get("feedback", "")) for a in data["answers"]]
        question.wrong_feedback = data.get("wrong_feedback", "")
    elif fields.kind == "matching":
        question.matches = [GiftMatch(p["question"], p["answer"]) for p in data["pairs"]]
    return question
