"""Trainers' question bank pages: list, filter, edit (new versions), import, export."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from lms.assessment import services
from lms.assessment.convert import version_fields
from lms.assessment.gift import parse_gift
from lms.assessment.models import AttemptResponse, Question, QuestionBank, QuestionVersion
from tests.assessment import test_quiz_pages as pages
from tests.assessment.test_quiz_pages import (
    quiz_url,
    save,
    start,
)

# Fixtures shared with the learner pages' tests.
english = pages.english
learner = pages.learner
quiz_course = pages.quiz_course

BANK_GIFT = """\
::credit::订单超出信用额度时会怎样？{=需要审批#对 ~直接确认#错}

::warehouse::上海总仓的编码？{=WH-SH}

::approval::采购订单总是需要审批。{FALSE}
"""
# The second question gives no credit for any answer: the importer rejects it.
PARTLY_BAD_GIFT = """\
::good-one::第一题{=对 ~错}

::bad-one::第二题{~甲 ~乙}

::good-two::第三题{TRUE}
"""


@pytest.fixture
def bank(db):
    """A bank "sales-bank": two questions in "订单" (tagged), one in "仓库"."""
    bank = services.get_or_create_bank("sales-bank", "销售题库")
    categories = ["订单", "仓库", "订单"]
    tags = [["信用"], [], ["审批", "信用"]]
    for parsed, category, tag_list in zip(parse_gift(BANK_GIFT), categories, tags,
                                          strict=True):
        services.save_question(bank, category, parsed.title, version_fields(parsed),
                               tags=tag_list)
    db.session.commit()
    return bank


@pytest.fixture
def trainer(login_as):
    return login_as("trainer1", roles=("trainer",))


def question(bank: QuestionBank, title: str) -> Question:
    from lms.extensions import db

    return db.session.scalar(select(Question).where(Question.bank_id == bank.id,
                                                    Question.title == title))


def upload(client, bank_id: int, content: bytes, name: str):
    return client.post(f"/manage/question-banks/{bank_id}/import",
                       data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


# --- Browsing -----------------------------------------------------------------------------


def test_banks_and_their_questions(bank, trainer, client):
    listing = client.get("/manage/question-banks/").data.decode()
    assert re.search(r'data-bank="sales-bank">.*?data-count>3<', listing, re.S)
    page = client.get(f"/manage/question-banks/{bank.id}/")
    assert page.status_code == 200
    text = page.data.decode()
    for title in ("credit", "warehouse", "approval"):
        assert f'data-question="{title}"' in text
    assert 'data-kind="single_choice"' in text and 'data-kind="true_false"' in text

    orders = next(c for c in bank.categories if c.name == "订单")
    text = client.get(f"/manage/question-banks/{bank.id}/?category={orders.id}").data.decode()
    assert 'data-question="credit"' in text and 'data-question="warehouse"' not in text
    text = client.get(f"/manage/question-banks/{bank.id}/?tag=审批").data.decode()
    assert 'data-question="approval"' in text and 'data-question="credit"' not in text


def test_bad_filters_and_ids(bank, trainer, client):
    other = services.get_or_create_bank("other")
    foreign = services.get_or_create_category(other, "别处")
    assert client.get(f"/manage/question-banks/{bank.id}/?category=abc").status_code == 400
    assert client.get(
        f"/manage/question-banks/{bank.id}/?category={foreign.id}").status_code == 400
    assert client.get("/manage/question-banks/999999/").status_code == 404
    assert client.get(f"/manage/question-banks/{bank.id}/questions/999999").status_code == 404
    moved = question(bank, "credit")
    assert client.get(f"/manage/question-banks/{other.id}/questions/{moved.id}"
                      ).status_code == 404
    assert client.get(f"/manage/question-banks/{bank.id}/?page=abc").status_code == 200


def test_learners_may_not_open_bank_pages(bank, login_as, client):
    login_as("learner1")
    credit = question(bank, "credit")
    for path in ("/manage/question-banks/", f"/manage/question-banks/{bank.id}/",
                 f"/manage/question-banks/{bank.id}/questions/{credit.id}",
                 f"/manage/question-banks/{bank.id}/export.gift",
                 f"/manage/question-banks/{bank.id}/export.xml"):
        assert client.get(path).status_code == 403, path
    assert upload(client, bank.id, BANK_GIFT.encode(), "x.gift").status_code == 403


# --- Editing ------------------------------------------------------------------------------


def _editor_form(page: str) -> dict:
    """The editor's fields as a browser would post them (inputs and textareas)."""
    form = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        form[name.group(1)] = value.group(1) if value else ""
    for name, value in re.findall(r'<textarea[^>]*?name="([^"]+)"[^>]*>\n?(.*?)</textarea>',
                                  page, re.S):
        form[name] = value
    for name in re.findall(r'<select[^>]*?name="([^"]+)"', page.split('id="question-form"')[1]):
        block = page[page.index(f'name="{name}"'):]
        form[name] = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" '
                               r'selected', block).group(1) or "moodle"
    for name in ("csrf_token", "next", "locale"):
        form.pop(name, None)
    return {key: value.replace("&amp;", "&") for key, value in form.items()}


