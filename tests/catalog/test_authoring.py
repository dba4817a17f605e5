"""The trainers' course editor: drafts, items, locking, preview, ordering, publishing."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.catalog import services
from lms.catalog.models import Course, CourseItem, CourseRevision
from tests.catalog.conftest import hidden, settings_data

BASE = "/manage/courses"


@pytest.fixture
def draft_course(make_course, trainer, db):
    """A published course (two lessons) with a draft made through the editor."""
    course = make_course("draft-course")
    response = trainer.post(f"{BASE}/draft-course/draft", data={})
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(Course, course.id)


def textarea(page: bytes, name: str = "body") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page.decode(), re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1)).lstrip("\r\n")


def item_form_data(page: bytes, **changes) -> dict:
    data = {"revision_id": hidden(page, "revision_id"),
            "lock_version": hidden(page, "lock_version"), "title": "第 1 课", "minutes": "10",
            "required": "y", "save": "1"}
    data.update(changes)
    if "body" not in data:
        data["body"] = textarea(page)
    return {key: value for key, value in data.items() if value is not None}


def draft_item(db, course: Course, key: str) -> CourseItem:
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    return next(item for item in course.draft_revision.items if item.key == key)


def draft_keys(db, course: Course) -> list[tuple[str, list[str]]]:
    """(module title, item keys) of the draft, in order, read fresh from the database."""
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft_revision
    return [(module.title, [item.key for item in module.items]) for module in draft.modules]


# --- permissions and the list -------------------------------------------------------------


def test_learner_gets_403_on_every_authoring_url(make_course, login_as, db):
    course = make_course("locked-course")
    services.ensure_draft(course)
    db.session.commit()
    draft = course.draft_revision
    module_id, item = draft.modules[0].id, draft.items[0]
    client = login_as("learner1", roles=["learner"])
    gets = [f"{BASE}/", f"{BASE}/new", f"{BASE}/locked-course/",
            f"{BASE}/locked-course/items/{item.key}"]
    posts = [f"{BASE}/new", f"{BASE}/locked-course/draft", f"{BASE}/locked-course/settings",
             f"{BASE}/locked-course/publish", f"{BASE}/locked-course/discard",
             f"{BASE}/locked-course/withdrawn", f"{BASE}/locked-course/modules",
             f"{BASE}/locked-course/modules/{module_id}/rename",
             f"{BASE}/locked-course/modules/{module_id}/delete",
             f"{BASE}/locked-course/modules/{module_id}/move", f"{BASE}/locked-course/items",
             f"{BASE}/locked-course/items/{item.key}",
             f"{BASE}/locked-course/items/{item.key}/delete",
             f"{BASE}/locked-course/items/{item.key}/move", f"{BASE}/locked-course/assets"]
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        response = client.post(url, data={"revision_id": str(draft.id), "direction": "up",
                                           "title": "x", "withdrawn": "1"})
        assert response.status_code == 403, url
    token = client.csrf_token()
    for url in (f"{BASE}/locked-course/reorder", f"{BASE}/locked-course/preview"):
        response = client.post(url, json={"text": "x"},
                               headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert response.status_code == 403 and response.json["error"], url
    db.session.expire_all()
    assert db.session.get(Course, course.id).withdrawn is False


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and "/login" in response.location


def test_empty_list_says_what_to_do(trainer):
    page = trainer.get(f"{BASE}/")
    assert page.status_code == 200
    assert b'id="no-courses"' in page.data and b"lms courses sync" in page.data
    assert f'href="{BASE}/new"'.encode() in page.data


def test_list_shows_state_revision_and_publication(trainer, make_course, db, count_queries):
    make_course("alpha")
    make_course("beta", publish=False)
    changed = make_course("gamma")
    services.ensure_draft(changed)
    withdrawn = make_course("delta")
    services.set_withdrawn(withdrawn, True)
    db.session.commit()
    page = trainer.get(f"{BASE}/").data.decode()
    states = dict(re.findall(r'data-course="([\w-]+)".*?data-state="(\w+)"', page, re.S))
    assert states == {"alpha": "published", "beta": "draft", "gamma": "changed",
                      "delta": "withdrawn"}
    assert "测试课程" in page
    # One page of the list costs the same number of queries whatever the number of courses.
    with count_queries() as few:
        trainer.get(f"{BASE}/")
    for number in range(10):
        make_course(f"more-{number}")
    with count_queries() as many:
        trainer.get(f"{BASE}/")
    assert len(many) == len(few)


def test_list_is_paginated(trainer, make_course):
    for number in range(26):
        make_course(f"course-{number:02d}", lessons=1)
    first = trainer.get(f"{BASE}/").data.decode()
    second = trainer.get(f"{BASE}/?page=2").data.decode()
    assert "course-00" in first and "course-25" not in first
    assert "course-25" in second
    assert trainer.get(f"{BASE}/?page=99999999").status_code == 200


# --- creating a course ----------------------------------------------------------------------


def test_create_course(trainer, db):
    response = trainer.post(f"{BASE}/new", data={"code": "new-course", "title": "新课程"})
    assert response.status_code == 302 and response.location == f"{BASE}/new-course/"
    course = services.find_course("new-course")
    assert course.draft_revision.title == "新课程" and course.published_revision is None
    page = trainer.get(response.location)
    assert page.status_code == 200 and b'id="settings-form"' in page.data


@pytest.mark.parametrize("code", ["Bad Code", "bad_code", "-dash", "x" * 61, ""])
def test_bad_course_code_is_refused(trainer, db, code):
    response = trainer.post(f"{BASE}/new", data={"code": code, "title": "新课程"})
    assert response.status_code == 400 and b"invalid-feedback" in response.data
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_taken_course_code_is_refused(trainer, make_course, db):
    make_course("taken")
    response = trainer.post(f"{BASE}/new", data={"code": "taken", "title": "另一门"})
    assert response.status_code == 400 and b"invalid-feedback" in response.data
    assert db.session.scalar(select(func.count(Course.id))) == 1


# --- drafts of a published course ----------------------------------------------------------


def test_published_course_is_read_only_until_a_draft_is_made(trainer, make_course, db):
    course = make_course("pub-course")
    page = trainer.get(f"{BASE}/pub-course/")
    assert b'id="start-draft"' in page.data and b'id="settings-form"' not in page.data
    # An item cannot be opened for editing, and changes are refused without a draft.
    assert trainer.get(f"{BASE}/pub-course/items/lesson-1").status_code == 302
    published = course.published_revision
    module = published.modules[0]
    for url, data in [
        (f"{BASE}/pub-course/items/lesson-1/move", {"direction": "down"}),
        (f"{BASE}/pub-course/items/lesson-1/delete", {}),
        (f"{BASE}/pub-course/modules", {"title": "新单元"}),
        (f"{BASE}/pub-course/modules/{module.id}/rename", {"title": "改名"}),
        (f"{BASE}/pub-course/items", {"module_id": module.id, "kind": "lesson", "title": "x"}),
    ]:
        response = trainer.post(url, data={"revision_id": str(published.id), **data})
        assert response.status_code in (302, 409), url
    response = trainer.post(f"{BASE}/pub-course/reorder", json={
        "revision_id": published.id, "order": [[module.id, i.id] for i in published.items][::-1]},
        headers={"X-CSRFToken": trainer.csrf_token()})
    assert response.status_code == 409
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.draft_revision is None
    assert [i.key for i in course.published_revision.ordered_items()] == ["lesson-1", "lesson-2"]
    assert [m.title for m in course.published_revision.modules] == ["第一单元"]


def test_edit_creates_draft_and_learners_see_published_until_publish(trainer, make_course, db):
    course = make_course("pub-course")
    published_id = course.published_revision_id
    response = trainer.post(f"{BASE}/pub-course/draft", data={})
    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.draft_revision is not None and course.published_revision_id == published_id

    form = trainer.get(f"{BASE}/pub-course/items/lesson-1")
    assert form.status_code == 200
    response = trainer.post(f"{BASE}/pub-course/items/lesson-1", data=item_form_data(
        form.data, body="## 新内容\n\n改过的课文。\n"))
    assert response.status_code == 302
    db.session.expire_all()
    published = db.session.get(CourseRevision, published_id)
    assert "新内容" not in published.items[0].body
    assert "新内容" in draft_item(db, course, "lesson-1").body
    editor = trainer.get(f"{BASE}/pub-course/").data.decode()
    assert re.search(r'data-change="changed" data-key="lesson-1"', editor)
    assert 'data-state="changed"' in editor

    draft_id = db.session.get(Course, course.id).draft_revision_id
    response = trainer.post(f"{BASE}/pub-course/publish", data={
        "revision_id": str(draft_id), "redo_changed_items": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.published_revision_id == draft_id and course.draft_revision is None
    assert course.published_revision.redo_changed_items is True
    assert "新内容" in course.published_revision.items[0].body
    assert db.session.get(CourseRevision, published_id).state == "superseded"


def test_publishing_an_unready_draft_is_refused(trainer, db):
    trainer.post(f"{BASE}/new", data={"code": "unready", "title": "未完成"})
    course = services.find_course("unready")
    draft = course.draft_revision
    # No items at all, then one lesson without content: both stop publishing.
    for step in range(2):
        if step:
            trainer.post(f"{BASE}/unready/items", data={
                "revision_id": str(draft.id), "module_id": str(draft.modules[0].id),
                "kind": "lesson", "title": "空课"})
        editor = trainer.get(f"{BASE}/unready/")
        assert b'id="publish-problems"' in editor.data
        response = trainer.post(f"{BASE}/unready/publish", data={"revision_id": str(draft.id)})
        assert response.status_code == 302
        db.session.expire_all()
        assert services.find_course("unready").published_revision is None


def test_publish_new_course_then_unpublish_and_publish_again(trainer, db):
    trainer.post(f"{BASE}/new", data={"code": "fresh", "title": "新课"})
    course = services.find_course("fresh")
    draft = course.draft_revision
    response = trainer.post(f"{BASE}/fresh/items", data={
        "revision_id": str(draft.id), "module_id": str(draft.modules[0].id), "kind": "lesson",
        "title": "Getting Started"})
    assert response.location == f"{BASE}/fresh/items/getting-started"
    form = trainer.get(response.location)
    trainer.post(response.location, data=item_form_data(form.data, title="Getting Started",
                                                        body="# 开始\n\n内容。"))
    assert trainer.post(f"{BASE}/fresh/publish",
                        data={"revision_id": str(draft.id)}).status_code == 302
    db.session.expire_all()
    course = services.find_course("fresh")
    assert course.is_published and course.published_revision.number == 1
    trainer.post(f"{BASE}/fresh/withdrawn", data={"withdrawn": "1"})
    db.session.expire_all()
    assert services.find_course("fresh").withdrawn is True
    assert b'data-state="withdrawn"' in trainer.get(f"{BASE}/").data
    trainer.post(f"{BASE}/fresh/withdrawn", data={"withdrawn": "0"})
    db.session.expire_all()
    assert services.find_course("fresh").is_published
    assert trainer.post(f"{BASE}/fresh/withdrawn", data={"withdrawn": "x"}).status_code == 400


def test_discard_draft(trainer, draft_course, db):
    draft_id = draft_course.draft_revision_id
    response = trainer.post(f"{BASE}/draft-course/discard", data={"revision_id": str(draft_id)})
    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, draft_course.id)
    assert course.draft_revision is None and course.published_revision is not None
    assert db.session.get(CourseRevision, draft_id) is None


def test_never_published_draft_is_not_discarded(trainer, db):
    trainer.post(f"{BASE}/new", data={"code": "keep-me", "title": "保留"})
    draft = services.find_course("keep-me").draft_revision
    trainer.post(f"{BASE}/keep-me/discard", data={"revision_id": str(draft.id)})
    db.session.expire_all()
    assert services.find_course("keep-me").draft_revision_id == draft.id


# --- settings ---------------------------------------------------------------------------------


def test_settings_save_and_conflict(trainer, draft_course, db):
    first = trainer.get(f"{BASE}/draft-course/").data
    second = trainer.get(f"{BASE}/draft-course/").data
    response = trainer.post(f"{BASE}/draft-course/settings", data=settings_data(first))
    assert response.status_code == 302
    db.session.expire_all()
    draft = db.session.get(Course, draft_course.id).draft_revision
    assert draft.title == "新标题" and draft.audience_job_roles == ["sales", "finance"]
    assert draft.version_label == "1.1"
    assert draft_course.published_revision.title == "测试课程"

    stale = trainer.post(f"{BASE}/draft-course/settings",
                         data=settings_data(second, title="另一个标题"))
    assert stale.status_code == 409
    assert b'id="conflict"' in stale.data and "另一个标题".encode() in stale.data
    db.session.expire_all()
    assert db.session.get(Course, draft_course.id).draft_revision.title == "新标题"
    again = trainer.post(f"{BASE}/draft-course/settings",
                         data=settings_data(stale.data, title="另一个标题"))
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, draft_course.id).draft_revision.title == "另一个标题"


def test_self_enrolment_saved_in_the_draft_is_not_live_until_published(trainer, draft_course,
                                                                        db):
    page = trainer.get(f"{BASE}/draft-course/").data
    response = trainer.post(f"{BASE}/draft-course/settings",
                            data=settings_data(page, self_enrol="y"))
    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, draft_course.id)
    assert course.draft_revision.self_enrol is True and course.self_enrol is False
    editor = trainer.get(f"{BASE}/draft-course/").data.decode()
    checkbox = re.search(r'<input[^>]*name="self_enrol"[^>]*>', editor).group(0)
    assert "checked" in checkbox
    trainer.post(f"{BASE}/draft-course/publish",
                 data={"revision_id": str(course.draft_revision_id)})
    db.session.expire_all()
    assert db.session.get(Course, draft_course.id).self_enrol is True


def test_settings_refuse_unknown_job_role_and_cover(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/").data
    for bad in ({"job_roles": ["astronaut"]}, {"cover": "images/nope.png"}, {"title": ""}):
        response = trainer.post(f"{BASE}/draft-course/settings", data=settings_data(page, **bad))
        assert response.status_code == 400, bad
    db.session.expire_all()
    assert db.session.get(Course, draft_course.id).draft_revision.title == "测试课程"


# --- editing an item ------------------------------------------------------------------------


def test_item_edit_saves(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-2")
    assert page.status_code == 200
    assert 'value="lesson-1"' in page.data.decode()  # the earlier item can be required
    response = trainer.post(f"{BASE}/draft-course/items/lesson-2", data=item_form_data(
        page.data, title="新的第二课", minutes="25", required=None, requires=["lesson-1"],
        body="第二课的新内容"))
    assert response.status_code == 302
    item = draft_item(db, draft_course, "lesson-2")
    assert (item.title, item.minutes, item.required, item.requires, item.body) == \
        ("新的第二课", 25, False, ["lesson-1"], "第二课的新内容")
    assert item.lock_version == 2


def test_validation_error_keeps_the_text(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-1")
    typed = "## 我写的内容\n\n很长的一段话 <b>粗体</b>"
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page.data, title="", body=typed))
    assert response.status_code == 400
    assert textarea(response.data) == typed
    # The kind's own check: a lesson needs content; the reason is shown in a sentence.
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page.data, title="标题保留", body="   "))
    assert response.status_code == 400 and b'id="problems"' in response.data
    assert "标题保留".encode() in response.data
    assert draft_item(db, draft_course, "lesson-1").title == "第 1 课"


def test_requires_must_be_an_earlier_item(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-1")
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page.data, requires=["lesson-2"]))
    assert response.status_code == 400
    assert draft_item(db, draft_course, "lesson-1").requires == []


def test_two_editors_second_save_gets_409_with_text_and_diff(trainer, draft_course, db):
    alice = trainer.get(f"{BASE}/draft-course/items/lesson-1").data
    bob = trainer.get(f"{BASE}/draft-course/items/lesson-1").data
    saved = trainer.post(f"{BASE}/draft-course/items/lesson-1", data=item_form_data(
        alice, body="## 第 1 课\n\nAlice 改的一行。\n"))
    assert saved.status_code == 302
    bob_text = "## 第 1 课\n\nBob <写的> 一行。\n"
    conflict = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(bob, body=bob_text))
    assert conflict.status_code == 409
    assert textarea(conflict.data) == bob_text
    diff = re.search(r'<pre class="diff-view" id="conflict-diff">(.*?)</pre>',
                     conflict.data.decode(), re.S).group(1)
    assert '<span class="diff-del">-Alice 改的一行。</span>' in diff
    assert '<span class="diff-add">+Bob &lt;写的&gt; 一行。</span>' in diff
    assert hidden(conflict.data, "lock_version") == "2"
    assert "Alice" in draft_item(db, draft_course, "lesson-1").body
    # Saving again from the conflict page overwrites deliberately.
    again = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                         data=item_form_data(conflict.data, body=bob_text))
    assert again.status_code == 302
    assert draft_item(db, draft_course, "lesson-1").body == bob_text


def test_save_after_the_draft_was_published_keeps_the_text(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-1").data
    draft_id = draft_course.draft_revision_id
    trainer.post(f"{BASE}/draft-course/publish", data={"revision_id": str(draft_id)})
    typed = "晚到的修改"
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page, body=typed))
    assert response.status_code == 409 and textarea(response.data) == typed
    assert b'id="save-item"' not in response.data
    db.session.expire_all()
    course = db.session.get(Course, draft_course.id)
    assert course.draft_revision is None and typed not in course.published_revision.items[0].body
    # With a new draft, the old form's text is set against it and can be saved into it.
    trainer.post(f"{BASE}/draft-course/draft", data={})
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page, body=typed))
    assert response.status_code == 409 and b'id="conflict-diff"' in response.data
    assert trainer.post(f"{BASE}/draft-course/items/lesson-1",
                        data=item_form_data(response.data, body=typed)).status_code == 302
    assert draft_item(db, draft_course, "lesson-1").body == typed


def test_wrong_or_missing_lock_version(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-1").data
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page, lock_version="99", body="x"))
    assert response.status_code == 409
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1",
                            data=item_form_data(page, lock_version="abc", body="x"))
    assert response.status_code == 400
    assert draft_item(db, draft_course, "lesson-1").lock_version == 1


def test_quiz_pass_mark_and_resource_url(trainer, make_course, db):
    course = make_course("quiz-course", quiz=True)
    trainer.post(f"{BASE}/quiz-course/draft", data={})
    page = trainer.get(f"{BASE}/quiz-course/items/quiz")
    assert b'name="pass_mark"' in page.data
    response = trainer.post(f"{BASE}/quiz-course/items/quiz", data=item_form_data(
        page.data, title="测验", pass_mark="80"))
    assert response.status_code == 302
    assert draft_item(db, course, "quiz").settings["pass_mark"] == 80
    response = trainer.post(f"{BASE}/quiz-course/items/quiz", data=item_form_data(
        page.data, title="测验", pass_mark="180"))
    assert response.status_code == 400

    draft = db.session.get(Course, course.id).draft_revision
    added = trainer.post(f"{BASE}/quiz-course/items", data={
        "revision_id": str(draft.id), "module_id": str(draft.modules[0].id),
        "kind": "resource", "title": "操作手册"})
    assert added.location == f"{BASE}/quiz-course/items/resource-1"
    page = trainer.get(added.location)
    bad = trainer.post(added.location, data=item_form_data(
        page.data, title="操作手册", url="ftp://example.com/x", body=""))
    assert bad.status_code == 400 and b"ftp://example.com/x" in bad.data
    good = trainer.post(added.location, data=item_form_data(
        page.data, title="操作手册", url="manual:erp-operation#销售订单", body=""))
    assert good.status_code == 302
    assert draft_item(db, course, "resource-1").url == "manual:erp-operation#销售订单"


def test_unknown_course_item_and_module_give_404(trainer, draft_course):
    draft = draft_course.draft_revision
    assert trainer.get(f"{BASE}/no-such-course/").status_code == 404
    assert trainer.get(f"{BASE}/{'x' * 300}/").status_code == 404
    assert trainer.get(f"{BASE}/draft-course/items/no-such-item").status_code == 404
    data = {"revision_id": str(draft.id), "direction": "up"}
    assert trainer.post(f"{BASE}/draft-course/modules/999999/move", data=data).status_code == 404
    assert trainer.post(f"{BASE}/draft-course/modules/{2**40}/delete",
                        data=data).status_code == 404
    assert trainer.post(f"{BASE}/draft-course/items/nope/move", data=data).status_code == 404
    response = trainer.post(f"{BASE}/draft-course/items", data={
        "revision_id": str(draft.id), "module_id": "999999", "kind": "lesson", "title": "x"})
    assert response.status_code == 400
    response = trainer.post(f"{BASE}/draft-course/items", data={
        "revision_id": str(draft.id), "module_id": str(draft.modules[0].id), "kind": "video",
        "title": "x"})
    assert response.status_code == 400
    assert trainer.post(f"{BASE}/draft-course/items/lesson-1/move",
                        data={"revision_id": str(draft.id), "direction": "sideways"}
                        ).status_code == 400


# --- preview --------------------------------------------------------------------------------


def preview(client, code: str, payload, **headers):
    return client.post(f"{BASE}/{code}/preview", json=payload, headers={
        "X-CSRFToken": client.csrf_token(), "Accept": "application/json", **headers})


def test_preview_returns_sanitised_html(trainer, draft_course):
    text = ("## 标题\n\n<script>alert('x')</script>\n\n[点我](javascript:alert(1))\n\n"
            "<img src=x onerror=alert(1)>\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    response = preview(trainer, "draft-course", {"text": text})
    assert response.status_code == 200
    html = response.json["html"]
    assert "<h2" in html and "标题" in html and "<table" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_preview_refuses_bad_requests(trainer, draft_course):
    assert preview(trainer, "draft-course", {"text": "x" * 200_001}).status_code == 413
    assert preview(trainer, "draft-course", {"body": "x"}).status_code == 400
    assert preview(trainer, "draft-course", ["x"]).status_code == 400
    assert preview(trainer, "no-such-course", {"text": "x"}).status_code == 404
    no_token = trainer.post(f"{BASE}/draft-course/preview", json={"text": "x"},
                            headers={"Accept": "application/json"})
    assert no_token.status_code == 400


def test_preview_button_works_without_javascript(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-1").data
    data = item_form_data(page, body="## 预览一下\n\n<script>x()</script>")
    data.pop("save")
    data["preview"] = "1"
    response = trainer.post(f"{BASE}/draft-course/items/lesson-1", data=data)
    assert response.status_code == 200
    pane = re.search(r'id="preview"[^>]*>(.*?)</div>', response.data.decode(), re.S).group(1)
    assert "预览一下" in pane and "<script" not in pane
    assert textarea(response.data).startswith("## 预览一下")
    assert "预览一下" not in draft_item(db, draft_course, "lesson-1").body


# --- outline: modules, items, order ------------------------------------------------------------


def test_add_rename_move_delete_modules(trainer, draft_course, db):
    draft = draft_course.draft_revision
    rid = str(draft.id)
    assert trainer.post(f"{BASE}/draft-course/modules",
                        data={"revision_id": rid, "title": "第二单元"}).status_code == 302
    assert trainer.post(f"{BASE}/draft-course/modules",
                        data={"revision_id": rid, "title": ""}).status_code == 400
    assert [title for title, _keys in draft_keys(db, draft_course)] == ["第一单元", "第二单元"]
    db.session.expire_all()
    first, second = db.session.get(Course, draft_course.id).draft_revision.modules
    trainer.post(f"{BASE}/draft-course/modules/{second.id}/rename",
                 data={"revision_id": rid, "title": "实操单元"})
    trainer.post(f"{BASE}/draft-course/modules/{second.id}/move",
                 data={"revision_id": rid, "direction": "up"})
    assert [title for title, _keys in draft_keys(db, draft_course)] == ["实操单元", "第一单元"]
    # A module holding items is not deleted; an empty one is.
    trainer.post(f"{BASE}/draft-course/modules/{first.id}/delete", data={"revision_id": rid})
    assert len(draft_keys(db, draft_course)) == 2
    trainer.post(f"{BASE}/draft-course/modules/{second.id}/delete", data={"revision_id": rid})
    assert draft_keys(db, draft_course) == [("第一单元", ["lesson-1", "lesson-2"])]


def test_add_item_keys(trainer, draft_course, db):
    draft = draft_course.draft_revision
    data = {"revision_id": str(draft.id), "module_id": str(draft.modules[0].id)}
    locations = [trainer.post(f"{BASE}/draft-course/items", data={**data, **extra}).location
                 for extra in ({"kind": "lesson", "title": "销售订单"},
                               {"kind": "lesson", "title": "库存盘点"},
                               {"kind": "quiz", "title": "ERP Basics: Quiz!"},
                               {"kind": "lesson", "title": "x", "key": "Lesson-1"},
                               {"kind": "survey", "title": "反馈", "key": "my_survey"})]
    assert [url.rsplit("/", 1)[1] for url in locations] == [
        "lesson-3", "lesson-4", "erp-basics-quiz", "lesson-1-2", "my_survey"]
    bad = trainer.post(f"{BASE}/draft-course/items", data={**data, "kind": "lesson",
                                                           "title": "x", "key": "坏 key"})
    assert bad.status_code == 400
    assert draft_keys(db, draft_course)[0][1] == [
        "lesson-1", "lesson-2", "lesson-3", "lesson-4", "erp-basics-quiz", "lesson-1-2",
        "my_survey"]


def test_delete_item_drops_it_from_requirements(trainer, draft_course, db):
    rid = str(draft_course.draft_revision_id)
    page = trainer.get(f"{BASE}/draft-course/").data.decode()
    assert f'action="{BASE}/draft-course/items/lesson-1/delete"' in page and "data-confirm" in page
    trainer.post(f"{BASE}/draft-course/items/lesson-1/delete", data={"revision_id": rid})
    assert draft_keys(db, draft_course) == [("第一单元", ["lesson-2"])]
    assert draft_item(db, draft_course, "lesson-2").requires == []
    assert [i.key for i in draft_course.published_revision.items] == ["lesson-1", "lesson-2"]


def test_reorder_with_buttons_across_modules(trainer, make_course, db):
    course = make_course("order-course", lessons=3, chain=False)
    trainer.post(f"{BASE}/order-course/draft", data={})
    db.session.expire_all()
    rid = str(db.session.get(Course, course.id).draft_revision_id)
    trainer.post(f"{BASE}/order-course/modules", data={"revision_id": rid, "title": "第二单元"})

    def move(key, direction):
        response = trainer.post(f"{BASE}/order-course/items/{key}/move",
                                data={"revision_id": rid, "direction": direction})
        assert response.status_code == 302

    move("lesson-1", "down")
    assert draft_keys(db, course)[0][1] == ["lesson-2", "lesson-1", "lesson-3"]
    move("lesson-3", "down")  # past the end of its module: into the next one
    assert draft_keys(db, course) == [("第一单元", ["lesson-2", "lesson-1"]),
                                      ("第二单元", ["lesson-3"])]
    move("lesson-3", "up")
    move("lesson-2", "up")  # already first of the course: nothing happens
    assert draft_keys(db, course) == [("第一单元", ["lesson-2", "lesson-1", "lesson-3"]),
                                      ("第二单元", [])]


def test_reorder_with_json(trainer, make_course, db):
    course = make_course("json-order", lessons=3, chain=False)
    trainer.post(f"{BASE}/json-order/draft", data={})
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft_revision
    rid = draft.id
    trainer.post(f"{BASE}/json-order/modules", data={"revision_id": str(rid), "title": "二"})
    db.session.expire_all()
    draft = db.session.get(CourseRevision, rid)
    first, second = (m.id for m in draft.modules)
    ids = {item.key: item.id for item in draft.items}
    token = trainer.csrf_token()

    def send(payload):
        return trainer.post(f"{BASE}/json-order/reorder", json=payload,
                            headers={"X-CSRFToken": token, "Accept": "application/json"})

    response = send({"revision_id": rid, "order": [
        [first, ids["lesson-3"]], [second, ids["lesson-1"]], [second, ids["lesson-2"]]]})
    assert response.status_code == 200 and response.json == {"ok": True}
    assert draft_keys(db, course) == [("第一单元", ["lesson-3"]), ("二", ["lesson-1", "lesson-2"])]

    for bad in (
        {"revision_id": rid, "order": [[first, ids["lesson-3"]]]},  # items missing
        {"revision_id": rid, "order": [[first, ids["lesson-3"]], [first, ids["lesson-3"]],
                                       [first, ids["lesson-1"]]]},  # duplicated
        {"revision_id": rid, "order": [[999999, i] for i in ids.values()]},  # unknown module
        {"revision_id": rid, "order": [[first, True], [first, ids["lesson-1"]],
                                       [first, ids["lesson-2"]]]},
        {"revision_id": rid, "order": "everything"},
        {"revision_id": rid},
    ):
        response = send(bad)
        assert response.status_code == 400 and response.json["error"], bad
    assert send({"revision_id": rid + 1000, "order": []}).status_code == 409
    assert trainer.post(f"{BASE}/json-order/reorder", data="not json",
                        headers={"X-CSRFToken": token}).status_code in (400, 409)
    assert draft_keys(db, course) == [("第一单元", ["lesson-3"]), ("二", ["lesson-1", "lesson-2"])]
    assert [i.key for i in course.published_revision.ordered_items()] == [
        "lesson-1", "lesson-2", "lesson-3"]


def test_editor_page_marks_up_the_outline_for_drag_and_drop(trainer, draft_course):
    page = trainer.get(f"{BASE}/draft-course/").data.decode()
    assert f'data-reorder-url="{BASE}/draft-course/reorder"' in page
    assert page.count('draggable="true"') == 2
    assert "course-editor.js" in page and "course-editor.css" in page
    assert "<script>" not in page  # no inline scripts (CSP)
    assert ' style="' not in page


def test_save_after_the_item_was_deleted_keeps_the_text(trainer, draft_course, db):
    page = trainer.get(f"{BASE}/draft-course/items/lesson-2").data
    trainer.post(f"{BASE}/draft-course/items/lesson-2/delete",
                 data={"revision_id": str(draft_course.draft_revision_id)})
    typed = "删掉之前写的"
    response = trainer.post(f"{BASE}/draft-course/items/lesson-2",
                            data=item_form_data(page, body=typed, requires=["lesson-1"]))
    assert response.status_code == 409 and textarea(response.data) == typed
    assert b'id="save-item"' not in response.data
    assert draft_keys(db, draft_course) == [("第一单元", ["lesson-1"])]


def test_last_published_is_shown_in_the_users_time_zone(login_as, make_course, db):
    from datetime import UTC, datetime

    client = login_as("trainer-sh", roles=["trainer"], timezone="Asia/Shanghai")
    course = make_course("clock-course")
    course.published_revision.published_at = datetime(2026, 1, 10, 0, 30, tzinfo=UTC)
    db.session.commit()
    assert "2026/1/10 08:30" in client.get(f"{BASE}/").data.decode()


def test_yaml_items_are_checked_by_their_kind(trainer, draft_course, db):
    draft = draft_course.draft_revision
    added = trainer.post(f"{BASE}/draft-course/items", data={
        "revision_id": str(draft.id), "module_id": str(draft.modules[0].id),
        "kind": "exercise", "title": "录入销售订单"})
    assert added.location == f"{BASE}/draft-course/items/exercise-1"
    page = trainer.get(added.location).data
    typed = "checks:\n  - [unclosed\n"
    response = trainer.post(added.location, data=item_form_data(page, title="录入销售订单",
                                                                 body=typed))
    assert response.status_code == 400 and b'id="problems"' in response.data
    assert textarea(response.data) == typed
    good = "title: 录入销售订单\nchecks:\n  - order_count >= 1\n"
    response = trainer.post(added.location, data=item_form_data(page, title="录入销售订单",
                                                                 body=good))
    assert response.status_code == 302
    assert draft_item(db, draft_course, "exercise-1").body == good
