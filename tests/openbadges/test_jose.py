"""VC-JWT: EdDSA and RS256 round trips, the OB 3.0 claim layout, refusals, 1EdTech's fixtures."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from plaudit.openbadges.jose import (
    credential_from_jwt_claims,
    decode_vc_jwt,
    public_jwk,
    sign_vc_jwt,
)
from plaudit.openbadges.multikey import ed25519_from_jwk
from tests.fixtures.node import NodeScript
from tests.fixtures.paths import standards

FIXTURES = standards() / "ob3" / "validator-fixtures"
KID = "https://issuer.example/issuers/1#key-1"

ED_KEY = Ed25519PrivateKey.generate()
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:2a5f2e7c-4a5d-4c59-9d55-3c1a9d0c7a11",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://issuer.example/issuers/1", "type": ["Profile"], "name": "Acme"},
    "validFrom": "2024-03-01T12:00:00Z",
    "validUntil": "2029-03-01T12:00:00.750Z",
    "name": "Teamwork",
    "credentialSubject": {
        "id": "did:example:learner",
        "type": ["AchievementSubject"],
        "achievement": {"id": "https://issuer.example/a/1", "type": ["Achievement"]},
    },
}


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize(
    ("alg", "key"), [("EdDSA", ED_KEY), ("RS256", RSA_KEY)], ids=["EdDSA", "RS256"]
)
def test_sign_and_decode(alg: str, key: Ed25519PrivateKey | RSAPrivateKey) -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=key, kid=KID, alg=alg)
    header, claims = decode_vc_jwt(token, public_key=key.public_key())
    assert header == {"alg": alg, "kid": KID, "typ": "JWT"}
    assert credential_from_jwt_claims(claims) == CREDENTIAL


def test_claims_layout() -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="EdDSA")
    _, claims = decode_vc_jwt(token, public_key=ED_KEY.public_key())
    assert claims == {
        "vc": CREDENTIAL,
        "iss": "https://issuer.example/issuers/1",
        "nbf": 1709294400,
        "jti": "urn:uuid:2a5f2e7c-4a5d-4c59-9d55-3c1a9d0c7a11",
        "sub": "did:example:learner",
        "exp": 1867060800,
        "iat": 1709294400,
    }
    # The same keys, in the order 1EdTech's simple.jwt fixture writes them.
    assert list(json.loads(_b64decode(_segments(token)[1])))[:5] == [
        "vc",
        "iss",
        "nbf",
        "jti",
        "sub",
    ]


def test_vc_1_1_dates_and_string_issuer() -> None:
    credential = {
        **{k: v for k, v in CREDENTIAL.items() if k not in {"validFrom", "validUntil"}},
        "issuer": "did:example:issuer",
        "issuanceDate": "2010-01-01T00:00:00Z",
    }
    _, claims = decode_vc_jwt(sign_vc_jwt(credential, private_key=ED_KEY, kid=KID, alg="EdDSA"))
    assert claims["iss"] == "did:example:issuer"
    assert claims["nbf"] == 1262304000
    assert "exp" not in claims


def test_a_subject_without_id_leaves_out_sub() -> None:
    credential = {**CREDENTIAL, "credentialSubject": {"type": ["AchievementSubject"]}}
    _, claims = decode_vc_jwt(sign_vc_jwt(credential, private_key=ED_KEY, kid=KID, alg="EdDSA"))
    assert "sub" not in claims


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issuer": None}, "no issuer id"),
        ({"validFrom": None}, "no validFrom"),
        ({"validFrom": "2024-03-01T12:00:00"}, "needs a time zone"),
        ({"validFrom": "soon"}, "not a dateTime"),
    ],
)
def test_signing_refuses_incomplete_credentials(changes: dict[str, Any], message: str) -> None:
    credential = {k: v for k, v in {**CREDENTIAL, **changes}.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        sign_vc_jwt(credential, private_key=ED_KEY, kid=KID, alg="EdDSA")


def test_signing_refuses_a_key_that_does_not_fit_the_algorithm() -> None:
    with pytest.raises(ValueError, match="needs a RSAPrivateKey"):
        sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="RS256")
    with pytest.raises(ValueError, match="unsupported JWS algorithm"):
        sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="HS256")
    with pytest.raises(ValueError, match="kid is required"):
        sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid="", alg="EdDSA")


@pytest.mark.parametrize(
    ("alg", "key"), [("EdDSA", ED_KEY), ("RS256", RSA_KEY)], ids=["EdDSA", "RS256"]
)
def test_a_tampered_payload_is_refused(alg: str, key: Ed25519PrivateKey | RSAPrivateKey) -> None:
    header, payload, signature = _segments(
        sign_vc_jwt(CREDENTIAL, private_key=key, kid=KID, alg=alg)
    )
    claims = json.loads(_b64decode(payload))
    claims["vc"]["name"] = "Leadership"
    forged = ".".join([header, _b64encode(json.dumps(claims).encode()), signature])
    with pytest.raises(ValueError, match="signature does not verify"):
        decode_vc_jwt(forged, public_key=key.public_key())


def test_a_tampered_signature_is_refused() -> None:
    header, payload, signature = _segments(
        sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="EdDSA")
    )
    flipped = bytearray(_b64decode(signature))
    flipped[0] ^= 1
    with pytest.raises(ValueError, match="signature does not verify"):
        decode_vc_jwt(
            ".".join([header, payload, _b64encode(bytes(flipped))]),
            public_key=ED_KEY.public_key(),
        )


def test_the_wrong_key_is_refused() -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="EdDSA")
    with pytest.raises(ValueError, match="signature does not verify"):
        decode_vc_jwt(token, public_key=Ed25519PrivateKey.generate().public_key())
    with pytest.raises(ValueError, match="does not fit"):
        decode_vc_jwt(token, public_key=RSA_KEY.public_key())


def _unsigned_token(alg: str) -> str:
    header = _b64encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = _b64encode(json.dumps({"vc": CREDENTIAL}).encode())
    return f"{header}.{payload}."


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_always_refused(alg: str) -> None:
    token = _unsigned_token(alg)
    with pytest.raises(ValueError, match="refused"):
        decode_vc_jwt(token)
    with pytest.raises(ValueError, match="refused"):
        decode_vc_jwt(token, public_key=ED_KEY.public_key())


def test_pyjwt_alg_none_token_is_refused() -> None:
    token = jwt.encode({"vc": CREDENTIAL}, key="", algorithm="none")
    with pytest.raises(ValueError, match="refused"):
        decode_vc_jwt(token)


def test_an_hmac_token_cannot_pass_for_an_rsa_one() -> None:
    # The classic confusion: sign with HS256 using the public key as the secret.
    token = jwt.encode({"vc": CREDENTIAL}, key="not-the-issuer-" * 4, algorithm="HS256")
    with pytest.raises(ValueError, match="does not fit"):
        decode_vc_jwt(token, public_key=RSA_KEY.public_key())


@pytest.mark.parametrize(
    "token", ["", "abc", "a.b", "a.b.c.d", "!!!.???.###", _b64encode(b"[1]") + ".e30.sig"]
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails for its own reason
        decode_vc_jwt(token)


def test_expired_and_future_credentials_still_decode() -> None:
    past = {**CREDENTIAL, "validFrom": "2000-01-01T00:00:00Z", "validUntil": "2001-01-01T00:00:00Z"}
    future = {**CREDENTIAL, "validFrom": "2999-01-01T00:00:00Z", "validUntil": None}
    for credential in (past, {k: v for k, v in future.items() if v is not None}):
        token = sign_vc_jwt(credential, private_key=ED_KEY, kid=KID, alg="EdDSA")
        _, claims = decode_vc_jwt(token, public_key=ED_KEY.public_key())
        assert claims["vc"] == credential


def test_vc_jose_style_claims_are_the_credential() -> None:
    assert credential_from_jwt_claims(CREDENTIAL) == CREDENTIAL


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "x"},
        {"vc": "not an object"},
        {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiableCredential"]},
        {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["Other"]},
    ],
)
def test_claims_without_a_credential_are_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"credential|not a JSON object"):
        credential_from_jwt_claims(claims)


def _pyjwt_jwk(key: Any, algorithm: Any, members: set[str]) -> dict[str, Any]:
    jwk = algorithm.to_jwk(key, as_dict=True)
    return {name: value for name, value in jwk.items() if name in members}


def test_public_jwk() -> None:
    ed = public_jwk(ED_KEY.public_key())
    assert ed == public_jwk(ED_KEY)
    assert ed == _pyjwt_jwk(ED_KEY.public_key(), jwt.algorithms.OKPAlgorithm, {"kty", "crv", "x"})
    assert ed25519_from_jwk(ed) == ED_KEY.public_key().public_bytes_raw()
    rsa_jwk = public_jwk(RSA_KEY)
    assert rsa_jwk == public_jwk(RSA_KEY.public_key())
    assert rsa_jwk == _pyjwt_jwk(
        RSA_KEY.public_key(), jwt.algorithms.RSAAlgorithm, {"kty", "n", "e"}
    )
    assert "d" not in rsa_jwk


def test_a_token_verifies_with_the_key_its_public_jwk_describes() -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=RSA_KEY, kid=KID, alg="RS256")
    key = jwt.PyJWK(public_jwk(RSA_KEY), algorithm="RS256").key
    assert isinstance(key, rsa.RSAPublicKey)
    assert decode_vc_jwt(token, public_key=key)[1]["vc"] == CREDENTIAL


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.jwt")), ids=lambda p: p.name)
def test_1edtech_fixture_tokens_decode(path: Path) -> None:
    token = path.read_text(encoding="utf-8").strip()
    header, claims = decode_vc_jwt(token)
    assert header["alg"] == "RS256"
    credential = credential_from_jwt_claims(claims)
    assert {"OpenBadgeCredential", "AchievementCredential"} & set(credential["type"])
    # The claim layout this module writes is the one these fixtures use.
    assert claims["iss"] == credential["issuer"]["id"]
    assert claims["jti"] == credential["id"]
    assert claims["sub"] == credential["credentialSubject"]["id"]
    assert isinstance(claims["nbf"], int)


@pytest.mark.parametrize(
    ("alg", "key"), [("EdDSA", ED_KEY), ("RS256", RSA_KEY)], ids=["EdDSA", "RS256"]
)
def test_panva_jose_verifies_our_tokens(
    alg: str, key: Ed25519PrivateKey | RSAPrivateKey, node_script: NodeScript
) -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=key, kid=KID, alg=alg)
    jwks = {"keys": [{**public_jwk(key), "kid": KID, "alg": alg, "use": "sig"}]}
    result = node_script("verify-jwt.mjs", {"token": token, "jwks": jwks})
    assert result["verified"], result
    assert result["header"]["kid"] == KID