def test_editing_makes_a_new_version_only_when_content_changes(bank, trainer, client, db,
                                                               english):
    credit = question(bank, "credit")
    url = f"/manage/question-banks/{bank.id}/questions/{credit.id}"
    page = client.get(url).data.decode()
    assert 'id="choice-rows"' in page and 'value="需要审批"' in page
    form = _editor_form(page)
    assert form["choices-0-text"] == "需要审批" and form["choices-0-fraction"] == "100"

    reply = client.post(url, data=form)
    assert reply.status_code == 303
    assert "did not change" in client.get(url).data.decode()
    assert db.session.scalar(select(func.count(QuestionVersion.id)).where(
        QuestionVersion.question_id == credit.id)) == 1

    form.update({"choices-1-feedback": "直接确认是错的", "tags": "信用, 审批",
                 "choices-2-text": "先发货后审批", "choices-2-fraction": "0"})
    reply = client.post(url, data=form)
    assert reply.status_code == 303
    db.session.expire_all()
    credit = question(bank, "credit")
    version = credit.current_version
    assert version.number == 2 and credit.tags == ["信用", "审批"]
    assert [c["id"] for c in version.data["choices"]] == ["c1", "c2", "c3"]
    assert version.data["choices"][1]["feedback"] == "直接确认是错的"
    assert "Saved as version 2" in client.get(url).data.decode()


def test_editing_a_used_question_says_attempts_keep_their_version(quiz_course, learner,
                                                                 login_as, client, db,
                                                                 english):
    course = quiz_course()
    learner(course)
    attempt_id = start(client)
    assert save(client, attempt_id, 1, {"choice": "c1"}).status_code == 200
    client.post("/logout", data={})
    login_as("trainer1", roles=("trainer",))
    bank = services.find_bank("quiz-course")
    pick = question(bank, "pick")
    old_version_id = pick.current_version_id
    url = f"/manage/question-banks/{bank.id}/questions/{pick.id}"
    page = client.get(url).data.decode()
    assert 'id="has-attempts"' in page
    form = _editor_form(page)
    form["text"] = "ERP 的中文全称是？"
    reply = client.post(url, data=form)
    assert reply.status_code == 303
    assert "keep the version they showed" in client.get(url).data.decode()
    db.session.expire_all()
    response = db.session.scalar(select(AttemptResponse).where(
        AttemptResponse.attempt_id == attempt_id, AttemptResponse.position == 1))
    assert response.version_id == old_version_id != question(bank, "pick").current_version_id


def test_invalid_edits_keep_what_was_typed(bank, trainer, client, db, english):
    credit = question(bank, "credit")
    url = f"/manage/question-banks/{bank.id}/questions/{credit.id}"
    form = _editor_form(client.get(url).data.decode())
    form.update({"text": "改过的题干", "choices-1-text": "", "choices-0-fraction": "abc"})
    reply = client.post(url, data=form)
    assert reply.status_code == 400
    page = reply.data.decode()
    assert "改过的题干" in page and 'value="abc"' in page
    assert "Enter a number from -100 to 100." in page
    assert "at least 2 answers" in page
    form.update({"choices-0-fraction": "", "choices-1-text": "直接确认"})
    form["text"] = ""
    assert client.post(url, data=form).status_code == 400
    assert question(bank, "credit").current_version.number == 1


