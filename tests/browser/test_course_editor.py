"""Browser test: a trainer writes a lesson and sees the live preview; drags items into order."""

from playwright.sync_api import expect

from tests.browser.test_sign_in_and_import import sign_in


def submit(page, selector):
    with page.expect_navigation(wait_until="load"):
        page.locator(selector).click()


def add_lesson(page, title):
    page.locator("#item-kind").select_option("lesson")
    page.locator("#item-title").fill(title)
    submit(page, "#add-item")


def test_live_preview_and_drag_and_drop(page, live_server):
    sign_in(page, live_server, "trainer")
    page.goto(f"{live_server}/manage/courses/new")
    page.locator("#code").fill("browser-course")
    page.locator("#title").fill("浏览器里写的课")
    submit(page, "#create-course")
    expect(page.locator("h1")).to_contain_text("浏览器里写的课")

    add_lesson(page, "第一课")
    expect(page.locator("#body")).to_be_visible()
    body = page.locator("#body")
    body.fill("")
    body.press_sequentially(
        "## 销售订单\n\n超过**信用额度**的订单需要审批。<script>window.x=1</script>", delay=5)
    expect(page.locator("#preview h2")).to_have_text("销售订单")
    expect(page.locator("#preview strong")).to_have_text("信用额度")
    expect(page.locator("#preview script")).to_have_count(0)
    body.press_sequentially("\n\n| 状态 | 含义 |\n| --- | --- |\n| 草稿 | 可以修改 |\n", delay=5)
    expect(page.locator("#preview table td").first).to_have_text("草稿")
    submit(page, "#save-item")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#preview h2")).to_have_text("销售订单")  # rendered again on load

    page.goto(f"{live_server}/manage/courses/browser-course/")
    add_lesson(page, "第二课")
    page.goto(f"{live_server}/manage/courses/browser-course/")
    items = page.locator(".outline-item[data-item-id]")
    expect(items).to_have_count(2)
    page.locator("#item-lesson-2 .drag-handle").drag_to(
        page.locator("#item-lesson-1"), target_position={"x": 20, "y": 3})
    expect(page.locator("#outline-status")).to_have_class("small text-success")
    page.reload(wait_until="load")
    expect(items.first).to_have_attribute("data-key", "lesson-2")
    expect(items.nth(1)).to_have_attribute("data-key", "lesson-1")
