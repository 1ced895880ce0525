"""The claims API: offer a credential to a wallet, list the offers, withdraw one; another
organization's credential is not found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.credentials import issue
from tests.fixtures.databases import make_settings
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    settings = make_settings(engine, tmp_path, claim_tx_code=True)
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


def _post(client: TestClient, tenant: Tenant, path: str, key: str) -> object:
    return client.post(path, headers={**tenant.headers, "Idempotency-Key": key})


def test_offer_list_and_withdraw(web: tuple[TestClient, Runtime]) -> None:
    client, runtime = web
    tenant = make_tenant(runtime)
    issued = issue(client, tenant, template_name="Offered")
    path = f"/api/v1/credentials/{issued.credential_id}/claims"
    made = client.post(path, headers={**tenant.headers, "Idempotency-Key": "a"})
    assert made.status_code == 201, made.text
    claim = made.json()
    assert claim["status"] == "open"
    assert claim["interaction_url"].startswith(f"{runtime.settings.public_base_url}/claims/")
    assert claim["offer_link"].startswith("openid-credential-offer://")
    assert claim["lcw_link"].startswith("https://lcw.app/request.html?")
    assert claim["tx_code"] is not None and len(claim["tx_code"]) == 6
    # Asked again: the same open offer, not a new one.
    again = client.post(path, headers={**tenant.headers, "Idempotency-Key": "b"})
    assert again.json()["id"] == claim["id"]
    listed = client.get(path, headers=tenant.headers).json()
    assert [c["id"] for c in listed["items"]] == [claim["id"]] and listed["next_cursor"] is None

    withdrawn = client.post(
        f"{path}/{claim['id']}/withdraw", headers={**tenant.headers, "Idempotency-Key": "c"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "revoked"
    page = client.get(claim["interaction_url"], headers={"Accept": "application/json"})
    assert page.json()["error"] == "invalid_grant"
    # A withdrawn offer is not handed out again: the next one is new.
    fresh = client.post(path, headers={**tenant.headers, "Idempotency-Key": "d"}).json()
    assert fresh["id"] != claim["id"] and fresh["status"] == "open"


def test_another_organizations_credential_is_not_found_and_scopes_hold(
    web: tuple[TestClient, Runtime],
) -> None:
    client, runtime = web
    owner, stranger = make_tenant(runtime), make_tenant(runtime, name="Other Academy")
    issued = issue(client, owner, template_name="Theirs")
    path = f"/api/v1/credentials/{issued.credential_id}/claims"
    response = client.post(path, headers={**stranger.headers, "Idempotency-Key": "x"})
    assert_problem(response, 404)
    assert_problem(client.get(path, headers=stranger.headers), 404)
    reader = make_tenant(runtime, scopes=[Scope.READ])
    assert client.post(path, headers={**reader.headers, "Idempotency-Key": "y"}).status_code in (
        403,
        404,
    )


def test_a_revoked_credential_is_not_offered(web: tuple[TestClient, Runtime]) -> None:
    client, runtime = web
    tenant = make_tenant(runtime)
    issued = issue(client, tenant, template_name="Gone")
    client.post(
        f"/api/v1/credentials/{issued.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=tenant.headers,
    )
    response = client.post(
        f"/api/v1/credentials/{issued.credential_id}/claims",
        headers={**tenant.headers, "Idempotency-Key": "z"},
    )
    assert_problem(response, 409)
    assert "revoked" in response.json()["detail"]