def test_saving_over_a_newer_version_is_refused(bank, trainer, client, db):
    warehouse = question(bank, "warehouse")
    url = f"/manage/question-banks/{bank.id}/questions/{warehouse.id}"
    form = _editor_form(client.get(url).data.decode())
    changed = version_fields(parse_gift("::warehouse::上海总仓的仓库编码？{=WH-SH}")[0])
    services.save_question(bank, "仓库", "warehouse", changed)
    db.session.commit()
    form["answers-0-text"] = "wh-sh"
    reply = client.post(url, data=form)
    assert reply.status_code == 409
    assert question(bank, "warehouse").current_version.number == 2


# --- Import -------------------------------------------------------------------------------


def test_import_a_partly_bad_gift_file(bank, trainer, client, db):
    reply = upload(client, bank.id, PARTLY_BAD_GIFT.encode(), "partly-bad.gift")
    assert reply.status_code == 303
    preview_url = reply.location
    page = client.get(preview_url)
    assert page.status_code == 200
    text = page.data.decode()
    assert text.count('data-status="new"') == 2 and text.count('data-status="rejected"') == 1
    rejected = re.search(r'data-status="rejected" data-title="bad-one">.*?data-reason>([^<]+)<',
                         text, re.S)
    assert rejected and rejected.group(1).strip()
    assert 'id="rejected-warning"' in text and 'id="confirm-import"' in text
    assert db.session.scalar(select(func.count(Question.id)).where(
        Question.bank_id == bank.id)) == 3  # nothing saved by the preview

    digest = re.search(r'name="digest" value="([^"]+)"', text).group(1)
    reply = client.post(preview_url, data={"digest": digest, "name": "partly-bad.gift"})
    assert reply.status_code == 303
    titles = set(db.session.scalars(select(Question.title).where(Question.bank_id == bank.id)))
    assert {"good-one", "good-two"} <= titles and "bad-one" not in titles
    # The upload is gone: a second confirm imports nothing twice.
    assert client.post(preview_url, data={"digest": digest}).status_code == 404
    assert len(titles) == 5


def test_import_refuses_a_changed_preview_and_bad_files(bank, trainer, client):
    reply = upload(client, bank.id, PARTLY_BAD_GIFT.encode(), "q.gift")
    assert client.post(reply.location, data={"digest": "stale"}).status_code == 409
    assert client.post(f"/manage/question-banks/{bank.id}/import", data={},
                       content_type="multipart/form-data").status_code == 400
    assert upload(client, bank.id, b"x", "questions.pdf").status_code == 400
    reply = upload(client, bank.id, b"<?xml version='1.0'?><quiz><question", "broken.xml")
    assert reply.status_code == 303
    assert client.get(reply.location).status_code == 400
    assert client.get(f"/manage/question-banks/{bank.id}/import/not-a-token").status_code == 404
    other = "A" * 43
    assert client.get(f"/manage/question-banks/{bank.id}/import/{other}").status_code == 404


def test_another_trainers_upload_is_not_found(bank, trainer, client, login_as):
    reply = upload(client, bank.id, BANK_GIFT.encode(), "q.gift")
    client.post("/logout", data={})
    login_as("trainer2", roles=("trainer",))
    assert client.get(reply.location).status_code == 404


# --- Export -------------------------------------------------------------------------------


@pytest.mark.parametrize("extension, content_type", [
    ("gift", "text/plain; charset=utf-8"), ("xml", "application/xml; charset=utf-8")])
def test_exports_import_back_unchanged(quiz_course, learner, login_as, client, extension,
                                       content_type):
    course = quiz_course()
    learner(course)
    client.get(quiz_url())  # opening the quiz fills the course's bank
    client.post("/logout", data={})
    login_as("trainer1", roles=("trainer",))
    bank = services.find_bank("quiz-course")
    reply = client.get(f"/manage/question-banks/{bank.id}/export.{extension}")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == content_type
    assert reply.headers["Content-Disposition"] == \
        f'attachment; filename="quiz-course.{extension}"'
    reply = upload(client, bank.id, reply.data, f"quiz-course.{extension}")
    text = client.get(reply.location).data.decode()
    assert text.count('data-status="unchanged"') == 7
    assert 'data-status="new"' not in text and 'data-status="update"' not in text
    assert 'id="nothing-to-import"' in text
