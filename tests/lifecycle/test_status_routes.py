"""Revoking, suspending and reinstating answer the credential's whole record, as reading it does."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.credentials import issue
from tests.fixtures.tenants import make_tenant


def test_status_changes_answer_the_record_that_reading_answers(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant, learner="grace")
    base = f"/api/v1/credentials/{issued.credential_id}"

    suspended = client.post(f"{base}/suspend", json={"reason": "audit"}, headers=tenant.headers)
    assert suspended.status_code == 200, suspended.text
    read = client.get(base, headers=tenant.headers).json()
    assert suspended.json() == read
    assert read["status"] == "suspended"
    for name in ("url", "image_path", "image_high_path", "image_thumbnail_path", "imp_legacy_id"):
        assert name in read, name
    assert read["url"].endswith(f"/credentials/{issued.public_id}")
    assert read["badge_template_version"]["number"] == read["template_version"]

    reinstated = client.post(f"{base}/unsuspend", headers=tenant.headers)
    assert reinstated.json()["status"] == "active"
    assert reinstated.json()["image_path"] == read["image_path"]

    revoked = client.post(f"{base}/revoke", json={"reason": "fraud"}, headers=tenant.headers)
    assert revoked.json() == client.get(base, headers=tenant.headers).json()
    assert revoked.json()["status"] == "revoked"
