"""Every credential is available in every proof format, and each one verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.config import Settings
from plaudit.credentials import tasks as credential_tasks
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import make_tenant


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """These tests verify more often than one client address may (PLAUDIT_VERIFY_RATE_LIMIT)."""
    return make_settings(engine, tmp_path, verify_rate_limit="1000/second")


def test_each_format_verifies_and_the_organization_chooses_the_default(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    badge = published(client, tenant, name="Formats")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    credential_id = send(client, tenant, event("f-1", "task.completed"))["awards"][0][
        "credential_id"
    ]
    credential_tasks.sign_credentials.call_local([credential_id])
    public_id = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()[
        "public_id"
    ]

    rdfc = client.get(f"/credentials/{public_id}").json()
    assert rdfc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    jcs = client.get(f"/credentials/{public_id}?format=eddsa-jcs-2022").json()
    assert jcs["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert "@context" in jcs["proof"]
    jwt = client.get(f"/credentials/{public_id}?format=vc-jwt")
    assert jwt.headers["content-type"].startswith("application/vc+jwt")
    assert jwt.text.count(".") == 2
    for credential in (rdfc, jcs, jwt.text):
        report = client.post("/api/v1/verify", json={"credential": credential}).json()
        assert report["valid"] is True, report

    changed = client.patch(
        "/api/v1/organization", json={"default_proof_format": "vc-jwt"}, headers=tenant.headers
    )
    assert changed.json()["default_proof_format"] == "vc-jwt"
    assert (
        client.get(f"/credentials/{public_id}")
        .headers["content-type"]
        .startswith("application/vc+jwt")
    )
    assert client.get(f"/credentials/{public_id}?format=nope").status_code == 422
