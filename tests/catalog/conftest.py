"""Catalog fixtures: courses built from in-memory sources, published like `lms courses sync`;
a trainer signed in; messages in English; looking up seeded job roles; reading forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.accounts.models import JobRole
from lms.catalog.source import CourseSource, ItemSource, ModuleSource
from lms.extensions import db as database

QUIZ_GIFT = "::q1::ERP 的中文全称是企业资源计划。{TRUE}\n"


def course_source(code: str = "test-course", *, lessons: int = 2, quiz: bool = False,
                  job_roles=("sales",), self_enrol: bool = False, chain: bool = True,
                  title: str = "测试课程", assets: dict | None = None,
                  quiz_settings: dict | None = None, quiz_gift: str = QUIZ_GIFT) -> CourseSource:
    """A course with ``lessons`` lessons (each requiring the previous when ``chain``) and
    ``assets`` ({path: (content type, bytes)}) as files of its folder; with ``quiz`` a last
    item "quiz" holding ``quiz_gift`` and ``quiz_settings`` (pass mark 60 unless given)."""
    items = []
    for number in range(1, lessons + 1):
        items.append(ItemSource(
            key=f"lesson-{number}", kind="lesson", title=f"第 {number} 课",
            body=f"## 第 {number} 课\n\n这一课讲第 {number} 件事。\n", minutes=10,
            requires=[f"lesson-{number - 1}"] if chain and number > 1 else [],
            source_name=f"lessons/{number:02d}.md",
        ))
    if quiz:
        items.append(ItemSource(key="quiz", kind="quiz", title="测验", body=quiz_gift,
                                settings={"pass_mark": 60, **(quiz_settings or {})},
                                source_name="quiz.gift",
                                requires=[i.key for i in items]))
    return CourseSource(code=code, title=title, summary="用于测试的课程。",
                        job_roles=list(job_roles), levels=["operations"],
                        self_enrol=self_enrol, assets=dict(assets or {}),
                        modules=[ModuleSource(title="第一单元", items=items)])


@pytest.fixture
def trainer(login_as):
    """A trainer signed in (the test client), in China's time zone."""
    return login_as("trainer1", roles=["trainer"], timezone="Asia/Shanghai")


def find_job_role(code: str) -> JobRole:
    """A job role by its code (the seeded ones: sales, warehouse, finance …)."""
    return database.session.scalar(select(JobRole).where(JobRole.code == code))


def hidden(page: bytes, name: str) -> str:
    """The value of the first hidden field ``name`` on a page."""
    match = re.search(rf'name="{name}"(?: type="hidden")? value="([^"]*)"', page.decode())
    assert match, f"no hidden {name}"
    return match.group(1)


def settings_data(page: bytes, **changes) -> dict:
    """A course settings form as the editor ``page`` holds it, with new values."""
    data = {"revision_id": hidden(page, "revision_id"),
            "lock_version": hidden(page, "lock_version"), "title": "新标题", "summary": "摘要",
            "version_label": "1.1",
            "job_roles": ["sales", "finance"], "levels": ["operations"], "cover": ""}
    data.update(changes)
    return data
