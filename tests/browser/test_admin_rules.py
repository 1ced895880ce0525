"""Dashboard rules in Chromium: a rule made with the visual condition builder, simulated, and
backfilled; and the builder's round trip with the JSON Logic it edits."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from plaudit.rules import tasks as rule_tasks
from tests.browser.conftest import AdminBrowser
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published


def _api_rule(admin: AdminBrowser, rule_id: str) -> dict[str, Any]:
    response = admin.live.client.get(f"/api/v1/rules/{rule_id}", headers=admin.tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_make_a_rule_with_the_builder_simulate_it_and_backfill(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    published(client, tenant, name="Course Star")
    # A learner who passed before the rule existed: the backfill finds them.
    send(client, tenant, event("old-1", "course.completed", learner="pat", score=92))

    admin.go("/admin/rules")
    expect(page.get_by_text("No rules yet")).to_be_visible()
    admin.shot("rules-list-empty")
    page.get_by_role("link", name="New rule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New rule")
    page.locator("#f-name").fill("Course completed with score ≥ 80")
    page.get_by_label("Status", exact=True).select_option("active")
    page.locator("#f-event_types").fill("course.completed")
    page.get_by_label("Template", exact=True).select_option(label="Course Star (badge, published)")

    # The visual builder: no condition yet, then one comparison.
    expect(page.get_by_text("No condition: the rule acts on every event")).to_be_visible()
    expect(page.locator("#f-condition")).to_be_hidden()
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Field", exact=True).fill("event.data.score")
    page.get_by_label("Operator", exact=True).select_option(label="≥ at least")
    page.get_by_label("Value", exact=True).fill("80")
    expected = {">=": [{"var": "event.data.score"}, 80]}
    assert json.loads(page.locator("#f-condition").input_value()) == expected
    admin.shot("rules-editor-builder")
    page.get_by_role("button", name="JSON").click()  # the raw JSON Logic
    expect(page.locator("#f-condition")).to_be_visible()
    admin.shot("rules-editor-json")
    page.get_by_role("button", name="Builder").click()
    expect(page.get_by_label("Field", exact=True)).to_have_value("event.data.score")
    page.get_by_role("button", name="Create the rule").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Course completed with score")
    rule_id = page.url.rstrip("/").rsplit("/", 1)[1]
    saved = _api_rule(admin, rule_id)
    assert saved["condition"] == expected and saved["status"] == "active"
    assert page.get_by_label("Condition as JSON Logic").inner_text().count("event.data.score") == 1
    admin.shot("rules-detail")

    # The simulator: 85 awards; 75 does not, and the trace says why.
    for score in (85, 75):
        page.get_by_label("Or paste an event (JSON)").fill(
            json.dumps(event(f"try-{score}", "course.completed", score=score), indent=2)
        )
        page.get_by_role("button", name="Simulate").click()
        result = page.locator("#result")
        if score == 85:
            expect(result).to_contain_text("Would award: Course Star")
            admin.shot("rules-simulate-awards")
        else:
            expect(result).to_contain_text("Would not award.")
            expect(result).to_contain_text("event.data.score = 75, needs >= 80")
            admin.shot("rules-simulate-refused")

    # Backfill: the dry run names who would get what; then the job, followed to its end.
    page.get_by_role("link", name="Backfill", exact=True).click()
    expect(page.get_by_role("cell", name=re.compile("pat@example.org"))).to_be_visible()
    admin.shot("rules-backfill-preview")
    page.get_by_role("button", name="Start the backfill").click()
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()
    admin.shot("rules-backfill-running")
    backfill_id = page.url.rsplit("/", 1)[1]
    rule_tasks.run_backfill.call_local(backfill_id)
    expect(page.get_by_text("Finished.")).to_be_visible(timeout=10_000)  # it refreshes itself
    expect(page.locator("dl.facts dt:text-is('Awarded') + dd")).to_have_text("1")
    admin.shot("rules-backfill-done")

    admin.go("/admin/rules")
    expect(page.get_by_role("link", name="Course completed with score ≥ 80")).to_be_visible()
    admin.shot("rules-list")

    page.set_viewport_size({"width": 375, "height": 740})
    admin.go(f"/admin/rules/{rule_id}/edit")
    expect(page.get_by_label("Field", exact=True)).to_have_value("event.data.score")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    admin.shot("rules-editor-phone")


NESTED = {
    "and": [
        {">=": [{"var": "event.data.score"}, 80]},
        {
            "or": [
                {"completed_all": ["a1", "a2"]},
                {">=": [{"count": {"type": "quiz.submitted", "within": "P30D"}}, 3]},
                {">=": [{"best_score": {"entity_id": "quiz-7", "percent": True}}, 90]},
            ]
        },
        {"in": [{"var": "entity.id"}, ["c1", "c2"]]},
        {"==": [{"var": "event.data.passed"}, True]},
    ]
}


def test_the_builder_round_trips_the_json_logic_it_edits(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    badge = published(client, tenant, name="Path")
    condition: dict[str, Any] = json.loads(json.dumps(NESTED))
    condition["and"][1]["or"].append({"!": {"holds_badge": badge}})
    made = rule(
        client,
        tenant,
        name="Nested",
        trigger={"event_types": ["course.completed", "quiz.*"]},
        condition=condition,
        actions=[{"type": "award", "template_id": badge}],
    )
    admin.go(f"/admin/rules/{made['id']}/edit")
    # The builder shows the tree: two groups, three comparisons and four history checks.
    expect(page.locator(".cb-group")).to_have_count(2)
    expect(page.locator(".cb-rule")).to_have_count(7)
    expect(page.locator(".cb-history")).to_have_count(4)
    expect(page.locator(".cb-notice")).to_be_hidden()
    expect(page.locator(".cb-group .cb-group select").first).to_have_value("or")
    expect(page.get_by_label("Field", exact=True).first).to_have_value("event.data.score")
    expect(page.get_by_label("Value", exact=True).nth(2)).to_have_value("90")
    expect(page.get_by_label("Does not hold it")).to_be_checked()
    admin.shot("rules-editor-nested")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("was saved")).to_be_visible()
    assert _api_rule(admin, made["id"])["condition"] == condition

    # A change in the builder is a change in the JSON Logic.
    admin.go(f"/admin/rules/{made['id']}/edit")
    page.get_by_role("button", name="Remove this condition").last.click()
    page.get_by_label("History check").first.select_option("completed_any")
    page.get_by_label("Entity ids (separated by commas)").fill("x1, x2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("was saved")).to_be_visible()
    changed = _api_rule(admin, made["id"])["condition"]
    assert changed["and"][1]["or"][0] == {"completed_any": ["x1", "x2"]}
    assert len(changed["and"]) == 3

    # What the builder cannot show stays editable as JSON, with a notice, and saves as typed.
    odd = {"if": [{"var": "event.data.passed"}, True, {">": [{"var": "event.data.score"}, 50]}]}
    client.patch(
        f"/api/v1/rules/{made['id']}", json={"condition": odd}, headers=tenant.headers
    ).raise_for_status()
    admin.go(f"/admin/rules/{made['id']}/edit")
    expect(page.locator(".cb-notice")).to_contain_text("cannot show this condition")
    expect(page.locator("#f-condition")).to_be_visible()
    admin.shot("rules-editor-json-only")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("was saved")).to_be_visible()
    assert _api_rule(admin, made["id"])["condition"] == odd

    # A mistake comes back beside the condition with its position, as typed.
    admin.go(f"/admin/rules/{made['id']}/edit")
    page.locator("#f-condition").fill('{"and": [true, {"grater": [1, 2]}]}')
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-condition")).to_contain_text("At /and/1/grater")
    expect(page.locator(".cb-notice")).to_contain_text("cannot show this condition")
    expect(page.locator("#f-condition")).to_have_value('{"and": [true, {"grater": [1, 2]}]}')
    admin.shot("rules-editor-error")
    assert _api_rule(admin, made["id"])["condition"] == odd
