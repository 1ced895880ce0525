"""Live events, backfills and the simulator decide alike: one award loop, three callers.

For every rule mode and action kind, the same learner's events go through all three paths, and
each event's trace must say the same thing: which rule matched and why, whether it fired, and
what each action did, in the same words ("would award" in a dry run stands for "awarded").

- live: the events are sent to the API with the rule active;
- simulator: each event is simulated with the events before it as history and the templates
  the live learner held at that moment;
- backfill: in another organization the same events arrive while the rule is a draft; the
  backfill's dry run (its preview) is judged event by event, then the backfill job runs and
  must award for exactly the events the live path awarded for.

A backfill replays a rule's awards, never its revocations (docs/rules.md): for a rule that also
revokes, the backfill's trace is the live one without its revoke actions.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.db import unit_of_work
from plaudit.models.award import AwardLog
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.rule import Rule
from plaudit.rules import backfill as backfills
from plaudit.rules import tasks as rule_tasks
from plaudit.rules.apply import DryRunBook
from plaudit.runtime import Runtime
from tests.fixtures.scenario import event, rule, send, trace
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

EVENTS = [
    event("e1", "course.completed", minutes=0, score=80),
    event("e2", "course.completed", minutes=1, score=95),
    event("e3", "course.completed", minutes=2, score=10),
    event("e4", "lesson.completed", minutes=3, score=99),
    event("e5", "course.completed", minutes=4, score=70),
]
MOOD = {"would award": "awarded"}


def _said(entries: list[dict[str, Any]], *, without: str | None = None) -> list[dict[str, Any]]:
    """A trace without what differs by organization (ids) or by mood."""
    said = []
    for entry in entries:
        actions = []
        for action in entry["actions"]:
            if action["type"] == without:
                continue
            outcome = action["outcome"]
            if outcome.startswith("would revoke"):
                outcome = "revoked" + outcome.removeprefix("would revoke")
            actions.append(
                {
                    "type": action["type"],
                    "result": action["result"],
                    "outcome": MOOD.get(outcome, outcome),
                    "fields": action.get("fields"),
                }
            )
        said.append(
            {
                "rule": entry["rule"],
                "trigger": entry["trigger"],
                "condition": entry["condition"],
                "fires": entry["fires"],
                "skipped": entry["skipped"],
                "actions": actions,
            }
        )
    return said


def _rule(client: TestClient, tenant: Tenant, *, mode: str, kind: str, status: str) -> str:
    template_kind = "certificate" if kind == "issue_certificate" else "badge"
    template = published(client, tenant, name="Path", kind=template_kind)
    if kind == "issue_certificate":
        actions = [
            {
                "type": "issue_certificate",
                "template_id": template,
                "fields": {
                    "recipient_name": {"var": "learner.first_name"},
                    "course_title": {"cat": ["Score ", {"var": "event.data.score"}]},
                    "score": {"var": "event.data.score"},
                },
            }
        ]
    elif kind == "revoke":
        # Awarded, then revoked by the same event: what is held next depends on both.
        actions = [
            {"type": "award", "template_id": template},
            {"type": "revoke", "template_id": template, "reason": "superseded"},
        ]
    else:
        actions = [{"type": "award", "template_id": template}]
    made = rule(
        client,
        tenant,
        name="Path rule",
        mode=mode,
        status=status,
        trigger={"event_types": ["course.*"]},
        condition={">=": [{"var": "event.data.score"}, 50]},
        actions=actions,
    )
    return str(made["id"])


def _history_item(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in ("id", "type", "occurred_at", "data")}


@pytest.mark.parametrize("kind", ["award", "issue_certificate", "revoke"])
@pytest.mark.parametrize("mode", ["once", "always", "fallback"])
def test_live_events_backfill_and_simulator_decide_alike(
    client: TestClient, runtime: Runtime, mode: str, kind: str
) -> None:
    # Live: the rule is active as the events arrive.
    live = make_tenant(runtime)
    live_rule = _rule(client, live, mode=mode, kind=kind, status="active")
    live_traces: dict[str, list[dict[str, Any]]] = {}
    awarded_for: set[str] = set()
    held_before: dict[str, list[str]] = {}
    held: set[str] = set()
    for payload in EVENTS:
        held_before[payload["id"]] = sorted(held)
        result = send(client, live, payload)
        live_traces[payload["id"]] = trace(client, live, payload["id"])
        for award in result["awards"]:
            if award["action"] == "awarded":
                awarded_for.add(payload["id"])
                held.add(award["template_id"])
            else:
                held.discard(award["template_id"])
    assert awarded_for, "the scenario must award something"

    # Simulator: each event with what came before it.
    for index, payload in enumerate(EVENTS):
        simulated = client.post(
            f"/api/v1/rules/{live_rule}/simulate",
            json={
                "event": payload,
                "history": [_history_item(p) for p in EVENTS[:index]],
                "held_template_ids": held_before[payload["id"]],
            },
            headers=live.headers,
        )
        assert simulated.status_code == 200, simulated.text
        assert _said(simulated.json()["trace"]) == _said(live_traces[payload["id"]]), payload["id"]

    # Backfill: the same events arrived while the rule was a draft.
    later = make_tenant(runtime)
    later_rule = _rule(client, later, mode=mode, kind=kind, status="draft")
    for payload in EVENTS:
        send(client, later, payload)
    with unit_of_work(runtime.read_sessions) as session:
        row = session.get(Rule, uuid.UUID(later_rule))
        assert row is not None
        learners = list(session.scalars(select(Learner).where(Learner.organization_id == later.id)))
        book = DryRunBook.load(
            session, organization_id=later.id, learner_ids=[x.id for x in learners]
        )
        judged = backfills.replay(session, book, rule=row, learners=learners)
    dry_run: dict[str, list[dict[str, Any]]] = {
        j.event.external_id: [dict(e) for e in j.outcome.trace] for j in judged
    }
    assert set(dry_run) == {p["id"] for p in EVENTS}
    if kind == "revoke":
        # A backfill never revokes (see above): its first award is the live one's, without
        # the revocation that followed it.
        actions = [a for entries in dry_run.values() for e in entries for a in e["actions"]]
        assert {a["type"] for a in actions} == {"award"}
        assert _said(dry_run["e1"]) == _said(live_traces["e1"], without="revoke")
    else:
        for payload in EVENTS:
            said = _said(dry_run[payload["id"]])
            assert said == _said(live_traces[payload["id"]]), payload["id"]

    started = client.post(f"/api/v1/rules/{later_rule}/backfills", headers=later.headers)
    assert started.status_code == 202, started.text
    rule_tasks.run_backfill.call_local(started.json()["id"])
    with unit_of_work(runtime.read_sessions) as session:
        backfilled = set(
            session.scalars(select(AwardLog.event_id).where(AwardLog.organization_id == later.id))
        )
        external = set(session.scalars(select(Event.external_id).where(Event.id.in_(backfilled))))
    if kind == "revoke":
        assert external <= awarded_for
    else:
        assert external == awarded_for
