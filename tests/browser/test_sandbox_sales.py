"""Browser test: as sales1, an order over the credit limit goes through approval, delivery and
invoicing, switching persona where the flow needs someone else."""

import re

from playwright.sync_api import expect

from tests.browser.test_sign_in_and_import import sign_in


def switch_persona(page, base_url, code):
    page.goto(f"{base_url}/sandbox/")
    page.locator("#persona").select_option(code)
    with page.expect_navigation(wait_until="load"):
        page.locator("#switch-persona").click()


def test_order_over_credit_limit_to_invoice(page, live_server):
    sign_in(page, live_server, "sales1")
    page.goto(f"{live_server}/sandbox/")
    expect(page.locator("#persona-indicator")).to_contain_text("林小燕")

    page.goto(f"{live_server}/sandbox/sales/orders")
    page.locator("#new-order").click()
    page.locator("#customer").select_option("C0007")
    page.locator("#sku-0").fill("P6201")
    page.locator("#quantity-0").fill("10")
    with page.expect_navigation(wait_until="load"):
        page.locator("#save-order").click()
    expect(page.locator("h1")).to_contain_text("SO-0004")
    with page.expect_navigation(wait_until="load"):
        page.locator("#submit-order").click()
    expect(page.locator('h1 [data-state="pending_approval"]')).to_be_visible()
    expect(page.locator("#approval-info")).to_contain_text("信用")
    order_url = page.url

    switch_persona(page, live_server, "sales_manager")
    expect(page.locator("#persona-indicator")).to_contain_text("郑国强")
    page.goto(order_url)
    page.locator("#approve-comment").fill("老客户，同意本次超额")
    with page.expect_navigation(wait_until="load"):
        page.locator("#approve-order").click()
    expect(page.locator('h1 [data-state="confirmed"]')).to_be_visible()

    switch_persona(page, live_server, "warehouse_keeper")
    page.goto(order_url)
    with page.expect_navigation(wait_until="load"):
        page.locator("#deliver-order").click()
    expect(page.locator('h1 [data-state="delivered"]')).to_be_visible()

    switch_persona(page, live_server, "sales_clerk")
    page.goto(order_url)
    with page.expect_navigation(wait_until="load"):
        page.locator("#invoice-order").click()
    expect(page.locator(".alert-success")).to_be_visible()
    invoice_link = page.locator("a", has_text=re.compile(r"^INV-\d{4}$"))
    expect(invoice_link).to_have_count(1)
    page.goto(f"{live_server}/sandbox/activity")
    for action in ("sales_order.create", "sales_order.submit", "sales_order.approve",
                   "delivery.create", "customer_invoice.create"):
        expect(page.locator("table")).to_contain_text(action)
