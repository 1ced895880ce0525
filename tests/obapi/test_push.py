"""The consumer role: two Plaudits over real HTTP, each with its own database. A learner of A
connects B from A's wallet page (B's consent page answered as a browser would), A pushes a
credential to B, and B hands it back with getCredentials and verifies it. Refused: a host whose
discovery is not Open Badges 3.0, a denied consent, a replayed state, a push that keeps failing."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from plaudit import migrate
from plaudit.db import create_db_engine, unit_of_work
from plaudit.models.learner import Learner
from plaudit.models.obapi_host import HostStatus, ObApiHost, ObApiPush, PushStatus
from plaudit.models.user import Role
from plaudit.obapi import hosts, scopes
from plaudit.runtime import Runtime
from tests.admin.conftest import add_person, sign_in
from tests.fixtures.credentials import Issued, issue
from tests.fixtures.databases import fresh_postgres_database, wipe, worker_suffix
from tests.fixtures.peers import free_port
from tests.fixtures.scenario import event, send
from tests.fixtures.serving import live_plaudit
from tests.fixtures.tenants import Tenant, make_tenant
from tests.obapi.obclient import ObClient


@pytest.fixture(scope="session")
def peer_engine(
    migrated_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A second migrated database, of the same kind as ``engine``'s, for the other Plaudit."""
    if migrated_engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('peer') / 'peer.db'}"
    else:
        url = fresh_postgres_database(f"{worker_suffix()}_peer")
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@dataclass
class Instance:
    client: TestClient
    runtime: Runtime
    base: str
    tenant: Tenant

    def wallet_link(self, learner_id: str) -> str:
        response = self.client.get(
            f"/api/v1/learners/{learner_id}/wallet-link", headers=self.tenant.headers
        )
        assert response.status_code == 200, response.text
        return str(response.json()["url"])

    @property
    def discovery(self) -> str:
        return f"{self.base}/orgs/{self.tenant.slug}/ims/ob/v3p0/discovery"


@dataclass
class Pair:
    a: Instance  # where the learner's credential was issued
    b: Instance  # the host it is pushed to
    browser: httpx2.Client
    issued: Issued
    wallet_a: str
    wallet_b: str


@pytest.fixture
def pair(engine: Engine, peer_engine: Engine, tmp_path: Path) -> Iterator[Pair]:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    external = f"u-{uuid.uuid4().hex[:8]}"
    try:
        with live_plaudit(
            engine,
            a_dir,
            verify_rate_limit="1000/second",
            obapi_hosts_allow_private_networks=True,
            delivery_backoff_scale=0.001,
        ) as (client_a, runtime_a, base_a):
            a = Instance(client_a, runtime_a, base_a, make_tenant(runtime_a))
            # Signed by the job queue's runtime: A's until B starts (jobs.configure is global).
            issued = issue(client_a, a.tenant, template_name="Rust Basics", learner=external)
            with (
                live_plaudit(
                    peer_engine,
                    b_dir,
                    verify_rate_limit="1000/second",
                    # B verifies what it is sent: A's keys are on 127.0.0.1.
                    verify_allow_private_networks=True,
                ) as (client_b, runtime_b, base_b),
                httpx2.Client(timeout=30) as browser,
            ):
                b = Instance(client_b, runtime_b, base_b, make_tenant(runtime_b, name="Backpack"))
                # The same person at B: a learner with the same email address.
                payload = event(f"e-{uuid.uuid4().hex[:8]}", "user.signed_in", learner=external)
                payload["learner"]["email"] = f"{external}@example.org"
                send(client_b, b.tenant, payload)
                found = client_b.get(f"/api/v1/learners?q={external}", headers=b.tenant.headers)
                learner_b = str(found.json()["items"][0]["id"])
                yield Pair(
                    a,
                    b,
                    browser,
                    issued,
                    a.wallet_link(issued.learner_id),
                    b.wallet_link(learner_b),
                )
    finally:
        wipe(peer_engine)


