"""Rule cost through the API: costly conditions refused at save time, stopped at run time."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.rules import CUBE, HEAVY, WIDE, saved_before_the_limit
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def refused_condition(response: Any) -> dict[str, str]:
    problem = assert_problem(response, 422)
    errors: list[dict[str, str]] = problem["errors"]  # type: ignore[assignment]
    [error] = errors
    assert "operations per event; the limit is 100,000" in str(problem["detail"])
    return error


@pytest.mark.parametrize(
    ("condition", "pointer", "figure"), [(WIDE, "/all", "20,006,002"), (CUBE, "/all/1/all", "")]
)
def test_a_costly_condition_is_refused_at_save_time_with_its_position(
    client: TestClient, tenant: Tenant, condition: Any, pointer: str, figure: str
) -> None:
    badge = published(client, tenant, name="B")
    body = {
        "name": "costly",
        "trigger": {"event_types": ["course.completed"]},
        "condition": condition,
        "actions": [{"type": "award", "template_id": badge}],
    }
    error = refused_condition(client.post("/api/v1/rules", json=body, headers=tenant.headers))
    assert (error["field"], error["at"]) == ("condition", pointer)
    assert f"may evaluate up to {figure}" in error["reason"]
    assert error["reason"].endswith("iterate over fewer items or nest fewer loops")

    saved = rule(client, tenant, **{**body, "condition": {"==": [1, 1]}})
    patched = client.patch(
        f"/api/v1/rules/{saved['id']}", json={"condition": condition}, headers=tenant.headers
    )
    assert refused_condition(patched)["at"] == pointer
    assert client.get(f"/api/v1/rules/{saved['id']}", headers=tenant.headers).json()[
        "condition"
    ] == {"==": [1, 1]}


def test_a_costly_certificate_field_is_refused_at_save_time(
    client: TestClient, tenant: Tenant
) -> None:
    certificate = published(client, tenant, name="C", kind="certificate")
    names = {"cat": {"map": [list(range(2000)), {"map": [list(range(2000)), {"var": ""}]}]}}
    response = client.post(
        "/api/v1/rules",
        json={
            "name": "c",
            "trigger": {"event_types": ["course.completed"]},
            "actions": [
                {
                    "type": "issue_certificate",
                    "template_id": certificate,
                    "fields": {"recipient_name": names},
                }
            ],
        },
        headers=tenant.headers,
    )
    error = refused_condition(response)
    assert (error["field"], error["at"]) == ("actions.0.fields.recipient_name", "/cat/map")


def test_a_condition_too_costly_for_an_event_is_stopped_and_traced_and_the_others_proceed(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    heavy_badge = published(client, tenant, name="Heavy")
    plain_badge = published(client, tenant, name="Plain")
    body = {
        "name": "Heavy",
        "status": "active",
        "trigger": {"event_types": ["quiz.submitted"]},
        "condition": HEAVY,
        "actions": [{"type": "award", "template_id": heavy_badge}],
    }
    # Today the estimate refuses it: 8,192 items of 37 operations may exceed the limit.
    error = refused_condition(client.post("/api/v1/rules", json=body, headers=tenant.headers))
    assert error["at"] == "/some"
    heavy = saved_before_the_limit(
        runtime, tenant, action={"type": "award", "template_id": heavy_badge}
    )
    rule(
        client,
        tenant,
        name="Plain",
        mode="always",
        trigger={"event_types": ["quiz.submitted"]},
        actions=[{"type": "award", "template_id": plain_badge}],
    )

    big = event("big", "quiz.submitted", entity=("quiz", "q"), items=[0] * 5000)
    sent = send(client, tenant, big)
    assert sent["status"] == "processed"
    assert sent["outcome"] == "awarded"
    assert [a["template_id"] for a in sent["awards"]] == [plain_badge]
    trace = client.get("/api/v1/events/big", headers=tenant.headers).json()["trace"]
    stopped = next(entry for entry in trace if entry["rule_id"] == heavy)
    assert stopped["rule"] == "Saved before the limit"
    assert (stopped["trigger"]["matched"], stopped["fires"], stopped["actions"]) == (
        True,
        False,
        [],
    )
    assert stopped["skipped"].startswith("condition too costly to evaluate")
    assert "100,000 operations" in stopped["skipped"]
    plain = next(entry for entry in trace if entry["rule"] == "Plain")
    assert plain["fires"] is True
    assert plain["actions"][0]["outcome"] == "awarded"

    # The same rule on an event with a short list is evaluated as before, and awards.
    small = send(client, tenant, event("small", "quiz.submitted", entity=("quiz", "q"), items=[7]))
    assert {a["template_id"] for a in small["awards"]} == {heavy_badge, plain_badge}

    # The simulator and the backfill use the same evaluator, and the same budget.
    simulated = client.post(
        f"/api/v1/rules/{heavy}/simulate", json={"event": big}, headers=tenant.headers
    ).json()
    assert simulated["fires"] is False
    assert simulated["trace"][0]["skipped"].startswith("condition too costly to evaluate")
    preview = client.post(f"/api/v1/rules/{heavy}/backfill/preview", headers=tenant.headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["awards"] == 0  # "small" already awarded; "big" stopped

    # It can still be paused (its condition unchanged), but not given another costly one.
    paused = client.patch(
        f"/api/v1/rules/{heavy}", json={"status": "paused"}, headers=tenant.headers
    )
    assert paused.status_code == 200, paused.text
    patched = client.patch(
        f"/api/v1/rules/{heavy}", json={"condition": WIDE}, headers=tenant.headers
    )
    assert refused_condition(patched)["at"] == "/all"


def test_a_certificate_field_too_costly_for_an_event_skips_that_award_everywhere(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    from plaudit.rules import tasks as rule_tasks

    certificate = published(client, tenant, name="Certificate", kind="certificate")
    send(client, tenant, event("past-big", "quiz.submitted", learner="p-1", items=[0] * 5000))
    send(client, tenant, event("past-small", "quiz.submitted", learner="p-2", items=[7]))
    # 39 operations an item: 195,000 for the long list; a mapping stored before the limit.
    test = HEAVY["some"][1]
    name = {"cat": {"map": [{"var": "event.data.items"}, {"if": [test, "Ada", ""]}]}}
    action = {"type": "issue_certificate", "template_id": certificate}
    heavy = saved_before_the_limit(
        runtime, tenant, action={**action, "fields": {"recipient_name": name}}, condition=None
    )

    started = client.post(f"/api/v1/rules/{heavy}/backfills", headers=tenant.headers)
    assert started.status_code == 202, started.text
    rule_tasks.run_backfill.call_local(started.json()["id"])
    done = client.get(f"/api/v1/backfills/{started.json()['id']}", headers=tenant.headers).json()
    assert (done["status"], done["awarded"], done["processed_learners"]) == ("completed", 1, 2)

    live = send(
        client, tenant, event("live-big", "quiz.submitted", learner="p-3", items=[0] * 5000)
    )
    assert (live["outcome"], live["awards"]) == ("no_award", [])
    [entry] = client.get("/api/v1/events/live-big", headers=tenant.headers).json()["trace"]
    assert entry["fires"] is True
    [outcome] = entry["actions"]
    assert outcome["outcome"].startswith(
        "skipped: certificate field 'recipient_name' too costly to compute"
    )

    big = event("sim", "quiz.submitted", learner="p-4", items=[0] * 5000)
    simulated = client.post(
        f"/api/v1/rules/{heavy}/simulate", json={"event": big}, headers=tenant.headers
    ).json()
    assert simulated["would_award"] == []
    assert simulated["trace"][0]["actions"][0]["outcome"] == outcome["outcome"]
