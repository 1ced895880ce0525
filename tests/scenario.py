"""Helpers for rules-and-events scenarios: published templates, rules and events via the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Tenant
from tests.test_templates import BADGE, act, create, with_image

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def published(
    client: TestClient, tenant: Tenant, *, name: str, kind: str = "badge", **extra: Any
) -> str:
    body: dict[str, Any] = {"name": name, "kind": kind, "translations": [], "tags": [], **extra}
    if kind == "certificate":
        body.setdefault("achievement_type", "Certificate")
    template = create(client, tenant, **body)
    with_image(client, tenant, template["id"])
    response = act(client, tenant, template["id"], "publish")
    assert response.status_code == 200, response.text
    return str(template["id"])


def rule(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    payload = {"status": "active", **body}
    response = client.post("/api/v1/rules", json=payload, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def event(
    ident: str,
    type: str,
    *,
    learner: str = "u-1",
    entity: tuple[str, str] | None = None,
    title: str | None = None,
    parents: list[tuple[str, str]] | None = None,
    minutes: int = 0,
    **data: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": ident,
        "type": type,
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        "learner": {
            "id": learner,
            "email": f"{learner}@example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
        "data": data,
    }
    if entity is not None:
        payload["entity"] = {
            "type": entity[0],
            "id": entity[1],
            "title": title,
            "parents": [{"type": t, "id": i} for t, i in parents or []],
        }
    return payload


def send(client: TestClient, tenant: Tenant, payload: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/events", json=payload, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def learner_badges(client: TestClient, tenant: Tenant, external_id: str) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/learners?q={external_id}", headers=tenant.headers).json()["items"]
    learner = next(item for item in found if item["external_id"] == external_id)
    return list(
        client.get(f"/api/v1/learners/{learner['id']}/badges", headers=tenant.headers).json()
    )


def trace(client: TestClient, tenant: Tenant, event_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/events/{event_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["trace"])


__all__ = ["BADGE"]
