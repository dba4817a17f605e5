"""grant the sandbox permissions: use_sandbox to every role, view_learner_sandboxes to
trainers and admins

Revision ID: 5b8d2e7c4f10
Revises: 91c1f139cda9
Create Date: 2026-11-25 13:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = "5b8d2e7c4f10"
down_revision = "91c1f139cda9"
branch_labels = None
depends_on = None

NEW_GRANTS = {
    "learner": ["use_sandbox"],
    "trainer": ["use_sandbox", "view_learner_sandboxes"],
    "admin": ["use_sandbox", "view_learner_sandboxes"],
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
        grants.c.permission.in_(["use_sandbox", "view_learner_sandboxes"])))
