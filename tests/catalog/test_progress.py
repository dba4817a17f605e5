"""Completion rules, prerequisites, course completion, and revisions keeping old progress."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.catalog import enrolment, services
from lms.catalog.models import CourseCompletion, CourseItem, ItemCompletion
from lms.catalog.progress import DONE, LOCKED, OPEN, complete_item, course_progress
from lms.database import utcnow


def enrolled_learner(create_user, course, username="learner1"):
    user = create_user(username, job_roles=["sales"])
    enrolment.create_assignment(course, user=user, due_at=utcnow() + timedelta(days=7))
    services.db.session.commit()
    return user


def item(course, key, revision=None):
    revision = revision or course.published_revision
    return next(i for i in revision.items if i.key == key)


def test_prerequisites_lock_until_the_earlier_item_is_done(make_course, create_user, db):
    course = make_course(lessons=3)
    user = enrolled_learner(create_user, course)
    states = [s.state for s in course_progress(user.id, course).items]
    assert states == [OPEN, LOCKED, LOCKED]
    complete_item(user.id, item(course, "lesson-1"), "viewed")
    progress = course_progress(user.id, course)
    assert [s.state for s in progress.items] == [DONE, OPEN, LOCKED]
    assert progress.items[2].waiting_for == ["第 2 课"]
    assert progress.percent == 33 and progress.minutes_left == 20
    assert progress.next_item.item.key == "lesson-2"


def test_course_completes_once_when_every_required_item_is_done(make_course, create_user, db):
    course = make_course(lessons=2, chain=False)
    user = enrolled_learner(create_user, course)
    assert complete_item(user.id, item(course, "lesson-2"), "marked") is True
    assert course_progress(user.id, course).completed_at is None
    complete_item(user.id, item(course, "lesson-1"), "viewed")
    first = course_progress(user.id, course).completed_at
    assert first is not None
    # Completing again records nothing new and keeps the first completion time.
    assert complete_item(user.id, item(course, "lesson-1"), "marked") is False
    assert course_progress(user.id, course).completed_at == first
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1
    assert course_progress(user.id, course).percent == 100


def test_optional_items_do_not_count_towards_progress(make_course, create_user, db):
    course = make_course(lessons=2, chain=False)
    draft = services.ensure_draft(course)
    optional = item(course, "lesson-2", draft)
    services.update_item(optional, services.ItemFields(
        title=optional.title, minutes=5, required=False, requires=[], body=optional.body,
        url=None, settings={}), optional.lock_version)
    services.publish_draft(course)
    db.session.commit()
    user = enrolled_learner(create_user, course)
    complete_item(user.id, item(course, "lesson-1"), "viewed")
    progress = course_progress(user.id, course)
    assert progress.required_total == 1 and progress.percent == 100 and progress.is_complete


def test_overdue_and_due_dates(make_course, create_user, db):
    course = make_course()
    user = enrolled_learner(create_user, course)
    progress = course_progress(user.id, course)
    assert progress.due_at is not None and not progress.is_overdue
    progress.enrolment.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert course_progress(user.id, course).is_overdue


def edit_lesson(course, key, body):
    draft = services.ensure_draft(course)
    lesson = item(course, key, draft)
    services.update_item(lesson, services.ItemFields(
        title=lesson.title, minutes=lesson.minutes, required=True, requires=lesson.requires,
        body=body, url=None, settings={}), lesson.lock_version)
    return draft


def test_new_revision_keeps_old_completions_and_carries_unchanged_items(
        make_course, create_user, db):
    course = make_course(lessons=2, chain=False)
    user = enrolled_learner(create_user, course)
    old_lesson = item(course, "lesson-1")
    complete_item(user.id, old_lesson, "viewed")
    complete_item(user.id, item(course, "lesson-2"), "viewed")
    completed_at = course_progress(user.id, course).completed_at
    old_revision = course.published_revision

    edit_lesson(course, "lesson-2", "## 第 2 课\n\n内容更新了。\n")
    services.publish_draft(course, redo_changed_items=False)
    db.session.commit()

    # The completion made against revision 1 is still there, on revision 1's item.
    assert db.session.scalar(select(ItemCompletion).where(
        ItemCompletion.item_id == old_lesson.id)).how == "viewed"
    progress = course_progress(user.id, course)
    assert progress.revision.number == 2 and progress.revision is not old_revision
    assert [s.state for s in progress.items] == [DONE, DONE]
    assert progress.completed_at == completed_at


def test_redo_changed_items_reopens_only_what_changed(make_course, create_user, db):
    course = make_course(lessons=2, chain=False)
    user = enrolled_learner(create_user, course)
    complete_item(user.id, item(course, "lesson-1"), "viewed")
    complete_item(user.id, item(course, "lesson-2"), "viewed")

    edit_lesson(course, "lesson-2", "## 第 2 课\n\n流程改了,请重新学习。\n")
    services.publish_draft(course, redo_changed_items=True)
    db.session.commit()

    progress = course_progress(user.id, course)
    assert [s.state for s in progress.items] == [DONE, OPEN]
    assert not progress.is_complete and progress.percent == 50
    # The earlier course completion stays in the history of revision 1.
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1
    complete_item(user.id, item(course, "lesson-2"), "viewed")
    assert course_progress(user.id, course).is_complete


def test_learners_see_the_published_revision_while_a_draft_is_edited(make_course, create_user,
                                                                     db):
    course = make_course(lessons=1)
    edit_lesson(course, "lesson-1", "## 草稿\n\n还没发布的内容。\n")
    db.session.commit()
    assert "还没发布" not in item(course, "lesson-1").body
    assert course.published_revision.number == 1 and course.draft_revision.number == 2


def test_stale_item_save_is_a_conflict(make_course, db):
    course = make_course(lessons=1)
    draft = services.ensure_draft(course)
    lesson = item(course, "lesson-1", draft)
    loaded_version = lesson.lock_version
    fields = services.ItemFields(title="A", minutes=5, required=True, requires=[],
                                 body="## A\n", url=None, settings={})
    services.update_item(lesson, fields, loaded_version)
    db.session.commit()
    try:
        services.update_item(lesson, fields, loaded_version)
    except services.EditConflict as conflict:
        assert conflict.current.lock_version == loaded_version + 1
    else:
        raise AssertionError("a save based on an old version must be refused")


def test_completion_rows_are_per_revision_item(make_course, create_user, db):
    course = make_course(lessons=1)
    user = enrolled_learner(create_user, course)
    complete_item(user.id, item(course, "lesson-1"), "viewed")
    services.ensure_draft(course)
    services.publish_draft(course)
    db.session.commit()
    rows = db.session.execute(select(ItemCompletion.how, CourseItem.revision_id).join(
        CourseItem)).all()
    assert sorted(how for how, _r in rows) == ["carried", "viewed"]
    assert len({revision for _h, revision in rows}) == 2
