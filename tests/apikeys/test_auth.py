"""API keys authenticate requests; scopes limit them; revoked keys stop working."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import make_tenant


@pytest.mark.parametrize(
    "header",
    [None, "Basic abc", "Bearer", "Bearer not-a-plaudit-key", "Bearer plaudit_abc_wrongsecret"],
)
def test_requests_without_a_valid_key_get_401(
    client: TestClient, runtime: Runtime, header: str | None
) -> None:
    make_tenant(runtime)
    headers = {"Authorization": header} if header else {}
    body = assert_problem(client.get("/api/v1/organization", headers=headers), 401)
    assert (
        "Bearer" in client.get("/api/v1/organization", headers=headers).headers["www-authenticate"]
    )
    assert "key" in str(body["detail"]).lower()


def test_a_revoked_key_is_refused(client: TestClient, runtime: Runtime) -> None:
    admin = make_tenant(runtime)
    created = client.post(
        "/api/v1/api-keys", json={"name": "lms", "scopes": ["read"]}, headers=admin.headers
    )
    assert created.status_code == 201
    token, key_id = created.json()["token"], created.json()["id"]
    lms = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/organization", headers=lms).status_code == 200

    revoked = client.delete(f"/api/v1/api-keys/{key_id}", headers=admin.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None

    body = assert_problem(client.get("/api/v1/organization", headers=lms), 401)
    assert "revoked" in str(body["detail"])


def test_a_key_without_the_needed_scope_gets_403_naming_it(
    client: TestClient, runtime: Runtime
) -> None:
    reader = make_tenant(runtime, scopes=[Scope.READ])
    assert client.get("/api/v1/organization", headers=reader.headers).status_code == 200
    body = assert_problem(
        client.patch("/api/v1/organization", json={"name": "Renamed"}, headers=reader.headers), 403
    )
    assert "'admin'" in str(body["detail"])
    assert (
        client.get("/api/v1/organization", headers=reader.headers).json()["name"] == "Acme Academy"
    )


def test_write_implies_read_and_issue_does_not(client: TestClient, runtime: Runtime) -> None:
    writer = make_tenant(runtime, scopes=[Scope.WRITE])
    issuer = make_tenant(runtime, scopes=[Scope.ISSUE])
    assert client.get("/api/v1/organization", headers=writer.headers).status_code == 200
    assert_problem(client.get("/api/v1/organization", headers=issuer.headers), 403)


def test_keys_are_stored_hashed_and_the_token_is_shown_once(
    client: TestClient, runtime: Runtime
) -> None:
    from sqlalchemy import select

    from plaudit.models.apikey import ApiKey

    admin = make_tenant(runtime)
    created = client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["issue", "read"]}, headers=admin.headers
    )
    token = created.json()["token"]
    with runtime.sessions() as session:
        stored = session.scalars(select(ApiKey)).all()
    assert all(token.split("_")[-1] not in (k.secret_hash, k.prefix) for k in stored)
    listed = client.get("/api/v1/api-keys", headers=admin.headers).json()["items"]
    assert all("token" not in item for item in listed)
    assert {tuple(i["scopes"]) for i in listed} >= {("read", "issue")}


def test_last_used_time_is_recorded(client: TestClient, runtime: Runtime) -> None:
    admin = make_tenant(runtime)
    client.get("/api/v1/organization", headers=admin.headers)
    keys = client.get("/api/v1/api-keys", headers=admin.headers).json()["items"]
    assert keys[0]["last_used_at"] is not None


def test_basic_credentials_are_only_for_the_xapi_endpoint(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    # plaudit_<id>_<secret> splits at its second underscore (the secret may hold more).
    scheme, ident, secret = tenant.token.split("_", 2)
    username = f"{scheme}_{ident}"
    basic = {"Authorization": "Basic " + base64.b64encode(f"{username}:{secret}".encode()).decode()}
    refused = client.get("/api/v1/templates", headers=basic)
    assert "only by the xAPI endpoint" in str(assert_problem(refused, 401)["detail"])
    assert client.get("/api/v1/templates", headers=tenant.headers).status_code == 200
    # The same pair is the key itself on the xAPI endpoint.
    sent = client.put(
        "/api/v1/xapi/statements",
        params={"statementId": "6f4b8d6e-0f5e-4c55-9a58-0d2f2f1f6a11"},
        headers={**basic, "X-Experience-API-Version": "1.0.3"},
        json={
            "id": "6f4b8d6e-0f5e-4c55-9a58-0d2f2f1f6a11",
            "actor": {"mbox": "mailto:ada@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.org/courses/1"},
        },
    )
    assert sent.status_code == 204, sent.text
