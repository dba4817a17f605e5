"""The demo company: its departments and people. Later issues add their content here."""

from __future__ import annotations

from dataclasses import dataclass

from flask_migrate import upgrade
from sqlalchemy import MetaData
from sqlalchemy.sql.ddl import sort_tables_and_constraints

import sandbox
from lms.accounts import services
from lms.catalog.demo import seed_demo_training
from lms.extensions import db
from lms.publishing.demo import seed_demo_manuals

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    department: str
    role: str
    job_role: str | None
    manager: str | None = None


DEMO_PEOPLE = [
    DemoPerson("admin", "系统管理员", "信息技术部", "admin", None),
    DemoPerson("trainer", "周敏", "人力资源部", "trainer", None, "manager1"),
    DemoPerson("manager1", "刘洋", "总经理办公室", "learner", "management"),
    DemoPerson("sales1", "王芳", "销售部", "learner", "sales", "manager1"),
    DemoPerson("buyer1", "李强", "采购部", "learner", "purchasing", "manager1"),
    DemoPerson("stock1", "张伟", "仓储物流部", "learner", "warehouse", "manager1"),
    DemoPerson("finance1", "陈静", "财务部", "learner", "finance", "manager1"),
    DemoPerson("it1", "赵磊", "信息技术部", "learner", "it_support", "manager1"),
]


def rebuild_schema() -> None:
    """Drop every table in the database (whatever created it), then migrate to head."""
    reflected = MetaData()
    reflected.reflect(bind=db.engine)
    # Tables that point at each other (courses <-> course_revisions) cannot be dropped in a
    # dependency order: their foreign keys are dropped first (ALTER where the database can).
    cyclic = next((fks for table, fks in sort_tables_and_constraints(
        reflected.tables.values()) if table is None), [])
    for constraint in cyclic:
        constraint.use_alter = True
    if db.engine.dialect.name == "sqlite":
        # SQLite cannot drop a constraint; with foreign keys off the order does not matter.
        # The pragma only works outside a transaction, hence the raw DB-API connection.
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA foreign_keys=OFF")
            for table in reflected.tables.values():
                raw.execute(f'DROP TABLE IF EXISTS "{table.name}"')
            raw.commit()
            raw.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
    else:
        reflected.drop_all(bind=db.engine)
    db.session.remove()
    upgrade()


def seed_demo_company(*, manual_pdfs: bool = True) -> None:
    """Create the demo people (managers first so every manager exists when referenced),
    their training and the published manuals (``manual_pdfs=False`` skips rendering the
    PDFs, for tests that do not read them)."""
    services.ensure_reference_data()
    ordered = sorted(DEMO_PEOPLE, key=lambda person: person.manager is not None)
    for person in ordered:
        fields = services.UserFields(
            username=person.username,
            display_name=person.display_name,
            email=f"{person.username}@demo.praxis.example",
            department=person.department,
            manager_username=person.manager,
            job_role_codes=[person.job_role] if person.job_role else [],
            role_names=[person.role],
        )
        user = services.create_user(fields, password=DEMO_PASSWORD)
        # Every demo person has their training ERP ready, acting as their job's persona.
        sandbox.provision_sandbox(user.id, fields.job_role_codes)
    seed_demo_training()
    seed_demo_manuals(with_pdf=manual_pdfs)
    db.session.commit()
