"""The demo curriculum: the courses in courses/, assigned to the demo company's people."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import JobRole, User
from lms.catalog import enrolment, services
from lms.catalog.progress import complete_item
from lms.catalog.sync import DEFAULT_COURSES_PATH, sync_courses
from lms.database import utcnow
from lms.extensions import db

# (course, job role, due in days): every role takes the basics first, then its own course.
ROLE_ASSIGNMENTS = [
    *[("erp-basics", role, 14) for role in
      ("sales", "purchasing", "warehouse", "finance", "management", "it_support")],
    ("sales-management", "sales", 30),
    ("purchasing-management", "purchasing", 30),
    ("inventory-management", "warehouse", 30),
    ("finance-management", "finance", 30),
    ("management-reporting", "management", 30),
    ("system-administration", "it_support", 30),
]
# A little history, so trainers' pages are not empty: who has read which lessons already.
DEMO_PROGRESS = {
    "manager1": {"erp-basics": 5},
    "finance1": {"erp-basics": 2},
    "stock1": {"erp-basics": 1},
}


def seed_demo_training() -> None:
    """Load the demo courses, assign them, and record some progress (caller commits)."""
    results = sync_courses(DEFAULT_COURSES_PATH)
    broken = [r for r in results if r.status == "error"]
    if broken:
        details = "\n".join(str(p) for r in broken for p in r.problems)
        raise RuntimeError(f"the demo courses do not load:\n{details}")
    trainer = db.session.scalar(select(User).where(User.username == "trainer"))
    job_roles = {j.code: j for j in db.session.scalars(select(JobRole))}
    now = utcnow()
    for code, role, days in ROLE_ASSIGNMENTS:
        enrolment.create_assignment(services.find_course(code), job_role=job_roles[role],
                                    due_at=now + timedelta(days=days), actor=trainer)
    # The warehouse clerk was given the basics earlier and missed the date: an overdue case.
    stock1 = db.session.scalar(select(User).where(User.username == "stock1"))
    enrolment.create_assignment(services.find_course("erp-basics"), user=stock1,
                                due_at=now - timedelta(days=3), actor=trainer)
    for username, courses in DEMO_PROGRESS.items():
        user = db.session.scalar(select(User).where(User.username == username))
        for code, lessons in courses.items():
            revision = services.find_course(code).published_revision
            done = [i for i in revision.ordered_items() if i.kind == "lesson"][:lessons]
            for item in done:
                complete_item(user.id, item, "viewed")
