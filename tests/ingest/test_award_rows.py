"""Awards written as rows: a learner's aggregate counts every assignment, whichever path wrote it.

The first batch creates the learner and the award (an INSERT), later ones update the stored
award (an UPDATE of its count and dates); events arrive out of time order on purpose.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.scenario import event, learner_badges, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import make_tenant


def test_counts_and_dates_add_up_over_batches(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    template = published(client, tenant, name="Every course")
    rule(
        client,
        tenant,
        name="Each course",
        mode="always",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": template}],
    )

    def batch(*items: dict[str, object]) -> dict[str, object]:
        response = client.post(
            "/api/v1/events/batch", json={"events": list(items)}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    first = batch(
        event("e1", "course.completed", minutes=10), event("e2", "course.completed", minutes=20)
    )
    assert first["awarded"] == 2
    later = batch(
        event("e3", "course.completed", minutes=5),
        event("e4", "course.completed", minutes=30),
        event("e1", "course.completed", minutes=10),  # a repeat: changes nothing
    )
    assert (later["awarded"], later["duplicates"]) == (2, 1)
    [badge] = learner_badges(client, tenant, "u-1")
    assert badge["count"] == 4
    assert badge["first_assigned_at"].startswith("2026-03-01T09:05")
    assert badge["last_assigned_at"].startswith("2026-03-01T09:30")
    assert len(badge["logs"]) == 4
