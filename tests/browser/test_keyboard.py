"""Keyboard-only journeys in Chromium: Tab, Shift+Tab, Enter and Space, never the mouse; at every
stop the focus is visible (an outline of 3:1 contrast against what surrounds it, WCAG 1.4.11 and
2.4.7)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from plaudit.models.user import Role
from tests.admin.conftest import PASSWORD, add_person
from tests.browser.conftest import AdminBrowser, LiveServer, screenshot
from tests.fixtures.credentials import issue
from tests.fixtures.tenants import make_tenant

# Pages are storage-agnostic; their storage paths run on both engines elsewhere.
pytestmark = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)

# What a sighted keyboard user sees of the focused element: its outline, and the contrast of the
# outline's colour against the first opaque background behind it (the outline is drawn outside).
_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b]
    .map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4))
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let behind = el.parentElement;
  let background = [255, 255, 255];
  while (behind) {
    const c = rgb(getComputedStyle(behind).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { background = c.slice(0, 3); break; }
    behind = behind.parentElement;
  }
  const a = lum(rgb(style.outlineColor)), b = lum(background);
  const box = el.getBoundingClientRect();
  return {
    label: [
      el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""),
      (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40),
    ].join(" "),
    visible: el.matches(":focus-visible"),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    onScreen: box.width > 0 && box.height > 0,
  };
}"""


def focus_shown(page: Page) -> str:
    """The focused element, asserted visibly focused; its description for the next assertion."""
    focus = page.evaluate(_FOCUS)
    assert focus is not None, "the focus is lost (on the page's body)"
    assert focus["visible"] and focus["onScreen"], focus
    assert focus["style"] != "none" and focus["width"] >= 2, focus
    assert focus["contrast"] >= 3, focus
    return str(focus["label"])


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Tab until `selector` has the focus; every stop on the way shows its focus."""
    target = page.locator(selector)
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focus_shown(page))
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus; the stops were {stops}")


def test_signing_in_with_the_keyboard_only(live: LiveServer, page: Page) -> None:
    tenant = make_tenant(live.runtime)
    email = add_person(live.runtime, tenant.id, Role.OWNER)
    page.goto(live.url + "/admin/login")

    # The first stop is the skip link, and it leads to the main content.
    page.keyboard.press("Tab")
    assert "Skip to content" in focus_shown(page)
    tab_to(page, "#f-email")
    page.keyboard.type(email)
    tab_to(page, "#f-password")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")  # submits the form, as in every browser
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(live.url + "/admin/login")
    screenshot(page, "keyboard-sign-in-refused")

    # The email is kept; the password is typed again, and the button pressed with Space.
    expect(page.locator("#f-email")).to_have_value(email)
    tab_to(page, "#f-password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert "Sign in" in focus_shown(page)
    page.keyboard.press("Space")
    page.wait_for_url(live.url + "/admin/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # Around the menu: the first link after the skip link and the brand is in the navigation.
    tab_to(page, "nav a[href='/admin/templates']")
    page.keyboard.press("Enter")
    page.wait_for_url(live.url + "/admin/templates")
    screenshot(page, "keyboard-signed-in")


def test_revoking_a_credential_with_the_keyboard_only(admin: AdminBrowser) -> None:
    page = admin.page
    issued = issue(admin.live.client, admin.tenant, template_name="Forklift licence")
    admin.go("/admin/credentials")

    # From the list to the credential's page.
    tab_to(page, f"a[href='/admin/credentials/{issued.credential_id}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/credentials/{issued.credential_id}")

    tab_to(page, "#f-revoke_reason")
    reason = page.locator("#f-revoke_reason")
    expect(reason).to_have_accessible_name("Reason for revoking")
    expect(reason).to_have_accessible_description("Shown on its public page and to verifiers.")
    page.keyboard.type("Issued to the wrong person.")
    tab_to(page, "form[action$='/revoke'] button[type=submit]")
    # The confirmation is not ticked: the browser refuses and brings the focus back to it.
    page.keyboard.press("Enter")
    expect(page.locator("#f-confirm")).to_be_focused()
    focus_shown(page)
    page.keyboard.press("Space")
    expect(page.locator("#f-confirm")).to_be_checked()
    page.keyboard.press("Tab")
    assert "Revoke" in focus_shown(page)
    page.keyboard.press("Enter")

    expect(page.locator(".state").get_by_text("Revoked", exact=False).first).to_be_visible()
    expect(page.get_by_text("Reason: Issued to the wrong person.")).to_be_visible()
    expect(page.locator("form[action$='/revoke']")).to_have_count(0)
    admin.shot("keyboard-revoked")
    record = admin.live.client.get(
        f"/api/v1/credentials/{issued.credential_id}", headers=admin.tenant.headers
    ).json()
    assert record["status"] == "revoked", record

    # The public page says so; its first stop is its skip link, visibly focused.
    page.goto(admin.live.url + issued.page)
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    focus_shown(page)
    expect(page.get_by_role("status")).to_contain_text(re.compile("revoked", re.IGNORECASE))
