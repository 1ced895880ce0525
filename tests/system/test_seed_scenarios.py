"""The seeds' scenarios end to end: events through the API, awards, counts, logs and traces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.scenario import event, learner_badges, rule, send, trace
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def test_talentlms_course_with_score_at_least_80_earns_a_badge(
    client: TestClient, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Safety Course Badge")
    rule(
        client,
        tenant,
        name="Safety course >= 80",
        mode="once",
        trigger={"event_types": ["course.completed"], "entity_ids": ["safety-101"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "award", "template_id": badge}],
    )

    low = send(
        client, tenant, event("e-75", "course.completed", entity=("course", "safety-101"), score=75)
    )
    assert low["status"] == "processed"
    assert low["outcome"] == "no_award"
    assert low["awards"] == []
    [decision] = trace(client, tenant, "e-75")
    assert decision["trigger"]["matched"] is True
    assert decision["condition"]["passed"] is False
    assert "75" in decision["condition"]["summary"] and "80" in decision["condition"]["summary"]

    other = send(
        client,
        tenant,
        event("e-other", "course.completed", entity=("course", "fire-202"), score=99),
    )
    assert other["outcome"] == "no_rule"

    high = send(
        client,
        tenant,
        event("e-85", "course.completed", entity=("course", "safety-101"), score=85, minutes=5),
    )
    assert high["outcome"] == "awarded"
    assert [a["template_id"] for a in high["awards"]] == [badge]
    badges = learner_badges(client, tenant, "u-1")
    assert len(badges) == 1, badges
    [earned] = badges
    assert earned["count"] == 1
    assert earned["logs"][0]["source_entity_id"] == "safety-101"
    assert earned["logs"][0]["template_version"] == 1

    # ONCE: passing again gives nothing more, and the trace says why.
    again = send(
        client,
        tenant,
        event("e-90", "course.completed", entity=("course", "safety-101"), score=90, minutes=10),
    )
    assert again["awards"] == []
    [decision] = trace(client, tenant, "e-90")
    assert "already holds" in decision["actions"][0]["outcome"]
    assert learner_badges(client, tenant, "u-1")[0]["count"] == 1


def test_three_activities_in_any_order_earn_a_certificate_with_field_mapping(
    client: TestClient, tenant: Tenant
) -> None:
    certificate = published(client, tenant, name="Onboarding Certificate", kind="certificate")
    rule(
        client,
        tenant,
        name="All three activities",
        mode="once",
        trigger={"event_types": ["activity.completed"], "entity_ids": ["a1", "a2", "a3"]},
        condition={"completed_all": ["a1", "a2", "a3"]},
        actions=[
            {
                "type": "issue_certificate",
                "template_id": certificate,
                "fields": {
                    "recipient_name": {
                        "cat": [{"var": "learner.first_name"}, " ", {"var": "learner.last_name"}]
                    },
                    "course_title": "Onboarding",
                    "completion_date": {"var": "event.occurred_at"},
                },
            }
        ],
    )
    for minutes, activity in enumerate(["a3", "a1"]):
        result = send(
            client,
            tenant,
            event(
                f"x-{activity}",
                "activity.completed",
                entity=("activity", activity),
                minutes=minutes,
            ),
        )
        assert result["awards"] == []  # two of three: nothing yet
    [decision] = trace(client, tenant, "x-a1")
    assert "a2" in decision["condition"]["summary"]

    final = send(
        client, tenant, event("x-a2", "activity.completed", entity=("activity", "a2"), minutes=9)
    )
    assert final["outcome"] == "awarded"
    credential_id = final["awards"][0]["credential_id"]
    credential = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    assert credential["fields"]["recipient_name"] == "Ada Lovelace"
    assert credential["fields"]["course_title"] == "Onboarding"
    assert credential["fields"]["completion_date"].startswith("2026-03-01T09:09")
    assert credential["status"] == "active"
    assert credential["recipient_email"] == "u-1@example.org"


def test_highlevel_lesson_completed_issues_a_badge_through_the_certificate_action(
    client: TestClient, tenant: Tenant
) -> None:
    # HighLevel issues badges with its "Issue Certificate" action; Plaudit has both actions.
    badge = published(client, tenant, name="Lesson 1 Complete")
    rule(
        client,
        tenant,
        name="Lesson 1",
        trigger={"event_types": ["lesson.completed"], "entity_ids": ["l1"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    result = send(
        client,
        tenant,
        event("hl-1", "lesson.completed", entity=("lesson", "l1"), parents=[("course", "c1")]),
    )
    assert result["outcome"] == "awarded"


def test_aworld_learning_path_and_a_repeatable_monthly_mission(
    client: TestClient, tenant: Tenant
) -> None:
    path_badge = published(client, tenant, name="Onboarding Completer")
    monthly = published(client, tenant, name="Monthly Mission")
    rule(
        client,
        tenant,
        name="Learning path",
        mode="always",
        trigger={"event_types": ["learning_path.completed"], "entity_ids": ["lp-onboarding-2025"]},
        condition={"===": [{"var": "event.data.progress"}, "COMPLETE"]},
        actions=[{"type": "award", "template_id": path_badge}],
    )
    rule(
        client,
        tenant,
        name="Monthly mission",
        mode="always",
        trigger={"event_types": ["mission.completed"], "entity_ids": ["mission-monthly"]},
        actions=[{"type": "award", "template_id": monthly}],
    )

    partial = send(
        client,
        tenant,
        event(
            "lp-1",
            "learning_path.completed",
            entity=("learning_path", "lp-onboarding-2025"),
            progress="HALF",
        ),
    )
    assert partial["awards"] == []
    done = send(
        client,
        tenant,
        event(
            "lp-2",
            "learning_path.completed",
            entity=("learning_path", "lp-onboarding-2025"),
            progress="COMPLETE",
            minutes=1,
        ),
    )
    assert done["outcome"] == "awarded"
    for month in range(3):
        result = send(
            client,
            tenant,
            event(
                f"m-{month}",
                "mission.completed",
                entity=("mission", "mission-monthly"),
                minutes=60 * 24 * 30 * month,
            ),
        )
        assert result["outcome"] == "awarded"
    badges = {b["template_name"]: b for b in learner_badges(client, tenant, "u-1")}
    assert badges["Onboarding Completer"]["count"] == 1
    mission = badges["Monthly Mission"]
    assert mission["count"] == 3
    assert len(mission["logs"]) == 3
    assert mission["first_assigned_at"] < mission["last_assigned_at"]
    assert {log["source_entity_type"] for log in mission["logs"]} == {"mission"}
    assert all(log["rule_id"] for log in mission["logs"])


def test_a_paused_rule_and_a_draft_template_award_nothing_and_say_why(
    client: TestClient, tenant: Tenant
) -> None:
    from tests.fixtures.templates import create

    live = published(client, tenant, name="Live")
    draft = create(client, tenant, name="Not yet", translations=[], tags=[])["id"]
    rule(
        client,
        tenant,
        name="Paused",
        status="paused",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": live}],
    )
    rule(
        client,
        tenant,
        name="Draft template",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": draft}],
    )
    result = send(client, tenant, event("t-1", "task.completed", entity=("task", "t")))
    assert result["awards"] == []
    by_rule = {d["rule"]: d for d in trace(client, tenant, "t-1")}
    assert by_rule["Paused"]["fires"] is False
    assert "not active" in by_rule["Paused"]["skipped"]
    assert "draft" in by_rule["Draft template"]["actions"][0]["outcome"]


def test_a_fallback_rule_applies_only_when_no_other_rule_did(
    client: TestClient, tenant: Tenant
) -> None:
    gold = published(client, tenant, name="Gold")
    participation = published(client, tenant, name="Participation")
    rule(
        client,
        tenant,
        name="Gold",
        mode="always",
        trigger={"event_types": ["quiz.submitted"]},
        condition={">=": [{"var": "event.data.score"}, 90]},
        actions=[{"type": "award", "template_id": gold}],
    )
    rule(
        client,
        tenant,
        name="Participation",
        mode="fallback",
        trigger={"event_types": ["quiz.submitted"]},
        actions=[{"type": "award", "template_id": participation}],
    )
    high = send(client, tenant, event("q-1", "quiz.submitted", entity=("quiz", "q"), score=95))
    low = send(
        client, tenant, event("q-2", "quiz.submitted", entity=("quiz", "q"), score=40, minutes=1)
    )
    assert [a["template_id"] for a in high["awards"]] == [gold]
    assert [a["template_id"] for a in low["awards"]] == [participation]


def test_a_redelivered_event_changes_nothing(client: TestClient, tenant: Tenant) -> None:
    badge = published(client, tenant, name="Repeatable")
    rule(
        client,
        tenant,
        name="Every task",
        mode="always",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    payload = event("dup-1", "task.completed", entity=("task", "t"))
    first = client.post("/api/v1/events", json=payload, headers=tenant.headers)
    second = client.post("/api/v1/events", json=payload, headers=tenant.headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert learner_badges(client, tenant, "u-1")[0]["count"] == 1


def test_a_revoke_action_takes_back_a_credential_and_allows_earning_it_again(
    client: TestClient, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Certified Operator")
    rule(
        client,
        tenant,
        name="Certify",
        mode="once",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    rule(
        client,
        tenant,
        name="Reset",
        trigger={"event_types": ["course.reset"]},
        actions=[{"type": "revoke", "template_id": badge, "reason": "course reset"}],
    )
    earned = send(client, tenant, event("c-1", "course.completed", entity=("course", "op")))
    credential_id = earned["awards"][0]["credential_id"]
    reset = send(client, tenant, event("r-1", "course.reset", entity=("course", "op"), minutes=1))
    assert reset["awards"][0]["action"] == "revoked"
    revoked = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    assert revoked["status"] == "revoked"
    assert revoked["revoked_reason"] == "course reset"
    again = send(
        client, tenant, event("c-2", "course.completed", entity=("course", "op"), minutes=2)
    )
    assert again["outcome"] == "awarded"
    assert learner_badges(client, tenant, "u-1")[0]["count"] == 2
