"""Drafts through the services: the self-enrolment setting, drafts of courses that were never
published, item keys at the column's length, refusing unready drafts, and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.audit import AuditEntry
from lms.catalog import enrolment, outline, services
from lms.catalog.models import Course
from lms.catalog.services import DraftNotReady, RevisionFields
from tests.catalog.conftest import course_source


def settings_of(revision, **changes) -> RevisionFields:
    fields = RevisionFields(
        title=revision.title, summary=revision.summary, version_label=revision.version_label,
        job_roles=list(revision.audience_job_roles), levels=list(revision.audience_levels),
        self_enrol=revision.self_enrol, cover_name=revision.cover_name)
    for name, value in changes.items():
        setattr(fields, name, value)
    return fields


def audit_actions(db, target: str) -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target == target).order_by(AuditEntry.id)))


# --- self-enrolment is a setting of the draft -------------------------------------------------


def test_self_enrol_changed_in_a_draft_reaches_learners_only_when_published(
        make_course, create_user, db):
    course = make_course("open-later")
    learner = create_user("walk-in", job_roles=["finance"])
    draft = services.ensure_draft(course)
    services.update_revision(draft, settings_of(draft, self_enrol=True), draft.lock_version)
    db.session.commit()
    assert draft.self_enrol is True and course.published_revision.self_enrol is False
    assert course.self_enrol is False
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.self_enrol(learner, course)
    services.publish_draft(course)
    db.session.commit()
    assert course.self_enrol is True
    assert enrolment.self_enrol(learner, course).origin == "self"
    # The next draft starts from the published value, and can close the course again.
    again = services.ensure_draft(course)
    assert again.self_enrol is True
    services.update_revision(again, settings_of(again, self_enrol=False), again.lock_version)
    assert course.self_enrol is True
    services.publish_draft(course)
    assert course.self_enrol is False


def test_self_enrol_from_files_waits_for_publishing(make_course, db):
    course = make_course("open-files", publish=False, self_enrol=True)
    assert course.draft_revision.self_enrol is True and course.self_enrol is False
    services.publish_draft(course)
    assert course.self_enrol is True


def test_revision_digest_uses_the_revisions_self_enrol(make_course, db):
    course = make_course("digest", self_enrol=True)
    published = course.published_revision
    assert services.revision_digest(published) == course_source("digest", self_enrol=True).digest()
    # A draft that only closes self-enrolment differs from the published files.
    draft = services.ensure_draft(course)
    services.update_revision(draft, settings_of(draft, self_enrol=False), draft.lock_version)
    assert services.revision_digest(draft) == course_source("digest").digest()
    assert services.revision_digest(published) != services.revision_digest(draft)


# --- courses without a published revision -----------------------------------------------------


def test_ensure_draft_without_any_revision_says_so(db):
    course = Course(code="bare")
    db.session.add(course)
    db.session.flush()
    with pytest.raises(ValueError, match="no published revision"):
        services.ensure_draft(course)
    assert course.draft_revision is None


def test_the_draft_of_a_never_published_course_is_not_discarded(db):
    course = services.create_course("keep-draft", "保留的草稿")
    draft_id = course.draft_revision_id
    with pytest.raises(ValueError, match="never published"):
        services.discard_draft(course)
    db.session.commit()
    assert services.find_course("keep-draft").draft_revision_id == draft_id
    # ensure_draft hands back the draft it has.
    assert services.ensure_draft(course).id == draft_id


# --- item keys --------------------------------------------------------------------------------


def test_unique_item_key_stays_within_the_column(db):
    course = services.create_course("long-keys", "长键")
    draft = course.draft_revision
    module = draft.modules[0]
    longest = "k" * outline.MAX_KEY_LENGTH
    keys = [outline.add_item(module, "lesson", f"课 {n}", longest).key for n in range(12)]
    assert keys[0] == longest
    assert keys[1] == "k" * 58 + "-2" and keys[11] == "k" * 57 + "-12"
    assert len(set(keys)) == 12 and max(len(key) for key in keys) == outline.MAX_KEY_LENGTH
    too_long = outline.unique_item_key(draft, "x" * 80)
    assert too_long == "x" * 60
    db.session.commit()


# --- publishing refuses what is not ready -----------------------------------------------------


def test_publish_draft_refuses_an_unready_draft(db):
    course = services.create_course("not-ready", "未完成")
    draft = course.draft_revision
    with pytest.raises(DraftNotReady) as empty:
        services.publish_draft(course)
    assert len(empty.value.problems) == 1
    module = draft.modules[0]
    first = outline.add_item(module, "lesson", "First", "first")
    second = outline.add_item(module, "lesson", "Second", "second")
    for item, body, requires in ((first, "# 一", ["second"]), (second, "# 二", [])):
        services.update_item(item, services.ItemFields(
            title=item.title, minutes=5, required=True, requires=requires, body=body, url=None,
            settings={}), item.lock_version)
    problems = services.draft_problems(draft)
    assert len(problems) == 1 and "second" in problems[0]
    with pytest.raises(DraftNotReady) as misplaced:
        services.publish_draft(course)
    assert misplaced.value.problems == problems
    assert course.published_revision is None and course.draft_revision is draft
    assert draft.state == "draft"
    outline.move_item(second, -1)
    assert services.draft_problems(draft) == []
    assert services.publish_draft(course) is draft


# --- the audit log ----------------------------------------------------------------------------


def test_creating_a_course_and_discarding_a_draft_are_audited(make_course, create_user, db):
    author = create_user("author1", roles=["trainer"])
    services.create_course("audited", "审计", actor=author)
    course = make_course("audited-2")
    services.ensure_draft(course)
    services.discard_draft(course, actor=author)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.create"))
    assert (entry.target, entry.actor_name, entry.after) == ("audited", "author1",
                                                             {"title": "审计"})
    assert audit_actions(db, "audited-2") == ["course.publish", "course.discard_draft"]
    # Nothing to discard: nothing recorded.
    services.discard_draft(course, actor=author)
    assert audit_actions(db, "audited-2") == ["course.publish", "course.discard_draft"]
