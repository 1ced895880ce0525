"""VC-JWTs with other people's code: panva's jose verifies Plaudit's tokens from its published
JWK Set alone, and Plaudit's verifier accepts a token jose signed in the OB 3.0 shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.credentials import tasks as credential_tasks
from plaudit.openbadges.jose import public_jwk
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.node import NodeScript
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

BASE = "https://plaudit.example"
LEARNER = "did:example:learner"


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    """An instance with an https base URL: issuers are did:web, RS256 can be signed."""
    settings = make_settings(
        engine, tmp_path, public_base_url=BASE, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


def _awarded(client: TestClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """(public id, stored document) of a credential awarded and signed."""
    badge = published(client, tenant, name="Interoperable")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    result = send(client, tenant, event("e-1", "course.completed", learner="u-1"))
    credential_id = result["awards"][0]["credential_id"]
    credential_tasks.sign_credentials.call_local([credential_id])
    record = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    return record["public_id"], client.get(f"/credentials/{record['public_id']}").json()


def _tokens(client: TestClient, tenant: Tenant) -> dict[str, tuple[str, dict[str, Any]]]:
    """alg -> (a VC-JWT Plaudit issued, the credential it secures)."""
    public_id, document = _awarded(client, tenant)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    eddsa = client.get(f"/credentials/{public_id}?format=vc-jwt")
    assert eddsa.status_code == 200, eddsa.text
    assert eddsa.headers["content-type"].startswith("application/vc+jwt")
    # RS256 through the VC API, with a subject id so that the token carries `sub` too.
    subject = {**unsigned["credentialSubject"], "id": LEARNER}
    rs256 = client.post(
        "/credentials/issue",
        json={
            "credential": {**unsigned, "credentialSubject": subject},
            "options": {"proofFormat": "vc-jwt", "alg": "RS256"},
        },
        headers=tenant.headers,
    )
    assert rs256.status_code == 201, rs256.text
    return {
        "EdDSA": (eddsa.text, unsigned),
        "RS256": (
            # The VC API returns it enveloped (VC-JOSE-COSE's EnvelopedVerifiableCredential).
            rs256.json()["verifiableCredential"]["id"].removeprefix("data:application/vc+jwt,"),
            {**unsigned, "credentialSubject": subject},
        ),
    }


def _numeric_date(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def test_jose_verifies_plaudits_vc_jwts_from_the_published_jwks_alone(
    web: tuple[TestClient, Runtime], node_script: NodeScript
) -> None:
    client, runtime = web
    tenant = make_tenant(runtime)
    tokens = _tokens(client, tenant)
    # Fetched after issuing: the keys exist once the organization has signed something.
    jwks = client.get(f"/orgs/{tenant.slug}/jwks.json").json()
    did = client.get(f"/orgs/{tenant.slug}/did.json").json()
    for alg, (token, credential) in tokens.items():
        result = node_script("verify-jwt.mjs", {"token": token, "jwks": jwks, "typ": "vc+jwt"})
        assert result["verified"], (alg, result)
        header, payload = result["header"], result["payload"]
        assert header["alg"] == alg
        assert header["typ"] == "vc+jwt"
        # The kid dereferences the standard way: in the DID document, under the same id.
        assert header["kid"] in {m["id"] for m in did["verificationMethod"]}
        assert payload["iss"] == credential["issuer"]["id"] == did["id"]
        assert payload["jti"] == credential["id"]
        assert payload["nbf"] == _numeric_date(credential["validFrom"])
        assert payload.get("sub") == credential["credentialSubject"].get("id")
        assert "vc" not in payload
        # The OpenBadgeCredential's own members, at the top level of the payload.
        assert {k: payload[k] for k in credential} == credential
        assert "OpenBadgeCredential" in payload["type"]
    assert tokens["RS256"][1]["credentialSubject"]["id"] == LEARNER

    # And a key the issuer does not publish is not enough.
    stranger = {"keys": [{**public_jwk(Ed25519PrivateKey.generate()), "alg": "EdDSA"}]}
    result = node_script("verify-jwt.mjs", {"token": tokens["EdDSA"][0], "jwks": stranger})
    assert not result["verified"]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _private_jwk(key: Ed25519PrivateKey | rsa.RSAPrivateKey) -> dict[str, Any]:
    if isinstance(key, Ed25519PrivateKey):
        return dict(json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key)))
    return dict(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)))


def _credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:0b8f5b84-1f7c-4d53-9b0a-5a0e6a3c2d11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Signed elsewhere",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Another Academy"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": LEARNER,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://another.example/achievements/1",
                "type": ["Achievement"],
                "name": "Signed elsewhere",
                "description": "Signed by panva's jose.",
                "criteria": {"narrative": "Be signed by another library."},
            },
        },
    }


@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
def test_plaudit_verifies_a_vc_jwt_jose_signed_and_refuses_it_tampered(
    alg: str, web: tuple[TestClient, Runtime], node_script: NodeScript
) -> None:
    client, _ = web
    key = (
        Ed25519PrivateKey.generate()
        if alg == "EdDSA"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    # Another issuer whose key Plaudit is given by its DID alone: did:jwk carries the public JWK.
    did = "did:jwk:" + _b64url(json.dumps(public_jwk(key)).encode())
    credential = _credential(did)
    payload = {
        **credential,
        "iss": did,
        "jti": credential["id"],
        "sub": LEARNER,
        "nbf": _numeric_date(credential["validFrom"]),
    }
    signed = node_script(
        "sign-jwt.mjs",
        {
            "payload": payload,
            "header": {"alg": alg, "kid": f"{did}#0", "typ": "vc+jwt"},
            "privateJwk": _private_jwk(key),
        },
    )
    token = signed["token"]

    body = client.post("/api/v1/verify", json={"credential": token}).json()
    verdicts = {c["name"]: c["verdict"] for c in body["checks"]}
    assert body["valid"] is True, [c for c in body["checks"] if c["verdict"] != "passed"]
    assert verdicts["proof"] == verdicts["issuer_key"] == "passed"

    header, claims, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    forged["name"] = "Signed here instead"
    tampered = ".".join([header, _b64url(json.dumps(forged).encode()), signature])
    body = client.post("/api/v1/verify", json={"credential": tampered}).json()
    verdicts = {c["name"]: c["verdict"] for c in body["checks"]}
    assert body["valid"] is False
    assert verdicts["proof"] == "failed"
