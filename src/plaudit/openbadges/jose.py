"""Open Badges 3.0 "JSON Web Token Proof Format" and VC-JOSE-COSE (VC-JWT): sign, decode, unwrap."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.types import Options

VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
# VC-JOSE-COSE's typ (the media type application/vc+jwt), which 1EdTech's proposed OB 3.0
# revision adopts too; OB 3.0 1.0 wrote "JWT", which verifiers still accept.
VC_JWT_TYP: Final = "vc+jwt"
_ACCEPTED_TYPS: Final = frozenset({"vc+jwt", "jwt"})
# RFC 7519's registered claims: the envelope's, not members of the credential it carries.
_REGISTERED_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})

# The algorithms Plaudit signs with, and the key type each needs.
_ALGORITHMS: Final = {"EdDSA": Ed25519PrivateKey, "RS256": RSAPrivateKey}
# What a token may claim when checked against an RSA key (other issuers use the larger hashes).
_RSA_ALGORITHMS: Final = ("RS256", "RS384", "RS512")

# Signature checks only: the credential's own dates are judged by the verifier, with reasons;
# an expired credential still carries its issuer's valid signature.
_SIGNATURE_ONLY: Final[Options] = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


def _numeric_date(value: Any, field: str) -> int:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a dateTime string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{field} is not a dateTime: {value!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{field} needs a time zone (e.g. 'Z'): {value!r}")
    # NumericDate is whole seconds since the epoch; fractions are dropped, not rounded up.
    return int(moment.timestamp() // 1)


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    # OB 3.0 §8.2.4.1 and VC-JOSE-COSE: the payload is the credential itself, with the JWT's
    # registered claims beside its members (no 'vc' wrapper, which VC-JOSE-COSE forbids).
    claims: dict[str, Any] = {k: v for k, v in credential.items() if k != "proof"}
    issuer = _id_of(credential.get("issuer"))
    if issuer is None:
        raise ValueError("the credential has no issuer id to put in the 'iss' claim")
    claims["iss"] = issuer
    # VC 2.0 says validFrom and validUntil; the VC 1.1 context, issuanceDate and expirationDate.
    start = "validFrom" if "validFrom" in credential else "issuanceDate"
    if credential.get(start) is None:
        raise ValueError("the credential has no validFrom (or issuanceDate) for the 'nbf' claim")
    claims["nbf"] = _numeric_date(credential[start], start)
    credential_id = credential.get("id")
    if isinstance(credential_id, str):
        claims["jti"] = credential_id
    subjects = credential.get("credentialSubject")
    subject = subjects[0] if isinstance(subjects, list) and len(subjects) == 1 else subjects
    subject_id = _id_of(subject) if isinstance(subject, Mapping) else None
    if subject_id is not None:
        claims["sub"] = subject_id
    end = "validUntil" if "validUntil" in credential else "expirationDate"
    if credential.get(end) is not None:
        claims["exp"] = _numeric_date(credential[end], end)
    return claims


def sign_vc_jwt(
    credential: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey | RSAPrivateKey,
    kid: str,
    alg: str,
) -> str:
    """The credential as a VC-JWT (compact JWS) per OB 3.0 §8.2 and VC-JOSE-COSE.

    Header {alg, kid, typ: "vc+jwt"}; payload: the credential's members (an embedded proof
    left out) plus iss (issuer id), nbf (validFrom), jti (credential id), sub (subject id)
    and exp (validUntil, when present).
    """
    expected = _ALGORITHMS.get(alg)
    if expected is None:
        raise ValueError(f"unsupported JWS algorithm {alg!r}; use 'EdDSA' or 'RS256'")
    if not isinstance(private_key, expected):
        raise ValueError(f"alg {alg} needs a {expected.__name__}, not {type(private_key).__name__}")
    if not kid:
        raise ValueError("kid is required: verifiers dereference it to find the public key")
    return jwt.encode(
        _claims(credential),
        private_key,
        algorithm=alg,
        headers={"alg": alg, "kid": kid, "typ": VC_JWT_TYP},
        sort_headers=False,
    )


def _check_typ(header: Mapping[str, Any]) -> None:
    # Media types compare without case and may drop 'application/' (RFC 7515 §4.1.9).
    typ = header.get("typ")
    if typ is None:
        return
    name = str(typ).lower().removeprefix("application/")
    if name not in _ACCEPTED_TYPS:
        raise ValueError(f"the JWT's typ {typ!r} is not a verifiable credential ('vc+jwt')")


def _allowed_algorithms(public_key: Ed25519PublicKey | RSAPublicKey) -> tuple[str, ...]:
    # The key decides the algorithm, never the token: a token cannot pick HMAC (or none) and
    # have the public key used as a shared secret.
    if isinstance(public_key, Ed25519PublicKey):
        return ("EdDSA",)
    if isinstance(public_key, RSAPublicKey):
        return _RSA_ALGORITHMS
    raise TypeError(f"unsupported public key type {type(public_key).__name__}")


def decode_vc_jwt(
    token: str, *, public_key: Ed25519PublicKey | RSAPublicKey | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a VC-JWT; the signature is checked when a public key is given.

    Raises ValueError for a malformed token, `alg: none`, a typ other than a VC-JWT's, an
    algorithm that does not fit the key, or a bad signature. Dates (nbf, exp) are left to the
    caller.
    """
    if not isinstance(token, str) or token.strip().count(".") != 2:
        raise ValueError("not a compact JWS: expected three base64url parts separated by '.'")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ValueError(f"the JWT header cannot be read: {exc}") from exc
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg or alg.lower() == "none":
        raise ValueError(f"unsigned or unnamed JWS algorithm {alg!r} is refused")
    _check_typ(header)
    try:
        if public_key is None:
            claims = jwt.decode(token, options={"verify_signature": False})
        else:
            allowed = _allowed_algorithms(public_key)
            if alg not in allowed:
                raise ValueError(
                    f"the token's alg {alg} does not fit a {type(public_key).__name__} "
                    f"(expected one of {', '.join(allowed)})"
                )
            claims = jwt.decode(token, key=public_key, algorithms=[alg], options=_SIGNATURE_ONLY)
    except jwt.InvalidSignatureError as exc:
        raise ValueError("the JWT signature does not verify with the given key") from exc
    except jwt.PyJWTError as exc:
        raise ValueError(f"the JWT cannot be decoded: {exc}") from exc
    if not isinstance(claims, dict):
        raise ValueError("the JWT payload is not a JSON object")
    return header, claims


