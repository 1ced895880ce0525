"""Claims: one-time steps taken once (across sessions), refusals with the right OAuth codes,
and the holder-bound copy of a credential that verifies and shares the original's status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from plaudit.app import create_app
from plaudit.claims import links, tokens
from plaudit.claims import service as claims
from plaudit.db import unit_of_work, utcnow
from plaudit.models.claim import Claim, ClaimStatus
from plaudit.openbadges.multikey import did_key
from plaudit.runtime import Runtime
from plaudit.wallets import deliver
from tests.fixtures.claims import Offered, offer
from tests.fixtures.databases import make_settings
from tests.fixtures.tenants import Tenant, make_tenant

HOLDER = did_key(Ed25519PrivateKey.generate().public_key().public_bytes_raw())


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    settings = make_settings(engine, tmp_path, verify_rate_limit="1000/second")
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


@pytest.fixture
def tenant(web: tuple[TestClient, Runtime]) -> Tenant:
    return make_tenant(web[1])


@pytest.fixture
def offered(web: tuple[TestClient, Runtime], tenant: Tenant) -> Offered:
    return offer(web[0], web[1], tenant)


def _claim(runtime: Runtime, offered: Offered) -> Claim:
    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, offered.claim_id)
        assert claim is not None
        session.expunge(claim)
        return claim


def test_each_token_is_good_for_its_own_purpose_only(
    web: tuple[TestClient, Runtime], offered: Offered
) -> None:
    vault = web[1].vault
    assert tokens.claim_of(vault, offered.token, purpose=tokens.INTERACTION) == offered.claim_id
    assert tokens.claim_of(vault, offered.token, purpose=tokens.PRE_AUTHORIZED_CODE) is None
    forged = offered.token[:-2] + ("AA" if not offered.token.endswith("AA") else "BB")
    assert tokens.claim_of(vault, forged, purpose=tokens.INTERACTION) is None
    assert tokens.claim_of(vault, "not a token", purpose=tokens.INTERACTION) is None
    assert len(tokens.tx_code(vault, offered.claim_id)) == 6


def test_a_pre_authorized_code_buys_one_access_token_once(
    web: tuple[TestClient, Runtime], offered: Offered
) -> None:
    runtime = web[1]
    code = tokens.token_for(runtime.vault, offered.claim_id, purpose=tokens.PRE_AUTHORIZED_CODE)
    with unit_of_work(runtime.sessions) as session:
        claim, access = claims.redeem_code(session, runtime.vault, code=code, tx_code=None)
        assert claims.by_access_token(session, access).id == claim.id
    with unit_of_work(runtime.sessions) as session, pytest.raises(claims.ClaimRefused) as refused:
        claims.redeem_code(session, runtime.vault, code=code, tx_code=None)
    assert refused.value.error == "invalid_grant"
    with unit_of_work(runtime.sessions) as session, pytest.raises(claims.ClaimRefused) as refused:
        claims.by_access_token(session, "made-up")
    assert (refused.value.error, refused.value.status) == ("invalid_token", 401)


def test_a_nonce_is_good_once(web: tuple[TestClient, Runtime]) -> None:
    runtime = web[1]
    with unit_of_work(runtime.sessions) as session:
        nonce, seconds = claims.new_nonce(session)
    assert seconds > 0
    with unit_of_work(runtime.sessions) as session:
        assert claims.use_nonce(session, nonce) is True
    with unit_of_work(runtime.sessions) as session:
        assert claims.use_nonce(session, nonce) is False
        assert claims.use_nonce(session, "never-issued") is False


def test_delivering_binds_the_credential_to_the_holder_and_uses_the_claim(
    web: tuple[TestClient, Runtime], offered: Offered
) -> None:
    client, runtime = web
    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, offered.claim_id)
        assert claim is not None
        document, notification_id = deliver.deliver(
            session, runtime, claim, holder=HOLDER, protocol=deliver.VCAPI, wallet="test"
        )
    assert isinstance(document, dict)
    assert document["credentialSubject"]["id"] == HOLDER
    original = client.get(f"/credentials/{offered.public_id}").json()
    # The same credential: id, dates and status entry kept, so revoking it reaches this copy.
    for name in ("id", "validFrom", "credentialStatus", "issuer"):
        assert document[name] == original[name]
    result = client.post("/api/v1/verify", json={"credential": document}).json()
    assert result["valid"] is True, result
    assert notification_id
    assert _claim(runtime, offered).status is ClaimStatus.CLAIMED

    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, offered.claim_id)
        assert claim is not None
        with pytest.raises(claims.ClaimRefused) as refused:
            deliver.deliver(session, runtime, claim, holder=None, protocol="x", wallet=None)
    assert "used already" in refused.value.description


@pytest.mark.parametrize("how", ["expired", "withdrawn", "credential revoked"])
def test_a_claim_that_cannot_be_taken_says_why(
    web: tuple[TestClient, Runtime], tenant: Tenant, offered: Offered, how: str
) -> None:
    client, runtime = web
    if how == "credential revoked":
        response = client.post(
            f"/api/v1/credentials/{offered.credential_id}/revoke",
            json={"reason": "issued in error"},
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
    with unit_of_work(runtime.sessions) as session:
        if how == "expired":
            session.execute(
                update(Claim)
                .where(Claim.id == offered.claim_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        claim = session.get(Claim, offered.claim_id)
        assert claim is not None
        if how == "withdrawn":
            claims.revoke(session, claim)
    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, offered.claim_id)
        with pytest.raises(claims.ClaimRefused) as refused:
            claims.claimable(session, claim)
    words = {"expired": "expired", "withdrawn": "withdrawn", "credential revoked": "revoked"}
    assert words[how] in refused.value.description
    assert refused.value.error == "invalid_grant"


def test_the_interaction_url_and_links_name_the_same_claim(
    web: tuple[TestClient, Runtime], offered: Offered
) -> None:
    runtime = web[1]
    claim = _claim(runtime, offered)
    base = runtime.settings.public_base_url
    protocols = links.protocols(base, runtime.vault, claim)
    assert protocols["vcapi"] == f"{base}/claims/{offered.token}/exchange"
    assert protocols["OID4VCI"].startswith("openid-credential-offer://?credential_offer_uri=")
    assert offered.interaction_url == f"{base}/claims/{offered.token}?iuv=1"
    assert "vc_request_url=" in links.lcw_link(base, runtime.vault, claim)
