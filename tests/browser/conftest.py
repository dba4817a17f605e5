"""A live server on a free loopback port with the demo company, and Debian's Chromium."""

from __future__ import annotations

import os
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from lms import create_app
from lms.demo import seed_demo_company
from lms.extensions import db
from tests.conftest import make_test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.own_database)


@pytest.fixture(scope="module")
def live_server(fresh_database_url, tmp_path_factory):
    app = create_app(make_test_config(fresh_database_url("browser")),
                     instance_path=str(tmp_path_factory.mktemp("browser-instance")))
    with app.app_context():
        upgrade()
        seed_demo_company()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS,
            headless=not os.environ.get("LMS_BROWSER_HEADED"),
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message):
        # A page answered with a 4xx on purpose (a form with errors) is logged as a failed
        # load; broken sub-resources are caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response):
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", on_response)
    yield page
    context.close()
    # A CSP violation, a script error or a missing asset in the browser is a defect too.
    assert not errors, errors
