"""Bitstring Status Lists: fixed vectors, index allocation, revoke/suspend/unsuspend, publishing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.config import Settings
from plaudit.credentials import tasks as credential_tasks
from plaudit.openbadges import multikey, statuslist
from plaudit.openbadges.dataintegrity import verify_rdfc
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.paths import standards
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

FIXTURE_LIST = standards() / "ob3" / "validator-fixtures" / "bit-string-list" / "testlist"


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """These tests verify more often than one client address may (PLAUDIT_VERIFY_RATE_LIMIT)."""
    return make_settings(engine, tmp_path, verify_rate_limit="1000/second")


# --- the pure encoding --------------------------------------------------------------------


def test_an_all_zero_list_round_trips() -> None:
    bits = statuslist.empty()
    assert len(bits) * 8 == statuslist.LIST_SIZE == 131_072
    encoded = statuslist.encode(bits)
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert statuslist.decode(encoded) == bits
    assert statuslist.encode(bits) == encoded  # deterministic (no gzip timestamp)


def test_bits_are_numbered_from_the_most_significant_bit_of_the_first_byte() -> None:
    bits = statuslist.empty()
    for index in (0, 7, 8, 131_071):
        statuslist.set_bit(bits, index)
    assert bits[0] == 0b1000_0001
    assert bits[1] == 0b1000_0000
    assert bits[-1] == 0b0000_0001
    decoded = statuslist.decode(statuslist.encode(bits))
    assert [i for i in range(statuslist.LIST_SIZE) if statuslist.get(decoded, i)] == [
        0,
        7,
        8,
        131_071,
    ]
    statuslist.set_bit(decoded, 7, False)
    assert not statuslist.get(decoded, 7)
    assert decoded[0] == 0b1000_0000
    with pytest.raises(IndexError):
        statuslist.get(decoded, statuslist.LIST_SIZE)


def test_the_1edtech_fixture_list_has_only_bit_23_set() -> None:
    document = json.loads(FIXTURE_LIST.read_text())
    bits = statuslist.decode(document["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == statuslist.LIST_SIZE
    assert [i for i in range(len(bits) * 8) if statuslist.get(bits, i)] == [23]


def test_decoding_refuses_what_is_not_a_multibase_gzip_list() -> None:
    for bad in ("zABC", "u!!!", "u" + "A" * 10):
        with pytest.raises(ValueError, match="encodedList"):
            statuslist.decode(bad)


def test_the_list_credential_has_the_vc_2_shape() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    document = statuslist.build_status_list_credential(
        url="https://x.example/status/acme/revocation",
        issuer="did:example:acme",
        purpose="revocation",
        encoded="uXYZ",
        valid_from=moment,
    )
    assert document == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://x.example/status/acme/revocation",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:example:acme",
        "validFrom": "2026-01-02T03:04:05Z",
        "credentialSubject": {
            "id": "https://x.example/status/acme/revocation#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": "uXYZ",
        },
    }


# --- issuing, revoking and publishing -----------------------------------------------------


def _issue(client: TestClient, tenant: Tenant, *, learners: int = 1) -> list[dict[str, Any]]:
    badge = published(client, tenant, name="Listed")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    records = []
    for n in range(learners):
        result = send(
            client,
            tenant,
            event(f"e-{n}", "course.completed", learner=f"u-{n}", entity=("course", "c")),
        )
        credential_id = result["awards"][0]["credential_id"]
        credential_tasks.sign_credentials.call_local([credential_id])
        records.append(
            client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
        )
    return records


def _index(document: dict[str, Any]) -> int:
    return int(document["credentialStatus"]["statusListIndex"])


def _post(client: TestClient, tenant: Tenant, path: str, **body: Any) -> Any:
    return client.post(path, json=body or None, headers=tenant.headers)


def _list(client: TestClient, tenant: Tenant, purpose: str) -> dict[str, Any]:
    response = client.get(f"/status/{tenant.slug}/{purpose}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vc+ld+json"
    assert response.headers["cache-control"] == "max-age=60"
    document = dict(response.json())
    key = Ed25519PublicKey.from_public_bytes(
        multikey.public_key_from_did_key(document["proof"]["verificationMethod"])
    )
    assert verify_rdfc(document, public_key=key) is True
    return document


def _bit(document: dict[str, Any], index: int) -> bool:
    return statuslist.get(statuslist.decode(document["credentialSubject"]["encodedList"]), index)


def _status_check(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    body = client.post("/api/v1/verify", json={"credential": document}).json()
    return dict(next(c for c in body["checks"] if c["name"] == "status"))


def test_a_signed_credential_names_its_revocation_entry(
    client: TestClient, runtime: Runtime
) -> None:
    # Open Badges 3.0 allows a single credentialStatus: the revocation entry. Its index is
    # also the credential's position in the suspension list.
    tenant = make_tenant(runtime)
    (record,) = _issue(client, tenant)
    entry = record["document"]["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    url = f"http://testserver/status/{tenant.slug}/revocation"
    assert entry["statusListCredential"] == url
    assert entry["id"] == f"{url}#{entry['statusListIndex']}"
    body = client.post("/api/v1/verify", json={"credential": record["document"]}).json()
    assert body["outcome"] == "Valid", body
    assert not _bit(_list(client, tenant, "suspension"), _index(record["document"]))


def test_revoke_suspend_unsuspend_show_in_the_lists_and_in_verification(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    suspended, revoked = _issue(client, tenant, learners=2)
    index = _index(revoked["document"])
    base = "/api/v1/credentials"

    response = _post(client, tenant, f"{base}/{revoked['id']}/revoke", reason="plagiarism")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked_reason"] == "plagiarism"
    revocations = _list(client, tenant, "revocation")
    assert revocations["credentialSubject"]["statusPurpose"] == "revocation"
    assert _bit(revocations, index)
    credential_tasks.sign_status_lists.call_local(str(tenant.id))  # stores; the same bits
    assert _bit(_list(client, tenant, "revocation"), index)
    check = _status_check(client, revoked["document"])
    assert check["verdict"] == "failed"
    assert "revoked" in check["message"]
    assert "plagiarism" in check["message"]

    again = _post(client, tenant, f"{base}/{revoked['id']}/revoke", reason="twice")
    assert again.status_code == 409
    assert "final" in again.json()["detail"]
    assert _post(client, tenant, f"{base}/{revoked['id']}/unsuspend").status_code == 409

    other = _index(suspended["document"])
    assert _post(client, tenant, f"{base}/{suspended['id']}/unsuspend").status_code == 409
    response = _post(client, tenant, f"{base}/{suspended['id']}/suspend", reason="under review")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "suspended"
    assert _bit(_list(client, tenant, "suspension"), other)
    assert not _bit(_list(client, tenant, "revocation"), other)
    check = _status_check(client, suspended["document"])
    assert check["verdict"] == "failed"
    assert "suspended" in check["message"]
    assert "under review" in check["message"]

    response = _post(client, tenant, f"{base}/{suspended['id']}/unsuspend")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "active"
    assert not _bit(_list(client, tenant, "suspension"), other)
    assert _status_check(client, suspended["document"])["verdict"] == "passed"


def test_a_revocation_needs_a_reason(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    (record,) = _issue(client, tenant)
    path = f"/api/v1/credentials/{record['id']}/revoke"
    assert _post(client, tenant, path, reason="").status_code == 422
    assert _post(client, tenant, path, reason="x" * 501).status_code == 422
    assert client.post(path, headers=tenant.headers).status_code == 422


def test_another_organization_cannot_touch_the_credential(
    client: TestClient, runtime: Runtime
) -> None:
    (record,) = _issue(client, make_tenant(runtime))
    stranger = make_tenant(runtime, name="Other")
    response = _post(client, stranger, f"/api/v1/credentials/{record['id']}/revoke", reason="x")
    assert response.status_code == 404
    assert client.get(f"/status/{stranger.slug}/revocation").status_code == 404
    assert client.get("/status/nobody/revocation").status_code == 404


def test_indices_are_distinct_across_credentials(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    records = _issue(client, tenant, learners=5)
    indices = [_index(r["document"]) for r in records]
    assert len(set(indices)) == 5


def test_a_rule_revocation_sets_the_bit_too(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    (record,) = _issue(client, tenant)
    template_id = record["template_id"]
    rule(
        client,
        tenant,
        name="Reset",
        trigger={"event_types": ["course.reset"]},
        actions=[{"type": "revoke", "template_id": template_id, "reason": "course reset"}],
    )
    send(client, tenant, event("r-1", "course.reset", learner="u-0", entity=("course", "c")))
    index = _index(record["document"])
    assert _bit(_list(client, tenant, "revocation"), index)
