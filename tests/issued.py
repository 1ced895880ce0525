"""Signed credentials made through the API, for the recipient-experience tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from plaudit.credentials import tasks as credential_tasks
from tests.factories import Tenant
from tests.scenario import event, published, rule, send


@dataclass(frozen=True)
class Issued:
    credential_id: str
    public_id: str
    learner_id: str

    @property
    def page(self) -> str:
        return f"/credentials/{self.public_id}"


def issue(
    client: TestClient,
    tenant: Tenant,
    *,
    template_name: str = "Safety Champion",
    kind: str = "badge",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    learner: str | None = None,
    data: dict[str, Any] | None = None,
    **template: Any,
) -> Issued:
    """Publish a template, a rule awarding it on course.completed, send one event, sign."""
    template_id = published(client, tenant, name=template_name, kind=kind, **template)
    course = f"c-{template_id}"
    rule(
        client,
        tenant,
        name=f"Award {template_name}",
        # Its own course: another template issued in the same test does not fire this rule.
        trigger={"event_types": ["course.completed"], "entity_ids": [course]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    learner = learner or f"u-{uuid.uuid4().hex[:8]}"
    payload = event(
        f"e-{uuid.uuid4().hex[:8]}",
        "course.completed",
        learner=learner,
        entity=("course", course),
        title="Python 101",
        **(data or {}),
    )
    payload["learner"].update(first_name=first_name, last_name=last_name)
    result = send(client, tenant, payload)
    credential_id = result["awards"][0]["credential_id"]
    credential_tasks.sign_credentials.call_local([credential_id])
    record = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    return Issued(credential_id, record["public_id"], record["learner_id"])


def act(client: TestClient, tenant: Tenant, issued: Issued, action: str, reason: str = "") -> None:
    body = {"reason": reason} if action != "unsuspend" else None
    response = client.post(
        f"/api/v1/credentials/{issued.credential_id}/{action}", json=body, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
