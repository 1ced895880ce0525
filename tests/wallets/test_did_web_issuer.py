"""On an https instance the issuer is did:web: both protocols deliver a holder-bound credential
that names it, verifies, and names the DID the wallet proved."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.openbadges.multikey import did_key, did_key_verification_method
from plaudit.runtime import Runtime
from tests.fixtures.claims import offer
from tests.fixtures.databases import make_settings
from tests.fixtures.tenants import make_tenant

BASE = "https://plaudit.example"
KEY = Ed25519PrivateKey.generate()
HOLDER = did_key(KEY.public_key().public_bytes_raw())


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    settings = make_settings(
        engine, tmp_path, public_base_url=BASE, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    app = create_app(settings, runtime=runtime)
    with TestClient(app, base_url=BASE, raise_server_exceptions=False) as client:
        yield client, runtime


def _local(url: str) -> str:
    return url.removeprefix(BASE)


def _check(client: TestClient, credential: dict[str, object] | str) -> None:
    issuer = (
        jwt.decode(credential, options={"verify_signature": False})["iss"]
        if isinstance(credential, str)
        else credential["issuer"]["id"]  # type: ignore[index]
    )
    assert str(issuer).startswith("did:web:plaudit.example:orgs:")
    result = client.post("/api/v1/verify", json={"credential": credential}).json()
    assert result["valid"] is True, result


def test_the_vc_api_exchange_delivers_a_did_web_credential(
    web: tuple[TestClient, Runtime],
) -> None:
    client, runtime = web
    offered = offer(client, runtime, make_tenant(runtime))
    protocols = client.get(
        _local(offered.interaction_url), headers={"Accept": "application/json"}
    ).json()["protocols"]
    exchange = _local(protocols["vcapi"])
    vpr = client.post(exchange, json={}).json()["verifiablePresentationRequest"]
    assert vpr["domain"] == "plaudit.example"
    presentation = sign_rdfc(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": HOLDER,
        },
        private_key=KEY,
        verification_method=did_key_verification_method(HOLDER),
        created="2026-12-04T00:00:00Z",
        proof_purpose="authentication",
        options={"challenge": vpr["challenge"], "domain": vpr["domain"]},
    )
    answer = client.post(exchange, json={"verifiablePresentation": presentation})
    assert answer.status_code == 200, answer.text
    [credential] = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == HOLDER
    _check(client, credential)


@pytest.mark.parametrize("configuration", ["ldp_vc", "jwt_vc_json"])
def test_openid4vci_delivers_a_did_web_credential(
    web: tuple[TestClient, Runtime], configuration: str
) -> None:
    client, runtime = web
    offered = offer(client, runtime, make_tenant(runtime))
    offer_link = client.get(
        _local(offered.interaction_url), headers={"Accept": "application/json"}
    ).json()["protocols"]["OID4VCI"]
    offer_uri = parse_qs(urlsplit(offer_link).query)["credential_offer_uri"][0]
    credential_offer = client.get(_local(offer_uri)).json()
    issuer = credential_offer["credential_issuer"]
    slug = issuer.rsplit("/", 1)[1]
    meta = client.get(f"/.well-known/openid-credential-issuer/orgs/{slug}").json()
    assert meta["credential_issuer"] == issuer
    grant = credential_offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    token = client.post(
        f"/orgs/{slug}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"],
        },
    ).json()["access_token"]
    nonce = client.post(f"/orgs/{slug}/nonce").json()["c_nonce"]
    proof = jwt.encode(
        {"aud": issuer, "iat": int(time.time()), "nonce": nonce},
        KEY,
        algorithm="EdDSA",
        headers={"typ": "openid4vci-proof+jwt", "kid": did_key_verification_method(HOLDER)},
    )
    [name] = [
        c for c in credential_offer["credential_configuration_ids"] if c.endswith(configuration)
    ]
    issued = client.post(
        f"/orgs/{slug}/credential",
        json={"credential_configuration_id": name, "proofs": {"jwt": [proof]}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert issued.status_code == 200, issued.text
    credential = issued.json()["credentials"][0]["credential"]
    subject = (
        jwt.decode(credential, options={"verify_signature": False})["sub"]
        if isinstance(credential, str)
        else credential["credentialSubject"]["id"]
    )
    assert subject == HOLDER
    _check(client, credential)
