"""PATCH everywhere: a field left out is kept, null clears a field that may be empty, and null for
a field that must have a value is a 422 naming it (never a 500, never silently ignored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import rule
from tests.fixtures.templates import create, published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def _rule(client: TestClient, tenant: Tenant) -> str:
    template = published(client, tenant, name="Finisher")
    made = rule(
        client,
        tenant,
        name="Finish",
        trigger={"event_types": ["course.completed"]},
        condition={">": [{"var": "event.data.score"}, 50]},
        actions=[{"type": "award", "template_id": template}],
    )
    return f"/api/v1/rules/{made['id']}"


def _template(client: TestClient, tenant: Tenant) -> str:
    return f"/api/v1/templates/{create(client, tenant)['id']}"


def _connector(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/api/v1/connectors",
        json={"name": "LMS", "preset": "moodle", "description": "ours"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return f"/api/v1/connectors/{response.json()['id']}"


def _webhook(client: TestClient, tenant: Tenant) -> str:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.org/plaudit", "description": "ours"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return f"/api/v1/webhooks/{response.json()['id']}"


def _organization(client: TestClient, tenant: Tenant) -> str:
    changed = client.patch(
        "/api/v1/organization", json={"url": "https://acme.example"}, headers=tenant.headers
    )
    assert changed.status_code == 200, changed.text
    return "/api/v1/organization"


Make = Callable[[TestClient, Tenant], str]

# Per resource: how to make one, the fields that cannot be null, and one that null clears.
RESOURCES: dict[str, tuple[Make, list[str], str]] = {
    "rule": (
        _rule,
        ["name", "description", "status", "priority", "mode", "trigger", "actions"],
        "condition",
    ),
    "template": (
        _template,
        ["name", "achievement_type", "language", "sync_with_catalog"],
        "criteria",
    ),
    "connector": (_connector, ["name", "mapping", "enabled"], "description"),
    "webhook": (_webhook, ["url", "kinds", "enabled"], "description"),
    "organization": (
        _organization,
        ["name", "default_language", "timezone", "default_proof_format"],
        "url",
    ),
}
CASES = [(kind, field) for kind, (_, fields, _) in RESOURCES.items() for field in fields]


@pytest.mark.parametrize(("kind", "field"), CASES, ids=[f"{k}-{f}" for k, f in CASES])
def test_null_for_a_field_that_needs_a_value_is_a_422_naming_it(
    client: TestClient, tenant: Tenant, kind: str, field: str
) -> None:
    make, _, _ = RESOURCES[kind]
    url = make(client, tenant)
    before = client.get(url, headers=tenant.headers).json()
    problem = assert_problem(client.patch(url, json={field: None}, headers=tenant.headers), 422)
    assert problem["errors"] == [
        {"field": field, "reason": "may be left out, but not set to null", "in": "body"}
    ]
    assert client.get(url, headers=tenant.headers).json() == before


@pytest.mark.parametrize("kind", RESOURCES)
def test_null_clears_an_optional_field_and_absent_fields_are_kept(
    client: TestClient, tenant: Tenant, kind: str
) -> None:
    make, _, nullable = RESOURCES[kind]
    url = make(client, tenant)
    before = client.get(url, headers=tenant.headers).json()
    response = client.patch(url, json={nullable: None}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    after: dict[str, Any] = response.json()
    derived = {"updated_at", "localized", "payloads"}
    changed = {k for k in after if after[k] != before.get(k)} - derived
    assert changed == {nullable}, changed
    assert client.patch(url, json={}, headers=tenant.headers).status_code == 200


def test_the_openapi_document_shows_these_fields_as_not_nullable(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    update = schemas["RuleUpdate"]["properties"]
    assert "null" not in str(update["actions"]) and "null" not in str(update["name"])
    assert "type" not in update["condition"]  # any JSON Logic, null included
