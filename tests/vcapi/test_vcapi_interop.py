"""The VC API with Digital Bazaar's JavaScript stack and panva's jose, both ways: Plaudit verifies
what they sign (credentials, proof sets and chains, presentations, VC-JWTs), and they verify what
Plaudit issues."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.models.apikey import Scope
from plaudit.openbadges import credential as ob
from plaudit.openbadges import loader, multikey
from plaudit.openbadges.jose import public_jwk
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings
from tests.fixtures.node import NodeScript
from tests.fixtures.tenants import Tenant, make_tenant

BASE = "https://plaudit.example"
VC2 = "https://www.w3.org/ns/credentials/v2"
RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
# Fixed seeds, so that the did:keys are the same on every run: the issuer of what Digital Bazaar
# signs, a second signer (proof sets and chains), and the holder who presents.
ISSUER_SEED = "01" * 32
WITNESS_SEED = "02" * 32
HOLDER_SEED = "03" * 32
CHALLENGE = "c-123"
DOMAIN = "plaudit.example"
ENVELOPED_JWT = "data:application/vc+jwt,"


def did_key(seed: str) -> str:
    public = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).public_key()
    return multikey.did_key(public.public_bytes_raw())


ISSUER = did_key(ISSUER_SEED)


@pytest.fixture
def web(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    """An instance with an https base URL: issuers are did:web, RS256 can be signed."""
    settings = make_settings(
        engine, tmp_path, public_base_url=BASE, verify_rate_limit="1000/second"
    )
    runtime = Runtime(settings=settings, engine=engine)
    with TestClient(create_app(settings, runtime=runtime), raise_server_exceptions=False) as c:
        yield c, runtime


@pytest.fixture
def client(web: tuple[TestClient, Runtime]) -> TestClient:
    return web[0]


@pytest.fixture
def tenant(web: tuple[TestClient, Runtime]) -> Tenant:
    return make_tenant(web[1], scopes=[Scope.ISSUE])


@pytest.fixture(scope="session")
def contexts() -> dict[str, Any]:
    """Plaudit's bundled JSON-LD contexts: all the Node scripts' loader may hand out."""
    return {url: loader.load_context(url) for url in loader.CONTEXTS}


def open_badge(issuer: str) -> dict[str, Any]:
    """An unsigned Open Badges 3.0 credential."""
    return ob.build_credential(
        ob.CredentialData(
            id=f"urn:uuid:{uuid.uuid4()}",
            issuer=ob.Issuer(id=issuer, name="Acme Academy"),
            achievement=ob.Achievement(
                id="https://acme.example/achievements/1",
                name="Interoperable",
                description="Signed by one library, verified by another.",
            ),
            valid_from=datetime(2026, 1, 1, tzinfo=UTC),
            recipient_email="ada@example.org",
            recipient_salt="salt",
        )
    )


def plain_vc(issuer: str) -> dict[str, Any]:
    """An unsigned VC 2.0 credential that is not an Open Badge."""
    return {
        "@context": [VC2, "https://www.w3.org/ns/credentials/examples/v2"],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ExampleAlumniCredential"],
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "alumniOf": "The School of Examples",
        },
    }


def tampered(signed: dict[str, Any]) -> dict[str, Any]:
    """`signed` with one claim changed after signing."""
    forged = copy.deepcopy(signed)
    subject = forged["credentialSubject"]
    if "achievement" in subject:
        subject["achievement"]["name"] = "Something else"
    else:
        subject["alumniOf"] = "Another School"
    return forged


def issuer_of(document: dict[str, Any]) -> str:
    issuer = document["issuer"]
    return str(issuer["id"] if isinstance(issuer, dict) else issuer)


def verify(client: TestClient, credential: Any) -> tuple[int, dict[str, Any]]:
    response = client.post("/credentials/verify", json={"verifiableCredential": credential})
    return response.status_code, dict(response.json())


def verify_presentation(
    client: TestClient, presentation: dict[str, Any], options: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"verifiablePresentation": presentation}
    if options is not None:
        body["options"] = options
    response = client.post("/presentations/verify", json=body)
    return response.status_code, dict(response.json())


def issue(
    client: TestClient, tenant: Tenant, credential: dict[str, Any], options: dict[str, Any]
) -> Any:
    body = {"credential": credential, "options": options}
    response = client.post("/credentials/issue", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()["verifiableCredential"]


def presentation(holder: str, *credentials: Any) -> dict[str, Any]:
    return {
        "@context": [VC2],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": list(credentials),
    }


def refused(status: int, result: dict[str, Any]) -> list[dict[str, str]]:
    """The errors of a verification that must have failed."""
    assert status == 400, result
    assert result["verified"] is False
    assert result["errors"], result
    return list(result["errors"])


# --- Digital Bazaar signs, Plaudit verifies ---------------------------------------------------


def _proof(seed: str, cryptosuite: str, **members: Any) -> dict[str, Any]:
    return {"seed": seed, "cryptosuite": cryptosuite, **members}


# One credential for the chains: the issuer's proof (FIRST_PROOF), then a witness's naming it.
CHAINED = open_badge(ISSUER)
FIRST_PROOF = f"urn:uuid:{uuid.uuid4()}"


def _chain(cryptosuite: str) -> list[dict[str, Any]]:
    return [
        _proof(ISSUER_SEED, cryptosuite, id=FIRST_PROOF),
        _proof(WITNESS_SEED, cryptosuite, previousProof=FIRST_PROOF),
    ]


def _first_again(cryptosuite: str) -> list[dict[str, Any]]:
    """Another proof by the issuer under FIRST_PROOF's id (created at another time)."""
    return [_proof(ISSUER_SEED, cryptosuite, id=FIRST_PROOF, created="2026-02-01T00:00:00Z")]


