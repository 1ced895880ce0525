"""Dashboard events and credentials in Chromium: an event arrives through the API, its trace
shows the rule and the award, the credential is revoked with a reason, and its public page
says so; an event that awards nothing says why."""

from __future__ import annotations

from playwright.sync_api import expect

from plaudit.credentials import tasks as credential_tasks
from tests.browser.conftest import AdminBrowser
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published


def test_from_an_event_to_its_trace_to_revoking_the_credential(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    template_id = published(client, tenant, name="Python Foundations")
    rule(
        client,
        tenant,
        name="Award good Python scores",
        trigger={"event_types": ["course.completed"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    low = event("low-score", "course.completed", learner="alan", entity=("course", "py"), score=60)
    low["learner"].update(first_name="Alan", last_name="Turing", email="alan@example.org")
    send(client, tenant, low)
    high = event("high-score", "course.completed", learner="grace", entity=("course", "py"))
    high["data"] = {"score": 92}
    high["entity"]["title"] = "Python 101"
    high["learner"].update(first_name="Grace", last_name="Hopper", email="grace@example.org")
    result = send(client, tenant, high)
    credential_id = result["awards"][0]["credential_id"]
    credential_tasks.sign_credentials.call_local([credential_id])

    # The log: newest first; the outcome filter finds the award.
    admin.go("/admin/events")
    rows = page.locator("#event-log tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Grace Hopper")
    expect(rows.first).to_contain_text("awarded")
    expect(rows.nth(1)).to_contain_text("nothing awarded")
    admin.shot("events-list")
    page.get_by_label("Outcome").select_option("awarded")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()

    # The trace: the rule, the values that decided it, the award.
    expect(page.get_by_role("heading", level=1)).to_contain_text("high-score")
    expect(page.get_by_text("This event awarded 1 credential")).to_be_visible()
    expect(page.get_by_role("link", name="Award good Python scores")).to_be_visible()
    expect(page.get_by_text("the score is 92, needs at least 80")).to_be_visible()
    expect(page.get_by_role("link", name="Grace Hopper").first).to_be_visible()
    expect(page.locator("pre.payload")).to_contain_text('"score": 92')
    admin.shot("events-trace")

    # Follow to the credential and revoke it, with a reason.
    page.locator(f'a[href="/admin/credentials/{credential_id}"]').first.click()
    expect(page).to_have_url(f"{admin.live.url}/admin/credentials/{credential_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Python Foundations")
    expect(page.locator(".state")).to_contain_text("valid")
    expect(page.get_by_role("link", name="Credential (JSON-LD)")).to_be_visible()
    expect(page.locator("#deliveries ~ .table-wrap")).to_contain_text("credential.issued")
    admin.shot("credentials-detail")
    page.get_by_label("Reason for revoking").fill("Awarded by mistake: wrong cohort")
    page.get_by_label("I understand that a revocation is final").check()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash")).to_contain_text("The credential is revoked")
    expect(page.locator(".state")).to_contain_text("Reason: Awarded by mistake: wrong cohort")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    admin.shot("credentials-revoked")

    # The credentials list finds it among the revoked ones.
    admin.go("/admin/credentials")
    page.get_by_label("Status").select_option("revoked")
    page.get_by_role("button", name="Search").click()
    found = page.locator("tbody tr")
    expect(found).to_have_count(1)
    expect(found.first).to_contain_text("Grace Hopper")
    expect(found.first).to_contain_text("revoked")
    admin.shot("credentials-list")

    # Its public page says revoked, with the reason.
    found.first.get_by_role("link").click()
    public_id = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()[
        "public_id"
    ]
    page.get_by_role("link", name=f"{admin.live.url}/credentials/{public_id}").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked")
    expect(page.locator(".reason")).to_contain_text("Awarded by mistake: wrong cohort")
    admin.shot("credentials-public-revoked")

    # The event that awarded nothing says why.
    admin.go("/admin/events?outcome=no_award")
    page.locator("#event-log tbody tr").first.get_by_role("link").click()
    expect(page.get_by_text("Triggered 1 rule, but nothing was awarded")).to_be_visible()
    triggered = page.get_by_role("list", name="Rules triggered").get_by_role("listitem")
    expect(triggered).to_have_count(1)
    expect(triggered).to_contain_text("Award good Python scores: Condition not met.")
    expect(page.get_by_text("failed: the score is 60, needs at least 80")).to_be_visible()
    admin.shot("events-trace-nothing")

    # At phone width, nothing runs off the side.
    trace_path = page.url.removeprefix(admin.live.url)
    page.set_viewport_size({"width": 375, "height": 740})
    for path, name in (
        (trace_path, "events-trace-phone"),
        (f"/admin/credentials/{credential_id}", "credentials-detail-phone"),
        ("/admin/events", "events-list-phone"),
    ):
        admin.go(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        admin.shot(name)


def test_the_log_follows_new_events_live(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    send(client, tenant, event("before", "video.watched", learner="ada"))
    admin.go("/admin/events")
    page.get_by_role("link", name="Follow live").click()
    expect(page.get_by_role("link", name="Stop following")).to_be_visible()
    rows = page.locator("#event-log tbody tr")
    expect(rows).to_have_count(1)
    send(client, tenant, event("after", "quiz.passed", learner="ada"))
    # The script fetches the list again every few seconds: the new row comes without a reload.
    expect(rows).to_have_count(2, timeout=15_000)
    expect(rows.first).to_contain_text("quiz.passed")
    expect(rows.first).to_have_class("new")
    expect(page.locator("[data-live-status]")).to_contain_text("1 new")
    admin.shot("events-live")
