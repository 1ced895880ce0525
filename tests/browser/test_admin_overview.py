"""The overview in Chromium with a few weeks of demo-like data: desktop and phone width."""

from __future__ import annotations

import uuid
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from plaudit.db import unit_of_work, utcnow
from plaudit.engagement.counter import EngagementCounter
from plaudit.models.award import Credential
from plaudit.models.engagement import Engagement
from tests.browser.conftest import AdminBrowser
from tests.fixtures.credentials import issue
from tests.fixtures.scenario import event, send


def _scene(admin: AdminBrowser) -> int:
    """Three templates, credentials spread over the last four weeks, some engagement, and an
    event no rule wants. Returns how many credentials were issued."""
    client, tenant, runtime = admin.live.client, admin.tenant, admin.live.runtime
    made: list[str] = []
    for name, people in (
        ("Workplace Safety Champion", 6),
        ("Quiz Ace", 3),
        ("First Aid <Responder>", 2),
    ):
        first = issue(client, tenant, template_name=name, learner=f"{name[:4]}-0")
        made.append(first.credential_id)
        template_id = client.get(
            f"/api/v1/credentials/{first.credential_id}", headers=tenant.headers
        ).json()["template_id"]
        for n in range(1, people):
            payload = event(
                f"e-{uuid.uuid4().hex[:8]}",
                "course.completed",
                learner=f"{name[:4]}-{n}",
                entity=("course", f"c-{template_id}"),
            )
            made.append(send(client, tenant, payload)["awards"][0]["credential_id"])
    send(client, tenant, event("e-unwanted", "forum.posted", learner="linus"))
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        for n, ident in enumerate(made):
            # Issued over the last four weeks: the overview counts the day Plaudit issued them.
            when = now - timedelta(days=(n * 5) % 27, hours=n)
            session.execute(
                update(Credential)
                .where(Credential.id == uuid.UUID(ident))
                .values(created_at=when, emitted_at=when)
            )
    counter = EngagementCounter()  # counts of its own, added as the app's would be
    for n, ident in enumerate(made[:7]):
        for kind in (Engagement.VIEW, Engagement.DOWNLOAD_PNG, Engagement.LINKEDIN_ADD)[
            : 1 + n % 3
        ]:
            counter.record(organization_id=tenant.id, credential_id=uuid.UUID(ident), kind=kind)
    counter.flush(runtime.sessions)
    return len(made)


def test_the_overview_at_desktop_and_phone_width(admin: AdminBrowser) -> None:
    page = admin.page
    page.set_viewport_size({"width": 1280, "height": 900})
    admin.go("/admin/")
    expect(page.locator("#issued-empty")).to_contain_text("No credentials were issued")
    admin.shot("overview-empty")

    issued = _scene(admin)
    admin.go("/admin/")
    expect(page.locator("#stat-issued .value")).to_have_text(str(issued))
    expect(page.get_by_role("img", name="Credentials issued by template")).to_be_visible()
    expect(page.locator("#chart-templates")).to_contain_text("First Aid <Responder>")
    expect(page.locator("#unawarded")).to_contain_text("forum.posted")
    admin.shot("overview-desktop")

    # The numbers behind a chart, as a table.
    page.locator("#h-templates + figure summary").click()
    expect(page.get_by_role("table", name="Credentials issued by template")).to_contain_text(
        "Workplace Safety Champion"
    )

    # Another period, by link.
    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(admin.live.url + "/admin/?days=7")
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")

    page.set_viewport_size({"width": 375, "height": 740})
    admin.go("/admin/?days=30")
    expect(page.locator("#stat-issued .value")).to_have_text(str(issued))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the overview is {width}px wide at phone width"
    admin.shot("overview-phone-width")
