"""Browser test: a learner starts a timed quiz, answers half, reloads and finds the answers
still there (saved as they were given), finishes, submits and sees the review."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from werkzeug.serving import make_server

from lms import create_app
from lms.accounts.services import find_user
from lms.catalog import enrolment, services
from lms.catalog.models import Course
from lms.catalog.source import CourseSource, ItemSource, ModuleSource
from lms.database import utcnow
from lms.demo import seed_demo_company
from lms.extensions import db
from tests.browser.test_sign_in_and_import import sign_in
from tests.conftest import make_test_config

TIMED_GIFT = """\
::仓库::上海总仓的仓库编码是什么？{=WH-SH}

::审批::采购订单什么时候需要审批？{
  =不含税金额超过 50,000.00 元
  ~每一张都需要
  ~只有新供应商的订单
}

::本人审批::创建人可以审批自己的单据。{FALSE}

::价税合计::8,550.00 元加 13% 增值税，价税合计是多少元？{#9661.50:0.01}
"""


def add_timed_quiz() -> None:
    """A small course with a 10-minute quiz, assigned to sales1 (only in this test's
    database: the demo data stays as it is)."""
    course = Course(code="timed-check")
    db.session.add(course)
    db.session.flush()
    quiz = ItemSource(key="quiz", kind="quiz", title="限时小测", body=TIMED_GIFT,
                      source_name="quiz.gift",
                      settings={"pass_mark": 60, "time_limit": 10, "review": "feedback"})
    services.revision_from_source(course, CourseSource(
        code="timed-check", title="限时测验", summary="浏览器测试用的限时测验。",
        job_roles=["sales"], levels=["operations"],
        modules=[ModuleSource(title="测验", items=[quiz])]))
    services.publish_draft(course)
    enrolment.create_assignment(course, user=find_user("sales1"),
                                due_at=utcnow() + timedelta(days=7))
    db.session.commit()


@pytest.fixture(scope="module")
def live_server(fresh_database_url, tmp_path_factory):
    """The demo company plus the timed quiz (overrides the shared fixture in this module)."""
    app = create_app(make_test_config(fresh_database_url("browser_quiz")),
                     instance_path=str(tmp_path_factory.mktemp("browser-quiz-instance")))
    with app.app_context():
        upgrade()
        seed_demo_company()
        add_timed_quiz()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def test_timed_quiz_survives_a_reload_and_ends_in_a_review(page, live_server, tmp_path):
    sign_in(page, live_server, "sales1")
    page.goto(f"{live_server}/courses/timed-check/items/quiz/quiz")
    expect(page.locator('[data-setting="time_limit"]')).to_contain_text("10")
    page.on("dialog", lambda dialog: dialog.accept())  # "the clock starts now" / "submit?"
    with page.expect_navigation(wait_until="load"):
        page.locator("#start-attempt").click()

    timer = page.locator("#quiz-timer-value")
    expect(timer).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    first = timer.text_content()
    expect(timer).not_to_have_text(first, timeout=5000)  # it counts down
    status = page.locator("#save-status")

    # Answer half: a text answer and a choice, each saved as soon as it is given.
    page.locator("#q1-text").fill("wh-sh")
    expect(status).to_have_class(re.compile("save-status-ok"))  # "saved at hh:mm:ss"
    expect(status).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    page.locator("fieldset[data-position='2'] label", has_text="不含税金额").click()
    expect(status).not_to_have_class(re.compile("save-status-error"))
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "quiz-half.png"), full_page=True)

    page.reload(wait_until="load")
    expect(page.locator("#q1-text")).to_have_value("wh-sh")
    expect(page.locator("fieldset[data-position='2'] input:checked")).to_have_count(1)
    expect(page.locator("fieldset[data-position='2'] input:checked + label")).to_contain_text(
        "不含税金额")
    expect(page.locator("#q3-false")).not_to_be_checked()

    page.locator("#q3-false").check()
    expect(status).to_have_class(re.compile("save-status-ok"))

    # The network fails once: the page says so, keeps the answer and sends it again.
    failures = []

    def fail_once(route):
        if not failures:
            failures.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/responses/4", fail_once)
    page.locator("#q4-value").fill("9661.5")
    expect(status).to_have_class(re.compile("save-status-error"))
    expect(status).to_have_class(re.compile("save-status-ok"), timeout=10_000)
    assert failures
    page.unroute("**/responses/4")
    with page.expect_navigation(wait_until="load"):
        page.locator("#submit-attempt").click()

    expect(page).to_have_url(f"{live_server}/quiz/attempts/1/review")
    expect(page.locator("#attempt-result")).to_have_attribute("data-state", "graded")
    expect(page.locator("#attempt-score")).to_have_text("4 / 4")
    expect(page.locator("#review-questions section[data-outcome='correct']")).to_have_count(4)
    page.screenshot(path=str(tmp_path / "quiz-review.png"), full_page=True)