def credential_from_jwt_claims(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The credential a VC-JWT carries: the claims themselves less the JWT's registered
    claims (OB 3.0 §8.2.4.1, VC-JOSE-COSE), or the `vc` claim of the older VC 1.1 layout
    (which Plaudit wrote before, and other issuers still do)."""
    if "vc" in claims:
        credential = claims["vc"]
        if not isinstance(credential, Mapping):
            raise ValueError("the 'vc' claim is not a JSON object")
        return dict(credential)
    contexts = claims.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    types = claims.get("type")
    type_list = types if isinstance(types, list) else [types]
    if first == VC_V2_CONTEXT and "VerifiableCredential" in type_list:
        return {k: v for k, v in claims.items() if k not in _REGISTERED_CLAIMS}
    raise ValueError("the JWT carries no credential: no 'vc' claim and not a VC 2.0 credential")


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(
    key: Ed25519PublicKey | RSAPublicKey | Ed25519PrivateKey | RSAPrivateKey,
) -> dict[str, Any]:
    """The public JWK of an Ed25519 (kty OKP) or RSA key; a private key gives its public half."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey | RSAPrivateKey) else key
    if isinstance(public, Ed25519PublicKey):
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        return {"kty": "OKP", "crv": "Ed25519", "x": x}
    if isinstance(public, RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}
    raise TypeError(f"unsupported key type {type(key).__name__}")
