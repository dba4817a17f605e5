"""An open attempt's page names options by per-attempt keys that give nothing away, and an
out-of-date page (another tab, another device) never overwrites answers saved since."""

from __future__ import annotations

import html
import json
import re

from lms.assessment.models import QuizAttempt
from tests.assessment import test_quiz_pages as pages
from tests.assessment.test_quiz_pages import (
    OBJECTIVE_GIFT,
    RIGHT_ANSWERS,
    save,
    start,
    submit,
    version_token,
)

# Fixtures shared with the learner pages' tests.
english = pages.english
learner = pages.learner
quiz_course = pages.quiz_course

STORED_ID = re.compile(r'(?:id|value|name|for|data-pair)="[^"]*\b[cp]\d+\b[^"]*"')


def page_of(client, attempt_id: int, page: int = 1) -> str:
    return client.get(f"/quiz/attempts/{attempt_id}?page={page}").data.decode()


def leaks(page: str) -> str | None:
    """A stored choice or pair id in the page's attributes (the CSRF token aside)."""
    found = STORED_ID.search(re.sub(r"<input[^>]*csrf_token[^>]*>", "", page))
    return found.group(0) if found else None


def shown_keys(page: str, position: int) -> list[str]:
    """The option keys of a choice question, in the order the page shows them."""
    return re.findall(rf'name="q{position}-choices?" id="q{position}-(\w+)" value="\1"', page)


def posted_form(page: str) -> dict:
    """What a browser posts from the attempt page as it stands (no script)."""
    form: dict = {}
    for tag in re.findall(r"<input[^>]*>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        name, kind = attrs.get("name"), attrs.get("type")
        if not name or name == "csrf_token":
            continue
        if kind in ("radio", "checkbox"):
            if re.search(r"\schecked\b", tag):
                form.setdefault(name, []).append(html.unescape(attrs["value"]))
        else:
            form[name] = html.unescape(attrs.get("value", ""))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page,
                                 re.S):
        form[name] = html.unescape(text)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)"\s+selected>', options)
        form[name] = html.unescape(chosen.group(1)) if chosen else ""
    return form


def response(db, attempt_id: int, position: int):
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    return next(r for r in attempt.responses if r.position == position)


# --- Keys, not stored ids -----------------------------------------------------------------


def test_the_page_shows_keys_and_the_first_key_is_right_only_when_shown_first(
        quiz_course, learner, db):
    # In the GIFT the right answer comes first (c1): its id would give it away.
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"shuffle": True})
    seen_first = set()
    for n in range(6):
        client = learner(course, f"keys{n}")
        attempt_id = start(client)
        page = page_of(client, attempt_id)
        assert leaks(page) is None, leaks(page)
        assert shown_keys(page, 1) == ["o1", "o2", "o3"]
        assert shown_keys(page, 2) == ["o1", "o2", "o3"]
        assert 'name="q6-match-m1"' in page and 'data-pair="m3"' in page
        reply = save(client, attempt_id, 1, {"choice": "o1"}, raw=True)
        assert reply.status_code == 200
        assert not re.search(r"\b[cp]\d\b", reply.data.decode())
        attempt = db.session.get(QuizAttempt, attempt_id)
        first = attempt.layout[0]["order"][0]
        seen_first.add(first)
        assert response(db, attempt_id, 1).response == {"choice": first}
        assert submit(client, attempt_id).status_code == 303
        assert response(db, attempt_id, 1).fraction == (1 if first == "c1" else 0)
    assert seen_first  # (which comes first is up to the shuffle)


def test_answers_by_key_are_saved_and_shown_again(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"shuffle": True})
    client = learner(course)
    attempt_id = start(client)
    order = db.session.get(QuizAttempt, attempt_id).layout[1]["order"]
    assert save(client, attempt_id, 2, {"choices": ["o3", "o1"]}, raw=True).status_code == 200
    assert save(client, attempt_id, 6, {"matches": {"m2": "PO"}}, raw=True).status_code == 200
    stored = response(db, attempt_id, 2).response["choices"]
    assert sorted(stored) == sorted([order[0], order[2]])
    assert response(db, attempt_id, 6).response == {"matches": {"p2": "PO"}}
    page = page_of(client, attempt_id)
    assert re.search(r'id="q2-o1" value="o1"\s+checked', page)
    assert re.search(r'id="q2-o3" value="o3"\s+checked', page)
    assert not re.search(r'id="q2-o2" value="o2"\s+checked', page)
    assert re.search(r'name="q6-match-m2"[^>]*>\s*<option value="">[^<]*</option>'
                     r'(?:\s*<option[^>]*>[^<]*</option>)*?\s*<option value="PO"\s+selected>',
                     page)
    assert leaks(page) is None
    # The form without a script posts keys too.
    form = posted_form(page) | {"q1-choice": "o2"}
    assert client.post(f"/quiz/attempts/{attempt_id}/answers", data=form).status_code == 303
    assert response(db, attempt_id, 1).response == {
        "choice": db.session.get(QuizAttempt, attempt_id).layout[0]["order"][1]}