def _connect(pair: Pair, host: str | None = None) -> httpx2.Response:
    """The learner's browser posts A's wallet form: A's answer (a redirect to B, or a page)."""
    return pair.browser.post(
        f"{pair.wallet_a}/hosts",
        data={"host": host or pair.b.discovery, "credential": [pair.issued.public_id]},
    )


def _continue(page: httpx2.Response) -> str:
    """A's page before the learner goes to the host: the link they follow."""
    assert page.status_code == 200, page.text
    assert "Continue to Backpack" in page.text
    link = re.search(r'id="continue" href="([^"]+)"', page.text)
    assert link is not None, page.text
    return html.unescape(link.group(1))


def _consent(pair: Pair, authorize_url: str, decision: str) -> httpx2.Response:
    """At B, as a browser: open the consent page, paste B's wallet link, answer. B's answer
    (a redirect to A's callback)."""
    page = pair.browser.get(authorize_url)
    assert page.status_code == 200, page.text
    assert "Plaudit: Acme Academy" in page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None, page.text
    answer = pair.browser.post(
        html.unescape(action.group(1)), data={"wallet": pair.wallet_b, "decision": decision}
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(f"{pair.a.base}{hosts.CALLBACK_PATH}?")
    return answer


def _connected(pair: Pair) -> str:
    """Connect B, allowing; the callback URL B sent the browser to."""
    authorize = _continue(_connect(pair))
    assert authorize.startswith(f"{pair.b.base}/orgs/{pair.b.tenant.slug}/ims/ob/v3p0/oauth/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == [
        scopes.CREDENTIAL_UPSERT
    ]
    callback = _consent(pair, authorize, "allow").headers["location"]
    back = pair.browser.get(callback)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == f"{pair.wallet_a}#hosts"
    return callback


def _rows(pair: Pair) -> tuple[list[ObApiHost], list[ObApiPush]]:
    with unit_of_work(pair.a.runtime.sessions) as session:
        found = list(session.scalars(select(ObApiHost)))
        pushes = list(session.scalars(select(ObApiPush)))
        session.expunge_all()
    return found, pushes


def _due(pair: Pair) -> list[uuid.UUID]:
    with unit_of_work(pair.a.runtime.sessions) as session:
        return hosts.due(session)


def _signed_in(instance: Instance) -> TestClient:
    """The instance's TestClient, signed in to the dashboard as an owner of its organization."""
    email = add_person(instance.runtime, instance.tenant.id, Role.OWNER)
    assert sign_in(instance.client, email).status_code == 303
    return instance.client


def _b_credentials(pair: Pair) -> dict[str, Any]:
    """B's getCredentials for the learner, as another client of B reads them."""
    with httpx2.Client(timeout=30) as http:
        ob = ObClient(http, pair.b.discovery)
        client = ob.register(scope=scopes.CREDENTIAL_READ)
        tokens = ob.tokens(client, wallet=pair.wallet_b, scope=scopes.CREDENTIAL_READ)
        return ob.all_credentials(tokens)


def test_a_learner_connects_another_plaudit_and_the_pushed_credential_verifies_there(
    pair: Pair,
) -> None:
    _connected(pair)
    [host], [push] = _rows(pair)
    assert host.status is HostStatus.CONNECTED and host.name == "Backpack"
    assert host.state_hash is None and host.code_verifier is None
    # Stored sealed, never in clear.
    assert host.access_token is not None and host.access_token[:1] == b"\x01"
    assert push.status is PushStatus.PENDING
    assert _due(pair) == [push.id]

    assert hosts.deliver(pair.a.runtime, push.id) is PushStatus.SENT, _rows(pair)[1][0].last_outcome
    [_], [push] = _rows(pair)
    assert push.attempts == 1 and push.last_outcome == "201 Created" and push.sent_at
    assert _due(pair) == []
    # Sending again changes nothing (a job run twice).
    assert hosts.deliver(pair.a.runtime, push.id) is None

    # B holds it, exactly as A issued it, and B's verifier finds it valid.
    issued = pair.a.client.get(
        f"/api/v1/credentials/{pair.issued.credential_id}", headers=pair.a.tenant.headers
    ).json()
    document = pair.a.client.get(f"{pair.issued.page}", headers={"Accept": "application/json"})
    assert document.status_code == 200, document.text
    held = _b_credentials(pair)["credential"]
    assert [c["id"] for c in held] == [f"{pair.a.base}/credentials/{issued['public_id']}"]
    assert held[0]["proof"] == document.json()["proof"]
    verified = pair.b.client.post("/api/v1/verify", json={"credential": held[0]})
    assert verified.status_code == 200, verified.text
    assert verified.json()["valid"] is True, verified.json()

    # The learner sees where it went on A's wallet page.
    page = pair.browser.get(pair.wallet_a)
    assert page.status_code == 200
    assert 'data-status="connected"' in page.text and "Backpack" in page.text
    assert f'data-push="{pair.issued.public_id}" data-status="sent"' in page.text

    # And the organization sees it: on the credential's dashboard page, and in Settings.
    admin = _signed_in(pair.a)
    detail = admin.get(f"/admin/credentials/{pair.issued.credential_id}")
    assert detail.status_code == 200, detail.text
    assert 'data-push-status="sent"' in detail.text and "Backpack" in detail.text
    apps = admin.get("/admin/settings/apps")
    assert apps.status_code == 200, apps.text
    assert 'data-last-push="sent"' in apps.text and host.api_url in apps.text


def test_a_replayed_state_is_refused_and_changes_nothing(pair: Pair) -> None:
    callback = _connected(pair)
    [before], _ = _rows(pair)
    again = pair.browser.get(callback)
    assert again.status_code == 400
    assert "used already" in again.text
    [after], pushes = _rows(pair)
    assert after.status is HostStatus.CONNECTED and after.access_token == before.access_token
    assert len(pushes) == 1
    # A forged state is refused the same way.
    forged = pair.browser.get(f"{pair.a.base}{hosts.CALLBACK_PATH}?state=forged&code=x")
    assert forged.status_code == 400


def test_a_denied_consent_connects_nothing_and_shows_why(pair: Pair) -> None:
    callback = _consent(pair, _continue(_connect(pair)), "deny").headers["location"]
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    back = pair.browser.get(callback)
    assert back.status_code == 303
    [host], [push] = _rows(pair)
    assert host.status is HostStatus.REFUSED and host.access_token is None
    assert push.status is PushStatus.FAILED and "declined" in (push.last_outcome or "")
    assert _due(pair) == []
    page = pair.browser.get(pair.wallet_a).text
    assert 'data-status="refused"' in page and "you declined the connection" in page


def test_a_host_whose_discovery_is_not_open_badges_3_is_refused(pair: Pair) -> None:
    # Plaudit's own API description: OpenAPI, but no OB 3.0 API.
    refused = _connect(pair, f"{pair.b.base}/api/v1/openapi.json")
    assert refused.status_code == 400
    assert "is not an Open Badges 3.0 host" in refused.text
    # A page, not JSON.
    refused = _connect(pair, f"{pair.b.base}/")
    assert refused.status_code == 400 and "is not an Open Badges 3.0 host" in refused.text
    # Nothing answers there.
    refused = _connect(pair, f"http://127.0.0.1:{free_port()}/ims/ob/v3p0/discovery")
    assert refused.status_code == 400 and "could not be reached" in refused.text
    # Another learner's credential is not theirs to send.
    stranger = pair.browser.post(
        f"{pair.wallet_a}/hosts", data={"host": pair.b.discovery, "credential": ["nope"]}
    )
    assert stranger.status_code == 400 and "cannot be sent" in stranger.text
    assert _rows(pair) == ([], [])


def test_private_addresses_are_refused_unless_allowed(pair: Pair) -> None:
    pair.a.runtime.settings.obapi_hosts_allow_private_networks = False
    try:
        refused = _connect(pair, pair.b.discovery.replace("http://", "https://"))
    finally:
        pair.a.runtime.settings.obapi_hosts_allow_private_networks = True
    assert refused.status_code == 400
    assert "loopback" in refused.text
    assert _rows(pair) == ([], [])


def test_a_failing_push_is_retried_with_backoff_then_shown_failed(pair: Pair) -> None:
    _connected(pair)
    [host], [push] = _rows(pair)
    # The host moved away: nothing answers at its API any more.
    with unit_of_work(pair.a.runtime.sessions) as session:
        session.execute(
            update(ObApiHost)
            .where(ObApiHost.id == host.id)
            .values(api_url=f"http://127.0.0.1:{free_port()}/ims/ob/v3p0")
        )
    for attempt in range(1, hosts.MAX_ATTEMPTS):
        assert hosts.deliver(pair.a.runtime, push.id) is PushStatus.PENDING
        [_], [push] = _rows(pair)
        assert push.attempts == attempt and "could not be reached" in (push.last_outcome or "")
        assert push.next_attempt_at is not None
    assert hosts.deliver(pair.a.runtime, push.id) is PushStatus.FAILED
    [_], [push] = _rows(pair)
    assert push.attempts == hosts.MAX_ATTEMPTS and push.next_attempt_at is None
    assert _due(pair) == []
    page = pair.browser.get(pair.wallet_a).text
    assert f'data-push="{pair.issued.public_id}" data-status="failed"' in page
    assert f"({hosts.MAX_ATTEMPTS} attempts)" in page
    apps = _signed_in(pair.a).get("/admin/settings/apps").text
    assert 'data-last-push="failed"' in apps and "could not be reached" in apps


def test_a_refused_push_is_not_retried(pair: Pair) -> None:
    _connected(pair)
    [_], [push] = _rows(pair)
    # B's learner has no email any more: B refuses the upsert (403), for good.
    with unit_of_work(pair.b.runtime.sessions) as session:
        session.execute(update(Learner).values(email=None))
    assert hosts.deliver(pair.a.runtime, push.id) is PushStatus.FAILED
    [_], [push] = _rows(pair)
    assert push.attempts == 1 and (push.last_outcome or "").startswith("403 Forbidden: ")


def _description(**changes: Any) -> dict[str, Any]:
    """A minimal Open Badges 3.0 service description, with ``changes`` on top."""
    api = "https://host.example/ims/ob/v3p0"
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": {"title": "Host"},
        "servers": [{"url": api}],
        "paths": {"/credentials": {"post": {}}},
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "x-imssf-registrationUrl": f"{api}/register",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": f"{api}/authorize",
                            "tokenUrl": f"{api}/token",
                            "scopes": {scopes.CREDENTIAL_UPSERT: "upsert"},
                        }
                    },
                }
            }
        },
    }
    document.update(changes)
    return document