# What Digital Bazaar signs, by name: (unsigned credential, the proofs it adds in order).
SIGNED_ELSEWHERE: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "ob-rdfc": (open_badge(ISSUER), [_proof(ISSUER_SEED, RDFC)]),
    "ob-jcs": (open_badge(ISSUER), [_proof(ISSUER_SEED, JCS)]),
    "vc-rdfc": (plain_vc(ISSUER), [_proof(ISSUER_SEED, RDFC)]),
    "vc-jcs": (plain_vc(ISSUER), [_proof(ISSUER_SEED, JCS)]),
    # Each proof of a set signs the document alone; the issuer's and a witness's, in both suites.
    "proof-set": (open_badge(ISSUER), [_proof(ISSUER_SEED, RDFC), _proof(WITNESS_SEED, JCS)]),
    # The witness's proof names the issuer's in previousProof, and so signs it too.
    "chain-rdfc": (CHAINED, _chain(RDFC)),
    "chain-jcs": (CHAINED, _chain(JCS)),
    "first-again-rdfc": (CHAINED, _first_again(RDFC)),
    "first-again-jcs": (CHAINED, _first_again(JCS)),
    "expires-malformed": (
        open_badge(ISSUER),
        [_proof(ISSUER_SEED, RDFC, expires="next year")],
    ),
    "expires-past": (
        open_badge(ISSUER),
        [_proof(ISSUER_SEED, RDFC, created="2025-01-01T00:00:00Z", expires="2025-07-01T00:00:00Z")],
    ),
}


@pytest.fixture(scope="module")
def signed_elsewhere(node_script: NodeScript, contexts: dict[str, Any]) -> dict[str, Any]:
    """SIGNED_ELSEWHERE signed by Digital Bazaar, in one run of Node (no database involved)."""
    names = list(SIGNED_ELSEWHERE)
    jobs = [{"document": d, "proofs": p} for d, p in SIGNED_ELSEWHERE.values()]
    output = node_script("di-sign.mjs", {"contexts": contexts, "jobs": jobs})
    # Digital Bazaar derives the same did:key from the seed as Plaudit does.
    assert output["dids"][ISSUER_SEED] == ISSUER
    return dict(zip(names, output["documents"], strict=True))


