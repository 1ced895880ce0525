"""OpenID4VCI 1.0, pre-authorized code flow: the OpenWallet Foundation's client library takes
credentials from a live Plaudit over HTTP (both formats, both proof types, with and without a
transaction code) and what it gets verifies; then every refusal a wallet can meet carries the
error code the specification names."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, update

from plaudit.app import create_app
from plaudit.claims import links, tokens
from plaudit.claims import service as claims
from plaudit.db import unit_of_work, utcnow
from plaudit.models.award import Credential
from plaudit.models.claim import Claim, ClaimStatus, WalletNotice
from plaudit.openbadges import loader
from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.openbadges.multikey import did_key, did_key_verification_method
from plaudit.runtime import Runtime
from tests.fixtures.claims import offer
from tests.fixtures.databases import make_settings
from tests.fixtures.node import NodeScript
from tests.fixtures.serving import live_plaudit
from tests.fixtures.tenants import Tenant, make_tenant

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
LDP_VC = "OpenBadgeCredential_ldp_vc"
JWT_VC_JSON = "OpenBadgeCredential_jwt_vc_json"
PROOF_TYP = "openid4vci-proof+jwt"
WALLET_SEED = "0a" * 32  # the Node wallet's did:key
HOLDER_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("0b" * 32))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("0c" * 32))


def did_of(key: Ed25519PrivateKey) -> str:
    return did_key(key.public_key().public_bytes_raw())


HOLDER = did_of(HOLDER_KEY)


@dataclass(frozen=True)
class Instance:
    client: TestClient
    runtime: Runtime
    base: str
    tenant: Tenant

    @property
    def issuer(self) -> str:
        return f"{self.base}/orgs/{self.tenant.slug}"

    def path(self, endpoint: str) -> str:
        return f"/orgs/{self.tenant.slug}/{endpoint}"


@dataclass(frozen=True)
class Offer:
    claim_id: Any
    credential_id: Any
    token: str  # the interaction token: the offer is at /claims/<token>/offer
    code: str  # the pre-authorized code
    tx_code: str | None


def _instance(client: TestClient, runtime: Runtime, base: str) -> Instance:
    return Instance(client, runtime, base, make_tenant(runtime))


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[Instance]:
    settings = make_settings(engine, tmp_path, verify_rate_limit="1000/second")
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield _instance(c, runtime, settings.public_base_url)


@pytest.fixture
def live(engine: Engine, tmp_path: Path) -> Iterator[Instance]:
    """Plaudit over real HTTP, for a wallet library that is not a TestClient."""
    with live_plaudit(engine, tmp_path, verify_rate_limit="1000/second") as (c, runtime, base):
        yield _instance(c, runtime, base)


@pytest.fixture(scope="session")
def contexts() -> dict[str, Any]:
    """Plaudit's bundled JSON-LD contexts: all the Node wallet's loader may hand out."""
    return {url: loader.load_context(url) for url in loader.CONTEXTS}


def make_offer(instance: Instance, *, tx_code: bool = False) -> Offer:
    """A credential awarded and signed, and a claim for it; with a transaction code when the
    instance is set so (PLAUDIT_CLAIM_TX_CODE, read when the claim is opened)."""
    # A learner of its own: the rule awards the badge once per learner.
    learner = f"u-{uuid.uuid4().hex[:8]}"
    offered = offer(instance.client, instance.runtime, instance.tenant, learner=learner)
    runtime = instance.runtime
    settings = runtime.settings.model_copy(update={"claim_tx_code": tx_code})
    with unit_of_work(runtime.sessions) as session:
        credential = session.get(Credential, offered.credential_id)
        assert credential is not None
        claim = (
            claims.open_claim(session, settings, credential=credential)
            if tx_code
            else session.get(Claim, offered.claim_id)
        )
        assert claim is not None and claim.tx_code_required is tx_code
        return Offer(
            claim_id=claim.id,
            credential_id=credential.id,
            token=links.token(runtime.vault, claim),
            code=tokens.token_for(runtime.vault, claim.id, purpose=tokens.PRE_AUTHORIZED_CODE),
            tx_code=tokens.tx_code(runtime.vault, claim.id) if tx_code else None,
        )


def stored_claim(runtime: Runtime, claim_id: object) -> Claim:
    with unit_of_work(runtime.sessions) as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        session.expunge(claim)
        return claim


def verify(instance: Instance, credential: dict[str, Any] | str) -> dict[str, Any]:
    return dict(instance.client.post("/api/v1/verify", json={"credential": credential}).json())


# --- the OpenWallet Foundation's client, over HTTP ------------------------------------------


def test_the_openid4vci_client_library_takes_credentials_in_both_formats(
    live: Instance, node_script: NodeScript, contexts: dict[str, Any]
) -> None:
    # Every format with and without a transaction code, and each proof type with each format.
    jobs = [(LDP_VC, "jwt", False), (LDP_VC, "di_vp", True), (JWT_VC_JSON, "jwt", True)]
    jobs.append((JWT_VC_JSON, "di_vp", False))
    offers = [make_offer(live, tx_code=tx) for _, _, tx in jobs]
    output = node_script(
        "oid4vci-wallet.mjs",
        {
            "contexts": contexts,
            "jobs": [
                {
                    "offer": links.offer_link(
                        live.base, live.runtime.vault, stored_claim(live.runtime, o.claim_id)
                    ),
                    "configuration": configuration,
                    "proofType": proof_type,
                    "seed": WALLET_SEED,
                    **({"txCode": o.tx_code} if o.tx_code else {}),
                }
                for (configuration, proof_type, _), o in zip(jobs, offers, strict=True)
            ],
        },
    )
    holder = did_of(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(WALLET_SEED)))
    for (configuration, _, tx), o, result in zip(jobs, offers, output["results"], strict=True):
        assert result["version"] == "V1"  # the library read the metadata as OpenID4VCI 1.0
        assert result["holder"] == holder
        assert result["tokenType"] == "Bearer"
        grant = result["credentialOffer"]["grants"][PRE_AUTHORIZED]
        assert ("tx_code" in grant) is tx
        credential = result["credential"]
        if configuration == LDP_VC:
            assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
            subject = credential["credentialSubject"]
            # Digital Bazaar, in the wallet: the issuer's proof and the status list it fetched.
            assert (result["verified"], result["errors"]) == (True, []), result
        else:
            assert isinstance(credential, str)
            assert jwt.get_unverified_header(credential)["typ"] == "vc+jwt"
            payload = jwt.decode(credential, options={"verify_signature": False})
            assert payload["sub"] == holder
            subject = payload["credentialSubject"]
        assert subject["id"] == holder
        assert verify(live, credential)["valid"] is True
        claim = stored_claim(live.runtime, o.claim_id)
        assert (claim.status, claim.protocol, claim.holder) == (
            ClaimStatus.CLAIMED,
            "oid4vci",
            holder,
        )
        assert claim.notice is WalletNotice.ACCEPTED


# --- the documents a wallet reads -------------------------------------------------------------


def test_the_offer_and_the_metadata_say_what_a_wallet_needs(web: Instance) -> None:
    plain, guarded = make_offer(web), make_offer(web, tx_code=True)
    answer = web.client.get(f"/claims/{plain.token}/offer")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "credential_issuer": web.issuer,
        "credential_configuration_ids": [LDP_VC, JWT_VC_JSON],
        "grants": {PRE_AUTHORIZED: {"pre-authorized_code": plain.code}},
    }
    grant = web.client.get(f"/claims/{guarded.token}/offer").json()["grants"][PRE_AUTHORIZED]
    assert grant["tx_code"]["input_mode"] == "numeric"
    assert grant["tx_code"]["length"] == 6
    assert 0 < len(grant["tx_code"]["description"]) <= 300

    # The offer link a learner scans points at that offer.
    link = links.offer_link(web.base, web.runtime.vault, stored_claim(web.runtime, plain.claim_id))
    assert urlsplit(link).scheme == "openid-credential-offer"
    offer_uri = parse_qs(urlsplit(link).query)["credential_offer_uri"]
    assert offer_uri == [f"{web.base}/claims/{plain.token}/offer"]

    inserted = web.client.get(f"/.well-known/openid-credential-issuer/orgs/{web.tenant.slug}")
    appended = web.client.get(f"/orgs/{web.tenant.slug}/.well-known/openid-credential-issuer")
    metadata = inserted.json()
    assert inserted.status_code == appended.status_code == 200
    assert appended.json() == metadata
    assert metadata["credential_issuer"] == web.issuer
    for name in ("credential", "nonce", "notification"):
        assert metadata[f"{name}_endpoint"] == f"{web.issuer}/{name}"
    assert metadata["display"] == [{"name": "Acme Academy", "locale": "en"}]
    configurations = metadata["credential_configurations_supported"]
    assert list(configurations) == [LDP_VC, JWT_VC_JSON]
    ldp, jwt_vc = configurations[LDP_VC], configurations[JWT_VC_JSON]
    assert ldp["format"] == "ldp_vc" and jwt_vc["format"] == "jwt_vc_json"
    assert ldp["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert ldp["credential_definition"]["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "@context" not in jwt_vc["credential_definition"]
    assert ldp["proof_types_supported"]["jwt"] == {
        "proof_signing_alg_values_supported": ["EdDSA", "ES256"]
    }
    assert (
        "eddsa-rdfc-2022"
        in ldp["proof_types_supported"]["di_vp"]["proof_signing_alg_values_supported"]
    )
    assert ldp["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk", "jwk"]

    server = web.client.get(f"/.well-known/oauth-authorization-server/orgs/{web.tenant.slug}")
    assert server.json() == {
        "issuer": web.issuer,
        "token_endpoint": f"{web.issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }
    assert web.client.get("/.well-known/openid-credential-issuer/orgs/nobody").status_code == 404


# --- helpers for the refusals -----------------------------------------------------------------


def oauth_error(response: Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert response.headers["cache-control"] == "no-store"
    return body


def token(instance: Instance, code: str, tx_code: str | None = None, **extra: str) -> Response:
    form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code, **extra}
    if tx_code is not None:
        form["tx_code"] = tx_code
    return instance.client.post(instance.path("token"), data=form)


def access_token(instance: Instance, o: Offer) -> str:
    answer = token(instance, o.code, o.tx_code)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def new_nonce(instance: Instance) -> str:
    answer = instance.client.post(instance.path("nonce"))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    return str(answer.json()["c_nonce"])


def jwt_proof(
    instance: Instance,
    nonce: str | None,
    *,
    key: Any = HOLDER_KEY,
    kid: str | None = None,
    jwk: dict[str, Any] | None = None,
    alg: str = "EdDSA",
    aud: str | None = None,
) -> str:
    payload: dict[str, Any] = {"aud": aud or instance.issuer, "iat": int(time.time())}
    if nonce is not None:
        payload["nonce"] = nonce
    headers: dict[str, Any] = {"typ": PROOF_TYP}
    if jwk is not None:
        headers["jwk"] = jwk
    else:
        headers["kid"] = kid or did_key_verification_method(HOLDER)
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def request_credential(
    instance: Instance,
    bearer: str,
    body: dict[str, Any] | None = None,
    *,
    proof: str | None = None,
    configuration: str = LDP_VC,
) -> Response:
    if body is None:
        body = {"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}}
    return instance.client.post(
        instance.path("credential"), json=body, headers={"Authorization": f"Bearer {bearer}"}
    )


def di_vp(instance: Instance, nonce: str, *, domain: str | None = None) -> dict[str, Any]:
    return sign_rdfc(
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiablePresentation"]},
        private_key=HOLDER_KEY,
        verification_method=did_key_verification_method(HOLDER),
        created="2026-01-01T00:00:00Z",
        proof_purpose="authentication",
        options={"challenge": nonce, "domain": domain or instance.issuer},
    )


# --- refusals, with the codes of RFC 6749 §5.2 and OpenID4VCI §6.3, §8.3.1, §11.3 --------------


def test_a_pre_authorized_code_is_good_once(web: Instance) -> None:
    o = make_offer(web)
    first = token(web, o.code)
    assert first.status_code == 200
    body = first.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", claims.ACCESS_TOKEN_SECONDS)
    assert first.headers["cache-control"] == "no-store"
    oauth_error(token(web, o.code), 400, "invalid_grant")
    oauth_error(token(web, "not-a-code"), 400, "invalid_grant")
    # A code is good at its own organization's token endpoint only.
    elsewhere = Instance(web.client, web.runtime, web.base, make_tenant(web.runtime))
    oauth_error(token(elsewhere, make_offer(web).code), 400, "invalid_grant")


def test_malformed_token_requests(web: Instance) -> None:
    o = make_offer(web)
    oauth_error(token(web, o.code, grant_type="authorization_code"), 400, "unsupported_grant_type")
    oauth_error(
        web.client.post(web.path("token"), data={"pre-authorized_code": o.code}),
        400,
        "invalid_request",
    )
    oauth_error(
        web.client.post(web.path("token"), json={"grant_type": PRE_AUTHORIZED}),
        400,
        "invalid_request",
    )
    oauth_error(token(web, o.code, tx_code="123456"), 400, "invalid_request")  # none expected
    repeated = f"grant_type={PRE_AUTHORIZED}&pre-authorized_code={o.code}&pre-authorized_code=x"
    oauth_error(
        web.client.post(
            web.path("token"),
            content=repeated,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        400,
        "invalid_request",
    )
    # None of these used the code.
    assert token(web, o.code).status_code == 200


def test_a_wrong_transaction_code_counts_and_the_sixth_try_is_refused(web: Instance) -> None:
    o = make_offer(web, tx_code=True)
    assert o.tx_code is not None
    wrong = str((int(o.tx_code) + 1) % 10**6).zfill(6)
    # A missing code is a malformed request, not a guess: it is not counted.
    oauth_error(token(web, o.code), 400, "invalid_request")
    for _ in range(claims.TX_CODE_ATTEMPTS):
        oauth_error(token(web, o.code, wrong), 400, "invalid_grant")
    # Each wrong code was committed although the answer was an error.
    assert stored_claim(web.runtime, o.claim_id).tx_code_failures == claims.TX_CODE_ATTEMPTS
    body = oauth_error(token(web, o.code, o.tx_code), 400, "invalid_grant")
    assert "Too many" in body["error_description"]


def test_an_expired_claim_and_a_revoked_credential_are_refused(web: Instance) -> None:
    expired, revoked, later = make_offer(web), make_offer(web), make_offer(web)
    with unit_of_work(web.runtime.sessions) as session:
        session.execute(
            update(Claim)
            .where(Claim.id == expired.claim_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    oauth_error(web.client.get(f"/claims/{expired.token}/offer"), 400, "invalid_grant")
    oauth_error(token(web, expired.code), 400, "invalid_grant")

    bearer = access_token(web, later)  # taken before its credential is revoked
    for o in (revoked, later):
        response = web.client.post(
            f"/api/v1/credentials/{o.credential_id}/revoke",
            json={"reason": "issued in error"},
            headers=web.tenant.headers,
        )
        assert response.status_code == 200, response.text
    oauth_error(token(web, revoked.code), 400, "invalid_grant")
    denied = request_credential(web, bearer, proof=jwt_proof(web, new_nonce(web)))
    assert "revoked" in oauth_error(denied, 400, "credential_request_denied")["error_description"]
    oauth_error(web.client.get("/claims/unknown/offer"), 404, "invalid_grant")


def test_a_nonce_is_good_for_one_credential(web: Instance) -> None:
    first, second = make_offer(web), make_offer(web)
    nonce = new_nonce(web)
    issued = request_credential(web, access_token(web, first), proof=jwt_proof(web, nonce))
    assert issued.status_code == 200, issued.text
    assert issued.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == HOLDER
    bearer = access_token(web, second)
    oauth_error(request_credential(web, bearer, proof=jwt_proof(web, nonce)), 400, "invalid_nonce")
    oauth_error(
        request_credential(web, bearer, proof=jwt_proof(web, "made-up")), 400, "invalid_nonce"
    )
    # Refused for its nonce, the claim is still open: a fresh nonce gets the credential.
    again = request_credential(web, bearer, proof=jwt_proof(web, new_nonce(web)))
    assert again.status_code == 200, again.text


def test_a_proof_must_be_signed_by_its_key_for_this_issuer(web: Instance) -> None:
    bearer = access_token(web, make_offer(web))
    cases = {
        "another key than its kid": jwt_proof(web, new_nonce(web), key=OTHER_KEY),
        "another audience": jwt_proof(web, new_nonce(web), aud="https://elsewhere.example"),
        "no nonce": jwt_proof(web, None),
        "a kid that is no DID": jwt_proof(web, new_nonce(web), kid="key-1"),
        "a private key in its jwk": jwt_proof(
            web, new_nonce(web), jwk={"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}
        ),
    }
    for case, proof in cases.items():
        response = request_credential(web, bearer, proof=proof)
        assert response.status_code == 400, case
        assert response.json()["error"] == "invalid_proof", (case, response.json())
    wrong_type = jwt.encode(
        {"aud": web.issuer, "iat": int(time.time()), "nonce": new_nonce(web)},
        HOLDER_KEY,
        algorithm="EdDSA",
        headers={"kid": did_key_verification_method(HOLDER)},  # typ JWT
    )
    oauth_error(request_credential(web, bearer, proof=wrong_type), 400, "invalid_proof")
    other_domain = di_vp(web, new_nonce(web), domain="https://elsewhere.example")
    body = {"credential_configuration_id": LDP_VC, "proofs": {"di_vp": [other_domain]}}
    oauth_error(request_credential(web, bearer, body), 400, "invalid_proof")
    missing = {"credential_configuration_id": LDP_VC}
    oauth_error(request_credential(web, bearer, missing), 400, "invalid_proof")
    unknown = request_credential(web, bearer, configuration="mDL", proof=jwt_proof(web, "n"))
    oauth_error(unknown, 400, "unknown_credential_configuration")
    oauth_error(request_credential(web, bearer, {"proofs": {}}), 400, "invalid_credential_request")
    # After all that, the right proof still gets the credential.
    good = di_vp(web, new_nonce(web))
    body = {"credential_configuration_id": LDP_VC, "proofs": {"di_vp": [good]}}
    issued = request_credential(web, bearer, body)
    assert issued.status_code == 200, issued.text
    assert issued.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == HOLDER


def test_a_bare_p256_key_binds_the_credential_to_its_did_jwk(web: Instance) -> None:
    """ES256 with a jwk header (no DID): bound to the did:jwk of that key; the single `proof`
    object of earlier drafts is read the same way."""
    key = generate_private_key(SECP256R1())
    public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    proof = jwt_proof(web, new_nonce(web), key=key, jwk=public, alg="ES256")
    body = {
        "credential_configuration_id": JWT_VC_JSON,
        "proof": {"proof_type": "jwt", "jwt": proof},
    }
    issued = request_credential(web, access_token(web, make_offer(web)), body)
    assert issued.status_code == 200, issued.text
    credential = issued.json()["credentials"][0]["credential"]
    subject = jwt.decode(credential, options={"verify_signature": False})["credentialSubject"]
    # The public members in RFC 7638's order, compact: one key, one DID.
    members = json.dumps({k: public[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    expected = "did:jwk:" + base64.urlsafe_b64encode(members.encode()).rstrip(b"=").decode()
    assert subject["id"] == expected
    assert verify(web, credential)["valid"] is True


def test_a_bad_access_token_is_refused_as_rfc_6750_says(web: Instance) -> None:
    proof = jwt_proof(web, new_nonce(web))
    for bearer in ("made-up", ""):
        response = request_credential(web, bearer, proof=proof)
        oauth_error(response, 401, "invalid_token")
        assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    no_header = web.client.post(web.path("credential"), json={})
    oauth_error(no_header, 401, "invalid_token")
    notified = web.client.post(
        web.path("notification"),
        json={"notification_id": "x", "event": "credential_accepted"},
        headers={"Authorization": "Bearer made-up"},
    )
    oauth_error(notified, 401, "invalid_token")
    # A token is good at its own organization only.
    bearer = access_token(web, make_offer(web))
    elsewhere = Instance(web.client, web.runtime, web.base, make_tenant(web.runtime))
    oauth_error(request_credential(elsewhere, bearer, proof=proof), 401, "invalid_token")


def test_notifications_are_recorded_and_checked(web: Instance) -> None:
    o = make_offer(web)
    bearer = access_token(web, o)
    issued = request_credential(web, bearer, proof=jwt_proof(web, new_nonce(web)))
    notification_id = issued.json()["notification_id"]

    def notify(body: dict[str, Any]) -> Response:
        headers = {"Authorization": f"Bearer {bearer}"}
        return web.client.post(web.path("notification"), json=body, headers=headers)

    wrong_id = notify({"notification_id": "other", "event": "credential_accepted"})
    oauth_error(wrong_id, 400, "invalid_notification_id")
    bad_event = notify({"notification_id": notification_id, "event": "credential_lost"})
    oauth_error(bad_event, 400, "invalid_notification_request")
    for _ in range(2):  # idempotent
        assert (
            notify({"notification_id": notification_id, "event": "credential_deleted"}).status_code
            == 204
        )
    assert stored_claim(web.runtime, o.claim_id).notice is WalletNotice.DELETED
