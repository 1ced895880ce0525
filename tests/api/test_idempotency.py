"""Idempotency-Key: a retried POST returns the first response and writes nothing twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.models.user import Membership
from plaudit.runtime import Runtime
from tests.fixtures.tenants import make_tenant


def _members(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Membership)) or 0


def test_a_retry_with_the_same_key_writes_once(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    headers = {**org.headers, "Idempotency-Key": "add-ada-1"}
    body = {"email": "ada@example.org", "role": "admin"}
    first = client.post("/api/v1/members", json=body, headers=headers)
    second = client.post("/api/v1/members", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _members(runtime) == 1

    # Without the key the same request is a new one, and here a conflict.
    again = client.post("/api/v1/members", json=body, headers=org.headers)
    assert again.status_code == 409


def test_reusing_a_key_for_a_different_request_is_refused(
    client: TestClient, runtime: Runtime
) -> None:
    org = make_tenant(runtime)
    headers = {**org.headers, "Idempotency-Key": "k-1"}
    client.post("/api/v1/members", json={"email": "a@example.org"}, headers=headers)
    other = client.post("/api/v1/members", json={"email": "b@example.org"}, headers=headers)
    assert other.status_code == 422
    assert "Idempotency-Key" in other.json()["detail"]
    assert _members(runtime) == 1


def test_keys_are_per_organization(client: TestClient, runtime: Runtime) -> None:
    a, b = make_tenant(runtime), make_tenant(runtime)
    body = {"email": "same@example.org"}
    for org in (a, b):
        response = client.post(
            "/api/v1/members", json=body, headers={**org.headers, "Idempotency-Key": "shared"}
        )
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert _members(runtime) == 2


def test_a_failed_request_is_not_remembered(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    headers = {**org.headers, "Idempotency-Key": "retry-me"}
    bad = client.post("/api/v1/members", json={"email": "not-an-email"}, headers=headers)
    assert bad.status_code == 422
    # Nothing was written, so nothing was remembered: the corrected retry may reuse the key.
    good = client.post("/api/v1/members", json={"email": "ok@example.org"}, headers=headers)
    assert good.status_code == 201
    assert "idempotent-replayed" not in good.headers


def test_concurrent_retries_write_once(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    headers = {**org.headers, "Idempotency-Key": "burst"}
    body = {"email": "burst@example.org", "role": "viewer"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(lambda _: client.post("/api/v1/members", json=body, headers=headers), range(6))
        )
    assert {r.status_code for r in responses} == {201}, [
        r.text for r in responses if r.status_code != 201
    ]
    assert len({r.json()["user_id"] for r in responses}) == 1
    assert _members(runtime) == 1
