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
    assert header == {"alg": alg, "kid": KID, "typ": "vc+jwt"}
    assert credential_from_jwt_claims(claims) == CREDENTIAL


def test_claims_layout() -> None:
    token = sign_vc_jwt(CREDENTIAL, private_key=ED_KEY, kid=KID, alg="EdDSA")
    _, claims = decode_vc_jwt(token, public_key=ED_KEY.public_key())
    # OB 3.0 §8.2.4.1 and VC-JOSE-COSE: the credential's members at the top level, beside
    # the registered claims; no 'vc' wrapper and no iat.
    assert claims == {
        **CREDENTIAL,
        "iss": "https://issuer.example/issuers/1",
        "nbf": 1709294400,
        "jti": "urn:uuid:2a5f2e7c-4a5d-4c59-9d55-3c1a9d0c7a11",
        "sub": "did:example:learner",
        "exp": 1867060800,
    }


def test_an_embedded_proof_stays_out_of_the_payload() -> None:
    proven = {**CREDENTIAL, "proof": {"type": "DataIntegrityProof"}}
    _, claims = decode_vc_jwt(sign_vc_jwt(proven, private_key=ED_KEY, kid=KID, alg="EdDSA"))
    assert "proof" not in claims
    assert credential_from_jwt_claims(claims) == CREDENTIAL


# Signed by Plaudit before VC-JWTs followed VC-JOSE-COSE (the credential in a 'vc' claim,
# typ "JWT", iat = nbf), with the Ed25519 key whose seed is bytes 0..31. Such tokens were
# handed out and must keep verifying.
LEGACY_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
LEGACY_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJFZERTQSIsImtpZCI6Imh0dHBzOi8vaXNzdWVyLmV4YW1wbGUvaXNzdWVycy8x"
    "I2tleS0xIn0.eyJ2YyI6eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIi"
    "LCJodHRwczovL3B1cmwuaW1zZ2xvYmFsLm9yZy9zcGVjL29iL3YzcDAvY29udGV4dC0zLjAuMy5qc29uIl0sImlk"
    "IjoidXJuOnV1aWQ6MmE1ZjJlN2MtNGE1ZC00YzU5LTlkNTUtM2MxYTlkMGM3YTExIiwidHlwZSI6WyJWZXJpZmlh"
    "YmxlQ3JlZGVudGlhbCIsIk9wZW5CYWRnZUNyZWRlbnRpYWwiXSwiaXNzdWVyIjp7ImlkIjoiaHR0cHM6Ly9pc3N1"
    "ZXIuZXhhbXBsZS9pc3N1ZXJzLzEiLCJ0eXBlIjpbIlByb2ZpbGUiXSwibmFtZSI6IkFjbWUifSwidmFsaWRGcm9t"
    "IjoiMjAyNC0wMy0wMVQxMjowMDowMFoiLCJ2YWxpZFVudGlsIjoiMjAyOS0wMy0wMVQxMjowMDowMC43NTBaIiwi"
    "bmFtZSI6IlRlYW13b3JrIiwiY3JlZGVudGlhbFN1YmplY3QiOnsiaWQiOiJkaWQ6ZXhhbXBsZTpsZWFybmVyIiwi"
    "dHlwZSI6WyJBY2hpZXZlbWVudFN1YmplY3QiXSwiYWNoaWV2ZW1lbnQiOnsiaWQiOiJodHRwczovL2lzc3Vlci5l"
    "eGFtcGxlL2EvMSIsInR5cGUiOlsiQWNoaWV2ZW1lbnQiXX19fSwiaXNzIjoiaHR0cHM6Ly9pc3N1ZXIuZXhhbXBs"
    "ZS9pc3N1ZXJzLzEiLCJuYmYiOjE3MDkyOTQ0MDAsImp0aSI6InVybjp1dWlkOjJhNWYyZTdjLTRhNWQtNGM1OS05"
    "ZDU1LTNjMWE5ZDBjN2ExMSIsInN1YiI6ImRpZDpleGFtcGxlOmxlYXJuZXIiLCJleHAiOjE4NjcwNjA4MDAsImlh"
    "dCI6MTcwOTI5NDQwMH0.k9FKzQwrHG8yEM86SPlpXSn9kGFSlpW0gbXnIW-DTaENGFdNQiWVTLqB98nMbTxIbKH_"
    "MrPR5z5WUTV6tMF5Ag"
)


def test_tokens_in_the_older_vc_claim_layout_still_verify() -> None:
    header, claims = decode_vc_jwt(LEGACY_TOKEN, public_key=LEGACY_KEY.public_key())
    assert header == {"alg": "EdDSA", "kid": KID, "typ": "JWT"}
    assert claims["iat"] == claims["nbf"] == 1709294400
    assert credential_from_jwt_claims(claims) == CREDENTIAL


@pytest.mark.parametrize("typ", ["vc+jwt", "application/vc+jwt", "VC+JWT", "JWT", None])
def test_credential_typs_are_accepted(typ: str | None) -> None:
    headers = {"kid": KID} if typ is None else {"kid": KID, "typ": typ}
    token = jwt.encode(CREDENTIAL, ED_KEY, algorithm="EdDSA", headers=headers)
    assert credential_from_jwt_claims(decode_vc_jwt(token, public_key=ED_KEY.public_key())[1])


@pytest.mark.parametrize("typ", ["vp+jwt", "at+jwt", "dc+sd-jwt"])
def test_other_typs_are_refused(typ: str) -> None:
    token = jwt.encode(CREDENTIAL, ED_KEY, algorithm="EdDSA", headers={"kid": KID, "typ": typ})
    with pytest.raises(ValueError, match="not a verifiable credential"):
        decode_vc_jwt(token, public_key=ED_KEY.public_key())


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
    claims["name"] = "Leadership"
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
        assert credential_from_jwt_claims(claims) == credential


def test_vc_jose_style_claims_are_the_credential() -> None:
    assert credential_from_jwt_claims(CREDENTIAL) == CREDENTIAL
    registered = {"iss": "x", "sub": "y", "jti": "z", "nbf": 1, "exp": 2, "iat": 1, "aud": "a"}
    assert credential_from_jwt_claims({**CREDENTIAL, **registered}) == CREDENTIAL


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
    assert credential_from_jwt_claims(decode_vc_jwt(token, public_key=key)[1]) == CREDENTIAL


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.jwt")), ids=lambda p: p.name)
def test_1edtech_fixture_tokens_decode(path: Path) -> None:
    token = path.read_text(encoding="utf-8").strip()
    header, claims = decode_vc_jwt(token)
    assert header["alg"] == "RS256"
    credential = credential_from_jwt_claims(claims)
    assert {"OpenBadgeCredential", "AchievementCredential"} & set(credential["type"])
    # The registered claims this module writes are the ones these fixtures use.
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
    result = node_script("verify-jwt.mjs", {"token": token, "jwks": jwks, "typ": "vc+jwt"})
    assert result["verified"], result
    assert result["header"] == {"alg": alg, "kid": KID, "typ": "vc+jwt"}
    assert {k: v for k, v in result["payload"].items() if k in CREDENTIAL} == CREDENTIAL
