"""Claiming a credential with a DID: the VC API exchange (VCALM) and the Learner Credential
Wallet's request link. A wallet made of Digital Bazaar's libraries does both over real HTTP and
checks what it gets; then every way a claim must be refused is refused, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from plaudit.app import create_app
from plaudit.claims import links, tokens
from plaudit.db import unit_of_work, utcnow
from plaudit.models.claim import Claim, ClaimStatus
from plaudit.openbadges import loader
from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.openbadges.multikey import did_key, did_key_verification_method
from plaudit.runtime import Runtime
from tests.fixtures.claims import Offered, offer
from tests.fixtures.databases import make_settings
from tests.fixtures.node import NodeScript
from tests.fixtures.problems import assert_problem
from tests.fixtures.serving import live_plaudit
from tests.fixtures.tenants import Tenant, make_tenant

VC2 = "https://www.w3.org/ns/credentials/v2"
VC1 = "https://www.w3.org/2018/credentials/v1"
WALLET_SEED = "07" * 32  # the Node wallet's did:key
HOLDER_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("08" * 32))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("09" * 32))
USER_AGENT = "LearnerCredentialWallet/2.1.2 (test)"


def did_of(key: Ed25519PrivateKey) -> str:
    return did_key(key.public_key().public_bytes_raw())


HOLDER = did_of(HOLDER_KEY)


@dataclass(frozen=True)
class Instance:
    client: TestClient
    runtime: Runtime
    base: str

    @property
    def domain(self) -> str:
        return urlsplit(self.base).netloc


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[Instance]:
    settings = make_settings(engine, tmp_path, verify_rate_limit="1000/second")
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield Instance(c, runtime, settings.public_base_url)


@pytest.fixture
def live(engine: Engine, tmp_path: Path) -> Iterator[Instance]:
    """The same over real HTTP, for a wallet that is not a TestClient."""
    with live_plaudit(engine, tmp_path, verify_rate_limit="1000/second") as (c, runtime, base):
        yield Instance(c, runtime, base)


@pytest.fixture(scope="session")
def contexts() -> dict[str, Any]:
    """Plaudit's bundled JSON-LD contexts: all the Node wallet's loader may hand out."""
    return {url: loader.load_context(url) for url in loader.CONTEXTS}


def _claim(runtime: Runtime, claim_id: object) -> Claim:
    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        session.expunge(claim)
        return claim


def challenge_of(instance: Instance, offered: Offered) -> str:
    return tokens.challenge(instance.runtime.vault, offered.claim_id)


def did_auth(
    *,
    challenge: str,
    domain: str | None,
    key: Ed25519PrivateKey = HOLDER_KEY,
    holder: str | None = HOLDER,
    context: str = VC2,
) -> dict[str, Any]:
    """A DID-authentication presentation, signed as a wallet signs it (eddsa-rdfc-2022)."""
    presentation: dict[str, Any] = {"@context": [context], "type": ["VerifiablePresentation"]}
    if context == VC1:
        presentation["@context"].append("https://w3id.org/security/data-integrity/v2")
    if holder is not None:
        presentation["holder"] = holder
    options = {"challenge": challenge, **({"domain": domain} if domain is not None else {})}
    return sign_rdfc(
        presentation,
        private_key=key,
        verification_method=did_key_verification_method(did_of(key)),
        created="2026-01-01T00:00:00Z",
        proof_purpose="authentication",
        options=options,
    )


def exchange(instance: Instance, offered: Offered, body: Any = None, **kw: Any) -> Any:
    return instance.client.post(f"/claims/{offered.token}/exchange", json=body, **kw)


def verify(instance: Instance, credential: dict[str, Any]) -> dict[str, Any]:
    body = instance.client.post("/api/v1/verify", json={"credential": credential}).json()
    return dict(body)


def status_check(result: dict[str, Any]) -> dict[str, Any]:
    return dict(next(c for c in result["checks"] if c["name"] == "status"))


# --- a Digital Bazaar wallet over HTTP ------------------------------------------------------


def test_a_digital_bazaar_wallet_claims_through_the_vc_api_exchange(
    live: Instance, node_script: NodeScript, contexts: dict[str, Any]
) -> None:
    offered = offer(live.client, live.runtime, make_tenant(live.runtime))
    output = node_script(
        "lcw-wallet.mjs",
        {
            "mode": "vcapi",
            "interactionUrl": offered.interaction_url,
            "seed": WALLET_SEED,
            "contexts": contexts,
            "userAgent": USER_AGENT,
        },
    )
    protocols, started, finished = output["exchanges"]
    assert [e["status"] for e in output["exchanges"]] == [200, 200, 200], output["exchanges"]
    exchange_url = f"{live.base}/claims/{offered.token}/exchange"
    assert protocols["body"]["protocols"]["vcapi"] == exchange_url
    request = started["body"]["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert {"method": "key"} in request["query"][0]["acceptedMethods"]
    assert request["challenge"] == challenge_of(live, offered)
    assert request["domain"] == live.domain
    assert request["interact"]["service"][0]["serviceEndpoint"] == exchange_url
    answer = finished["body"]["verifiablePresentation"]
    assert answer["type"] == ["VerifiablePresentation"]

    # The credential is bound to the DID the wallet proved, and verifies on both sides: in the
    # wallet (Digital Bazaar: the issuer's proof and the status list it fetched) and in Plaudit.
    [credential] = output["credentials"]
    assert answer["verifiableCredential"] == [credential]
    assert credential["credentialSubject"]["id"] == output["did"]
    assert output["verified"] == [{"verified": True, "errors": [], "status": True}]
    assert verify(live, credential)["valid"] is True

    claim = _claim(live.runtime, offered.claim_id)
    assert claim.status is ClaimStatus.CLAIMED
    assert (claim.protocol, claim.holder, claim.wallet) == ("vcapi", output["did"], USER_AGENT)


def test_the_learner_credential_wallets_request_link_completes(
    live: Instance, node_script: NodeScript, contexts: dict[str, Any]
) -> None:
    offered = offer(live.client, live.runtime, make_tenant(live.runtime))
    claim = _claim(live.runtime, offered.claim_id)
    link = links.lcw_link(live.base, live.runtime.vault, claim)
    # As the LCW does it: a VC 1.1 presentation with the link's challenge and no domain, posted
    # bare to vc_request_url, without an Authorization header.
    output = node_script(
        "lcw-wallet.mjs",
        {
            "mode": "request",
            "lcwLink": link,
            "seed": WALLET_SEED,
            "contexts": contexts,
            "userAgent": USER_AGENT,
            "version": 1.0,
        },
    )
    [posted] = output["exchanges"]
    assert posted["url"] == f"{live.base}/claims/{offered.token}/request"
    assert posted["status"] == 200, posted
    [credential] = output["credentials"]
    assert posted["body"] == credential
    assert credential["credentialSubject"]["id"] == output["did"]
    assert output["verified"] == [{"verified": True, "errors": [], "status": True}]
    assert verify(live, credential)["valid"] is True
    claim = _claim(live.runtime, offered.claim_id)
    assert (claim.status, claim.protocol, claim.holder) == (
        ClaimStatus.CLAIMED,
        "lcw-request",
        output["did"],
    )


# --- the request link's bearer challenge ------------------------------------------------------


@pytest.fixture
def tenant(web: Instance) -> Tenant:
    return make_tenant(web.runtime)


@pytest.fixture
def offered(web: Instance, tenant: Tenant) -> Offered:
    return offer(web.client, web.runtime, tenant)


def test_the_request_link_takes_the_challenge_as_a_bearer_token_and_a_wrapped_presentation(
    web: Instance, offered: Offered
) -> None:
    challenge = challenge_of(web, offered)
    link = links.lcw_link(web.base, web.runtime.vault, _claim(web.runtime, offered.claim_id))
    assert parse_qs(urlsplit(link).query)["challenge"] == [challenge]
    url = f"/claims/{offered.token}/request"
    presentation = did_auth(challenge=challenge, domain=None)

    wrong = web.client.post(url, json=presentation, headers={"Authorization": "Bearer nope"})
    problem = assert_problem(wrong, 401)
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert "challenge" in str(problem["detail"])
    other_scheme = web.client.post(
        url, json=presentation, headers={"Authorization": f"Basic {challenge}"}
    )
    assert_problem(other_scheme, 401)
    assert _claim(web.runtime, offered.claim_id).status is ClaimStatus.OPEN

    response = web.client.post(
        url,
        json={"verifiablePresentation": presentation},
        headers={"Authorization": f"Bearer {challenge}", "User-Agent": "  My  Wallet "},
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["credentialSubject"]["id"] == HOLDER
    assert _claim(web.runtime, offered.claim_id).wallet == "My Wallet"


# --- refusals ---------------------------------------------------------------------------------


def test_an_exchange_starts_with_a_did_authentication_request(
    web: Instance, offered: Offered
) -> None:
    bodies: tuple[dict[str, Any] | None, ...] = (None, {})  # no body at all, and {}
    for body in bodies:
        response = exchange(web, offered, body)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        request = response.json()["verifiablePresentationRequest"]
        assert request["challenge"] == challenge_of(web, offered)
        assert request["domain"] == web.domain
    problem = assert_problem(exchange(web, offered, {"verifiablePresentationRequest": {}}), 400)
    assert "verifiablePresentationRequest" in str(problem["detail"])


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("wrong challenge", "challenge"),
        ("wrong domain", "not to"),
        ("another key than the holder's", "not of its holder"),
        ("no holder", "no holder"),
        ("unsigned", "not signed"),
        ("not a DID we resolve", "is not a did:key"),
        ("signed for assertion", "authentication"),
    ],
)
def test_a_presentation_that_does_not_authenticate_the_holder_is_refused(
    web: Instance, offered: Offered, name: str, words: str
) -> None:
    challenge = challenge_of(web, offered)
    presentation: dict[str, Any]
    if name == "wrong challenge":
        presentation = did_auth(challenge="another-challenge", domain=web.domain)
    elif name == "wrong domain":
        presentation = did_auth(challenge=challenge, domain="elsewhere.example")
    elif name == "another key than the holder's":
        presentation = did_auth(challenge=challenge, domain=web.domain, key=OTHER_KEY)
    elif name == "no holder":
        presentation = did_auth(challenge=challenge, domain=web.domain, holder=None)
    elif name == "unsigned":
        presentation = {"@context": [VC2], "type": ["VerifiablePresentation"], "holder": HOLDER}
    elif name == "not a DID we resolve":
        presentation = did_auth(challenge=challenge, domain=web.domain, holder="did:example:1")
    else:
        presentation = sign_rdfc(
            {"@context": [VC2], "type": ["VerifiablePresentation"], "holder": HOLDER},
            private_key=HOLDER_KEY,
            verification_method=did_key_verification_method(HOLDER),
            created="2026-01-01T00:00:00Z",
            options={"challenge": challenge, "domain": web.domain},
        )
    problem = assert_problem(exchange(web, offered, {"verifiablePresentation": presentation}), 400)
    assert problem["type"] == "https://plaudit.dev/problems/did-authentication-failed"
    assert words in str(problem["detail"]), problem
    # Nothing was taken: the right presentation still claims.
    assert _claim(web.runtime, offered.claim_id).status is ClaimStatus.OPEN
    good = did_auth(challenge=challenge, domain=web.domain)
    assert exchange(web, offered, {"verifiablePresentation": good}).status_code == 200


def test_a_claim_is_taken_once(web: Instance, offered: Offered) -> None:
    body = {"verifiablePresentation": did_auth(challenge=challenge_of(web, offered), domain=None)}
    # The exchange gave a domain: a presentation bound to none is refused there...
    assert "bound to no domain" in str(assert_problem(exchange(web, offered, body), 400)["detail"])
    body = {
        "verifiablePresentation": did_auth(challenge=challenge_of(web, offered), domain=web.domain)
    }
    first = exchange(web, offered, body)
    assert first.status_code == 200, first.text
    [credential] = first.json()["verifiablePresentation"]["verifiableCredential"]
    assert credential["credentialSubject"]["id"] == HOLDER
    for replay in (exchange(web, offered, body), exchange(web, offered, {})):
        problem = assert_problem(replay, 400)
        assert problem["type"] == "https://plaudit.dev/problems/claim-unavailable"
        assert "used already" in str(problem["detail"])
        assert problem["error"] == "invalid_grant"
    request = web.client.post(f"/claims/{offered.token}/request", json=body)
    assert "used already" in str(assert_problem(request, 400)["detail"])


@pytest.mark.parametrize("how", ["expired", "credential revoked"])
def test_a_claim_that_cannot_be_taken_is_refused(
    web: Instance, tenant: Tenant, offered: Offered, how: str
) -> None:
    if how == "expired":
        with unit_of_work(web.runtime.sessions) as session:
            session.execute(
                update(Claim)
                .where(Claim.id == offered.claim_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
    else:
        revoked = web.client.post(
            f"/api/v1/credentials/{offered.credential_id}/revoke",
            json={"reason": "issued in error"},
            headers=tenant.headers,
        )
        assert revoked.status_code == 200, revoked.text
    word = "expired" if how == "expired" else "revoked"
    presentation = did_auth(challenge=challenge_of(web, offered), domain=web.domain)
    for body in ({}, {"verifiablePresentation": presentation}):
        assert word in str(assert_problem(exchange(web, offered, body), 400)["detail"])
    request = web.client.post(f"/claims/{offered.token}/request", json=presentation)
    assert word in str(assert_problem(request, 400)["detail"])
    assert _claim(web.runtime, offered.claim_id).status is ClaimStatus.OPEN


def test_only_a_genuine_token_reaches_a_claim(web: Instance, offered: Offered) -> None:
    other = offer(web.client, web.runtime, make_tenant(web.runtime, name="Other College"))
    ours_id, _, ours_mac = offered.token.partition(".")
    theirs_id, _, theirs_mac = other.token.partition(".")
    pre_authorized = tokens.token_for(
        web.runtime.vault, offered.claim_id, purpose=tokens.PRE_AUTHORIZED_CODE
    )
    forged = [
        f"{theirs_id}.{ours_mac}",  # their claim, our token's signature
        f"{ours_id}.{theirs_mac}",
        f"{theirs_id}.{'A' * len(theirs_mac)}",
        pre_authorized,  # a genuine token, for another purpose
        "not-a-token",
    ]
    presentation = did_auth(challenge=challenge_of(web, other), domain=web.domain)
    for token in forged:
        for path in ("exchange", "request"):
            body = {"verifiablePresentation": presentation}
            response = web.client.post(f"/claims/{token}/{path}", json=body)
            problem = assert_problem(response, 404)
            assert "does not exist" in str(problem["detail"])
    assert _claim(web.runtime, other.claim_id).status is ClaimStatus.OPEN


def test_revoking_a_claimed_credential_shows_on_the_holder_bound_copy(
    web: Instance, tenant: Tenant, offered: Offered
) -> None:
    presentation = did_auth(challenge=challenge_of(web, offered), domain=web.domain)
    answer = exchange(web, offered, {"verifiablePresentation": presentation})
    [credential] = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert verify(web, credential)["valid"] is True

    revoked = web.client.post(
        f"/api/v1/credentials/{offered.credential_id}/revoke",
        json={"reason": "issued in error"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    result = verify(web, credential)
    assert result["valid"] is False
    status = status_check(result)
    assert status["verdict"] == "failed", status
    assert "revoked" in status["message"].lower(), status


def test_a_vc_1_1_presentation_authenticates_as_older_wallets_sign_it(
    web: Instance, offered: Offered
) -> None:
    presentation = did_auth(challenge=challenge_of(web, offered), domain=None, context=VC1)
    response = web.client.post(f"/claims/{offered.token}/request", json=presentation)
    assert response.status_code == 200, response.text
    assert response.json()["credentialSubject"]["id"] == HOLDER
