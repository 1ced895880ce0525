"""The W3C VC API: issue in each proof format, verify credentials and presentations."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.models.apikey import Scope
from plaudit.openbadges import credential as ob
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import Tenant, make_tenant

BASE = "https://plaudit.example"
FORMATS = [
    ({"proofFormat": "eddsa-rdfc-2022"}, "eddsa-rdfc-2022"),
    ({"proofFormat": "eddsa-jcs-2022"}, "eddsa-jcs-2022"),
    ({}, "eddsa-rdfc-2022"),
    ({"proofFormat": "vc-jwt"}, "EdDSA"),
    ({"proofFormat": "vc-jwt", "alg": "RS256"}, "RS256"),
]


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    # Its tests verify more often than one client address may (PLAUDIT_VERIFY_RATE_LIMIT).
    settings = make_settings(
        engine, tmp_path, public_base_url=BASE, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


@pytest.fixture
def client(web: tuple[TestClient, Runtime]) -> TestClient:
    return web[0]


@pytest.fixture
def tenant(web: tuple[TestClient, Runtime]) -> Tenant:
    return make_tenant(web[1], scopes=[Scope.ISSUE])


def unsigned(issuer: str | None = None) -> dict[str, Any]:
    document = ob.build_credential(
        ob.CredentialData(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=ob.Issuer(id="did:example:issuer", name="Acme Academy"),
            achievement=ob.Achievement(
                id="https://acme.example/achievements/1",
                name="Interoperable",
                description="Issued through the VC API.",
            ),
            valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            recipient_email="ada@example.org",
            recipient_salt="salt",
        )
    )
    if issuer is not None:
        document["issuer"]["id"] = issuer
    return document


def issue(
    client: TestClient, tenant: Tenant, options: dict[str, Any], **credential: Any
) -> dict[str, Any] | str:
    body = {"credential": {**unsigned(), **credential}, "options": options}
    response = client.post("/credentials/issue", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    signed: dict[str, Any] | str = response.json()["verifiableCredential"]
    return signed


def verify(client: TestClient, credential: dict[str, Any] | str) -> tuple[int, dict[str, Any]]:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    return response.status_code, dict(response.json())


@pytest.mark.parametrize(("options", "expected"), FORMATS)
def test_issue_in_each_format_then_verify(
    client: TestClient, tenant: Tenant, options: dict[str, Any], expected: str
) -> None:
    signed = issue(client, tenant, options)
    if isinstance(signed, str):
        import jwt

        assert jwt.get_unverified_header(signed)["alg"] == expected
    else:
        assert signed["proof"]["cryptosuite"] == expected
        assert signed["issuer"]["id"].startswith("did:web:plaudit.example:orgs:")
        assert signed["issuer"]["name"] == "Acme Academy"  # the rest of the issuer is kept
    status, result = verify(client, signed)
    assert status == 200, result
    assert result["errors"] == []
    assert result["verified"] is True
    assert {"proof", "issuer_key"} <= set(result["checks"])


def test_a_tampered_credential_does_not_verify(client: TestClient, tenant: Tenant) -> None:
    signed = issue(client, tenant, {})
    assert isinstance(signed, dict)
    forged = copy.deepcopy(signed)
    forged["credentialSubject"]["achievement"]["name"] = "Something else"
    status, result = verify(client, forged)
    assert status == 400
    assert [e["title"] for e in result["errors"]] == ["proof"]
    assert "proof" not in result["checks"]


def test_the_issuer_is_filled_in_but_never_someone_elses(
    client: TestClient, tenant: Tenant
) -> None:
    absent = {k: v for k, v in unsigned().items() if k != "issuer"}
    response = client.post(
        "/credentials/issue", json={"credential": absent}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["verifiableCredential"]["issuer"].startswith("did:web:")

    foreign = unsigned(issuer="did:web:elsewhere.example")
    response = client.post(
        "/credentials/issue", json={"credential": foreign}, headers=tenant.headers
    )
    assert_problem(response, 422)
    assert "did:web:elsewhere.example" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "not an object"},
        {"credential": {}, "options": {"proofFormat": "ed25519-signature-2018"}},
        {"credential": {"type": ["VerifiableCredential"]}},
        {
            "credential": {
                **unsigned(),
                "@context": ["https://www.w3.org/ns/credentials/v2", "https://unknown.example/ctx"],
            }
        },
        {"credential": {**unsigned(), "undefinedTerm": "refused by the JSON-LD signer"}},
        {"credential": unsigned(), "options": {"created": "yesterday"}},
    ],
)
def test_bad_input_is_a_problem_never_a_500(
    client: TestClient, tenant: Tenant, body: dict[str, Any]
) -> None:
    response = client.post("/credentials/issue", json=body, headers=tenant.headers)
    assert_problem(response, 422)
    assert response.json()["detail"]


def test_issuing_needs_an_api_key_with_the_issue_scope(
    web: tuple[TestClient, Runtime],
) -> None:
    client, runtime = web
    assert_problem(client.post("/credentials/issue", json={"credential": unsigned()}), 401)
    reader = make_tenant(runtime, scopes=[Scope.READ])
    response = client.post(
        "/credentials/issue", json={"credential": unsigned()}, headers=reader.headers
    )
    assert_problem(response, 403)


def presentation(*credentials: dict[str, Any] | str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": f"data:application/vc+jwt,{c}",
                "type": "EnvelopedVerifiableCredential",
            }
            if isinstance(c, str)
            else c
            for c in credentials
        ],
    }


def test_a_presentation_of_our_credentials_verifies(client: TestClient, tenant: Tenant) -> None:
    first = issue(client, tenant, {})
    second = issue(client, tenant, {"proofFormat": "eddsa-jcs-2022"})
    third = issue(client, tenant, {"proofFormat": "vc-jwt"})
    body = {"verifiablePresentation": presentation(first, second, third), "options": {}}
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["errors"] == []
    assert "verifiableCredential[2].proof" in result["checks"]
    # Unsigned: accepted, with a warning that nothing proves who presents it.
    assert [w["title"] for w in result["warnings"]] == ["holder_proof"]

    challenged = {**body, "options": {"challenge": "c-1"}}
    assert client.post("/presentations/verify", json=challenged).status_code == 400


def test_a_presentation_with_a_tampered_credential_does_not(
    client: TestClient, tenant: Tenant
) -> None:
    good = issue(client, tenant, {})
    bad = issue(client, tenant, {})
    assert isinstance(bad, dict)
    bad["validFrom"] = "2020-01-01T00:00:00Z"
    body = {"verifiablePresentation": presentation(good, bad)}
    response = client.post("/presentations/verify", json=body)
    assert response.status_code == 400, response.text
    assert [e["title"] for e in response.json()["errors"]] == ["verifiableCredential[1].proof"]

    not_a_vp = {**presentation(good), "type": ["VerifiableCredential"]}
    response = client.post("/presentations/verify", json={"verifiablePresentation": not_a_vp})
    assert response.status_code == 400
    assert_problem(client.post("/presentations/verify", json={"verifiablePresentation": []}), 422)
