"""A badge issued through the certificate action, as HighLevel's "Issue Certificate" does."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event, learner_badges, rule, send, trace
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

TRIGGER = {"event_types": ["lesson.completed"], "entity_ids": ["lesson-1"]}


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def test_a_badge_in_a_certificate_action_is_awarded_as_award_does(
    client: TestClient, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Lesson 1 Complete")
    saved = rule(
        client,
        tenant,
        name="Lesson 1",
        trigger=TRIGGER,
        actions=[{"type": "issue_certificate", "template_id": badge}],
    )
    assert saved["actions"][0]["type"] == "issue_certificate"

    result = send(client, tenant, event("hl-1", "lesson.completed", entity=("lesson", "lesson-1")))

    assert result["outcome"] == "awarded"
    [award] = result["awards"]
    credential = client.get(
        f"/api/v1/credentials/{award['credential_id']}", headers=tenant.headers
    ).json()
    assert (credential["template_id"], credential["fields"]) == (badge, {})
    [decision] = trace(client, tenant, "hl-1")
    [action] = decision["actions"]
    assert (action["result"], action["template_name"]) == ("awarded", "Lesson 1 Complete")
    assert "fields" not in action  # as an 'award' action's trace
    assert [b["template_id"] for b in learner_badges(client, tenant, "u-1")] == [badge]
    again = send(client, tenant, event("hl-2", "lesson.completed", entity=("lesson", "lesson-1")))
    assert again["awards"] == []  # once, as for 'award'


def test_the_simulator_says_the_same(client: TestClient, tenant: Tenant) -> None:
    badge = published(client, tenant, name="Quiz Ace")
    unsaved: dict[str, Any] = {
        "name": "Quiz",
        "status": "active",
        "trigger": {"event_types": ["quiz.submitted"]},
        "actions": [{"type": "issue_certificate", "template_id": badge}],
    }
    response = client.post(
        "/api/v1/rules/simulate",
        json={"rule": unsaved, "event": event("sim-1", "quiz.submitted", entity=("quiz", "q1"))},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    simulated = response.json()
    assert simulated["fires"] is True
    [would] = simulated["would_award"]
    assert would["template_name"] == "Quiz Ace"
    [action] = simulated["trace"][0]["actions"]
    assert (action["result"], action["outcome"]) == ("awarded", "would award")


def test_mapping_fields_onto_a_badge_is_refused_naming_it(
    client: TestClient, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Top Responder")
    response = client.post(
        "/api/v1/rules",
        json={
            "name": "Survey",
            "trigger": {"event_types": ["survey.submitted"]},
            "actions": [
                {
                    "type": "issue_certificate",
                    "template_id": badge,
                    "fields": {"recipient_name": {"var": "learner.first_name"}},
                }
            ],
        },
        headers=tenant.headers,
    )
    problem = assert_problem(response, 422)
    detail = str(problem["detail"])
    assert "'Top Responder' is a badge" in detail
    assert "recipient_name" in detail
    errors: list[dict[str, str]] = problem["errors"]  # type: ignore[assignment]
    [error] = errors
    assert error["field"] == "actions.0.fields"


def test_a_certificate_still_needs_its_fields(client: TestClient, tenant: Tenant) -> None:
    certificate = published(client, tenant, name="C", kind="certificate")
    response = client.post(
        "/api/v1/rules",
        json={
            "name": "c",
            "trigger": {"event_types": ["course.completed"]},
            "actions": [{"type": "issue_certificate", "template_id": certificate}],
        },
        headers=tenant.headers,
    )
    assert "recipient_name" in str(assert_problem(response, 422)["detail"])
