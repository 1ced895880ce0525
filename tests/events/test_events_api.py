"""The events API: validation, batches with per-item results, xAPI, search and isolation."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"type": "Course Completed"}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-03-01T09:00:00"}, "occurred_at"),
        ({"learner": {"first_name": "Nobody"}}, "learner"),
        ({"learner": {"id": "u", "email": "not-an-email"}}, "learner.email"),
        ({"data": {"score": "lots"}}, "data.score"),
        ({"id": ""}, "id"),
        ({"entity": {"type": "course"}}, "entity.id"),
    ],
)
def test_malformed_events_get_422_naming_the_field(
    client: TestClient, tenant: Tenant, change: dict[str, object], field: str
) -> None:
    body = {**event("bad", "course.completed", entity=("course", "c")), **change}
    problem = assert_problem(client.post("/api/v1/events", json=body, headers=tenant.headers), 422)
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem  # type: ignore[attr-defined]


def test_a_batch_reports_each_item_and_one_bad_item_loses_nothing(
    client: TestClient, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Any task")
    rule(
        client,
        tenant,
        name="Tasks",
        mode="always",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    items = [
        event("b-1", "task.completed", entity=("task", "1")),
        {"id": "b-2", "type": "task.completed"},  # no learner, no time
        event("b-3", "task.completed", entity=("task", "3"), learner="u-2"),
        event("b-1", "task.completed", entity=("task", "1")),  # repeated in the same batch
    ]
    response = client.post("/api/v1/events/batch", json={"events": items}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["processed"], out["invalid"], out["duplicates"], out["awarded"]) == (2, 1, 1, 2)
    statuses = [r["status"] for r in out["results"]]
    assert statuses == ["processed", "invalid", "processed", "duplicate"]
    assert {e["field"] for e in out["results"][1]["errors"]} >= {"learner", "occurred_at"}
    assert client.get("/api/v1/events/b-3", headers=tenant.headers).status_code == 200
    assert client.get("/api/v1/events/b-2", headers=tenant.headers).status_code == 404


def test_batches_are_limited_to_1000(client: TestClient, tenant: Tenant) -> None:
    items = [event(f"n-{i}", "task.completed") for i in range(1001)]
    assert_problem(
        client.post("/api/v1/events/batch", json={"events": items}, headers=tenant.headers), 422
    )


def test_xapi_statements_become_events_that_award(client: TestClient, tenant: Tenant) -> None:
    badge = published(client, tenant, name="Passed the assessment")
    rule(
        client,
        tenant,
        name="xAPI pass",
        trigger={"event_types": ["quiz.submitted"]},
        condition={"==": [{"var": "event.data.passed"}, True]},
        actions=[{"type": "award", "template_id": badge}],
    )
    statement = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-03-01T10:00:00+02:00",
        "actor": {
            "objectType": "Agent",
            "name": "Grace Hopper",
            "mbox": "mailto:grace@example.org",
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
        "object": {
            "id": "https://lms.example/quiz/7",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/assessment",
                "name": {"en-US": "Final quiz"},
            },
        },
        "result": {"score": {"raw": 88, "max": 100}, "success": True},
    }
    headers = {**tenant.headers, "X-Experience-API-Version": "1.0.3"}
    # xAPI takes a batch whole: one bad statement refuses it (400), and nothing is stored.
    response = client.post(
        "/api/v1/xapi/statements", json=[statement, {"id": "nope"}], headers=headers
    )
    assert_problem(response, 400)
    assert client.get(f"/api/v1/events/xapi:{statement['id']}", headers=headers).status_code == 404
    # A good batch is answered with its statements' ids, as xAPI says.
    response = client.post("/api/v1/xapi/statements", json=[statement], headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == [statement["id"]]
    stored = client.get(f"/api/v1/events/xapi:{statement['id']}", headers=tenant.headers).json()
    assert stored["awards_count"] == 1
    assert stored["type"] == "quiz.submitted"
    assert stored["data"]["score"] == 88
    assert stored["occurred_at"].startswith("2026-03-01T08:00:00")


def test_search_events_by_learner_type_and_outcome(client: TestClient, tenant: Tenant) -> None:
    badge = published(client, tenant, name="B")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["quiz.submitted"]},
        condition={">": [{"var": "event.data.score"}, 50]},
        actions=[{"type": "award", "template_id": badge}],
    )
    send(client, tenant, event("s-1", "quiz.submitted", learner="ann", score=20))
    send(client, tenant, event("s-2", "quiz.submitted", learner="bob", score=80))
    send(client, tenant, event("s-3", "lesson.completed", learner="ann"))

    def ids(query: str) -> list[str]:
        return [
            e["id"]
            for e in client.get(f"/api/v1/events{query}", headers=tenant.headers).json()["items"]
        ]

    assert ids("?learner=ann") == ["s-3", "s-1"]
    assert ids("?learner=bob@example.org") == ["s-2"]
    assert ids("?type=quiz.submitted&outcome=no_award") == ["s-1"]
    assert ids("?outcome=awarded") == ["s-2"]
    assert ids("?outcome=no_rule") == ["s-3"]


def test_events_rules_and_learners_are_isolated_per_organization(
    client: TestClient, runtime: Runtime
) -> None:
    a, b = make_tenant(runtime), make_tenant(runtime)
    badge = published(client, b, name="B only")
    b_rule = rule(
        client,
        b,
        name="B rule",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    send(client, b, event("iso-1", "task.completed"))
    assert client.get("/api/v1/events/iso-1", headers=a.headers).status_code == 404
    assert client.get(f"/api/v1/rules/{b_rule['id']}", headers=a.headers).status_code == 404
    assert client.get("/api/v1/learners", headers=a.headers).json()["items"] == []
    # A's rule may not point at B's template.
    refused = client.post(
        "/api/v1/rules",
        json={
            "name": "steal",
            "trigger": {"event_types": ["task.completed"]},
            "actions": [{"type": "award", "template_id": badge}],
        },
        headers=a.headers,
    )
    assert "no template" in str(assert_problem(refused, 422)["detail"])
    # The same event id in A is a different event.
    assert send(client, a, event("iso-1", "task.completed"))["status"] == "processed"
