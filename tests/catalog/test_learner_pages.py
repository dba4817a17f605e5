"""Learners' pages: dashboard, course outline, items, completion, files, and safety."""

from __future__ import annotations

import re
from datetime import timedelta

from lms.accounts.services import find_user
from lms.catalog import enrolment, services
from lms.catalog.assets import attach_image
from lms.catalog.models import Course
from lms.catalog.progress import course_progress
from lms.database import utcnow
from tests.catalog.conftest import course_source

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
EVIL_LESSON = """## 危险的课

<script>alert('x')</script>

[点我](javascript:alert(1))

<img src="x.png" onerror="alert(2)">

<a href="#" onclick="alert(3)">链接</a>

安全的正文。
"""


def assign(course, username):
    """Assign ``course`` to the existing user ``username``, due in three days."""
    user = find_user(username)
    enrolment.create_assignment(course, user=user, due_at=utcnow() + timedelta(days=3))
    services.db.session.commit()
    return user


def test_dashboard_shows_assigned_course_with_progress_and_continue(login_as, make_course,
                                                                    client):
    client = login_as("sales1")
    course = make_course(lessons=2)
    assign(course, "sales1")
    page = client.get("/").get_data(as_text=True)
    assert 'data-course="test-course"' in page
    assert 'aria-valuenow="0"' in page
    assert "/courses/test-course/items/lesson-1" in page


def test_course_page_shows_item_states(login_as, make_course, client):
    client = login_as("sales1")
    course = make_course(lessons=3)
    assign(course, "sales1")
    page = client.get("/courses/test-course/").get_data(as_text=True)
    states = re.findall(r'data-item="([\w-]+)" data-state="(\w+)"', page)
    assert states == [("lesson-1", "open"), ("lesson-2", "locked"), ("lesson-3", "locked")]


def test_finishing_a_lesson_moves_progress_and_opens_the_next(login_as, make_course, client):
    client = login_as("sales1")
    course = make_course(lessons=2)
    user = assign(course, "sales1")
    response = client.post("/courses/test-course/items/lesson-1/complete",
                           data={"how": "viewed"},
                           headers={"Accept": "application/json",
                                    "X-Requested-With": "fetch"})
    assert response.status_code == 200 and response.json == {
        "done": True, "percent": 50, "course_complete": False}
    response = client.post("/courses/test-course/items/lesson-2/complete", data={})
    assert response.status_code == 302
    progress = course_progress(user.id, services.find_course("test-course"))
    assert progress.is_complete


def test_locked_item_redirects_to_the_outline(login_as, make_course, client):
    client = login_as("sales1")
    assign(make_course(lessons=2), "sales1")
    response = client.get("/courses/test-course/items/lesson-2")
    assert response.status_code == 302 and response.location.endswith("/courses/test-course/")
    assert client.post("/courses/test-course/items/lesson-2/complete", data={}).status_code == 409


def test_courses_not_assigned_are_closed(login_as, make_course, client):
    client = login_as("sales1")
    make_course(lessons=1)
    assert client.get("/courses/test-course/").status_code == 403
    assert client.get("/courses/test-course/items/lesson-1").status_code == 403
    assert client.post("/courses/test-course/enrol", data={}).status_code == 303
    assert client.get("/courses/nope/").status_code == 404


def test_self_enrolment_into_an_open_course(login_as, make_course, client):
    client = login_as("sales1")
    make_course("open-course", lessons=1, self_enrol=True)
    listing = client.get("/courses/").get_data(as_text=True)
    assert "/courses/open-course/enrol" in listing
    assert client.post("/courses/open-course/enrol", data={}).status_code == 302
    assert client.get("/courses/open-course/items/lesson-1").status_code == 200


def test_withdrawn_course_is_gone_for_learners(login_as, make_course, client, db):
    client = login_as("sales1")
    course = make_course(lessons=1)
    assign(course, "sales1")
    services.set_withdrawn(course, True)
    db.session.commit()
    assert client.get("/courses/test-course/").status_code == 404
    assert "test-course" not in client.get("/").get_data(as_text=True)


def test_lesson_html_is_sanitised(login_as, make_course, client, db):
    client = login_as("sales1")
    course = Course(code="evil")
    db.session.add(course)
    db.session.flush()
    source = course_source("evil", lessons=1)
    source.modules[0].items[0].body = EVIL_LESSON
    services.revision_from_source(course, source)
    services.publish_draft(course)
    db.session.commit()
    assign(course, "sales1")
    page = client.get("/courses/evil/items/lesson-1").get_data(as_text=True)
    body = page.split('id="lesson-body"', 1)[1].split("lesson-end", 1)[0]
    assert "安全的正文" in body
    assert "<script" not in body and "alert(" not in body
    assert "javascript:" not in body and "onerror" not in body and "onclick" not in body


def test_assets_are_served_with_their_type_and_only_to_the_course(login_as, make_course,
                                                                    client, db):
    client = login_as("sales1")
    course = make_course(lessons=1, assets={"images/a.png": ("image/png", PNG)})
    assign(course, "sales1")
    asset_id = course.published_revision.asset_map["images/a.png"]
    response = client.get(f"/courses/test-course/assets/{asset_id}/a.png")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    other = make_course("other-course", lessons=1)
    assert client.get(f"/courses/other-course/assets/{asset_id}/a.png").status_code == 404
    assert other.code == "other-course"


def test_learners_get_only_the_files_of_the_published_revision(login_as, make_course, client,
                                                               db):
    course = make_course(lessons=1, assets={"images/a.png": ("image/png", PNG)})
    draft = services.ensure_draft(course)
    path = attach_image(course, draft, "new.png", "image/png", PNG + b"draft")
    stray = services.store_asset(course, "stray.png", "image/png", PNG + b"stray")
    db.session.commit()
    draft_only = f"/courses/test-course/assets/{draft.asset_map[path]}/new.png"
    unlisted = f"/courses/test-course/assets/{stray.id}/stray.png"
    login_as("sales1")
    assign(course, "sales1")
    assert client.get(draft_only).status_code == 404
    assert client.get(unlisted).status_code == 404
    # Authors see the draft's image (in its preview) before learners do.
    client.post("/logout", data={})
    login_as("trainer1", roles=["trainer"])
    assert client.get(draft_only).status_code == 200
    services.publish_draft(course)
    db.session.commit()
    client.post("/logout", data={})
    login_as("sales1")
    assert client.get(draft_only).status_code == 200
    assert client.get(unlisted).status_code == 404


def test_dashboard_queries_do_not_grow_with_courses(login_as, make_course, client,
                                                    count_queries):
    client = login_as("sales1")
    assign(make_course("course-a", lessons=2), "sales1")
    client.get("/")
    with count_queries() as one_course:
        client.get("/")
    for code in ("course-b", "course-c", "course-d"):
        assign(make_course(code, lessons=3), "sales1")
    client.get("/")
    with count_queries() as four_courses:
        client.get("/")
    assert len(four_courses) == len(one_course), four_courses


def test_overdue_is_marked_on_the_dashboard(login_as, make_course, client, db):
    client = login_as("sales1")
    course = make_course(lessons=1)
    user = assign(course, "sales1")
    enrolment.find_enrolment(user.id, course.id).due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert "data-overdue" in client.get("/").get_data(as_text=True)