def test_stored_ids_and_unknown_keys_are_refused(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    for position, answer in ((1, {"choice": "c1"}), (1, {"choice": "o9"}),
                             (1, {"choice": ["o1"]}), (2, {"choices": ["c1"]}),
                             (2, {"choices": [["o1"]]}), (6, {"matches": {"p1": "SO"}}),
                             (6, {"matches": {"m9": "SO"}})):
        reply = save(client, attempt_id, position, answer, raw=True)
        assert reply.status_code == 400 and reply.json["error"] == "invalid", answer
    assert response(db, attempt_id, 1).response is None


def test_without_shuffle_keys_follow_the_order_shown(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT, settings={"shuffle": False})
    client = learner(course)
    attempt_id = start(client)
    page = page_of(client, attempt_id)
    assert shown_keys(page, 1) == ["o1", "o2", "o3"] and leaks(page) is None
    for position, answer in RIGHT_ANSWERS.items():
        assert save(client, attempt_id, position, answer).status_code == 200
    assert leaks(page_of(client, attempt_id)) is None
    assert submit(client, attempt_id).status_code == 303
    assert db.session.get(QuizAttempt, attempt_id).score == 6


# --- Out-of-date pages --------------------------------------------------------------------


def test_submitting_an_old_blank_page_keeps_the_answers_saved_since(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    old_page = page_of(client, attempt_id)  # tab 1, left blank
    for position, answer in RIGHT_ANSWERS.items():  # answered in tab 2 (autosaved)
        assert save(client, attempt_id, position, answer).status_code == 200
    form = posted_form(old_page)
    assert form["q1-saved"] == "" and form["q4-text"] == ""
    reply = client.post(f"/quiz/attempts/{attempt_id}/submit", data=form)
    assert reply.status_code == 303 and reply.location.endswith("/review")
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.state == "graded" and attempt.score == 6


def test_a_blank_post_without_stamps_clears_nothing(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    token = version_token(page_of(client, attempt_id))
    for position, answer in RIGHT_ANSWERS.items():
        assert save(client, attempt_id, position, answer).status_code == 200
    form = {f"q{p}-shown": "1" for p in range(1, 7)} | {"q4-text": "", "q5-value": ""}
    assert client.post(f"/quiz/attempts/{attempt_id}/answers", data=form).status_code == 303
    assert submit(client, attempt_id, token, **form).status_code == 303
    assert db.session.get(QuizAttempt, attempt_id).score == 6


def test_an_old_page_does_not_replace_a_newer_answer(quiz_course, learner, db, english):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    assert save(client, attempt_id, 4, {"text": "first"}).status_code == 200
    old_page = page_of(client, attempt_id)
    assert save(client, attempt_id, 4, {"text": "newer elsewhere"}).status_code == 200
    form = posted_form(old_page) | {"q4-text": "typed in the old tab", "q5-value": "12"}
    reply = client.post(f"/quiz/attempts/{attempt_id}/answers", data=form)
    assert reply.status_code == 303
    assert response(db, attempt_id, 4).response == {"text": "newer elsewhere"}
    assert response(db, attempt_id, 5).response == {"value": "12"}  # not changed elsewhere
    page = client.get(reply.location).data.decode()
    assert "a newer answer saved in another window was kept" in page
    assert "newer elsewhere" in page


def test_clearing_an_answer_on_an_up_to_date_page_clears_it(quiz_course, learner, db):
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    assert save(client, attempt_id, 4, {"text": "wh-sh"}).status_code == 200
    assert save(client, attempt_id, 2, {"choices": ["c1"]}).status_code == 200
    form = posted_form(page_of(client, attempt_id))
    assert form["q4-text"] == "wh-sh" and form["q2-choices"]
    form["q4-text"] = ""
    del form["q2-choices"]
    assert client.post(f"/quiz/attempts/{attempt_id}/answers", data=form).status_code == 303
    assert response(db, attempt_id, 4).response == {"text": ""}
    assert response(db, attempt_id, 2).response == {"choices": []}


def test_the_stamp_of_an_autosave_keeps_the_page_up_to_date(quiz_course, learner, db):
    """The script puts each autosave's stamp into the form: this page's later post counts."""
    course = quiz_course(body=OBJECTIVE_GIFT)
    client = learner(course)
    attempt_id = start(client)
    form = posted_form(page_of(client, attempt_id))
    reply = save(client, attempt_id, 4, {"text": "draft"})
    assert reply.status_code == 200 and reply.json["stamp"]
    form |= {"q4-saved": reply.json["stamp"], "q4-text": "final"}  # typed after the save
    assert client.post(f"/quiz/attempts/{attempt_id}/submit", data=form).status_code == 303
    assert response(db, attempt_id, 4).response == {"text": "final"}
    assert json.dumps(reply.json).count("c1") == 0