@pytest.mark.parametrize(
    "name", ["ob-rdfc", "ob-jcs", "vc-rdfc", "vc-jcs", "proof-set", "chain-rdfc", "chain-jcs"]
)
def test_plaudit_verifies_what_digital_bazaar_signs_and_refuses_it_tampered(
    client: TestClient, signed_elsewhere: dict[str, Any], name: str
) -> None:
    signed = signed_elsewhere[name]
    status, result = verify(client, signed)
    assert status == 200, result
    assert result["verified"] is True
    assert result["errors"] == []
    assert "proof" in result["checks"]

    errors = refused(*verify(client, tampered(signed)))
    assert "proof" in [e["title"] for e in errors]


def test_the_proofs_of_a_set_and_a_chain_are_what_digital_bazaar_was_asked_for(
    signed_elsewhere: dict[str, Any],
) -> None:
    proof_set = signed_elsewhere["proof-set"]["proof"]
    assert [p["cryptosuite"] for p in proof_set] == [RDFC, JCS]
    assert not any("previousProof" in p for p in proof_set)
    for name in ("chain-rdfc", "chain-jcs"):
        first, second = signed_elsewhere[name]["proof"]
        assert first["id"].startswith("urn:uuid:")
        assert second["previousProof"] == first["id"]
        assert second["verificationMethod"].startswith(did_key(WITNESS_SEED) + "#")


@pytest.mark.parametrize("suite", ["rdfc", "jcs"])
def test_a_chain_is_refused_without_the_very_proof_it_names(
    client: TestClient, signed_elsewhere: dict[str, Any], suite: str
) -> None:
    chain = signed_elsewhere[f"chain-{suite}"]
    first, second = chain["proof"]
    # The proof that previousProof names is missing.
    refused(*verify(client, {**chain, "proof": [second]}))
    # Another proof stands under its id: valid on its own, but not the one the second signed.
    again = signed_elsewhere[f"first-again-{suite}"]
    assert again["proof"]["id"] == first["id"]
    assert again["proof"]["proofValue"] != first["proofValue"]
    status, result = verify(client, again)
    assert status == 200, result
    refused(*verify(client, {**chain, "proof": [again["proof"], second]}))


@pytest.mark.parametrize(
    ("name", "word"), [("expires-malformed", "expires"), ("expires-past", "expire")]
)
def test_a_proof_past_or_without_a_valid_expires_is_refused(
    client: TestClient, signed_elsewhere: dict[str, Any], name: str, word: str
) -> None:
    errors = refused(*verify(client, signed_elsewhere[name]))
    assert any(word in e["detail"].lower() for e in errors), errors


@pytest.mark.parametrize("where", ["credential", "presentation"])
def test_a_credential_sent_as_a_json_string_is_refused(
    client: TestClient, signed_elsewhere: dict[str, Any], where: str
) -> None:
    # The VC API takes a credential as a JSON object; a string holding one is not it.
    text = json.dumps(signed_elsewhere["ob-rdfc"])
    if where == "credential":
        errors = refused(*verify(client, text))
    else:
        errors = refused(*verify_presentation(client, presentation(ISSUER, text)))
    details = [e["detail"].lower() for e in errors]
    assert any("object" in d or "map" in d for d in details), errors


# --- Plaudit issues, Digital Bazaar verifies --------------------------------------------------


