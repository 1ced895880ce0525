"""Schemathesis over the vendors' operations (as tests/api fuzzes Plaudit's own API): generated
requests, valid and not, never get a server error, and every answer is as documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi
from schemathesis.schemas import BaseSchema
from sqlalchemy import select

from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.models.vendor import VendorEvent
from plaudit.runtime import Runtime
from tests.fixtures.peers import Receiver
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant
from tests.vendors.openedx import Accredible, Credly

VENDOR_PATHS = r"^/(credly|accredible)/|^/api/v1/vendors/"
# As tests/api/test_api_fuzz.py runs: a fixed seed, ten examples an operation, and the same
# checks (strict validation is no defect, nor is Pydantic's coercion).
CONFIG: dict[str, Any] = {
    "seed": 20261204,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "generation": {"max-examples": 10, "database": "none"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
    "checks": {
        "positive_data_acceptance": {"enabled": False},
        "negative_data_rejection": {"enabled": False},
    },
}


def _existing(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver_url: str
) -> dict[str, list[str]]:
    """Real ids for the path parameters, so that operations also run on things that exist."""
    client.put("/api/v1/vendors/credly/webhook", json={"url": receiver_url}, headers=tenant.headers)
    template_id = published(client, tenant, name="Fuzzed badge")
    credly = Credly(client, str(tenant.id), tenant.token)
    badge = credly.issue_badge(
        {
            "recipient_email": "ada@example.org",
            "badge_template_id": template_id,
            "issued_at": "2026-01-02 03:04:05 +0000",
        }
    ).json()["data"]
    accredible = Accredible(client, tenant.token)
    [group] = accredible.fetch_all_groups().json()["groups"]
    credential = accredible.issue_badge(
        {
            "credential": {
                "recipient": {"name": "Ada", "email": "ada@example.org"},
                "group_id": group["id"],
                "issued_on": "2026-01-02",
            }
        }
    ).json()["credential"]
    with unit_of_work(runtime.read_sessions) as session:
        events = [str(e) for e in session.scalars(select(VendorEvent.id))]
    return {
        "organization_id": [str(tenant.id), tenant.slug],
        "event_id": events,
        "badge_id": [badge["id"]],
        "design_id": [str(group["id"])],
        "credential_id": [str(credential["id"])],
    }


@pytest.fixture
def api(
    settings: Settings, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> Iterator[BaseSchema]:
    app = create_app(settings, runtime=runtime)
    with TestClient(app) as client:
        existing = _existing(client, runtime, tenant, receiver.url)
    config = SchemathesisConfig.from_dict(
        {
            **CONFIG,
            "dictionaries": {name: {"values": values} for name, values in existing.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.5} for name in existing
            },
        }
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=config).include(
        path_regex=VENDOR_PATHS
    )
    asgi.shutdown_lifespans()


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
def test_every_vendor_operation_answers_as_documented_and_never_with_a_server_error(
    case: Case[Any], tenant: Tenant
) -> None:
    case.call_and_validate(headers=tenant.headers)
