"""The trainer's report of a course's learners: numbers, filters, order, pages, query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.accounts.models import Department
from lms.accounts.services import find_user
from lms.catalog import reports
from lms.catalog.enrolment import create_assignment, self_enrol
from lms.catalog.models import Enrolment
from lms.catalog.progress import complete_item, course_progress
from lms.database import utcnow
from tests.catalog.conftest import find_job_role


def _make_overdue(db, course, username: str, days: int = 3) -> None:
    enrolment = db.session.scalar(select(Enrolment).where(
        Enrolment.course_id == course.id, Enrolment.user_id == find_user(username).id))
    enrolment.due_at = utcnow() - timedelta(days=days)
    db.session.commit()


def _complete(db, course, username: str, count: int | None = None) -> None:
    items = course.published_revision.ordered_items()
    for item in items[:count]:
        complete_item(find_user(username).id, item, "viewed")
    db.session.commit()


@pytest.fixture
def course(make_course, create_user, db):
    """A 4-lesson course assigned to sales, with learners in every state.

    ann: done; bob: 1 of 4; cat: not started, overdue; dan: 2 of 4, overdue (warehouse dept,
    also warehouse role); eve: self-enrolled, not started; zed: deactivated.
    """
    course = make_course("report-course", lessons=4, self_enrol=True)
    for username, name, department, roles in [
        ("ann", "A 安", "销售部", ["sales"]), ("bob", "B 白", "销售部", ["sales"]),
        ("cat", "C 陈", "销售部", ["sales"]), ("dan", "D 丁", "仓储部", ["sales", "warehouse"]),
        ("eve", "E 鄂", "财务部", ["finance"]), ("zed", "Z 周", "销售部", ["sales"]),
    ]:
        create_user(username, display_name=name, department=department, job_roles=roles)
    create_assignment(course, job_role=find_job_role("sales"), due_at=utcnow() + timedelta(30))
    self_enrol(find_user("eve"), course)
    db.session.commit()
    _complete(db, course, "ann")
    _complete(db, course, "bob", 1)
    _complete(db, course, "dan", 2)
    _make_overdue(db, course, "cat")
    _make_overdue(db, course, "dan", days=1)
    accounts.set_active(find_user("zed"), False)
    db.session.commit()
    return course


def _usernames(page) -> list[str]:
    return [row.username for row in page.items]


def test_report_numbers_agree_with_course_progress(course, db):
    page = reports.learner_progress_page(course)
    assert page.total == 5
    for row in page.items:
        progress = course_progress(row.user_id, course)
        assert (row.required_done, row.required_total, row.percent, row.completed_at,
                row.is_overdue, row.due_at) == (
            progress.required_done, progress.required_total, progress.percent,
            progress.completed_at, progress.is_overdue, progress.due_at), row.username
    rows = {row.username: row for row in page.items}
    assert rows["ann"].status == "completed" and rows["ann"].percent == 100
    assert rows["bob"].status == "in_progress" and rows["bob"].percent == 25
    assert rows["cat"].status == "overdue" and rows["cat"].percent == 0
    assert rows["dan"].status == "overdue" and rows["dan"].percent == 50
    assert rows["eve"].status == "not_started" and rows["eve"].origin == "self"
    assert not rows["eve"].required and rows["eve"].due_at is None
    assert rows["dan"].department == "仓储部"
    assert [j.code for j in rows["dan"].job_roles] == ["sales", "warehouse"]
    assert rows["ann"].origin == "assignment" and rows["ann"].required


def test_overdue_first_then_by_name(course):
    assert _usernames(reports.learner_progress_page(course)) == ["cat", "dan", "ann", "bob",
                                                                 "eve"]


@pytest.mark.parametrize("status, expected", [
    ("all", {"ann", "bob", "cat", "dan", "eve"}),
    ("not_started", {"cat", "eve"}),
    ("in_progress", {"bob", "dan"}),
    ("completed", {"ann"}),
    ("overdue", {"cat", "dan"}),
])
def test_status_filter(status, expected, course):
    page = reports.learner_progress_page(course, reports.ReportFilters(status=status))
    assert set(_usernames(page)) == expected and page.total == len(expected)


def test_department_and_job_role_filters(course, db):
    warehouse_dept = db.session.scalar(select(Department).where(Department.name == "仓储部"))
    by_department = reports.ReportFilters(department_id=warehouse_dept.id)
    assert _usernames(reports.learner_progress_page(course, by_department)) == ["dan"]
    by_role = reports.ReportFilters(job_role_id=find_job_role("sales").id)
    assert set(_usernames(reports.learner_progress_page(course, by_role))) == {
        "ann", "bob", "cat", "dan"}
    both = reports.ReportFilters(status="overdue", job_role_id=find_job_role("warehouse").id)
    assert _usernames(reports.learner_progress_page(course, both)) == ["dan"]
    assert reports.overdue_count(course) == 2
    assert reports.overdue_count(course, by_department) == 1
    # The status filter does not change the count of overdue learners shown at the top.
    assert reports.overdue_count(course, reports.ReportFilters(status="completed")) == 2


def test_a_completed_learner_past_the_due_date_is_not_overdue(course, db):
    _make_overdue(db, course, "ann")
    rows = {r.username: r for r in reports.learner_progress_page(course).items}
    assert not rows["ann"].is_overdue and rows["ann"].status == "completed"
    assert reports.overdue_count(course) == 2


def test_unpublished_course_has_an_empty_report(make_course, create_user, db):
    draft = make_course("draft-only", publish=False)
    create_user("fay", job_roles=["sales"])
    create_assignment(draft, job_role=find_job_role("sales"))
    db.session.commit()
    assert reports.learner_progress_page(draft).total == 0
    assert reports.overdue_count(draft) == 0


def test_pages_hold_25_learners(make_course, create_user, db):
    course = make_course("big-course")
    for number in range(30):
        create_user(f"p{number:02d}", job_roles=["sales"], display_name=f"学员 {number:02d}")
    create_assignment(course, job_role=find_job_role("sales"))
    db.session.commit()
    first = reports.learner_progress_page(course, page=1)
    second = reports.learner_progress_page(course, page=2)
    assert (first.total, len(first.items), len(second.items)) == (30, 25, 5)
    assert first.pages == 2 and first.has_next and not second.has_next
    assert set(_usernames(first)).isdisjoint(_usernames(second))
    assert list(first.iter_pages()) == [1, 2]


def test_page_numbers_leave_gaps(make_course):
    page = reports.Page(items=[], page=10, per_page=25, total=25 * 20)
    assert list(page.iter_pages()) == [1, 2, None, 8, 9, 10, 11, 12, None, 19, 20]


# --- the page --------------------------------------------------------------------------------

def test_learners_page_shows_progress_overdue_and_completion(trainer, client, course):
    response = client.get("/manage/courses/report-course/learners")
    assert response.status_code == 200
    html = response.data.decode()
    assert re.findall(r'data-learner="(\w+)"', html) == ["cat", "dan", "ann", "bob", "eve"]
    assert 'data-overdue-count="2"' in html
    assert html.count("data-overdue>") == 2
    assert re.search(r'data-learner="bob" data-status="in_progress" data-percent="25"', html)
    assert 'aria-valuenow="25"' in html and 'data-percent="100"' in html
    assert html.count('role="progressbar"') == 5
    assert html.count("<time datetime=") >= 4 + 1  # four due dates, one completion
    assert "/manage/courses/report-course/assignments" in html
    assert "/manage/courses/report-course/learners?" in html  # "show them" link


def test_learners_page_in_english(english_messages, trainer, client, course):
    html = client.get("/manage/courses/report-course/learners").data.decode()
    assert "2 learners are overdue." in html


@pytest.mark.parametrize("query, expected", [
    ("status=completed", ["ann"]),
    ("status=overdue", ["cat", "dan"]),
    ("status=not_started", ["cat", "eve"]),
    ("status=in_progress&job_role={warehouse}", ["dan"]),
    ("department={warehouse_dept}", ["dan"]),
    ("status=bogus", ["cat", "dan", "ann", "bob", "eve"]),
    ("department=abc&job_role=-1&page=-5", ["cat", "dan", "ann", "bob", "eve"]),
    ("page=99999999999999999999", []),
    ("department=99999999999999999999", ["cat", "dan", "ann", "bob", "eve"]),
    ("department=²&job_role=0&page=²", ["cat", "dan", "ann", "bob", "eve"]),
    ("department=999999", []),
])
def test_learners_page_filters(query, expected, trainer, client, course, db):
    warehouse_dept = db.session.scalar(select(Department).where(Department.name == "仓储部"))
    query = query.format(warehouse=find_job_role("warehouse").id, warehouse_dept=warehouse_dept.id)
    response = client.get(f"/manage/courses/report-course/learners?{query}")
    assert response.status_code == 200
    html = response.data.decode()
    assert re.findall(r'data-learner="(\w+)"', html) == expected
    if not expected:
        assert 'id="no-learners"' in html


def test_learners_page_empty_states(trainer, client, make_course):
    make_course("lonely-course")
    make_course("draft-course", publish=False)
    html = client.get("/manage/courses/lonely-course/learners").data.decode()
    assert 'id="no-learners"' in html and "data-learner=" not in html
    assert 'id="overdue-summary"' not in html
    html = client.get("/manage/courses/draft-course/learners").data.decode()
    assert 'id="no-report"' in html and 'id="not-published"' in html


def test_learners_page_paginates_with_filters_kept(trainer, client, make_course, create_user,
                                                    db):
    course = make_course("paged-course")
    for number in range(27):
        create_user(f"q{number:02d}", job_roles=["sales"])
    create_assignment(course, job_role=find_job_role("sales"))
    db.session.commit()
    sales = find_job_role("sales").id
    html = client.get(f"/manage/courses/paged-course/learners?job_role={sales}").data.decode()
    assert html.count("data-learner=") == 25
    assert f"job_role={sales}" in html and "page=2" in html
    html = client.get(f"/manage/courses/paged-course/learners?job_role={sales}&page=2")
    assert html.data.decode().count("data-learner=") == 2


def _count(client, count_queries, path: str) -> int:
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def test_query_count_does_not_grow_with_learners(trainer, client, make_course, create_user,
                                                  count_queries, db):
    course = make_course("counted-course", lessons=3)
    create_assignment(course, job_role=find_job_role("sales"),
                      due_at=utcnow() + timedelta(days=7))
    db.session.commit()

    def add_learners(start: int, stop: int) -> None:
        for number in range(start, stop):
            create_user(f"n{number:02d}", job_roles=["sales", "warehouse"],
                        department=f"部门{number % 4}")
            _complete(db, course, f"n{number:02d}", number % 4)
        _make_overdue(db, course, f"n{start:02d}")

    add_learners(0, 3)
    path = "/manage/courses/counted-course/learners"
    few = _count(client, count_queries, path)
    add_learners(3, 30)
    many = _count(client, count_queries, path)
    assert many == few
    assert _count(client, count_queries, path + "?status=overdue&page=1") == few


def test_assignments_page_query_count_does_not_grow(trainer, client, make_course, create_user,
                                                     count_queries, db):
    course = make_course("assigned-course")
    create_assignment(course, job_role=find_job_role("sales"))
    db.session.commit()
    path = "/manage/courses/assigned-course/assignments"
    few = _count(client, count_queries, path)
    for number in range(6):
        learner = create_user(f"m{number}", department=f"部门{number}")
        create_assignment(course, user=learner)
        create_assignment(course, department=learner.department)
    create_assignment(course, job_role=find_job_role("finance"))
    db.session.commit()
    assert _count(client, count_queries, path) == few
