"""Schema only through migrations: one head, and upgrade on an empty database equals the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect

from lms import MIGRATIONS_DIR, create_app
from lms.extensions import db
from tests.conftest import make_test_config

pytestmark = pytest.mark.own_database


def test_single_head():
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_on_empty_database_matches_models(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url("migrations")),
                     instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.session.remove()
        db.engine.dispose()
    assert differences == []
    assert {"users", "audit_entries", "login_failures", "alembic_version"} <= tables


def test_lms_db_upgrade_command(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url("dbcommand")),
                     instance_path=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_upgrade_seeds_roles_and_job_roles(fresh_database_url, tmp_path):
    from sqlalchemy import select

    from lms.accounts.models import JobRole, Role
    from lms.accounts.permissions import DEFAULT_GRANTS
    from lms.accounts.services import DEFAULT_JOB_ROLES

    app = create_app(make_test_config(fresh_database_url("seeded")), instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        roles = {role.name: role.permissions for role in db.session.scalars(select(Role))}
        jobs = {(j.code, j.name_zh, j.name_en) for j in db.session.scalars(select(JobRole))}
        db.session.remove()
        db.engine.dispose()
    # At head the grants equal the code's defaults: a new permission needs a migration granting it.
    assert roles == {name: set(grants) for name, grants in DEFAULT_GRANTS.items()}
    assert jobs == set(DEFAULT_JOB_ROLES)
