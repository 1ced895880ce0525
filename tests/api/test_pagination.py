"""Cursor pagination walks every item once, newest first."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.tenants import make_tenant


def test_pages_cover_every_item_once_newest_first(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    for n in range(7):
        client.post(
            "/api/v1/api-keys", json={"name": f"key-{n}", "scopes": ["read"]}, headers=org.headers
        )
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/api-keys", params=params, headers=org.headers).json()
        seen += [item["name"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"key-{n}" for n in reversed(range(7))] + ["test"]


def test_filters_apply_before_paging(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    ids = [
        client.post(
            "/api/v1/api-keys", json={"name": f"k{n}", "scopes": ["read"]}, headers=org.headers
        ).json()["id"]
        for n in range(3)
    ]
    client.delete(f"/api/v1/api-keys/{ids[1]}", headers=org.headers)
    revoked = client.get("/api/v1/api-keys?revoked=true", headers=org.headers).json()["items"]
    live = client.get("/api/v1/api-keys?revoked=false&limit=10", headers=org.headers).json()[
        "items"
    ]
    assert [k["name"] for k in revoked] == ["k1"]
    assert [k["name"] for k in live] == ["k2", "k0", "test"]
