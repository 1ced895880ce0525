"""The dashboard's main journeys end to end in Chromium, as a new administrator walks them: a
badge made in the builder, a rule on it made with the condition builder and simulated, an event
from the API awarding it, its trace, its revocation seen on the public page, a bulk file fixed
and issued; and a viewer who can look everywhere and change nothing.

Job workers run as in `plaudit serve`: nothing is signed, issued or rendered by the test itself.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from plaudit import jobs
from plaudit.models.event import Event
from plaudit.models.user import Role
from tests.admin.conftest import PASSWORD, add_person
from tests.browser.conftest import AdminBrowser, LiveServer, admin_sign_in, screenshot
from tests.fixtures.credentials import issue
from tests.fixtures.images import png_bytes
from tests.fixtures.scenario import event, send
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def workers(live: LiveServer) -> Iterator[None]:
    consumer = jobs.start_embedded_consumer(workers=2)
    try:
        yield
    finally:
        consumer.stop(graceful=True)


def _wait_signed(admin: AdminBrowser, credential_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while True:
        record = admin.live.client.get(
            f"/api/v1/credentials/{credential_id}", headers=admin.tenant.headers
        ).json()
        if record.get("signed_at") or time.monotonic() > deadline:
            assert record.get("signed_at"), record
            return dict(record)
        time.sleep(0.1)


def _csv(rows: list[str]) -> FilePayload:
    data = "\n".join(["email,first_name,last_name,template,issue_date", *rows]) + "\n"
    return {"name": "cohort-2024.csv", "mimeType": "text/csv", "buffer": data.encode()}


def test_a_new_administrators_first_day(admin: AdminBrowser, workers: None) -> None:
    page = admin.page

    # 1. A badge template with an image, published.
    admin.go("/admin/")
    page.get_by_role("link", name="Templates").first.click()
    page.get_by_role("link", name="New badge").click()
    page.locator("#f-name").fill("Python Foundations")
    page.locator("#f-description").fill("Completed the Python course with a good score.")
    page.locator("#f-criteria").fill("Score at least 80 in the final assessment.")
    image: FilePayload = {
        "name": "python.png",
        "mimeType": "image/png",
        "buffer": png_bytes((128, 128)),
    }
    page.set_input_files("#f-image", files=[image])
    page.get_by_role("button", name="Create the template").click()
    expect(page.get_by_role("status")).to_contain_text("created as a draft")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("version 1 is in use")
    admin.shot("journey-1-template-published")

    # 2. A rule: course completed with a score of at least 80, made with the builder.
    page.get_by_role("link", name="Rules").first.click()
    page.get_by_role("link", name="New rule", exact=True).click()
    page.locator("#f-name").fill("Python course passed")
    page.get_by_label("Status", exact=True).select_option("active")
    page.locator("#f-event_types").fill("course.completed")
    page.get_by_label("Template", exact=True).select_option(
        label="Python Foundations · badge · v1 · published"
    )
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Field", exact=True).fill("event.data.score")
    page.get_by_label("Operator", exact=True).select_option(label="is at least")
    page.get_by_label("Value", exact=True).fill("80")
    page.get_by_role("button", name="Create the rule").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Python course passed")
    admin.shot("journey-2-rule")

    # 3. Simulated before any learner meets it: 79 does not award, and says why.
    page.get_by_label("Or paste an event (JSON)").fill(
        json.dumps(event("try-79", "course.completed", score=79))
    )
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#result")).to_contain_text("the score is 79, needs at least 80")
    admin.shot("journey-3-simulated")

    # 4. The LMS sends an event through the API; the log shows the award and its trace.
    passed = event("lms-4711", "course.completed", learner="grace", entity=("course", "py"))
    passed["data"] = {"score": 91}
    passed["learner"].update(first_name="Grace", last_name="Hopper", email="grace@example.org")
    credential_id = send(admin.live.client, admin.tenant, passed)["awards"][0]["credential_id"]
    record = _wait_signed(admin, credential_id)  # by the job workers
    page.get_by_role("link", name="Events").first.click()
    row = page.locator("#event-log tbody tr").first
    expect(row).to_contain_text("Grace Hopper")
    expect(row).to_contain_text("awarded")
    row.get_by_role("link").first.click()
    expect(page.get_by_text("the score is 91, needs at least 80")).to_be_visible()
    expect(page.get_by_role("link", name="Python course passed")).to_be_visible()
    admin.shot("journey-4-trace")

    # 5. Revoked with a reason; the public page says so.
    page.locator(f'a[href="/admin/credentials/{credential_id}"]').first.click()
    page.get_by_label("Reason for revoking").fill("Assessment taken by someone else")
    page.get_by_label("I understand that a revocation is final").check()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".flash")).to_contain_text("The credential is revoked")
    page.get_by_role("link", name=f"{admin.live.url}/credentials/{record['public_id']}").click()
    expect(page.get_by_role("status")).to_contain_text("Revoked")
    expect(page.locator(".reason")).to_contain_text("Assessment taken by someone else")
    admin.shot("journey-5-public-revoked")

    # 6. Last year's awards from a CSV: one bad row, fixed, issued, followed to the end.
    admin.go("/admin/bulk")
    rows = [
        "ada@example.org,Ada,Lovelace,Python Foundations,2024-06-01",
        "alan@example.org,Alan,Turing,Python Foundation,2024-06-01",  # line 3: no such template
    ]
    page.get_by_label("CSV file", exact=True).set_input_files(_csv(rows))
    page.get_by_role("button", name="Check the file").click()
    bad = page.locator("table.errors tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").nth(0)).to_have_text("3")
    expect(bad.locator("td").nth(1)).to_have_text("template")
    admin.shot("journey-6-bulk-error")
    fixed = [r.replace("Python Foundation,", "Python Foundations,") for r in rows]
    page.get_by_label("Corrected CSV file", exact=True).set_input_files(_csv(fixed))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Issue 2 credentials").click()
    expect(page.locator("[data-bulk=status] .badge")).to_have_text("completed", timeout=30_000)
    expect(page.locator("[data-bulk=issued]")).to_have_text("2")
    admin.shot("journey-6-bulk-completed")

    # The overview counts all three credentials issued today, the two back-dated ones included
    # (they count on the day Plaudit issued them, not on the date they carry).
    page.get_by_role("link", name="Overview").first.click()
    expect(page.locator("#stat-issued .value")).to_have_text("3")
    expect(page.locator("#stat-issued .label")).to_have_text("credentials issued")
    admin.shot("journey-7-overview")


VIEWER_FORBIDDEN_BUTTONS = re.compile(
    r"^(New badge|New certificate|New rule|Publish|Archive|Revoke|Suspend|Save|Check the file|"
    r"Create.*|Delete.*|Rotate.*|Start the backfill|Send.*again)$"
)


def _enabled_in_post_forms(page: Page) -> int:
    """Controls a viewer could use in the page's forms that change something."""
    controls = (
        "main form[method=post] :is(button, input:not([type=hidden]), select, textarea):enabled"
    )
    return int(page.locator(controls).count())


