"""``lms demo`` rebuilds the demo company; every demo account signs in with demo1234."""

import pytest
from sqlalchemy import select

from lms import create_app
from lms.accounts.models import User
from lms.demo import DEMO_PASSWORD, DEMO_PEOPLE
from lms.extensions import db
from tests.conftest import CsrfClient, make_test_config

pytestmark = pytest.mark.own_database

EXPECTED = {"admin", "trainer", "sales1", "buyer1", "stock1", "finance1", "manager1", "it1"}


@pytest.fixture
def demo_app(fresh_database_url, tmp_path):
    app = create_app(make_test_config(fresh_database_url("demo")), instance_path=str(tmp_path))
    app.test_client_class = CsrfClient
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_builds_company_and_everyone_signs_in(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--no-serve", "--yes"])
    assert result.exit_code == 0, result.output
    for username in EXPECTED:
        assert username in result.output
    assert DEMO_PASSWORD in result.output

    with demo_app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert set(users) == EXPECTED
        for person in DEMO_PEOPLE:
            user = users[person.username]
            assert user.display_name == person.display_name
            assert any("\u4e00" <= ch <= "\u9fff" for ch in user.display_name)
            assert user.department is not None
            assert user.has_role(person.role)
        assert users["sales1"].job_roles[0].code == "sales"
        import sandbox

        for username, persona in (("sales1", "sales_clerk"), ("stock1", "warehouse_keeper"),
                                  ("finance1", "accountant"), ("it1", "it_admin")):
            box = sandbox.sandbox_of(users[username].id)
            assert sandbox.open_context(box).persona.code == persona
        assert users["it1"].job_roles[0].code == "it_support"
        db.session.remove()

    for username in EXPECTED:
        client = demo_app.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200


def test_demo_can_run_twice(demo_app):
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo", "--no-serve", "--yes"]).exit_code == 0
    second = runner.invoke(args=["demo", "--no-serve", "--yes"])
    assert second.exit_code == 0, second.output
    with demo_app.app_context():
        assert len(db.session.scalars(select(User)).all()) == len(EXPECTED)
        db.session.remove()


def test_demo_asks_before_erasing_a_non_default_database(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["demo", "--no-serve"], input="n\n")
    assert result.exit_code == 1
    assert "erases every table" in result.output


def test_create_admin_prompts_for_password(demo_app):
    runner = demo_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    short = runner.invoke(args=["users", "create-admin", "--username", "boss",
                                "--email", "boss@example.com"], input="short\nshort\n")
    assert short.exit_code != 0 and "8" in short.output
    result = runner.invoke(args=["users", "create-admin", "--username", "boss",
                                 "--email", "boss@example.com"],
                           input="long-password-1\nlong-password-1\n")
    assert result.exit_code == 0, result.output
    with demo_app.app_context():
        boss = db.session.scalar(select(User).where(User.username == "boss"))
        assert boss.has_role("admin") and boss.check_password("long-password-1")
        db.session.remove()
    again = runner.invoke(args=["users", "create-admin", "--username", "boss",
                                "--email", "other@example.com"],
                          input="long-password-1\nlong-password-1\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_lms_demo_serves_the_portal(tmp_path):
    """The command `make demo` runs: rebuild, then serve on the port asked for."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3",
           "LMS_SECRET_KEY": "demo-test"}
    env.pop("LMS_TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "lms.cli", "demo", "--port", str(port), "--yes"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as page:
                    body = page.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "the demo server did not answer in 60 s"
                time.sleep(0.5)
        assert "登录 Praxis" in body
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/" in output and "sales1" in output
