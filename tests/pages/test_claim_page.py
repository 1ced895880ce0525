"""A claim's interaction URL: the page a learner opens from the award email or their wallet page,
and the protocols a wallet reads at the same address."""

from __future__ import annotations

import html
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.claims import queries as claim_queries
from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.learners import links
from plaudit.models.claim import Claim
from plaudit.runtime import Runtime
from plaudit.wallets import deliver
from tests.fixtures.credentials import issue
from tests.fixtures.delivery import deliver_all
from tests.fixtures.peers import SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


@pytest.fixture(params=[False, True], ids=["no-tx-code", "tx-code"])
def settings(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer, request: pytest.FixtureRequest
) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server, claim_tx_code=request.param)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def _claim_url(smtp_server: SmtpServer, address: str) -> tuple[str, str]:
    """The claim link of the award email, and the email's text."""
    [mail] = smtp_server.mailbox.to(address)
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    found = re.search(r"Add it to a wallet app: (\S+)", text)
    assert found, text
    rich = mail.get_body(("html",))
    assert rich is not None and html.escape(found.group(1)) in rich.get_content()
    return found.group(1), text


def test_the_award_email_leads_to_the_claim_page_and_a_wallet_to_its_protocols(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issue(client, tenant, template_name="Forklift safety", learner="lea")
    deliver_all(runtime)
    url, text = _claim_url(smtp_server, "lea@example.org")
    base = runtime.settings.public_base_url
    assert url.startswith(f"{base}/claims/") and url.endswith("?iuv=1")
    path = url.removeprefix(base)

    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "private, no-store"
    body = html.unescape(page.text)
    assert "Add Forklift safety to your wallet" in body
    assert f'data-claim-url="{url}"' in body
    assert "<svg" in body  # the QR code
    lcw = re.search(r'href="(https://lcw\.app/request\.html\?[^"]+)"', body)
    assert lcw is not None
    query = parse_qs(urlsplit(lcw.group(1)).query)
    assert query["auth_type"] == ["bearer"]
    assert query["vc_request_url"][0].endswith("/request")
    assert 'href="openid-credential-offer://?credential_offer_uri=' in body
    with unit_of_work(runtime.sessions) as session:
        claim = session.query(Claim).one()
        tx_code_required = claim.tx_code_required
    if tx_code_required:
        code = re.search(r'data-tx-code="(\d{6})"', body)
        assert code is not None
        assert f"Your wallet will ask for this code: {code.group(1)}" in text
    else:
        assert "data-tx-code" not in body and "ask for this code" not in text

    wallet = client.get(path, headers=JSON)
    assert wallet.status_code == 200
    assert wallet.headers["cache-control"] == "no-store"
    protocols = wallet.json()["protocols"]
    assert protocols["vcapi"] == f"{url.partition('?')[0]}/exchange"
    assert protocols["OID4VCI"].startswith("openid-credential-offer://")


def test_a_used_or_unknown_claim_says_so_to_people_and_wallets(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issue(client, tenant, template_name="First aid", learner="sam")
    deliver_all(runtime)
    url, _ = _claim_url(smtp_server, "sam@example.org")
    path = url.removeprefix(runtime.settings.public_base_url)
    with unit_of_work(runtime.sessions) as session:
        claim = session.query(Claim).one()
        deliver.deliver(session, runtime, claim, holder=None, protocol="test", wallet=None)

    page = client.get(path, headers=HTML)
    assert page.status_code == 400
    assert "This offer was used" in html.unescape(page.text)
    refused = client.get(path, headers=JSON)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"

    forged = path.replace("?iuv=1", "").rstrip("A") + "B"
    assert client.get(forged, headers=HTML).status_code == 404
    assert client.get(forged, headers=JSON).json()["error"] == "invalid_grant"


def test_the_wallet_page_offers_a_wallet_app_for_credentials_in_good_standing(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    kept = issue(client, tenant, template_name="Kept", learner="kim")
    revoked = issue(client, tenant, template_name="Revoked", learner="kim")
    response = client.post(
        f"/api/v1/credentials/{revoked.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    with unit_of_work(runtime.sessions) as session:
        token = links.token_for(runtime.vault, uuid.UUID(kept.learner_id))
    wallet = client.get(f"/wallet/{token}", headers=HTML).text
    forms = re.findall(r'action="([^"]+/claim)"', wallet)
    assert [f.rsplit("/", 2)[-2] for f in forms] == [kept.public_id]

    made = client.post(
        forms[0].removeprefix(runtime.settings.public_base_url), follow_redirects=False
    )
    assert made.status_code == 303
    claim_page = made.headers["location"]
    assert "/claims/" in claim_page
    assert client.get(claim_page, headers=HTML).status_code == 200
    # Asked again, the same open claim: no pile of offers.
    again = client.post(
        forms[0].removeprefix(runtime.settings.public_base_url), follow_redirects=False
    )
    assert again.headers["location"] == claim_page
    # Another learner's token cannot make a claim for it.
    other = issue(client, tenant, template_name="Other", learner="zoe")
    stranger = links.token_for(runtime.vault, uuid.UUID(other.learner_id))
    assert client.post(f"/wallet/{stranger}/credentials/{kept.public_id}/claim").status_code == 404
    with unit_of_work(runtime.sessions) as session:
        assert len(claim_queries.of_credential(session, uuid.UUID(kept.credential_id))) == 1


def test_the_owner_sees_add_to_a_wallet_app_on_the_public_page_only_from_their_wallet(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    issued = issue(client, tenant, template_name="Owned", learner="ola")
    token = links.token_for(runtime.vault, uuid.UUID(issued.learner_id))
    own = f"/wallet/{token}/credentials/{issued.public_id}"
    wallet = client.get(f"/wallet/{token}", headers=HTML).text
    assert f'href="{runtime.settings.public_base_url}{own}"' in wallet

    page = client.get(own, headers=HTML)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert f'action="{runtime.settings.public_base_url}{own}/claim"' in page.text
    # The public page itself offers it to nobody.
    assert "/claim" not in client.get(issued.page, headers=HTML).text
    other = issue(client, tenant, template_name="Not theirs", learner="pat")
    stranger = links.token_for(runtime.vault, uuid.UUID(other.learner_id))
    assert client.get(f"/wallet/{stranger}/credentials/{issued.public_id}").status_code == 404

    client.post(
        f"/api/v1/credentials/{issued.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=tenant.headers,
    )
    assert "/claim" not in client.get(own, headers=HTML).text