@pytest.mark.parametrize("kind", ["open-badge", "plain-vc"])
def test_digital_bazaar_verifies_what_plaudit_issues_and_refuses_it_tampered(
    client: TestClient,
    tenant: Tenant,
    node_script: NodeScript,
    contexts: dict[str, Any],
    kind: str,
) -> None:
    build = open_badge if kind == "open-badge" else plain_vc
    signed = [
        issue(client, tenant, build("did:example:issuer"), {"proofFormat": suite})
        for suite in (RDFC, JCS)
    ]
    did = client.get(f"/orgs/{tenant.slug}/did.json").json()
    for document, suite in zip(signed, (RDFC, JCS), strict=True):
        assert document["proof"]["cryptosuite"] == suite
        assert issuer_of(document) == did["id"]
    documents = [*signed, *(tampered(s) for s in signed)]
    output = node_script(
        "di-verify.mjs",
        {
            "contexts": contexts,
            "dids": {did["id"]: did},
            "jobs": [{"document": d} for d in documents],
        },
    )
    results = output["results"]
    assert [r["verified"] for r in results] == [True, True, False, False], results
    assert results[0]["errors"] == results[1]["errors"] == []
    assert all(r["errors"] for r in results[2:])


# --- presentations: Digital Bazaar signs as the holder, Plaudit verifies ----------------------


@pytest.fixture
def presentations(
    client: TestClient,
    tenant: Tenant,
    node_script: NodeScript,
    contexts: dict[str, Any],
    signed_elsewhere: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """Cryptosuite -> a presentation Digital Bazaar signed for the holder's did:key (challenge
    c-123, domain plaudit.example), holding a credential Plaudit issued and one it signed."""
    ours = issue(client, tenant, open_badge("did:example:issuer"), {"proofFormat": RDFC})
    unsigned = presentation(did_key(HOLDER_SEED), ours, signed_elsewhere["ob-jcs"])
    suites = (RDFC, JCS)
    jobs = [
        {
            "document": unsigned,
            "proofs": [_proof(HOLDER_SEED, suite)],
            "challenge": CHALLENGE,
            "domain": DOMAIN,
        }
        for suite in suites
    ]
    output = node_script("di-sign.mjs", {"contexts": contexts, "jobs": jobs})
    return dict(zip(suites, output["documents"], strict=True))


def test_plaudit_verifies_a_presentation_digital_bazaar_signed(
    client: TestClient,
    tenant: Tenant,
    node_script: NodeScript,
    contexts: dict[str, Any],
    presentations: dict[str, dict[str, Any]],
) -> None:
    for suite, signed in presentations.items():
        proof = signed["proof"]
        assert (proof["cryptosuite"], proof["proofPurpose"]) == (suite, "authentication")
        assert (proof["challenge"], proof["domain"]) == (CHALLENGE, DOMAIN)
        status, result = verify_presentation(
            client, signed, {"challenge": CHALLENGE, "domain": DOMAIN}
        )
        assert status == 200, (suite, result)
        assert result["verified"] is True
        assert result["errors"] == []
        assert "holder_proof" in result["checks"]

    # And Digital Bazaar accepts them too, with Plaudit's credential inside.
    did = client.get(f"/orgs/{tenant.slug}/did.json").json()
    output = node_script(
        "di-verify.mjs",
        {
            "contexts": contexts,
            "dids": {did["id"]: did},
            "jobs": [
                {"document": p, "challenge": CHALLENGE, "domain": DOMAIN}
                for p in presentations.values()
            ],
        },
    )
    assert all(r["verified"] for r in output["results"]), output


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"challenge": "c-999", "domain": DOMAIN}, id="another-challenge"),
        pytest.param({"challenge": CHALLENGE, "domain": "elsewhere.example"}, id="another-domain"),
    ],
)
def test_plaudit_refuses_a_presentation_made_for_another_challenge_or_domain(
    client: TestClient, presentations: dict[str, dict[str, Any]], options: dict[str, str]
) -> None:
    for signed in presentations.values():
        errors = refused(*verify_presentation(client, signed, options))
        # The credentials inside are fine: it is the holder's proof that does not fit.
        assert not [e for e in errors if e["title"].startswith("verifiableCredential")], errors


# --- VC-JWTs through the VC API ---------------------------------------------------------------


