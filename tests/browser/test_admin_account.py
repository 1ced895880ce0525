"""The dashboard's sign-in in Chromium: the form, a wrong password, the menu at phone width."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import AdminBrowser, LiveServer, screenshot


def test_sign_in_page_keeps_the_email_and_says_what_went_wrong(
    live: LiveServer, page: Page
) -> None:
    page.goto(live.url + "/admin/")
    expect(page).to_have_url(live.url + "/admin/login?next=%2Fadmin%2F")
    screenshot(page, "admin-login")
    page.get_by_label("Email").fill("someone@example.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Email")).to_have_value("someone@example.org")
    screenshot(page, "admin-login-error")


def test_the_menu_folds_away_at_phone_width(admin: AdminBrowser) -> None:
    page = admin.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Academy")
    expect(page.get_by_role("link", name="Templates")).to_be_visible()
    admin.shot("overview-signed-in")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    expect(page.get_by_role("link", name="Templates")).to_be_hidden()
    page.get_by_text("Menu").click()
    expect(page.get_by_role("link", name="Templates")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide at phone width"
    admin.shot("overview-phone")
