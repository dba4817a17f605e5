"""seed portal roles with their default permissions and the standard job roles

A fresh `lms db upgrade` thus yields a usable portal: `lms users create-admin` and the admin
pages find the roles they assign. Values are written out here, not imported from the app,
so this migration keeps meaning the same thing when the app's defaults change later.

Revision ID: c41e7a90d2b1
Revises: b3107fd46039
Create Date: 2026-11-25 12:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c41e7a90d2b1"
down_revision = "b3107fd46039"
branch_labels = None
depends_on = None

ROLE_GRANTS = {
    "admin": ["view_dashboard", "edit_own_profile", "manage_users", "import_users",
              "manage_roles", "view_audit_log"],
    "learner": ["view_dashboard", "edit_own_profile"],
    "trainer": ["view_dashboard", "edit_own_profile"],
}
JOB_ROLES = [
    ("sales", "销售", "Sales"),
    ("purchasing", "采购", "Purchasing"),
    ("warehouse", "仓储", "Warehouse"),
    ("finance", "财务", "Finance"),
    ("management", "管理层", "Management"),
    ("it_support", "IT 支持", "IT support"),
]


def upgrade():
    connection = op.get_bind()
    roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("name", sa.String))
    grants = sa.table("role_permissions", sa.column("role_id", sa.Integer),
                      sa.column("permission", sa.String))
    job_roles = sa.table("job_roles", sa.column("code", sa.String),
                         sa.column("name_zh", sa.String), sa.column("name_en", sa.String))
    existing = {name for (name,) in connection.execute(sa.select(roles.c.name))}
    for name, permissions in ROLE_GRANTS.items():
        if name in existing:
            continue
        connection.execute(roles.insert().values(name=name))
        role_id = connection.execute(sa.select(roles.c.id).where(roles.c.name == name)).scalar()
        op.bulk_insert(grants, [{"role_id": role_id, "permission": p} for p in permissions])
    known_jobs = {code for (code,) in connection.execute(sa.select(job_roles.c.code))}
    op.bulk_insert(job_roles, [
        {"code": code, "name_zh": zh, "name_en": en}
        for code, zh, en in JOB_ROLES if code not in known_jobs
    ])


def downgrade():
    # Reference data may be referenced by users by now; leave it in place.
    pass