def enveloped(token: str) -> dict[str, str]:
    return {"@context": VC2, "id": ENVELOPED_JWT + token, "type": "EnvelopedVerifiableCredential"}


@pytest.mark.parametrize(
    ("options", "alg"),
    [
        ({"proofFormat": "vc-jwt"}, "EdDSA"),
        ({"proofFormat": "vc-jwt", "alg": "RS256"}, "RS256"),
    ],
)
def test_a_vc_jwt_issued_through_the_vc_api_is_enveloped_and_jose_verifies_it(
    client: TestClient,
    tenant: Tenant,
    node_script: NodeScript,
    options: dict[str, str],
    alg: str,
) -> None:
    credential = open_badge("did:example:issuer")
    answer = issue(client, tenant, credential, options)
    assert isinstance(answer, dict), answer
    token = str(answer.get("id", "")).removeprefix(ENVELOPED_JWT)
    assert answer == enveloped(token)

    jwks = client.get(f"/orgs/{tenant.slug}/jwks.json").json()
    result = node_script("verify-jwt.mjs", {"token": token, "jwks": jwks, "typ": "vc+jwt"})
    assert result["verified"], result
    assert (result["header"]["alg"], result["header"]["typ"]) == (alg, "vc+jwt")
    payload = result["payload"]
    assert payload["iss"] == issuer_of(payload)
    assert payload["iss"].startswith("did:web:plaudit.example:orgs:")
    assert payload["jti"] == credential["id"]
    # The credential's own members, at the top level of the payload (the issuer's id filled in).
    assert {k: payload[k] for k in credential if k != "issuer"} == {
        k: v for k, v in credential.items() if k != "issuer"
    }

    # Plaudit verifies its own answer in the same, enveloped, form.
    status, verdict = verify(client, answer)
    assert status == 200, verdict
    assert verdict["verified"] is True


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture(scope="module")
def signed_by_jose(node_script: NodeScript) -> dict[str, str]:
    """alg -> a VC-JWT jose signed: the credential itself plus iss, jti, sub and nbf. EdDSA with
    a did:key (kid did:key:z6Mk…#z6Mk…), RS256 with a did:jwk (kid did:jwk:…#0)."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_did = "did:jwk:" + _b64url(json.dumps(public_jwk(rsa_key)).encode())
    seed = bytes.fromhex(ISSUER_SEED)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    keys = {
        "EdDSA": (
            ISSUER,
            f"{ISSUER}#{ISSUER.removeprefix('did:key:')}",
            {"kty": "OKP", "crv": "Ed25519", "x": _b64url(public), "d": _b64url(seed)},
        ),
        "RS256": (
            rsa_did,
            f"{rsa_did}#0",
            dict(json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key))),
        ),
    }
    tokens = {}
    for alg, (did, kid, private_jwk) in keys.items():
        credential = open_badge(did)
        subject = "did:example:learner"
        credential["credentialSubject"]["id"] = subject
        payload = {
            **credential,
            "iss": did,
            "jti": credential["id"],
            "sub": subject,
            "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
        }
        header = {"alg": alg, "kid": kid, "typ": "vc+jwt"}
        signed = node_script(
            "sign-jwt.mjs", {"payload": payload, "header": header, "privateJwk": private_jwk}
        )
        tokens[alg] = str(signed["token"])
    return tokens


@pytest.mark.parametrize("alg", ["EdDSA", "RS256"])
def test_plaudit_verifies_an_enveloped_vc_jwt_jose_signed_and_refuses_it_tampered(
    client: TestClient, signed_by_jose: dict[str, str], alg: str
) -> None:
    token = signed_by_jose[alg]
    status, result = verify(client, enveloped(token))
    assert status == 200, result
    assert result["verified"] is True
    assert result["errors"] == []

    header, claims, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    forged["credentialSubject"]["achievement"]["name"] = "Something else"
    forgery = ".".join([header, _b64url(json.dumps(forged).encode()), signature])
    refused(*verify(client, enveloped(forgery)))
