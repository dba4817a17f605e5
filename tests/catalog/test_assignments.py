"""Assigning a course to job roles, departments and people, and the enrolments that follow."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts import services as accounts
from lms.accounts.models import Department, User
from lms.accounts.services import find_user
from lms.catalog.enrolment import create_assignment, delete_assignment
from lms.catalog.models import Assignment, Course, Enrolment
from lms.catalog.progress import complete_item
from tests.catalog.conftest import find_job_role

FAR_DAY = "2030-01-31"
# 23:59:59 on 2030-01-31 in Asia/Shanghai (UTC+8).
FAR_DUE_UTC = datetime(2030, 1, 31, 15, 59, 59, tzinfo=UTC)


def _department(db, name: str) -> Department:
    return accounts.get_or_create_department(name)


def _enrolments(db, course: Course) -> dict[str, Enrolment]:
    db.session.expire_all()
    rows = db.session.execute(
        select(User.username, Enrolment).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course.id)).all()
    return dict(rows)


def _assignment_count(db) -> int:
    return db.session.scalar(select(func.count(Assignment.id)))


@pytest.fixture
def staff(create_user, db):
    """Two sales people, one warehouse person, one deactivated sales person."""
    create_user("sales1", job_roles=["sales"], department="销售部", display_name="王芳")
    create_user("sales2", job_roles=["sales"], department="销售部")
    create_user("wh1", job_roles=["warehouse"], department="仓储部")
    gone = create_user("sales3", job_roles=["sales"], department="销售部")
    accounts.set_active(gone, False)
    db.session.commit()


def _post(client, code: str, **data):
    form = {"target_kind": "job_role", "job_role": "", "department": "", "username": "",
            "due_date": "", "required": "y", **data}
    return client.post(f"/manage/courses/{code}/assignments", data=form)


# --- who gets enrolled -------------------------------------------------------------------------

def test_job_role_assignment_enrols_the_active_people_with_that_role(
        trainer, client, staff, make_course, db):
    course = make_course("c-role")
    response = _post(client, "c-role", job_role=str(find_job_role("sales").id))
    assert response.status_code == 303
    assert response.location.endswith("/manage/courses/c-role/assignments")
    enrolled = _enrolments(db, course)
    assert set(enrolled) == {"sales1", "sales2"}
    assert all(e.origin == "assignment" and e.required and e.due_at is None
               for e in enrolled.values())


def test_department_assignment_enrols_the_department(trainer, client, staff, make_course, db):
    course = make_course("c-dept")
    response = _post(client, "c-dept", target_kind="department",
                     department=str(_department(db, "仓储部").id))
    assert response.status_code == 303
    assert set(_enrolments(db, course)) == {"wh1"}


def test_person_assignment_enrols_that_person(trainer, client, staff, make_course, db):
    course = make_course("c-person")
    response = _post(client, "c-person", target_kind="user", username=" wh1 ")
    assert response.status_code == 303
    assert set(_enrolments(db, course)) == {"wh1"}
    assignment = db.session.scalar(select(Assignment))
    assert assignment.user_id == find_user("wh1").id
    assert assignment.job_role_id is None and assignment.department_id is None


def test_people_who_get_a_covered_job_role_later_are_enrolled(
        trainer, client, staff, create_user, make_course, db):
    course = make_course("c-later")
    _post(client, "c-later", job_role=str(find_job_role("sales").id), due_date=FAR_DAY)
    create_user("sales4", job_roles=["sales"], department="市场部")
    mover = find_user("wh1")
    accounts.set_job_roles(mover, ["warehouse", "sales"])
    db.session.commit()
    enrolled = _enrolments(db, course)
    assert set(enrolled) == {"sales1", "sales2", "sales4", "wh1"}
    assert enrolled["sales4"].due_at == FAR_DUE_UTC and enrolled["sales4"].required
    # Losing the role (with no progress) takes the course away again.
    accounts.set_job_roles(find_user("wh1"), ["warehouse"])
    db.session.commit()
    assert "wh1" not in _enrolments(db, course)


def test_people_who_join_a_covered_department_later_are_enrolled(
        trainer, client, staff, create_user, make_course, db):
    course = make_course("c-dept-later")
    _post(client, "c-dept-later", target_kind="department",
          department=str(_department(db, "仓储部").id))
    create_user("wh2", job_roles=[], department="仓储部")
    assert set(_enrolments(db, course)) == {"wh1", "wh2"}


def test_overlapping_assignments_earliest_due_date_and_required_if_any_win(
        staff, make_course, db):
    course = make_course("c-overlap")
    trainer = find_user("sales2")
    late = datetime(2030, 6, 30, 15, 59, 59, tzinfo=UTC)
    by_role = create_assignment(course, job_role=find_job_role("sales"), due_at=late,
                                required=False, actor=trainer)
    by_department = create_assignment(course, department=_department(db, "销售部"),
                                      due_at=FAR_DUE_UTC, required=True, actor=trainer)
    create_assignment(course, user=find_user("wh1"), due_at=None, required=False)
    db.session.commit()
    enrolled = _enrolments(db, course)
    assert enrolled["sales1"].due_at == FAR_DUE_UTC and enrolled["sales1"].required
    assert enrolled["wh1"].due_at is None and not enrolled["wh1"].required
    # The department's assignment goes: the role's later, optional one is what remains.
    delete_assignment(db.session.get(Assignment, by_department.id))
    db.session.commit()
    enrolled = _enrolments(db, course)
    assert enrolled["sales1"].due_at == late and not enrolled["sales1"].required
    assert enrolled["sales1"].origin == "assignment"
    # A later required assignment without a due date makes it required, keeps the date.
    create_assignment(course, user=find_user("sales1"), due_at=None, required=True)
    db.session.commit()
    enrolled = _enrolments(db, course)
    assert enrolled["sales1"].due_at == late and enrolled["sales1"].required
    assert by_role.id is not None


def test_deleting_keeps_people_with_progress_as_optional_without_due_date(
        trainer, client, staff, make_course, db):
    course = make_course("c-delete")
    _post(client, "c-delete", job_role=str(find_job_role("sales").id), due_date=FAR_DAY)
    first_item = course.published_revision.ordered_items()[0]
    complete_item(find_user("sales1").id, first_item, "viewed")
    db.session.commit()
    assignment = db.session.scalar(select(Assignment))
    page = client.get("/manage/courses/c-delete/assignments").data.decode()
    assert f'/manage/courses/c-delete/assignments/{assignment.id}/delete' in page
    response = client.post(f"/manage/courses/c-delete/assignments/{assignment.id}/delete",
                           data={})
    assert response.status_code == 303
    enrolled = _enrolments(db, course)
    assert set(enrolled) == {"sales1"}
    kept = enrolled["sales1"]
    assert (kept.origin, kept.required, kept.due_at) == ("self", False, None)
    assert _assignment_count(db) == 0


def test_delete_needs_the_courses_own_assignment_and_a_token(
        trainer, client, staff, make_course, db):
    make_course("c-one")
    make_course("c-two")
    _post(client, "c-one", job_role=str(find_job_role("sales").id))
    assignment = db.session.scalar(select(Assignment))
    base = "/manage/courses"
    assert client.post(f"{base}/c-two/assignments/{assignment.id}/delete",
                       data={}).status_code == 404
    assert client.post(f"{base}/c-one/assignments/99999999999/delete",
                       data={}).status_code == 404
    assert client.post(f"{base}/c-one/assignments/{assignment.id}/delete", data={},
                       csrf=False).status_code == 400
    assert client.get(f"{base}/c-one/assignments/{assignment.id}/delete").status_code == 405
    assert _assignment_count(db) == 1


# --- due dates -------------------------------------------------------------------------------

def test_due_date_is_the_end_of_the_day_in_the_trainers_time_zone(
        trainer, client, staff, make_course, db):
    make_course("c-due")
    _post(client, "c-due", target_kind="user", username="sales1", due_date=FAR_DAY)
    assert db.session.scalar(select(Assignment.due_at)) == FAR_DUE_UTC


@pytest.mark.parametrize("timezone, expected", [
    ("America/New_York", datetime(2030, 2, 1, 4, 59, 59, tzinfo=UTC)),
    ("UTC", datetime(2030, 1, 31, 23, 59, 59, tzinfo=UTC)),
    # No time zone of their own: the company default (DEFAULT_TIMEZONE, Asia/Shanghai).
    ("", FAR_DUE_UTC),
])
def test_due_date_follows_each_trainers_time_zone(timezone, expected, login_as, client, staff,
                                                  make_course, db):
    login_as("trainer2", roles=["trainer"], timezone=timezone or None)
    make_course("c-zone")
    response = _post(client, "c-zone", target_kind="user", username="sales1", due_date=FAR_DAY)
    assert response.status_code == 303
    assert db.session.scalar(select(Assignment.due_at)) == expected
    assert _enrolments(db, db.session.scalar(select(Course)))["sales1"].due_at == expected


def test_due_date_is_shown_in_the_viewers_time_zone(trainer, client, staff, make_course, db):
    make_course("c-show")
    _post(client, "c-show", target_kind="user", username="sales1", due_date=FAR_DAY)
    page = client.get("/manage/courses/c-show/assignments").data.decode()
    assert "2030年1月31日" in page
    me = find_user("trainer1")
    me.timezone = "Asia/Tokyo"  # 15:59:59 UTC is already 1 February there
    db.session.commit()
    page = client.get("/manage/courses/c-show/assignments").data.decode()
    assert "2030年2月1日" in page and "2030年1月31日" not in page


@pytest.mark.parametrize("due_date", [
    "2001-01-01", "yesterday", "2030-02-30", "31/01/2030", "9999-12-31", "0001-01-01",
    "2030-01-31T00:00", "１２３",
])
def test_bad_or_past_due_dates_are_refused(due_date, trainer, client, staff, make_course, db):
    course = make_course("c-past")
    response = _post(client, "c-past", job_role=str(find_job_role("sales").id),
                     due_date=due_date)
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.data.decode()
    assert _assignment_count(db) == 0 and not _enrolments(db, course)


def test_yesterday_is_refused_and_today_is_accepted(trainer, client, staff, make_course, db):
    from zoneinfo import ZoneInfo

    make_course("c-today")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    yesterday = today - timedelta(days=1)
    response = _post(client, "c-today", job_role=str(find_job_role("sales").id),
                     due_date=yesterday.isoformat())
    assert response.status_code == 400
    response = _post(client, "c-today", job_role=str(find_job_role("sales").id),
                     due_date=today.isoformat())
    assert response.status_code == 303


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"job_role": "999999"},
    {"job_role": "abc"},
    {"job_role": "99999999999999999999"},
    {"job_role": "-1"},
    {"job_role": "²"},
    {"job_role": "0"},
    {"job_role": ""},
    {"target_kind": "department", "department": "999999"},
    {"target_kind": "department", "department": "1.5"},
    {"target_kind": "department", "department": ""},
    {"target_kind": "user", "username": "nobody"},
    {"target_kind": "user", "username": ""},
    {"target_kind": "user", "username": "x" * 500},
    {"target_kind": "user", "username": "sales3"},  # deactivated
    {"target_kind": "everyone"},
    {"target_kind": ""},
])
def test_unknown_targets_are_400_and_nothing_is_saved(data, trainer, client, staff,
                                                      make_course, db):
    course = make_course("c-bad")
    response = _post(client, "c-bad", **data)
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.data.decode()
    assert _assignment_count(db) == 0 and not _enrolments(db, course)


def test_unknown_username_says_so_in_english(english_messages, trainer, client, staff,
                                             make_course, db):
    make_course("c-who")
    response = _post(client, "c-who", target_kind="user", username="nobody")
    assert response.status_code == 400
    page = response.data.decode()
    assert "No user with this username." in page
    assert 'value="nobody"' in page  # what was typed is kept


def test_the_same_target_twice_is_refused(trainer, client, staff, make_course, db):
    make_course("c-twice")
    sales = str(find_job_role("sales").id)
    assert _post(client, "c-twice", job_role=sales).status_code == 303
    assert _post(client, "c-twice", job_role=sales, due_date=FAR_DAY).status_code == 400
    assert _assignment_count(db) == 1


def test_missing_csrf_token_is_400(trainer, client, staff, make_course, db):
    make_course("c-csrf")
    response = client.post("/manage/courses/c-csrf/assignments",
                           data={"target_kind": "job_role",
                                 "job_role": str(find_job_role("sales").id)}, csrf=False)
    assert response.status_code == 400
    assert _assignment_count(db) == 0


def test_unchecked_required_makes_an_optional_assignment(trainer, client, staff, make_course,
                                                         db):
    course = make_course("c-optional")
    form = {"target_kind": "job_role", "job_role": str(find_job_role("sales").id)}
    assert client.post("/manage/courses/c-optional/assignments",
                       data=form).status_code == 303
    assert not db.session.scalar(select(Assignment.required))
    assert not any(e.required for e in _enrolments(db, course).values())


# --- the page --------------------------------------------------------------------------------

def test_page_lists_targets_required_and_people_covered(trainer, client, staff, make_course,
                                                        db):
    make_course("c-list")
    _post(client, "c-list", job_role=str(find_job_role("sales").id), due_date=FAR_DAY)
    _post(client, "c-list", target_kind="department",
          department=str(_department(db, "仓储部").id), required="")
    _post(client, "c-list", target_kind="user", username="sales1")
    page = client.get("/manage/courses/c-list/assignments")
    assert page.status_code == 200
    html = page.data.decode()
    assert html.count("data-assignment=") == 3
    assert "销售" in html and "仓储部" in html and "王芳 (sales1)" in html
    assert sorted(re.findall(r'data-covered="(\d+)"', html)) == ["1", "1", "2"]
    assert html.count("data-confirm=") == 3
    assert "/manage/courses/c-list/learners" in html
    assert 'id="not-published"' not in html


def test_page_uses_english_labels(english_messages, trainer, client, staff, make_course, db):
    make_course("c-english")
    _post(client, "c-english", job_role=str(find_job_role("sales").id))
    _post(client, "c-english", target_kind="department",
          department=str(_department(db, "仓储部").id))
    _post(client, "c-english", target_kind="user", username="sales1")
    html = client.get("/manage/courses/c-english/assignments").data.decode()
    assert "Job role: Sales" in html
    assert "Department: 仓储部" in html
    assert "Person: 王芳 (sales1)" in html


def test_form_offers_job_roles_and_departments_and_is_required_by_default(
        trainer, client, staff, make_course, db):
    make_course("c-form")
    html = client.get("/manage/courses/c-form/assignments").data.decode()
    assert f'value="{find_job_role("warehouse").id}"' in html
    assert f'value="{_department(db, "仓储部").id}"' in html
    assert re.search(r'<input[^>]*checked[^>]*id="required"|<input[^>]*id="required"[^>]*checked',
                     html)
    assert 'type="date"' in html
    assert 'id="no-assignments"' in html


def test_draft_course_can_be_assigned_with_a_note(trainer, client, staff, make_course, db):
    course = make_course("c-draft", publish=False)
    html = client.get("/manage/courses/c-draft/assignments").data.decode()
    assert 'id="not-published"' in html
    assert _post(client, "c-draft", job_role=str(find_job_role("sales").id)).status_code == 303
    assert set(_enrolments(db, course)) == {"sales1", "sales2"}


def test_unknown_or_empty_course_is_404(trainer, client, db):
    db.session.add(Course(code="no-revision"))
    db.session.commit()
    for code in ("no-such-course", "no-revision", "x" * 300):
        assert client.get(f"/manage/courses/{code}/assignments").status_code == 404
        assert client.get(f"/manage/courses/{code}/learners").status_code == 404
        assert _post(client, code, job_role="1").status_code == 404


@pytest.mark.parametrize("role", ["learner"])
def test_learners_get_403(role, login_as, client, staff, make_course, db):
    course = make_course("c-403")
    assignment = create_assignment(course, job_role=find_job_role("sales"))
    db.session.commit()
    login_as("learner9", roles=[role])
    assert client.get("/manage/courses/c-403/assignments").status_code == 403
    assert client.get("/manage/courses/c-403/learners").status_code == 403
    assert _post(client, "c-403", job_role=str(find_job_role("warehouse").id)).status_code == 403
    assert client.post(f"/manage/courses/c-403/assignments/{assignment.id}/delete",
                       data={}).status_code == 403
    assert _assignment_count(db) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, make_course):
    make_course("c-anon")
    response = client.get("/manage/courses/c-anon/assignments")
    assert response.status_code == 302 and "/login" in response.location


def test_assignments_are_audited(trainer, client, staff, make_course, db):
    from lms.accounts.audit import AuditEntry

    make_course("c-audit")
    _post(client, "c-audit", target_kind="user", username="sales1", due_date=FAR_DAY)
    assignment = db.session.scalar(select(Assignment))
    client.post(f"/manage/courses/c-audit/assignments/{assignment.id}/delete", data={})
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.target == "c-audit", AuditEntry.action.like("course.%assign"))
        .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["course.assign", "course.unassign"]
    assert entries[0].actor_name == "trainer1"
    assert entries[0].after["to"] == "user:sales1"


def test_editor_link_only_for_those_who_may_author(trainer, client, make_course, app, db):
    from lms.accounts.models import Role
    from lms.accounts.services import set_role_permissions

    make_course("c-links")
    editor = "/manage/courses/c-links/"
    html = client.get("/manage/courses/c-links/assignments").data.decode()
    assert (f'href="{editor}"' in html) == ("catalog.edit_course" in app.view_functions)
    role = db.session.scalar(select(Role).where(Role.name == "trainer"))
    set_role_permissions(role, sorted(role.permissions - {"author_courses"}))
    db.session.commit()
    html = client.get("/manage/courses/c-links/assignments").data.decode()
    assert f'href="{editor}"' not in html
    assert 'href="/manage/courses/c-links/learners"' in html


def test_moving_department_follows_the_department_assignment(
        trainer, client, staff, make_course, db):
    course = make_course("c-move")
    _post(client, "c-move", target_kind="department",
          department=str(_department(db, "仓储部").id), due_date=FAR_DAY)
    mover = find_user("sales2")
    accounts.update_user(mover, accounts.UserFields(
        username="sales2", display_name=mover.display_name, email=mover.email,
        department="仓储部", job_role_codes=["sales"]))
    db.session.commit()
    enrolled = _enrolments(db, course)
    assert set(enrolled) == {"wh1", "sales2"} and enrolled["sales2"].due_at == FAR_DUE_UTC
    leaver = find_user("wh1")
    accounts.update_user(leaver, accounts.UserFields(
        username="wh1", display_name=leaver.display_name, email=leaver.email,
        department="销售部", job_role_codes=["warehouse"]))
    db.session.commit()
    assert set(_enrolments(db, course)) == {"sales2"}


def test_unassigning_keeps_a_self_enrolment(staff, make_course, db):
    from lms.catalog.enrolment import self_enrol

    course = make_course("c-self", self_enrol=True)
    person = find_user("wh1")
    self_enrol(person, course)
    assignment = create_assignment(course, user=person, due_at=FAR_DUE_UTC)
    db.session.commit()
    delete_assignment(assignment)
    db.session.commit()
    kept = _enrolments(db, course).get("wh1")
    assert kept is not None and (kept.origin, kept.due_at, kept.required) == ("self", None, False)


def test_a_concurrent_enrolment_is_a_message_not_a_500(trainer, client, staff, make_course, db,
                                                       monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from lms.catalog.views import assignments as views

    def collide(*_args, **_kwargs):
        raise IntegrityError("INSERT INTO enrolments", {}, Exception("unique"))

    course = make_course("c-race")
    monkeypatch.setattr(views, "create_assignment", collide)
    response = _post(client, "c-race", job_role=str(find_job_role("sales").id))
    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.data.decode()
    assert _assignment_count(db) == 0 and not _enrolments(db, course)
