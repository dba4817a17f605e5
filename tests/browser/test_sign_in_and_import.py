"""Browser tests: a learner signs in, switches language and signs out; an admin imports staff."""

import re

from playwright.sync_api import expect

from lms.demo import DEMO_PASSWORD

HEADER = "username,name,email,department,job_role,manager,locale\n"


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    # Waiting for the page's load event: scripts (the language switcher's, Bootstrap's menus)
    # are attached only then.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="登录").click()


def test_learner_signs_in_switches_language_and_signs_out(page, live_server, tmp_path):
    page.goto(f"{live_server}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    sign_in(page, live_server, "sales1")
    expect(page.get_by_role("heading", name="欢迎，王芳")).to_be_visible()
    expect(page.locator("#profile-summary")).to_contain_text("销售部")
    expect(page.locator('a[href="/admin/users"]')).to_have_count(0)

    with page.expect_navigation(wait_until="load"):
        page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", name="Welcome, 王芳")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#profile-summary")).to_contain_text("Sales")
    page.screenshot(path=str(tmp_path / "dashboard-en.png"))

    page.get_by_role("button", name="王芳").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_admin_imports_csv_fixes_bad_row_and_imports(page, live_server, tmp_path):
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/import")
    bad = HEADER + ("sales2,孙丽,sales2@example.com,销售部,sales,manager1,zh_CN\n"
                    "buyer2,周杰,buyer2-at-example.com,采购部,purchasing,manager1,\n")
    page.get_by_label("员工文件（CSV）").set_input_files(
        files=[{"name": "员工.csv", "mimeType": "text/csv", "buffer": bad.encode("gbk")}])
    page.get_by_role("button", name="上传并预览").click()

    error_row = page.locator('#import-rows tr[data-status="error"]')
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("buyer2-at-example.com")
    expect(error_row.locator("td").first).to_have_text("3")
    expect(page.locator("#confirm-import")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "import-error.png"), full_page=True)

    fixed = bad.replace("buyer2-at-example.com", "buyer2@example.com")
    page.get_by_label("员工文件（CSV）").set_input_files(
        files=[{"name": "员工.csv", "mimeType": "text/csv", "buffer": fixed.encode("gbk")}])
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator('#import-rows tr[data-status="create"]')).to_have_count(2)
    page.locator("#confirm-import").click()

    expect(page.locator("#password-links tbody tr")).to_have_count(2)
    expect(page.locator("#password-links")).to_contain_text("/set-password/")
    page.goto(f"{live_server}/admin/users?q=buyer2")
    expect(page.get_by_role("link", name="buyer2")).to_be_visible()
