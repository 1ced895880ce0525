"""HighLevel's seven workflow triggers (seed 000), each as its Webhook action sends it, become
Plaudit's events and award a badge through the certificate action, as HighLevel does."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.connectors import presets
from plaudit.runtime import Runtime
from tests.fixtures.scenario import learner_badges, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

# trigger (as HighLevel's menu names it) -> Custom Data event, Plaudit event type, entity type
TRIGGERS = {
    "Lesson Completed": ("lesson_completed", "lesson.completed", "lesson"),
    "Category Completed": ("category_completed", "category.completed", "category"),
    "Product Completed": ("product_completed", "product.completed", "product"),
    "Quiz Submitted": ("quiz_submitted", "quiz.submitted", "quiz"),
    "Survey Submitted": ("survey_submitted", "survey.submitted", "survey"),
    "Form Submitted": ("form_submitted", "form.submitted", "form"),
    "Task Completed": ("task_completed", "task.completed", "task"),
}
CONTACT = "hX3kLm9QpR2sT7vW"


def sent(trigger: str, entity_id: str, title: str, **custom: str) -> dict[str, Any]:
    """The body of a HighLevel workflow's Webhook action: the contact's standard fields,
    the location and workflow, and the Custom Data keys the preset asks for."""
    body: dict[str, Any] = copy.deepcopy(presets.get("highlevel").example)
    body["workflow"] = {"id": "wf_7", "name": f"{trigger}: tell Plaudit"}
    body["customData"] = {
        "event": TRIGGERS[trigger][0],
        "entity_id": entity_id,
        "entity_title": title,
        **custom,
    }
    return body


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def made(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    response = client.post(
        "/api/v1/connectors",
        json={"name": "HighLevel", "preset": "highlevel"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def post(client: TestClient, made: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/hooks/{made['id']}?token={made['secret']}", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_each_trigger_becomes_its_event_and_awards_through_the_certificate_action(
    client: TestClient, tenant: Tenant, made: dict[str, Any], trigger: str
) -> None:
    _, event_type, entity_type = TRIGGERS[trigger]
    badge = published(client, tenant, name=f"{trigger} badge")
    rule(
        client,
        tenant,
        name=trigger,
        trigger={"event_types": [event_type], "entity_ids": ["highlevel:x1"]},
        actions=[{"type": "issue_certificate", "template_id": badge}],
    )

    result = post(client, made, sent(trigger, "x1", "Safety basics"))

    assert (result["status"], result["awards"]) == ("mapped", 1), result
    event = client.get(f"/api/v1/events/{result['event_id']}", headers=tenant.headers).json()
    assert event["type"] == event_type
    assert (event["entity"]["type"], event["entity"]["id"]) == (entity_type, "highlevel:x1")
    assert event["source"] == "highlevel"
    assert event["outcome"] == "awarded"
    badges = learner_badges(client, tenant, f"highlevel:{CONTACT}")
    assert [b["template_id"] for b in badges] == [badge]


def test_other_triggers_of_the_same_workflow_are_ignored(
    client: TestClient, made: dict[str, Any]
) -> None:
    body = sent("Lesson Completed", "x1", "x")
    body["customData"]["event"] = "appointment_booked"
    result = post(client, made, body)
    assert result["status"] == "ignored"
    assert "appointment_booked" in result["reason"]


def test_each_quiz_submission_is_its_own_event_and_carries_its_score(
    client: TestClient, tenant: Tenant, made: dict[str, Any]
) -> None:
    ace = published(client, tenant, name="Quiz Ace")
    rule(
        client,
        tenant,
        name="Quiz Ace",
        trigger={"event_types": ["quiz.submitted"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "issue_certificate", "template_id": ace}],
    )
    first = post(
        client, made, sent("Quiz Submitted", "q7", "Quiz 7", submission_id="s1", score="60%")
    )
    retried = post(
        client, made, sent("Quiz Submitted", "q7", "Quiz 7", submission_id="s1", score="60%")
    )
    retake = post(
        client,
        made,
        sent("Quiz Submitted", "q7", "Quiz 7", submission_id="s2", score="85%", passed="yes"),
    )

    assert (first["status"], first["awards"]) == ("mapped", 0)
    assert retried["status"] == "duplicate"
    assert (retake["status"], retake["awards"]) == ("mapped", 1)
    assert retake["event_id"] == f"highlevel:quiz_submitted:{CONTACT}:q7:s2"
    event = client.get(f"/api/v1/events/{retake['event_id']}", headers=tenant.headers).json()
    assert (event["data"]["score"], event["data"]["passed"]) == (85, True)
