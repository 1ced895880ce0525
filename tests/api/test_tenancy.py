"""Another organization's resources answer 404: never 403, never data."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.tenants import make_tenant


def test_an_organization_cannot_read_or_change_anothers_resources(
    client: TestClient, runtime: Runtime
) -> None:
    a = make_tenant(runtime, name="Org A")
    b = make_tenant(runtime, name="Org B")
    b_key = client.post(
        "/api/v1/api-keys", json={"name": "b-lms", "scopes": ["read"]}, headers=b.headers
    ).json()
    b_member = client.post(
        "/api/v1/members", json={"email": "bee@b.example", "role": "viewer"}, headers=b.headers
    ).json()

    attempts = [
        client.get(f"/api/v1/api-keys/{b_key['id']}", headers=a.headers),
        client.delete(f"/api/v1/api-keys/{b_key['id']}", headers=a.headers),
        client.patch(
            f"/api/v1/members/{b_member['user_id']}", json={"role": "admin"}, headers=a.headers
        ),
        client.delete(f"/api/v1/members/{b_member['user_id']}", headers=a.headers),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "b-lms" not in response.text and "bee@b.example" not in response.text

    # Nothing changed on B's side, and A's lists hold only A's things.
    assert (
        client.get(f"/api/v1/api-keys/{b_key['id']}", headers=b.headers).json()["revoked_at"]
        is None
    )
    members = client.get("/api/v1/members", headers=b.headers).json()["items"]
    assert [m["role"] for m in members if m["email"] == "bee@b.example"] == ["viewer"]
    a_keys = client.get("/api/v1/api-keys", headers=a.headers).json()["items"]
    assert all(k["id"] != b_key["id"] for k in a_keys)
    assert client.get("/api/v1/organization", headers=a.headers).json()["name"] == "Org A"
    assert client.get("/api/v1/members", headers=a.headers).json()["items"] == []