def _every_page(live: LiveServer, tenant: Tenant) -> dict[str, str]:
    """A page of every kind the dashboard has, with something on each (name: path)."""
    issued = issue(live.client, tenant, first_name="Ada", last_name="Lovelace")
    headers = tenant.headers
    template_id = live.client.get("/api/v1/templates", headers=headers).json()["items"][0]["id"]
    rule_id = live.client.get("/api/v1/rules", headers=headers).json()["items"][0]["id"]
    with live.runtime.sessions() as session:  # the API names events by the sender's ids
        event_id = session.scalars(select(Event.id).where(Event.organization_id == tenant.id)).one()
    return {
        "overview": "/admin/",
        "templates": "/admin/templates",
        "template": f"/admin/templates/{template_id}",
        "template-version": f"/admin/templates/{template_id}/versions/1",
        "catalog": "/admin/templates/catalog",
        "rules": "/admin/rules",
        "rule": f"/admin/rules/{rule_id}",
        "rule-editor": f"/admin/rules/{rule_id}/edit",
        "rule-backfill": f"/admin/rules/{rule_id}/backfill",
        "events": "/admin/events",
        "event": f"/admin/events/{event_id}",
        "learners": "/admin/learners",
        "learner": f"/admin/learners/{issued.learner_id}",
        "credentials": "/admin/credentials",
        "credential": f"/admin/credentials/{issued.credential_id}",
        "bulk": "/admin/bulk",
        "settings": "/admin/settings",
        **{
            f"settings-{tab.replace('/', '-')}": f"/admin/settings/{tab}"
            for tab in (
                "profile",
                "keys",
                "email",
                "email/templates",
                "webhooks",
                "connectors",
                "api-keys",
                "members",
            )
        },
        "credential-id": issued.credential_id,  # not a page: for the forged form below
    }


def test_a_viewer_sees_every_area_and_can_change_nothing(live: LiveServer, page: Page) -> None:
    tenant = make_tenant(live.runtime)
    pages = _every_page(live, tenant)
    credential_id = pages.pop("credential-id")
    email = add_person(live.runtime, tenant.id, Role.VIEWER)
    admin_sign_in(page, live, email, PASSWORD)

    for name, path in pages.items():
        page.goto(live.url + path)
        expect(page.locator(".notice").first).to_have_text(
            "You are a viewer: you can look at everything but change nothing."
        )
        assert _enabled_in_post_forms(page) == 0, name
        buttons = [b.strip() for b in page.locator("main").get_by_role("button").all_inner_texts()]
        assert not [b for b in buttons if VIEWER_FORBIDDEN_BUTTONS.match(b)], (name, buttons)
        screenshot(page, f"admin-viewer-{name}")

    # A form forged with the viewer's own session and token is refused all the same.
    token = page.locator("header form input[name=csrf_token]").first.get_attribute("value")
    assert token
    forged = page.request.post(
        f"{live.url}/admin/credentials/{credential_id}/revoke",
        form={"csrf_token": token, "reason": "I should not be able to", "confirm": "on"},
        headers={"Origin": live.url},
    )
    assert forged.status == 403
    assert "Viewers can look at everything" in forged.text()
    status = live.client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()[
        "status"
    ]
    assert status == "active"


def test_every_page_fits_a_phone(live: LiveServer, page: Page) -> None:
    tenant = make_tenant(live.runtime)
    pages = _every_page(live, tenant)
    del pages["credential-id"]
    pages["template-new"] = "/admin/templates/new?kind=certificate"
    pages["rule-new"] = "/admin/rules/new"
    pages["settings-webhooks-new"] = "/admin/settings/webhooks/new"
    email = add_person(live.runtime, tenant.id, Role.OWNER)
    page.set_viewport_size({"width": 375, "height": 740})
    admin_sign_in(page, live, email, PASSWORD)
    wide = []
    for name, path in pages.items():
        response = page.goto(live.url + path)
        assert response is not None and response.status == 200, (name, path)
        if page.evaluate("document.documentElement.scrollWidth") > 375:
            wide.append(name)
        screenshot(page, f"admin-phone-{name}")
    assert wide == []