def test_a_service_description_is_read_and_anything_else_refused() -> None:
    found = hosts.describe(_description(), at="https://host.example/d", allow_private=False)
    assert found.api_url == "https://host.example/ims/ob/v3p0"
    assert found.token_url.endswith("/token") and found.name == "Host"
    no_upsert = _description()
    flow = no_upsert["components"]["securitySchemes"]["OAuth2ACG"]["flows"]["authorizationCode"]
    flow["scopes"] = {scopes.CREDENTIAL_READ: "read"}
    plain_http = _description(servers=[{"url": "http://host.example/ims/ob/v3p0"}])
    for refused, why in [
        ([], "not an OpenAPI 3"),
        (_description(openapi="2.0"), "not an OpenAPI 3"),
        (_description(paths={}), "no /credentials path"),
        (_description(servers=["https://host.example"]), "no server URL"),
        (plain_http, "no server URL"),
        (_description(components={"securitySchemes": []}), "no OAuth 2.0"),
        (no_upsert, "no credential.upsert scope"),
    ]:
        with pytest.raises(hosts.HostRefused, match=why):
            hosts.describe(refused, at="https://host.example/d", allow_private=False)
    assert hosts.discovery_url("https://h.example/orgs/x") == (
        "https://h.example/orgs/x/ims/ob/v3p0/discovery"
    )
    assert hosts.discovery_url("https://h.example/ims/ob/v3p0/") == (
        "https://h.example/ims/ob/v3p0/discovery"
    )
