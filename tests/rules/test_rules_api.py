"""Rules: refused at save time with the position of the error; simulation; backfill."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.models.award import Credential
from plaudit.models.event import Event
from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("condition", "pointer", "words"),
    [
        ({"and": [True, {"grater": [1, 2]}]}, "/and/1/grater", "did you mean"),
        ({">=": [{"var": "score"}, 80]}, "/>=/0", "event.data.score"),
        ({"==": [1, 2], "!=": [1, 2]}, "/", "exactly one operator"),
        ({"completed_all": []}, "/completed_all", ""),
    ],
)
def test_a_condition_that_does_not_parse_is_refused_with_its_position(
    client: TestClient, tenant: Tenant, condition: Any, pointer: str, words: str
) -> None:
    badge = published(client, tenant, name="B")
    response = client.post(
        "/api/v1/rules",
        json={
            "name": "bad",
            "trigger": {"event_types": ["course.completed"]},
            "condition": condition,
            "actions": [{"type": "award", "template_id": badge}],
        },
        headers=tenant.headers,
    )
    problem = assert_problem(response, 422)
    errors: list[dict[str, str]] = problem["errors"]  # type: ignore[assignment]
    [error] = errors
    assert error["field"] == "condition"
    assert error["at"].startswith(pointer)
    assert words in str(problem["detail"])


def test_certificate_mappings_are_checked_against_the_template(
    client: TestClient, tenant: Tenant
) -> None:
    certificate = published(client, tenant, name="C", kind="certificate")
    base = {"name": "c", "trigger": {"event_types": ["course.completed"]}}
    unknown = client.post(
        "/api/v1/rules",
        json={
            **base,
            "actions": [
                {
                    "type": "issue_certificate",
                    "template_id": certificate,
                    "fields": {"shoe_size": 42},
                }
            ],
        },
        headers=tenant.headers,
    )
    assert "shoe_size" in str(assert_problem(unknown, 422)["detail"])
    missing = client.post(
        "/api/v1/rules",
        json={
            **base,
            "actions": [{"type": "issue_certificate", "template_id": certificate, "fields": {}}],
        },
        headers=tenant.headers,
    )
    assert "recipient_name" in str(assert_problem(missing, 422)["detail"])


def test_simulation_decides_and_explains_without_writing(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    badge = published(client, tenant, name="Path")
    unsaved = {
        "name": "Path in any order",
        "status": "active",
        "trigger": {"event_types": ["course.completed"]},
        "condition": {"completed_all": ["c1", "c2"]},
        "actions": [{"type": "award", "template_id": badge}],
    }
    sample = event("sim-1", "course.completed", entity=("course", "c2"))
    no_history = client.post(
        "/api/v1/rules/simulate", json={"rule": unsaved, "event": sample}, headers=tenant.headers
    ).json()
    assert no_history["fires"] is False
    assert "c1" in no_history["trace"][0]["condition"]["summary"]
    with_history = client.post(
        "/api/v1/rules/simulate",
        json={
            "rule": unsaved,
            "event": sample,
            "history": [
                {
                    "id": "h1",
                    "type": "course.completed",
                    "occurred_at": "2026-01-01T00:00:00Z",
                    "entity": {"type": "course", "id": "c1"},
                }
            ],
        },
        headers=tenant.headers,
    ).json()
    assert with_history["fires"] is True
    assert with_history["would_award"][0]["template_name"] == "Path"
    held = client.post(
        "/api/v1/rules/simulate",
        json={
            "rule": unsaved,
            "event": sample,
            "held_template_ids": [badge],
            "history": [
                {
                    "id": "h1",
                    "type": "course.completed",
                    "occurred_at": "2026-01-01T00:00:00Z",
                    "entity": {"type": "course", "id": "c1"},
                }
            ],
        },
        headers=tenant.headers,
    ).json()
    assert held["would_award"] == []
    assert "already holds" in held["trace"][0]["actions"][0]["outcome"]
    assert _count(runtime, Event) == 0
    assert _count(runtime, Credential) == 0
    assert client.get("/api/v1/rules", headers=tenant.headers).json()["items"] == []


def test_backfill_previews_then_awards_past_learners_once(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    from plaudit.db import unit_of_work
    from plaudit.rules import backfill as backfills

    badge = published(client, tenant, name="Retroactive")
    for learner, score in (("old-1", 90), ("old-2", 50), ("old-3", 85)):
        send(
            client,
            tenant,
            event(
                f"past-{learner}",
                "course.completed",
                learner=learner,
                entity=("course", "c"),
                score=score,
            ),
        )
    created = rule(
        client,
        tenant,
        name="Late rule",
        trigger={"event_types": ["course.completed"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "award", "template_id": badge}],
    )
    preview = client.post(
        f"/api/v1/rules/{created['id']}/backfill/preview", headers=tenant.headers
    ).json()
    assert (preview["learners"], preview["awards"]) == (2, 2)
    assert {s["learner"] for s in preview["sample"]} == {"old-1", "old-3"}
    assert _count(runtime, Credential) == 0  # a preview writes nothing

    started = client.post(f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers)
    assert started.status_code == 202, started.text
    backfill_id = started.json()["id"]
    # Run the job's chunks here, one learner at a time, and "crash" after the first chunk.
    import uuid

    with unit_of_work(runtime.sessions) as session:
        assert (
            backfills.run_chunk(session, backfill_id=uuid.UUID(backfill_id), chunk_size=1) is False
        )
    progress = client.get(f"/api/v1/backfills/{backfill_id}", headers=tenant.headers).json()
    assert (progress["status"], progress["processed_learners"]) == ("running", 1)
    while True:  # the resumed job continues from its cursor
        with unit_of_work(runtime.sessions) as session:
            if backfills.run_chunk(session, backfill_id=uuid.UUID(backfill_id), chunk_size=1):
                break
    done = client.get(f"/api/v1/backfills/{backfill_id}", headers=tenant.headers).json()
    assert (done["status"], done["awarded"], done["processed_learners"]) == ("completed", 2, 3)
    assert _count(runtime, Credential) == 2
    credentials = client.get("/api/v1/credentials", headers=tenant.headers).json()["items"]
    assert {c["recipient_email"] for c in credentials} == {"old-1@example.org", "old-3@example.org"}

    # A second backfill finds nothing left to award.
    again = client.post(
        f"/api/v1/rules/{created['id']}/backfill/preview", headers=tenant.headers
    ).json()
    assert again["awards"] == 0


def test_the_backfill_job_runs_to_completion(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    from plaudit.rules import tasks as rule_tasks

    badge = published(client, tenant, name="Job")
    for n in range(5):
        send(client, tenant, event(f"j-{n}", "task.completed", learner=f"p-{n}"))
    created = rule(
        client,
        tenant,
        name="Tasks",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    backfill = client.post(
        f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers
    ).json()
    # A second start while one is pending is refused.
    assert_problem(
        client.post(f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers), 409
    )
    rule_tasks.run_backfill.call_local(backfill["id"])
    rule_tasks.run_backfill.call_local(backfill["id"])  # a redelivered job changes nothing
    done = client.get(f"/api/v1/backfills/{backfill['id']}", headers=tenant.headers).json()
    assert (done["status"], done["awarded"]) == ("completed", 5)
    assert _count(runtime, Credential) == 5
