"""`lms courses sync` and `export`: idempotent loading, errors with file and line, round trip."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.catalog import services
from lms.catalog.models import CourseItem, CourseRevision
from lms.catalog.sync import export_course, sync_courses

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")

COURSE_YML = """\
code: {code}
title: 销售入门
summary: 销售员的第一课。
version: "1.0"
audience:
  job_roles: [sales]
  levels: [operations]
cover: images/cover.png
modules:
  - title: 基础
    items:
      - key: orders
        kind: lesson
        title: 销售订单
        source: lessons/orders.md
        minutes: 15
      - key: quiz
        kind: quiz
        title: 小测验
        source: quiz.gift
        requires: [orders]
      - key: manual
        kind: resource
        title: 操作手册
        url: manual:erp-operation#销售订单
        required: false
"""


def write_course(root: Path, code: str = "sales-intro", course_yml: str | None = None,
                 lesson: str = "## 订单\n\n![列表](images/cover.png)\n\n下单前先查信用额度。\n",
                 gift: str = "::q1::订单超过信用额度需要审批。{TRUE}\n") -> Path:
    folder = root / code
    (folder / "lessons").mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    (folder / "course.yml").write_text(course_yml or COURSE_YML.format(code=code),
                                       encoding="utf-8")
    (folder / "lessons" / "orders.md").write_text(lesson, encoding="utf-8")
    (folder / "quiz.gift").write_text(gift, encoding="utf-8")
    (folder / "images" / "cover.png").write_bytes(PNG)
    return folder


def revision_count() -> int:
    return services.db.session.scalar(select(func.count(CourseRevision.id)))


def test_sync_loads_a_course_and_twice_changes_nothing(tmp_path, db):
    write_course(tmp_path)
    first = sync_courses(tmp_path)
    db.session.commit()
    assert [(r.code, r.status) for r in first] == [("sales-intro", "created")]
    course = services.find_course("sales-intro")
    revision = course.published_revision
    assert course.is_published and revision.title == "销售入门"
    assert [i.key for i in revision.ordered_items()] == ["orders", "quiz", "manual"]
    assert revision.ordered_items()[1].requires == ["orders"]
    assert set(revision.asset_map) == {"images/cover.png"}
    before = revision_count()

    second = sync_courses(tmp_path)
    db.session.commit()
    assert [(r.code, r.status) for r in second] == [("sales-intro", "unchanged")]
    assert revision_count() == before


def test_changed_file_makes_a_new_revision(tmp_path, db):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    db.session.commit()
    (folder / "lessons" / "orders.md").write_text("## 订单\n\n改过的内容。\n", encoding="utf-8")
    result = sync_courses(tmp_path)
    db.session.commit()
    assert result[0].status == "updated" and result[0].revision == 2
    course = services.find_course("sales-intro")
    assert "改过的内容" in course.published_revision.ordered_items()[0].body
    states = sorted(db.session.scalars(select(CourseRevision.state)))
    assert states == ["published", "superseded"]


@pytest.mark.parametrize(("mutate", "where", "reason"), [
    (lambda y: y.replace("requires: [orders]", "requires: [order]"), "course.yml:21",
     "requires 'order'"),
    (lambda y: y.replace("kind: quiz", "kind: exam"), "course.yml:18", "unknown kind 'exam'"),
    (lambda y: y.replace("source: lessons/orders.md", "source: lessons/missing.md"),
     "course.yml:15", "file 'lessons/missing.md' not found"),
    (lambda y: y.replace("source: lessons/orders.md", "source: ../../etc/passwd"),
     "course.yml:15", "outside the course folder"),
    (lambda y: y.replace("job_roles: [sales]", "job_roles: [salesman]"), "course.yml:6:",
     "unknown job role 'salesman'"),
    (lambda y: y.replace("      - key: quiz", "      - key: orders"), "course.yml:17",
     "key 'orders' is used twice"),
    (lambda y: y.replace("title: 基础", "title: [基础"), "course.yml:11", "not valid YAML"),
    (lambda y: y.replace("minutes: 15", "minutes: lots"), "course.yml:16", "minutes"),
])
def test_malformed_course_file_reports_file_line_and_reason(tmp_path, db, mutate, where,
                                                            reason):
    write_course(tmp_path, course_yml=mutate(COURSE_YML.format(code="sales-intro")))
    result = sync_courses(tmp_path)
    assert result[0].status == "error"
    messages = [str(p) for p in result[0].problems]
    assert any(m.startswith(f"sales-intro/{where}") and reason in m for m in messages), messages
    assert services.find_course("sales-intro") is None


def test_malformed_gift_is_reported_with_the_bank_file(tmp_path, db):
    write_course(tmp_path, gift="::q1::没有结束的题目 {=对 ~错\n")
    result = sync_courses(tmp_path)
    (problem,) = result[0].problems
    assert problem.file == "sales-intro/quiz.gift" and "line 1" in problem.reason


def test_missing_image_is_reported_with_the_lesson_line(tmp_path, db):
    write_course(tmp_path, lesson="## 订单\n\n正文\n\n![图](images/nothing.png)\n")
    result = sync_courses(tmp_path)
    (problem,) = result[0].problems
    assert (problem.file, problem.line) == ("sales-intro/lessons/orders.md", 5)


def test_a_broken_update_leaves_the_published_course_untouched(tmp_path, db):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    db.session.commit()
    (folder / "lessons" / "orders.md").write_text("## 新内容\n", encoding="utf-8")
    (folder / "quiz.gift").write_text("::broken:: {=a ~b", encoding="utf-8")
    result = sync_courses(tmp_path)
    db.session.commit()
    assert result[0].status == "error"
    course = services.find_course("sales-intro")
    assert course.published_revision.number == 1 and course.draft_revision is None
    assert "下单前先查信用额度" in course.published_revision.ordered_items()[0].body
    assert revision_count() == 1


def test_one_bad_course_does_not_stop_the_others(tmp_path, db):
    write_course(tmp_path, "good-course")
    write_course(tmp_path, "bad-course",
                 course_yml=COURSE_YML.format(code="bad-course").replace("kind: quiz", "kind: x"))
    results = {r.code: r.status for r in sync_courses(tmp_path)}
    assert results == {"bad-course": "error", "good-course": "created"}


def test_export_then_sync_is_a_round_trip(tmp_path, db):
    write_course(tmp_path / "src")
    sync_courses(tmp_path / "src")
    db.session.commit()
    course = services.find_course("sales-intro")
    folder = export_course(course, tmp_path / "out")
    assert (folder / "lessons" / "orders.md").read_text(encoding="utf-8").startswith("## 订单")
    assert (folder / "images" / "cover.png").read_bytes() == PNG
    result = sync_courses(tmp_path / "out")
    assert result[0].status == "unchanged"


def test_sync_refuses_to_overwrite_a_web_draft(tmp_path, db):
    folder = write_course(tmp_path)
    sync_courses(tmp_path)
    db.session.commit()
    course = services.find_course("sales-intro")
    services.ensure_draft(course)
    db.session.commit()
    (folder / "lessons" / "orders.md").write_text("## 文件里的新内容\n", encoding="utf-8")
    result = sync_courses(tmp_path)
    assert result[0].status == "error" and "draft" in str(result[0].problems[0])


def test_cli_sync_and_export(tmp_path, runner, db):
    write_course(tmp_path / "src", course_yml=textwrap.dedent(COURSE_YML.format(
        code="sales-intro")))
    result = runner.invoke(args=["courses", "sync", str(tmp_path / "src")])
    assert result.exit_code == 0, result.output
    assert "sales-intro: created (revision 1)" in result.output
    again = runner.invoke(args=["courses", "sync", str(tmp_path / "src")])
    assert "sales-intro: unchanged" in again.output
    exported = runner.invoke(args=["courses", "export", "sales-intro", str(tmp_path / "out")])
    assert exported.exit_code == 0 and (tmp_path / "out" / "sales-intro" / "course.yml").exists()
    missing = runner.invoke(args=["courses", "export", "nope", str(tmp_path / "out")])
    assert missing.exit_code != 0 and "nope" in missing.output


def test_cli_sync_exits_non_zero_on_errors(tmp_path, runner, db):
    write_course(tmp_path, course_yml=COURSE_YML.format(code="sales-intro").replace(
        "kind: quiz", "kind: exam"))
    result = runner.invoke(args=["courses", "sync", str(tmp_path)])
    assert result.exit_code == 1
    assert "sales-intro/course.yml:18: unknown kind 'exam'" in result.output


def test_items_store_their_content_hash(tmp_path, db):
    write_course(tmp_path)
    sync_courses(tmp_path)
    hashes = list(db.session.scalars(select(CourseItem.content_hash)))
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)


def test_a_draft_publishing_refuses_is_reported_and_not_loaded(tmp_path, db, monkeypatch):
    # The reader checks what publishing checks; should they ever disagree, sync reports the
    # course instead of stopping (a stand-in problem here).
    write_course(tmp_path)
    monkeypatch.setattr(services, "draft_problems", lambda revision: ["还没准备好"])
    [result] = sync_courses(tmp_path)
    assert result.status == "error" and "还没准备好" in str(result.problems[0])
    assert services.find_course("sales-intro") is None and revision_count() == 0
