"""grant publish_manuals to trainers and admins

Revision ID: e5f7a9c1d3b2
Revises: 202e7752d71c
Create Date: 2026-11-25 18:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e5f7a9c1d3b2"
down_revision = "202e7752d71c"
branch_labels = None
depends_on = None

NEW_GRANTS = {"trainer": ["publish_manuals"], "admin": ["publish_manuals"]}


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
    connection.execute(grants.delete().where(grants.c.permission == "publish_manuals"))
