"""grant the course permissions: take_courses to every role, author_courses and
assign_courses to trainers and admins

Revision ID: a7c3e5f90b12
Revises: 9dfcf063da85
Create Date: 2026-11-25 15:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "a7c3e5f90b12"
down_revision = "9dfcf063da85"
branch_labels = None
depends_on = None

NEW_GRANTS = {
    "learner": ["take_courses"],
    "trainer": ["take_courses", "author_courses", "assign_courses"],
    "admin": ["take_courses", "author_courses", "assign_courses"],
}


def upgrade():
    connection = op.get_bind()
    roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("name", sa.String))
    grants = sa.table("role_permissions", sa.column("role_id", sa.Integer),
                      sa.column("permission", sa.String))
    for name, permissions in NEW_GRANTS.items():
        role_id = connection.execute(sa.select(roles.c.id).where(roles.c.name == name)).scalar()
        if role_id is None:
            continue
        have = {p for (p,) in connection.execute(
            sa.select(grants.c.permission).where(grants.c.role_id == role_id))}
        op.bulk_insert(grants, [{"role_id": role_id, "permission": p}
                                for p in permissions if p not in have])


def downgrade():
    connection = op.get_bind()
    grants = sa.table("role_permissions", sa.column("permission", sa.String))
    connection.execute(grants.delete().where(
        grants.c.permission.in_(["take_courses", "author_courses", "assign_courses"])))
