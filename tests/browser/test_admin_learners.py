"""Dashboard learners in Chromium: search, then a learner's badges, credentials and events."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import AdminBrowser
from tests.fixtures.credentials import issue


def test_find_a_learner_and_read_their_history(admin: AdminBrowser) -> None:
    issued = issue(admin.live.client, admin.tenant, first_name="Grace", last_name="Hopper")
    issue(
        admin.live.client,
        admin.tenant,
        template_name="Other",
        first_name="Alan",
        last_name="Turing",
    )
    page = admin.page
    admin.go("/admin/learners")
    admin.shot("learners-list")
    page.get_by_label("Name, email or id").fill("hopper")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Grace Hopper")).to_be_visible()
    expect(page.get_by_role("link", name="Alan Turing")).to_have_count(0)
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    page.get_by_text("Safety Champion \u00d7 1").click()  # opens the award log
    expect(page.get_by_role("link", name="event").first).to_be_visible()
    expect(page.locator(f'a[href="/admin/credentials/{issued.credential_id}"]')).to_be_visible()
    admin.shot("learners-detail")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    admin.shot("learners-detail-phone")
