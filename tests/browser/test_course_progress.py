"""Browser test: sales1 continues an assigned course from the dashboard, reads a lesson to its
end, and sees the progress bar move there and on the dashboard."""

from playwright.sync_api import expect

from tests.browser.test_sign_in_and_import import sign_in


def card_progress(page, code):
    bar = page.locator(f'[data-course="{code}"] [role=progressbar]')
    return int(bar.get_attribute("aria-valuenow"))


def test_continue_course_and_finish_a_lesson(page, live_server):
    sign_in(page, live_server, "sales1")
    page.goto(f"{live_server}/")
    card = page.locator('[data-course="erp-basics"]')
    expect(card).to_be_visible()
    before = card_progress(page, "erp-basics")
    assert before == 0

    with page.expect_navigation(wait_until="load"):
        card.locator("[data-continue]").click()
    expect(page.locator("#lesson-body h2").first).to_be_visible()
    progress = page.locator("#course-progress [role=progressbar]")
    expect(progress).to_have_attribute("aria-valuenow", "0")

    # Reading to the end of the lesson completes it (no button needed).
    page.locator("#lesson-end").scroll_into_view_if_needed()
    expect(page.locator("#lesson-status")).not_to_be_empty()
    moved = int(progress.get_attribute("aria-valuenow"))
    assert moved > 0
    expect(page.locator("#course-progress .progress-bar")).to_have_text(f"{moved}%")

    page.goto(f"{live_server}/")
    assert card_progress(page, "erp-basics") == moved
    # "Continue" now leads to the second lesson.
    with page.expect_navigation(wait_until="load"):
        page.locator('[data-course="erp-basics"] [data-continue]').click()
    assert page.url.endswith("/courses/erp-basics/items/navigation")
