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
    page.get_by_role("link", name="New rule", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New rule")
    page.locator("#f-name").fill("Course completed with score ≥ 80")
    page.get_by_label("Status", exact=True).select_option("active")
    page.locator("#f-event_types").fill("course.completed")
    page.get_by_label("Template", exact=True).select_option(
        label="Course Star · badge · v1 · published"
    )

    # The visual builder: no condition yet, then one comparison.
    expect(page.get_by_text("No condition: the rule acts on every event")).to_be_visible()
    expect(page.locator("#f-condition")).to_be_hidden()
    page.get_by_role("button", name="Add condition").click()
    page.get_by_label("Field", exact=True).fill("event.data.score")
    labels = page.get_by_label("Operator", exact=True).locator("option").all_inner_texts()
    assert labels == [
        "is",
        "is not",
        "is more than",
        "is at least",
        "is less than",
        "is at most",
        "is one of",
    ]
    page.get_by_label("Operator", exact=True).select_option(label="is at least")
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
    expect(page.locator(".condition-sentence")).to_have_text("the score is at least 80")
    expect(page.get_by_label("Condition as JSON Logic")).to_be_hidden()  # JSON on request
    page.get_by_text("The condition as JSON Logic").click()
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
            expect(result).to_contain_text("the score is 75, needs at least 80")
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


def _outcome(admin: AdminBrowser, event_id: str) -> str:
    response = admin.live.client.get(f"/api/v1/events/{event_id}", headers=admin.tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["outcome"])


def _received(admin: AdminBrowser) -> None:
    """Events that name courses, so that the wizard has something to list."""
    client, tenant = admin.live.client, admin.tenant
    send(
        client,
        tenant,
        event("seen-1", "course.completed", entity=("course", "excel-1"), title="Excel basics"),
    )
    send(
        client,
        tenant,
        event(
            "seen-2",
            "course.completed",
            entity=("course", "safety-101"),
            title="Workplace Safety",
            score=40,
        ),
    )
    send(
        client,
        tenant,
        event(
            "seen-3", "path.completed", entity=("learning_path", "lp-1"), title="Onboarding path"
        ),
    )


def _check_awards(admin: AdminBrowser, rule_id: str) -> None:
    """An event at 85 awards and one at 75 does not (sent as the platform sends them)."""
    client, tenant = admin.live.client, admin.tenant
    for learner, score in (("high", 85), ("low", 75)):
        send(
            client,
            tenant,
            event(
                f"try-{learner}",
                "course.completed",
                learner=learner,
                entity=("course", "safety-101"),
                title="Workplace Safety",
                score=score,
            ),
        )
    assert _outcome(admin, "try-high") == "awarded"
    assert _outcome(admin, "try-low") == "no_award"
    saved = _api_rule(admin, rule_id)
    assert saved["condition"] == {">=": [{"var": "event.data.score"}, 80]}
    assert saved["trigger"]["entity_ids"] == ["safety-101"]


def test_a_new_administrator_makes_a_rule_with_the_wizard(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    badge = published(client, tenant, name="Safety Star")
    published(client, tenant, name="Excel Star")
    published(client, tenant, name="Diploma", kind="certificate")
    _received(admin)

    admin.go("/admin/rules")
    page.get_by_role("link", name="New rule with the wizard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Award a badge for completing a course"
    )
    # The courses received, with their titles; the search narrows the list.
    expect(page.get_by_role("checkbox", name=re.compile("Onboarding path"))).to_be_visible()
    page.get_by_label("Search by title or id").fill("safety")
    expect(page.get_by_role("checkbox", name=re.compile("Excel basics"))).to_be_hidden()
    page.get_by_role("checkbox", name=re.compile("Workplace Safety")).check()
    page.get_by_label("completes it with a score of at least…").check()
    page.get_by_label("Lowest passing score").fill("80")
    picker = page.get_by_label("Badge", exact=True)
    assert all("badge" in label for label in picker.locator("option").all_inner_texts()[1:])
    picker.select_option(badge)
    admin.shot("rules-wizard")
    page.get_by_role("button", name="Create the rule").click()

    expect(page.get_by_text("was created")).to_be_visible()
    rule_id = page.url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(".condition-sentence")).to_have_text("the score is at least 80")
    expect(page.locator(".rule-summary")).to_contain_text(
        "When course completed on Workplace Safety (safety-101), if the score is at least 80"
    )
    admin.shot("rules-wizard-made")
    _check_awards(admin, rule_id)
    # An ordinary rule: the full editor opens it, its builder showing the comparison.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Field", exact=True)).to_have_value("event.data.score")
    expect(page.get_by_label("Operator", exact=True)).to_have_value(">=")


def _tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_wizard_by_keyboard_only(admin: AdminBrowser) -> None:
    client, tenant, page = admin.live.client, admin.tenant, admin.page
    badge = published(client, tenant, name="Safety Star")
    _received(admin)
    admin.go("/admin/rules")
    _tab_to(page, "a[href='/admin/rules/wizard']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Award a badge for completing a course"
    )

    _tab_to(page, "#s-entity")
    page.keyboard.type("safety")
    page.keyboard.press("Enter")  # to the only match
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name=re.compile("Workplace Safety"))).to_be_checked()
    _tab_to(page, "input[name=kind]")
    page.keyboard.press("ArrowDown")  # "completes it" -> "with a score of at least"
    expect(page.locator("#kind-score")).to_be_checked()
    _tab_to(page, "#f-min_score")
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    _tab_to(page, "#f-template")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#f-template")).to_have_value(badge)
    _tab_to(page, "button[type=submit].primary")
    page.keyboard.press("Enter")

    expect(page.get_by_text("was created")).to_be_visible()
    expect(page.locator(".condition-sentence")).to_have_text("the score is at least 80")
    admin.shot("rules-wizard-keyboard")
    _check_awards(admin, page.url.rstrip("/").rsplit("/", 1)[1])
