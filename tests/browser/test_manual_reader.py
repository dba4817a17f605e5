"""Browser test: a learner reads the demo manual, switches to version 1.0 (banner), opens
"what changed since 1.0", searches, and downloads the PDF."""

import subprocess

from playwright.sync_api import expect

from tests.browser.test_sign_in_and_import import sign_in


def test_read_switch_compare_search_and_download(page, live_server, tmp_path):
    sign_in(page, live_server, "sales1")
    page.goto(f"{live_server}/manuals/")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="ERP 系统操作手册").click()
    page.get_by_role("link", name="3. 采购管理").click()
    expect(page).to_have_url(f"{live_server}/manuals/erp-operation/latest/purchasing")
    expect(page.locator("article h1")).to_contain_text("采购管理")
    expect(page.locator("#current-version")).to_have_text("版本 1.1")
    expect(page.locator("#审批被退回后怎么办")).to_be_visible()
    expect(page.locator("#old-version-banner")).to_have_count(0)

    # The switcher keeps the chapter; the old version says so and offers what changed.
    with page.expect_navigation(wait_until="load"):
        page.locator("#version-switch").select_option("1.0")
    expect(page).to_have_url(f"{live_server}/manuals/erp-operation/1.0/purchasing")
    expect(page.locator("#old-version-banner")).to_contain_text(
        "你正在阅读版本 1.0，最新版本是 1.1。")
    expect(page.locator("#审批被退回后怎么办")).to_have_count(0)

    page.locator("#changes-since").click()
    expect(page.locator("#changes-title")).to_contain_text("从版本 1.0 到 1.1")
    changed = page.locator("main")
    expect(changed).to_contain_text("审批被退回后怎么办")
    # The corrected payer: two characters replaced inside an unchanged sentence.
    expect(page.locator("del", has_text="人员").first).to_be_visible()
    expect(page.locator("ins", has_text="经理").first).to_be_visible()
    expect(page.locator("#notes-title")).to_be_visible()
    expect(changed).to_contain_text("审批条件由“含税金额超过 20,000.00 元”改为")

    page.goto(f"{live_server}/manuals/erp-operation/latest/overview")
    page.locator("#manual-search").fill("审批")
    with page.expect_navigation(wait_until="load"):
        page.locator("#manual-search").press("Enter")
    expect(page.locator(".search-results mark").first).to_have_text("审批")

    page.goto(f"{live_server}/manuals/erp-operation/latest/sales")
    with page.expect_download() as download_info:
        page.locator("#download-pdf").click()
    target = tmp_path / "manual.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-l", "12", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "销售管理" in text and "采购管理" in text
    assert "上海恒远商贸有限公司" in text  # the cover names the company (manual.yml)
