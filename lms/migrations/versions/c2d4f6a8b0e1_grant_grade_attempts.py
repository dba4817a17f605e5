"""grant grade_attempts to trainers and admins

Revision ID: c2d4f6a8b0e1
Revises: 3980710b2316
Create Date: 2026-11-25 15:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c2d4f6a8b0e1"
down_revision = "3980710b2316"
branch_labels = None
depends_on = None

NEW_GRANTS = {"trainer": ["grade_attempts"], "admin": ["grade_attempts"]}


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
    connection.execute(grants.delete().where(grants.c.permission == "grade_attempts"))
