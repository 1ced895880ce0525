"""Key rotation: new credentials use the new key, old ones keep verifying; the JWKS shows both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from plaudit import cli
from plaudit.app import create_app
from plaudit.credentials import tasks as credential_tasks
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

BASE = "https://plaudit.example"
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    """An instance with an https base URL, so that issuers are did:web and keys rotate."""
    # Its tests verify more often than one client address may (PLAUDIT_VERIFY_RATE_LIMIT).
    settings = make_settings(
        engine, tmp_path, public_base_url=BASE, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


def _signed(client: TestClient, tenant: Tenant, learner: str) -> dict[str, Any]:
    result = send(
        client,
        tenant,
        event(f"e-{learner}", "course.completed", learner=learner, entity=("c", "1")),
    )
    credential_id = result["awards"][0]["credential_id"]
    credential_tasks.sign_credentials.call_local([credential_id])
    record = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    document = client.get(f"/credentials/{record['public_id']}").json()
    return dict(document)


def _key_checks(client: TestClient, credential: dict[str, Any]) -> dict[str, str]:
    """Verify through the public API; return the verdicts a rotation could break."""
    body = client.post("/api/v1/verify", json={"credential": credential}).json()
    assert body["valid"] is True, [c for c in body["checks"] if c["verdict"] == "failed"]
    return {c["name"]: c["verdict"] for c in body["checks"] if c["name"] in {"proof", "issuer_key"}}


def _rotate(client: TestClient, tenant: Tenant, algorithm: str, key: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/keys/rotate",
        json={"algorithm": algorithm},
        headers={**tenant.headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_rotation_keeps_old_credentials_verifying_and_signs_new_ones_with_the_new_key(
    web: tuple[TestClient, Runtime],
) -> None:
    client, runtime = web
    tenant = make_tenant(runtime)
    badge = published(client, tenant, name="Rotated")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    before = _signed(client, tenant, "u-1")
    old_method = before["proof"]["verificationMethod"]
    assert old_method.startswith("did:web:plaudit.example:orgs:")

    new_key = _rotate(client, tenant, "Ed25519", "rotate-1")
    assert new_key["status"] == "active"
    assert not old_method.endswith(f"#{new_key['id']}")
    replayed = _rotate(client, tenant, "Ed25519", "rotate-1")  # a retry rotates nothing more
    assert replayed["id"] == new_key["id"]

    assert _key_checks(client, before) == {"proof": "passed", "issuer_key": "passed"}
    after = _signed(client, tenant, "u-2")
    assert after["proof"]["verificationMethod"].endswith(f"#{new_key['id']}")
    assert _key_checks(client, after) == {"proof": "passed", "issuer_key": "passed"}

    listed = client.get("/api/v1/keys", headers=tenant.headers).json()["items"]
    ed25519 = [k for k in reversed(listed) if k["algorithm"] == "Ed25519"]  # oldest first
    assert [k["status"] for k in ed25519] == ["retired", "active"]
    assert ed25519[0]["retired_at"] is not None
    assert old_method.endswith(f"#{ed25519[0]['id']}")
    did = client.get(f"/orgs/{tenant.slug}/did.json").json()
    # Both Ed25519 keys (retired and active) and the RSA key that signs RS256 VC-JWTs.
    assert sorted(m["type"] for m in did["verificationMethod"]) == [
        "JsonWebKey",
        "Multikey",
        "Multikey",
    ]


def test_the_jwks_lists_active_and_retired_keys_without_private_members(
    web: tuple[TestClient, Runtime],
) -> None:
    client, runtime = web
    tenant = make_tenant(runtime)
    assert client.get("/api/v1/keys", headers=tenant.headers).json()["items"] == []
    _rotate(client, tenant, "Ed25519", "a")  # nothing to retire yet: just a first key
    _rotate(client, tenant, "Ed25519", "b")
    _rotate(client, tenant, "RSA", "c")

    response = client.get(f"/orgs/{tenant.slug}/jwks.json")
    assert response.status_code == 200, response.text
    jwks = response.json()["keys"]
    listed = client.get("/api/v1/keys", headers=tenant.headers).json()["items"]
    # Each kid is the did:web verification method that the key's JWTs name in their header.
    did = client.get(f"/orgs/{tenant.slug}/did.json").json()
    assert {k["kid"] for k in jwks} == {f"{did['id']}#{k['id']}" for k in listed}
    assert {k["kid"] for k in jwks} == {m["id"] for m in did["verificationMethod"]}
    assert sorted(k["alg"] for k in jwks) == ["EdDSA", "EdDSA", "RS256"]
    for jwk in jwks:
        assert jwk["use"] == "sig"
        assert not PRIVATE_MEMBERS & set(jwk)
        assert jwk["kty"] == ("OKP" if jwk["alg"] == "EdDSA" else "RSA")
    for key in listed:
        assert not PRIVATE_MEMBERS & set(key["jwk"])
        assert "private" not in str(key).lower()
    assert client.get("/orgs/nobody/jwks.json").status_code == 404


def test_without_https_the_jwks_names_the_did_key_that_eddsa_jwts_carry(
    engine: Engine, tmp_path: Path
) -> None:
    """A development instance (http) issues as did:key: its JWKS must still hold, under the
    kid of the JWT header, the key that checks the JWT."""
    settings = make_settings(engine, tmp_path, verify_rate_limit="1000/second")
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        tenant = make_tenant(runtime, scopes=[Scope.ISSUE])
        unsigned = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:learner", "name": "Ada"},
        }
        response = client.post(
            "/credentials/issue",
            json={"credential": unsigned, "options": {"proofFormat": "vc-jwt"}},
            headers=tenant.headers,
        )
        assert response.status_code == 201, response.text
        token = response.json()["verifiableCredential"]["id"].removeprefix(
            "data:application/vc+jwt,"
        )
        kid = jwt.get_unverified_header(token)["kid"]
        assert kid.startswith("did:key:z6Mk")
        jwks = client.get(f"/orgs/{tenant.slug}/jwks.json").json()["keys"]
        [jwk] = [k for k in jwks if k["kid"] == kid]
        claims = jwt.decode(
            token, key=jwt.PyJWK(jwk).key, algorithms=["EdDSA"], options={"verify_sub": False}
        )
        assert claims["iss"] == kid.partition("#")[0]


def test_listing_and_rotating_need_the_admin_scope(web: tuple[TestClient, Runtime]) -> None:
    client, runtime = web
    tenant = make_tenant(runtime, scopes=[Scope.ISSUE])
    assert client.get("/api/v1/keys", headers=tenant.headers).status_code == 403
    response = client.post(
        "/api/v1/keys/rotate",
        json={"algorithm": "RSA"},
        headers={**tenant.headers, "Idempotency-Key": "x"},
    )
    assert response.status_code == 403
    assert client.get("/api/v1/keys").status_code == 401


def test_the_cli_has_a_rotate_command() -> None:
    result = CliRunner().invoke(cli.app, ["keys", "rotate", "--help"])
    assert result.exit_code == 0, result.output
    assert "--org" in result.output
    assert "--algorithm" in result.output
