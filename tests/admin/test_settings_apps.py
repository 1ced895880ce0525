"""Settings: connected apps. The Open Badges API's clients, registered and let in through the
real OAuth flow over HTTP, listed with their learners; revoking ends their tokens. And the
credential page says which API a credential arrived through."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.models.award import Credential
from plaudit.models.delivery import WebhookEndpoint
from plaudit.models.oauth import ObApiClient
from plaudit.obapi import scopes
from plaudit.runtime import Runtime
from plaudit.vendors import awarding, credly_webhooks
from tests.admin.conftest import Dashboard
from tests.fixtures.databases import make_settings
from tests.fixtures.peers import free_port
from tests.fixtures.serving import serving
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant
from tests.obapi.conftest import Live
from tests.obapi.obclient import REDIRECT_URI, Registered, Tokens
from tests.obapi.samples import fixture
from tests.vendors.openedx import Credly, credly_badge_data

APPS = "/admin/settings/apps"


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, port: int) -> Settings:
    # The API's clients call it over real HTTP, at the address it advertises.
    base = f"http://127.0.0.1:{port}"
    return make_settings(engine, tmp_path, public_base_url=base, verify_rate_limit="1000/second")


@pytest.fixture
def live(app: FastAPI, runtime: Runtime, tenant: Tenant, port: int) -> Iterator[Live]:
    base = f"http://127.0.0.1:{port}"
    with (
        serving(app, port),
        TestClient(app, base_url=base, raise_server_exceptions=False) as client,
        httpx2.Client(timeout=30) as http,
    ):
        yield Live(client, http, runtime, base, tenant)


def imsx_401(response: httpx2.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
    assert [f["imsx_codeMinorFieldValue"] for f in fields] == ["unauthorizedrequest"]


def client_row_id(runtime: Runtime, client_id: str) -> uuid.UUID:
    with unit_of_work(runtime.read_sessions) as session:
        found = session.scalar(select(ObApiClient.id).where(ObApiClient.client_id == client_id))
    assert found is not None
    return found


def works(live: Live, tokens: Tokens) -> bool:
    response = live.ob().get("/credentials", tokens)
    if response.status_code == 401:
        imsx_401(response)
        return False
    assert response.status_code == 200, response.text
    return True


def test_an_app_and_its_learners_are_listed_and_revoking_ends_their_tokens(
    owner: Dashboard, live: Live, runtime: Runtime
) -> None:
    assert "Connected apps" in owner.get("/admin/settings/profile").text
    empty = owner.get(APPS)
    assert empty.status_code == 200 and "No application has registered" in empty.text

    ada, bob = live.learner(), live.learner()
    ob = live.ob()
    wallet = ob.register(client_name="Ada's Wallet")
    ada_tokens = ob.tokens(wallet, wallet=ada.wallet)
    bob_tokens = ob.tokens(wallet, wallet=bob.wallet)
    assert works(live, ada_tokens) and works(live, bob_tokens)

    listing = owner.get(APPS).text
    assert "Ada&#39;s Wallet" in listing and REDIRECT_URI in listing
    assert "credential.readonly" in listing and "profile.update" in listing
    assert ada.email in listing and bob.email in listing
    ident = client_row_id(runtime, wallet.client_id)
    assert f'action="{APPS}/{ident}/revoke"' in listing

    # One learner's consent: theirs ends, the other's goes on.
    ended = owner.post(f"{APPS}/{ident}/learners/{ada.id}/revoke", page=APPS)
    assert ended.status_code == 303
    assert "no longer has access to this learner" in owner.get(APPS).text
    assert not works(live, ada_tokens) and works(live, bob_tokens)
    assert ada_tokens.refresh_token and bob_tokens.refresh_token
    assert ob.refresh(wallet, ada_tokens.refresh_token).status_code == 400
    listing = owner.get(APPS).text
    assert f"/learners/{ada.id}/revoke" not in listing
    assert f"/learners/{bob.id}/revoke" in listing

    # The whole app: every learner's tokens end; it stays registered.
    ended = owner.post(f"{APPS}/{ident}/revoke", page=APPS)
    assert ended.status_code == 303
    listing = owner.get(APPS).text
    assert "no longer has access to any learner" in listing and "Ada&#39;s Wallet" in listing
    assert not works(live, bob_tokens)
    assert ob.refresh(wallet, bob_tokens.refresh_token).status_code == 400
    assert f"{APPS}/{ident}/revoke" not in listing

    # A learner may let it in again.
    again = ob.tokens(wallet, wallet=ada.wallet)
    assert works(live, again)


def test_a_viewer_sees_the_apps_but_cannot_revoke(
    viewer: Dashboard, live: Live, runtime: Runtime
) -> None:
    learner = live.learner()
    ob = live.ob()
    wallet = ob.register(client_name="Reader")
    tokens = ob.tokens(wallet, wallet=learner.wallet)
    ident = client_row_id(runtime, wallet.client_id)

    listing = viewer.get(APPS)
    assert listing.status_code == 200
    assert "Reader" in listing.text and learner.email in listing.text
    assert "/revoke" not in listing.text
    for path in (f"{APPS}/{ident}/revoke", f"{APPS}/{ident}/learners/{learner.id}/revoke"):
        assert viewer.post(path, page=APPS).status_code == 403
    assert works(live, tokens)


def test_another_organizations_apps_are_neither_shown_nor_revoked(
    owner: Dashboard, live: Live, runtime: Runtime
) -> None:
    other = make_tenant(runtime)
    learner = live.learner(other)
    ob = live.ob(other)
    theirs = ob.register(client_name="Elsewhere Wallet")
    tokens = ob.tokens(theirs, wallet=learner.wallet)
    ident = client_row_id(runtime, theirs.client_id)

    listing = owner.get(APPS).text
    assert "Elsewhere Wallet" not in listing and learner.email not in listing
    assert owner.post(f"{APPS}/{ident}/revoke", page=APPS).status_code == 404
    gone = owner.post(f"{APPS}/{ident}/learners/{learner.id}/revoke", page=APPS)
    assert gone.status_code == 404
    assert owner.post(f"{APPS}/not-an-id/revoke", page=APPS).status_code == 404
    assert live.ob(other).get("/credentials", tokens).status_code == 200


# --- an organization-wide client -------------------------------------------------------------


def org_token(live: Live, client: Registered, scope: str | None = None) -> httpx2.Response:
    """The client_credentials grant, as an LMS of the organization asks for its token."""
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return live.ob().token_request(client, form)


def test_an_administrator_approves_a_client_for_the_whole_organization_then_withdraws_it(
    owner: Dashboard, live: Live, runtime: Runtime
) -> None:
    ada, bob = live.learner(credentials=2), live.learner(credentials=1)
    other = make_tenant(runtime)
    live.learner(other)  # another organization's learner: never seen
    ob = live.ob()
    lms = ob.register(client_name="Campus LMS")
    ident = client_row_id(runtime, lms.client_id)

    # Not approved: the grant is refused.
    refused = org_token(live, lms)
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    listing = owner.get(APPS).text
    assert 'data-organization-wide="no"' in listing
    assert f'action="{APPS}/{ident}/organization-wide"' in listing

    approved = owner.post(f"{APPS}/{ident}/organization-wide", page=APPS)
    assert approved.status_code == 303
    listing = owner.get(APPS).text
    assert 'data-organization-wide="yes"' in listing and owner.email in listing

    # Use: a token for every learner, credential.readonly only, no refresh token.
    answer = org_token(live, lms)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["scope"] == scopes.CREDENTIAL_READ and "refresh_token" not in body
    tokens = Tokens(body["access_token"], None, body["scope"], body)
    page = ob.get("/credentials", tokens, limit=2)
    assert page.status_code == 200, page.text
    assert page.headers["x-total-count"] == "3"
    held = ob.all_credentials(tokens)["credential"]
    issued = {f"{live.base}/credentials/{i.public_id}" for i in ada.issued + bob.issued}
    assert {c["id"] for c in held} == issued
    # Reading only: the learners' own operations are refused.
    assert ob.get("/profile", tokens).status_code == 403
    assert ob.upsert(tokens, fixture("simple.json")).status_code == 403
    wider = org_token(live, lms, f"{scopes.CREDENTIAL_READ} {scopes.CREDENTIAL_UPSERT}")
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    # Another organization's API does not know the client.
    assert (
        live.ob(other).token_request(lms, {"grant_type": "client_credentials"}).status_code == 401
    )

    # A learner's own consent is untouched by what follows.
    own = ob.tokens(lms, wallet=ada.wallet)
    withdrawn = owner.post(f"{APPS}/{ident}/organization-wide/withdraw", page=APPS)
    assert withdrawn.status_code == 303
    assert 'data-organization-wide="no"' in owner.get(APPS).text
    assert not works(live, tokens)
    assert org_token(live, lms).json()["error"] == "unauthorized_client"
    assert works(live, own)


def test_a_public_client_cannot_be_approved_and_a_viewer_cannot_approve(
    owner: Dashboard, viewer: Dashboard, live: Live, runtime: Runtime
) -> None:
    ob = live.ob()
    public = ob.register(client_name="Phone App", public=True)
    confidential = ob.register(client_name="Campus LMS")
    public_id = client_row_id(runtime, public.client_id)
    confidential_id = client_row_id(runtime, confidential.client_id)
    assert f"{APPS}/{public_id}/organization-wide" not in owner.get(APPS).text
    assert owner.post(f"{APPS}/{public_id}/organization-wide", page=APPS).status_code == 409
    assert viewer.post(f"{APPS}/{confidential_id}/organization-wide", page=APPS).status_code == 403
    assert org_token(live, confidential).status_code == 400


# --- the Credly-shaped template webhook --------------------------------------------------------

CREDLY_PAGE = f"{APPS}/credly-webhook"
LMS = "https://lms.example.org/badges/credly/webhook/"


def test_the_credly_webhook_is_set_switched_and_its_deliveries_shown_with_its_kind_kept(
    owner: Dashboard, viewer: Dashboard, runtime: Runtime, tenant: Tenant
) -> None:
    assert 'href="/admin/settings/apps/credly-webhook"' in owner.get(APPS).text
    empty = owner.get(CREDLY_PAGE)
    assert empty.status_code == 200 and 'id="credly-endpoint"' not in empty.text

    wrong = owner.post(CREDLY_PAGE, {"url": "http://127.0.0.1/hook", "enabled": "on"}, page=APPS)
    assert wrong.status_code == 422 and "https://" in wrong.text
    assert owner.post(CREDLY_PAGE, {"url": ""}, page=APPS).status_code == 422
    # Nothing was stored by the refusals.
    assert 'id="credly-endpoint"' not in owner.get(CREDLY_PAGE).text

    saved = owner.post(CREDLY_PAGE, {"url": LMS, "enabled": "on", "kinds": "credential.issued"})
    assert saved.status_code == 303, saved.text
    shown = owner.get(CREDLY_PAGE).text
    assert 'data-enabled="yes"' in shown and LMS in shown
    assert "No template event was sent yet" in shown

    published(owner.client, tenant, name="Python 101")
    shown = owner.get(CREDLY_PAGE).text
    assert 'data-topic="badge_template.created"' in shown

    off = owner.post(CREDLY_PAGE, {"url": LMS}, page=CREDLY_PAGE)
    assert off.status_code == 303
    assert 'data-enabled="no"' in owner.get(CREDLY_PAGE).text
    with unit_of_work(runtime.read_sessions) as session:
        [endpoint] = session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.organization_id == tenant.id)
        ).all()
        # Whatever the form sent, it still receives the template events only.
        assert endpoint.kinds == [credly_webhooks.MARKER] and not endpoint.enabled

    assert viewer.post(CREDLY_PAGE, {"url": LMS, "enabled": "on"}, page=APPS).status_code == 403
    assert viewer.get(CREDLY_PAGE).status_code == 200

    # The general webhook form sends its editor here rather than letting it change the kinds.
    general = f"/admin/settings/webhooks/{endpoint.id}"
    assert f'href="{CREDLY_PAGE}"' in owner.get(general).text
    assert owner.get(f"{general}/edit").headers["location"].startswith(CREDLY_PAGE)
    edited = owner.post(general, {"url": LMS, "kinds": "credential.issued", "enabled": "on"})
    assert edited.status_code == 303 and edited.headers["location"].startswith(CREDLY_PAGE)
    with unit_of_work(runtime.read_sessions) as session:
        kept = session.get_one(WebhookEndpoint, endpoint.id)
        assert kept.kinds == [credly_webhooks.MARKER] and not kept.enabled


# --- where a credential came from ------------------------------------------------------------


def credential_where(runtime: Runtime, **match: Any) -> Credential:
    with unit_of_work(runtime.read_sessions) as session:
        found = session.scalars(select(Credential).filter_by(**match)).one()
        session.expunge(found)
    return found


def origin(owner: Dashboard, credential_id: uuid.UUID) -> str:
    response = owner.get(f"/admin/credentials/{credential_id}")
    assert response.status_code == 200, response.text
    match = re.search(r"<dt>Came from</dt>\s*<dd>(.*?)</dd>", response.text, re.S)
    assert match, response.text
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


def test_the_credential_page_names_the_app_that_upserted_it(
    owner: Dashboard, live: Live, runtime: Runtime
) -> None:
    learner = live.learner(credentials=0)
    ob = live.ob()
    wallet = ob.register(client_name="Record Keeper")
    tokens = ob.tokens(wallet, wallet=learner.wallet)
    sample = fixture("simple.json")
    assert ob.upsert(tokens, sample).status_code == 201
    upserted = credential_where(runtime, legacy_id=sample["id"])
    assert upserted.imported and upserted.import_source == "openbadges"
    said = origin(owner, upserted.id)
    assert said.startswith("Added through the Open Badges API by Record Keeper"), said

    # Sent again, it replaces the one held: still named.
    assert ob.upsert(tokens, sample).status_code == 200
    replaced = credential_where(runtime, legacy_id=sample["id"])
    assert origin(owner, replaced.id).startswith("Added through the Open Badges API by")


def test_the_credential_page_says_a_badge_was_issued_through_the_credly_api(
    owner: Dashboard, live: Live, tenant: Tenant
) -> None:
    template_id = published(live.client, tenant, name="Python 101")
    openedx = Credly(live.client, str(tenant.id), tenant.token)
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    response = openedx.issue_badge(
        credly_badge_data(
            email="ada@example.org",
            first="Ada",
            last="Lovelace",
            template_id=template_id,
            template_created=created,
        )
    )
    assert response.status_code == 201, response.text
    credential_id = uuid.UUID(response.json()["data"]["id"])
    assert origin(owner, credential_id) == "Issued through the Credly API"


def test_a_vendors_issuance_key_names_its_api_and_fits_the_column() -> None:
    org, template = uuid.uuid4(), uuid.uuid4()
    credly = awarding.issuance_key("credly", org, template, "ada@example.org", "2026-01-01")
    accredible = awarding.issuance_key("accredible", org, "id", "42")
    assert len(credly) == len(accredible) == 64
    assert awarding.issued_through(credly) == "Credly"
    assert awarding.issued_through(accredible) == "Accredible"
    # Bulk issuance's keys are bare hashes; no key is no API.
    assert awarding.issued_through("0f" * 32) is None
    assert awarding.issued_through(None) is None
