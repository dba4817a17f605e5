"""Fixtures: one app per session, every test inside a transaction that is rolled back.

The database is SQLite unless ``LMS_TEST_DATABASE_URL`` names a PostgreSQL database.
Tests that need a database of their own (migrations, the demo command, the browser tests'
live server) get an empty one from ``fresh_database_url``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import event
from sqlalchemy.engine import make_url

from lms import create_app
from lms.accounts import services
from lms.extensions import db as _db

TEST_DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
PASSWORD = "correct-horse-1"
CSRF_PATTERN = re.compile(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _recreate_postgres_database(url: str, name: str) -> str:
    import psycopg

    base = make_url(url)
    database = f"{base.database}_{name}"
    admin = base.set(drivername="postgresql", database=base.database)
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return base.set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory) -> Callable[[str], str]:
    """Return a function giving the URL of a new, empty database named after its argument."""

    def make(name: str) -> str:
        if TEST_DATABASE_URL.startswith("postgresql"):
            return _recreate_postgres_database(TEST_DATABASE_URL, name)
        path = tmp_path_factory.mktemp(f"db-{name}") / f"{name}.sqlite3"
        return f"sqlite:///{path}"

    return make


def make_test_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        **extra,
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'main.sqlite3'}"
    application = create_app(make_test_config(url),
                             instance_path=str(tmp_path_factory.mktemp("instance")))
    with application.app_context():
        _db.drop_all()
        _db.create_all()
        services.ensure_reference_data()
        _db.session.commit()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


class _ConnectionBoundSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session picks an engine itself; here everything uses the test's
    connection, so every request of a test runs inside that test's transaction."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def db(request, app) -> Iterator:
    """The database, inside a transaction rolled back after the test (commits become savepoints).

    Tests marked ``own_database`` build their own app on a fresh database and skip this.
    """
    if request.node.get_closest_marker("own_database"):
        yield _db
        return
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original_session = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint",
             "class_": _ConnectionBoundSession}
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original_session
            transaction.rollback()
            connection.close()


class CsrfClient(FlaskClient):
    """A test client that adds the page's CSRF token to form posts (``csrf=False`` to omit)."""

    def csrf_token(self) -> str:
        page = self.get("/login", follow_redirects=True)
        match = CSRF_PATTERN.search(page.data)
        assert match, "no CSRF token on the page"
        return match.group(1).decode()

    def open(self, *args, follow_redirects: bool = False, **kwargs):
        # Each request gets its own app context, popped before the next request, as in
        # production: the test's own context (held open by the ``db`` fixture) would otherwise
        # share ``g`` across requests. Redirects are followed here for the same reason.
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        while follow_redirects and response.status_code in (301, 302, 303):
            response = self.open(response.location)
        return response

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app) -> CsrfClient:
    app.test_client_class = CsrfClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def create_user(db) -> Callable:
    """Make a user through the same service the admin pages use."""
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, *, roles=("learner",), job_roles=(),
             password: str | None = PASSWORD, department: str | None = "销售部", **fields):
        username = username or f"user{next(counter)}"
        user = services.create_user(
            services.UserFields(
                username=username,
                display_name=fields.pop("display_name", f"测试用户 {username}"),
                email=fields.pop("email", f"{username}@example.com"),
                department=department,
                job_role_codes=list(job_roles),
                role_names=list(roles),
                **fields,
            ),
            password=password,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client, create_user) -> Callable:
    """Sign the test client in as ``username`` (created with ``roles`` if missing)."""

    def sign_in(username: str, roles=("learner",), **fields):
        if services.find_user(username) is None:
            create_user(username, roles=roles, **fields)
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.data[:500]
        return client

    return sign_in


@pytest.fixture
def count_queries(app) -> Callable:
    """Context manager counting SQL statements sent to the database."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements: list[str] = []

        def before_execute(_conn, _cursor, statement, *_args):
            if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        engine = _db.engine
        event.listen(engine, "before_cursor_execute", before_execute)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before_execute)

    return counting


@pytest.fixture
def make_course(db):
    """Create and publish a course from ``course_source(**options)`` (tests/catalog/conftest.py)
    as `lms courses sync` would; returns the Course."""
    from lms.catalog import services as catalog_services
    from lms.catalog.models import Course
    from tests.catalog.conftest import course_source

    def make(code: str = "test-course", publish: bool = True, **options) -> Course:
        course = catalog_services.find_course(code)
        if course is None:
            course = Course(code=code)
            _db.session.add(course)
            _db.session.flush()
        catalog_services.revision_from_source(course, course_source(code, **options))
        if publish:
            catalog_services.publish_draft(course)
        _db.session.commit()
        return course

    return make


@pytest.fixture
def english_messages(app, monkeypatch):
    """Messages in English, for tests that read their wording (the default is zh_CN)."""
    from flask_babel import refresh

    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "en")
    refresh()
    yield
    refresh()
