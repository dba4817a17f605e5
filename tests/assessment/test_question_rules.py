"""The rules every question follows (``rules.question_problems``), applied alike by the
importers, the bank's question editor and course quiz files; and the editor's "save and
regrade past attempts", which carries a corrected answer key to attempts already made."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessment import services
from lms.assessment.attempts import save_response, submit_attempt
from lms.assessment.convert import version_fields
from lms.assessment.gift import parse_gift
from lms.assessment.importing import preview_import
from lms.assessment.models import AttemptResponse, GradeChange, QuizAttempt
from lms.assessment.rules import question_problems
from lms.catalog.kinds import QuizKind
from tests.assessment import test_bank_pages as bank_pages
from tests.assessment.test_bank_pages import _editor_form, question
from tests.assessment.test_quiz_pages import start

bank = bank_pages.bank
trainer = bank_pages.trainer
english = bank_pages.english
learner = bank_pages.learner
quiz_course = bank_pages.quiz_course

HALF_BEST = "::half::只有半对的单选？{~%50%甲 ~乙}\n"
OVER_WEIGHT = "::over::权重超了 {~%50%甲 ~%50%乙 ~%50%丙 ~丁}\n"


def problems(gift: str, **options) -> list[str]:
    return question_problems(parse_gift(gift)[0], **options)


# --- The rules ----------------------------------------------------------------------------


def test_rules_for_parsed_questions(app):
    with app.test_request_context():
        assert problems("::ok::对吗？{=对 ~错}") == []
        assert problems("::thirds::选三个 {~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}") == []
        assert problems(HALF_BEST, translate=False) == [
            "the positive weights of this multiple-answer question add up to 50%, not 100%"]
        assert problems(OVER_WEIGHT, translate=False) == [
            "the positive weights of this multiple-answer question add up to 150%, not 100%"]
        long_title = "::" + "题" * 201 + "::题干 {TRUE}"
        assert problems(long_title, translate=False) == [
            "the title is longer than 200 characters"]


def test_rules_for_version_fields(app):
    fields = version_fields(parse_gift("::s::单选 {=甲 ~乙}")[0])
    fields.data["choices"][0]["fraction"] = 50.0
    with app.test_request_context():
        assert question_problems(fields, translate=False) == [
            "no choice of this single-answer question gives full marks"]
        fields.text = " "
        assert question_problems(fields, translate=False)[0] == "the question has no text"


def test_the_importer_applies_the_rules(app, db):
    with app.test_request_context():
        preview = preview_import((HALF_BEST + "\n" + OVER_WEIGHT + "\n::fine::好 {TRUE}\n")
                                 .encode(), "q.gift", None)
    statuses = [(entry.title, entry.status) for entry in preview.entries]
    assert statuses == [("half", "rejected"), ("over", "rejected"), ("fine", "new")]
    assert "150%" in preview.entries[1].reason


def test_course_quiz_files_apply_the_rules(app):
    body = HALF_BEST + "\n" + OVER_WEIGHT + "\n::fine::好 {TRUE}\n"
    with app.app_context():
        errors = QuizKind().validate(body, None, {})
        assert errors == [
            'question "half" (line 1): the positive weights of this multiple-answer question '
            "add up to 50%, not 100%",
            'question "over" (line 3): the positive weights of this multiple-answer question '
            "add up to 150%, not 100%"]
        untitled = QuizKind().validate("\n" + OVER_WEIGHT.split("::", 2)[2], None, {})
        assert untitled[0].startswith("question at line 2: the positive weights")
        assert QuizKind().validate("::fine::好 {TRUE}\n", None, {}) == []


# --- The editor ---------------------------------------------------------------------------


def test_the_editor_refuses_what_the_importer_refuses(bank, trainer, client, db, english):
    credit = question(bank, "credit")
    url = f"/manage/question-banks/{bank.id}/questions/{credit.id}"
    form = _editor_form(client.get(url).data.decode())
    form.update({"choices-0-fraction": "50", "text": "改过的题干"})
    reply = client.post(url, data=form)
    assert reply.status_code == 400
    page = reply.data.decode()
    assert "No choice of this single-answer question gives full marks" in page
    assert "改过的题干" in page and 'value="50"' in page

    form.update({"multiple": "y", "choices-0-fraction": "100", "choices-1-fraction": "50"})
    reply = client.post(url, data=form)
    assert reply.status_code == 400
    assert "add up to 150%, not 100%" in reply.data.decode()
    assert question(bank, "credit").current_version.number == 1

    form["choices-1-fraction"] = "0"
    assert client.post(url, data=form).status_code == 303
    db.session.expire_all()
    assert question(bank, "credit").current_version.kind == "multiple_choice"


# --- Correct a question, then regrade -----------------------------------------------------

PICK_GIFT = "::pick::ERP 的中文全称？{=客户关系管理 ~企业资源计划 ~供应链管理}\n"


def _answered_wrongly_by_the_key(quiz_course, learner, login_as, client, db):
    """A learner answers "企业资源计划" (c2), marked wrong by a mistaken key; a trainer opens
    the question. Returns (editor url, editor form, attempt id, version id used)."""
    course = quiz_course(body=PICK_GIFT)
    learner(course)
    attempt_id = start(client)
    attempt = db.session.get(QuizAttempt, attempt_id)
    save_response(attempt, 1, {"choice": "c2"})  # the engine's stored ids
    submit_attempt(attempt, attempt.version)
    db.session.commit()
    assert attempt.score == 0.0
    client.post("/logout", data={})
    login_as("trainer1", roles=("trainer",))
    bank_ = services.find_bank("quiz-course")
    pick = question(bank_, "pick")
    url = f"/manage/question-banks/{bank_.id}/questions/{pick.id}"
    page = client.get(url).data.decode()
    assert 'id="save-and-regrade"' in page and "Save as a new version" in page
    return url, _editor_form(page), attempt_id, pick.current_version_id


def _response(db, attempt_id: int) -> AttemptResponse:
    db.session.expire_all()
    return db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.position == 1))


def test_save_and_regrade_corrects_past_attempts(quiz_course, learner, login_as, client, db,
                                                 english):
    url, form, attempt_id, used = _answered_wrongly_by_the_key(quiz_course, learner,
                                                               login_as, client, db)
    form.update({"choices-0-fraction": "0", "choices-1-fraction": "100",
                 "action": "regrade"})
    reply = client.post(url, data=form)
    assert reply.status_code == 303
    assert "regraded past attempts: 1 attempt changed score" in client.get(url).data.decode()
    response = _response(db, attempt_id)
    assert response.version_id != used and response.version.number == 2
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.score == 1.0 and attempt.passed
    assert db.session.scalar(select(GradeChange.reason).where(
        GradeChange.attempt_id == attempt_id).order_by(GradeChange.id.desc())) == "regrade"


def test_save_as_a_new_version_leaves_past_attempts(quiz_course, learner, login_as, client,
                                                    db, english):
    url, form, attempt_id, used = _answered_wrongly_by_the_key(quiz_course, learner,
                                                               login_as, client, db)
    form.update({"choices-0-fraction": "0", "choices-1-fraction": "100",
                 "action": "version"})
    assert client.post(url, data=form).status_code == 303
    assert "keep the version they showed" in client.get(url).data.decode()
    assert _response(db, attempt_id).version_id == used
    assert db.session.get(QuizAttempt, attempt_id).score == 0.0


def test_regrade_refused_when_the_options_change(quiz_course, learner, login_as, client, db,
                                                 english):
    url, form, attempt_id, used = _answered_wrongly_by_the_key(quiz_course, learner,
                                                               login_as, client, db)
    form.update({"choices-0-fraction": "0", "choices-1-fraction": "100",
                 "choices-3-text": "人力资源管理", "choices-3-fraction": "0",
                 "action": "regrade"})
    assert client.post(url, data=form).status_code == 303
    page = client.get(url).data.decode()
    assert "past attempts were NOT regraded" in page and "answer options" in page
    assert _response(db, attempt_id).version_id == used
    assert db.session.get(QuizAttempt, attempt_id).score == 0.0
