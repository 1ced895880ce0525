"""OpenID4VCI key proofs (1.0, appendix F): the holder a wallet proved it controls, or why not.

A proof binds the credential to a key. A DID URL in `kid` (did:key, did:jwk) names the holder;
a bare `jwk` header names a key and no DID, and is bound as the did:jwk of that key: a DID that
any verifier resolves from the key alone, so the credential is bound all the same (the VC data
model has no other place for a key). No key is ever fetched: every binding method accepted
carries its key, so a proof cannot make Plaudit call out to an address the wallet chose.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from plaudit.claims import service as claims
from plaudit.claims.service import ClaimRefused
from plaudit.openbadges import multikey
from plaudit.vcapi import service as vcapi

JWT: Final = "jwt"
DI_VP: Final = "di_vp"
JWT_TYPE: Final = "openid4vci-proof+jwt"
JWT_ALGORITHMS: Final = ("EdDSA", "ES256")
DI_VP_CRYPTOSUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
BINDING_METHODS: Final = ("did:key", "did:jwk", "jwk")
# Older drafts' single `proof` named the Data Integrity presentation ldp_vp.
_PROOF_TYPE_ALIASES: Final = {"ldp_vp": DI_VP}
# A proof's iat may run this far ahead of our clock; it may be as old as the nonce it signs.
CLOCK_SKEW: Final = 60
MAX_PROOF_AGE: Final = claims.NONCE_SECONDS + CLOCK_SKEW
_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_PUBLIC_JWK_MEMBERS: Final = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}

PublicKey = Ed25519PublicKey | EllipticCurvePublicKey


def _invalid(description: str) -> ClaimRefused:
    return ClaimRefused("invalid_proof", description)


def the_proof(body: Mapping[str, Any]) -> tuple[str, Any]:
    """The one key proof of a Credential Request: (proof type, the proof). `proofs` (1.0:
    one proof type, a non-empty array) or, from wallets of earlier drafts, a single `proof`
    object ({"proof_type": "jwt", "jwt": ...}). Plaudit issues one credential per request
    (it announces no batch_credential_issuance), so it takes exactly one proof."""
    proofs, proof = body.get("proofs"), body.get("proof")
    if proofs is not None and proof is not None:
        raise ClaimRefused("invalid_credential_request", "Send 'proofs' or 'proof', not both.")
    if proofs is None and proof is None:
        raise _invalid("The request has no 'proofs': a key proof binds the credential to you.")
    if proofs is not None:
        if not isinstance(proofs, Mapping) or len(proofs) != 1:
            raise _invalid("'proofs' must be an object with exactly one proof type.")
        [(kind, items)] = proofs.items()
        if not isinstance(items, list) or not items:
            raise _invalid(f"'proofs.{kind}' must be a non-empty array.")
        if len(items) > 1:
            raise ClaimRefused(
                "invalid_credential_request",
                "This issuer issues one credential per request: send one proof.",
            )
        return _known_type(str(kind)), items[0]
    if not isinstance(proof, Mapping) or not isinstance(proof.get("proof_type"), str):
        raise _invalid("'proof' must be an object with a 'proof_type'.")
    kind = _known_type(proof["proof_type"])
    key = next((k for k in (proof["proof_type"], kind) if k in proof), kind)
    return kind, proof.get(key)


def _known_type(kind: str) -> str:
    kind = _PROOF_TYPE_ALIASES.get(kind, kind)
    if kind not in (JWT, DI_VP):
        raise _invalid(f"The proof type {kind!r} is not supported: use 'jwt' or 'di_vp'.")
    return kind


def holder_of(
    session: Session, *, base_url: str, credential_issuer: str, kind: str, proof: Any
) -> str:
    """The DID the proof shows the wallet controls, once its signature, audience, age and
    nonce are checked; the nonce is used from then on. Refusals carry OpenID4VCI's codes:
    invalid_proof, or invalid_nonce (the wallet then asks for a new one)."""
    if kind == JWT:
        holder, nonce = _jwt_proof(proof, credential_issuer)
    else:
        holder, nonce = _di_vp_proof(session, proof, base_url, credential_issuer)
    if not claims.use_nonce(session, nonce):
        raise ClaimRefused(
            "invalid_nonce",
            "The proof's nonce is not a current c_nonce of this issuer (used, expired or "
            "unknown): get a new one from the nonce endpoint.",
        )
    return holder


# --- jwt proof type ---------------------------------------------------------------------------


def _jwt_proof(token: Any, credential_issuer: str) -> tuple[str, str]:
    if not isinstance(token, str):
        raise _invalid("A jwt proof must be a JWT in compact serialization.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _invalid(f"The jwt proof is not a JWT: {exc}") from exc
    if header.get("typ") != JWT_TYPE:
        raise _invalid(f"The jwt proof's typ must be {JWT_TYPE!r}.")
    alg = header.get("alg")
    if alg not in JWT_ALGORITHMS:
        raise _invalid(f"The jwt proof's alg {alg!r} is not one of {', '.join(JWT_ALGORITHMS)}.")
    named = [name for name in ("kid", "jwk", "x5c") if name in header]
    if len(named) != 1:
        raise _invalid("The jwt proof must name its key with exactly one of kid or jwk.")
    if named == ["kid"]:
        holder, key = _key_of_did_url(header["kid"])
    elif named == ["jwk"]:
        holder, key = _key_of_jwk(header["jwk"])
    else:
        raise _invalid("x5c keys are not supported: name the key with kid or jwk.")
    if not _fits(key, str(alg)):
        raise _invalid(f"The jwt proof's key cannot sign {alg}.")
    try:
        payload = jwt.decode(
            token,
            key=key,
            algorithms=[str(alg)],
            audience=credential_issuer,
            leeway=CLOCK_SKEW,
            options={"require": ["aud", "iat"]},
        )
    except jwt.InvalidAudienceError as exc:
        raise _invalid(
            f"The jwt proof is for another audience: aud must be {credential_issuer}."
        ) from exc
    except jwt.PyJWTError as exc:
        raise _invalid(f"The jwt proof does not verify: {exc}") from exc
    iat = payload["iat"]
    if not isinstance(iat, int | float) or iat < time.time() - MAX_PROOF_AGE:
        raise _invalid("The jwt proof is too old: sign a new one with a fresh c_nonce.")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _invalid("The jwt proof has no nonce: sign a c_nonce from the nonce endpoint.")
    return holder, nonce


def _fits(key: PublicKey, alg: str) -> bool:
    if alg == "EdDSA":
        return isinstance(key, Ed25519PublicKey)
    return isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1)


def _key_of_did_url(kid: Any) -> tuple[str, PublicKey]:
    if not isinstance(kid, str):
        raise _invalid("The jwt proof's kid must be a DID URL.")
    did, _, fragment = kid.partition("#")
    if did.startswith("did:key:"):
        try:
            raw = multikey.public_key_from_did_key(kid)
        except ValueError as exc:
            raise _invalid(f"The kid is not a did:key verification method: {exc}") from exc
        return did, Ed25519PublicKey.from_public_bytes(raw)
    if did.startswith("did:jwk:"):
        if fragment not in ("", "0"):
            raise _invalid("A did:jwk has one key, '#0'.")
        encoded = did.removeprefix("did:jwk:")
        try:
            jwk = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise _invalid(f"The kid is not a did:jwk: {exc}") from exc
        _, key = _key_of_jwk(jwk)
        return did, key
    raise _invalid(
        f"The kid {kid!r} is not a supported DID URL: the binding methods are "
        f"{', '.join(BINDING_METHODS)}."
    )


def _key_of_jwk(jwk: Any) -> tuple[str, PublicKey]:
    """The public key of a JWK and the did:jwk that names it (its public members only, in
    RFC 7638's order, so the same key always makes the same DID)."""
    if not isinstance(jwk, Mapping):
        raise _invalid("The jwk header must be a JWK object.")
    if _PRIVATE_JWK_MEMBERS & set(jwk):
        raise _invalid("The jwk carries a private key: send the public key only.")
    members = _PUBLIC_JWK_MEMBERS.get(str(jwk.get("kty")))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise _invalid("The jwk must be an Ed25519 (OKP) or P-256 (EC) public key.")
    public = {m: jwk[m] for m in members}
    try:
        key = jwt.PyJWK(public).key
    except jwt.PyJWTError as exc:
        raise _invalid(f"The jwk is not a usable key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey | EllipticCurvePublicKey):
        raise _invalid("The jwk must be an Ed25519 (OKP) or P-256 (EC) public key.")
    encoded = json.dumps(public, separators=(",", ":"), sort_keys=True).encode()
    did = "did:jwk:" + base64.urlsafe_b64encode(encoded).rstrip(b"=").decode()
    return did, key


# --- di_vp proof type -------------------------------------------------------------------------


def _di_vp_proof(
    session: Session, presentation: Any, base_url: str, credential_issuer: str
) -> tuple[str, str]:
    if not isinstance(presentation, Mapping):
        raise _invalid("A di_vp proof must be a Verifiable Presentation object.")
    proofs = presentation.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    if len(proofs) != 1 or not isinstance(proofs[0], Mapping):
        raise _invalid("The presentation must carry exactly one Data Integrity proof.")
    [proof] = proofs
    if proof.get("cryptosuite") not in DI_VP_CRYPTOSUITES:
        raise _invalid(
            f"The presentation's cryptosuite must be one of {', '.join(DI_VP_CRYPTOSUITES)}."
        )
    if proof.get("domain") != credential_issuer:
        raise _invalid(f"The presentation's domain must be the issuer, {credential_issuer}.")
    challenge = proof.get("challenge")
    if not isinstance(challenge, str) or not challenge:
        raise _invalid("The presentation has no challenge: sign a c_nonce as its challenge.")
    method = proof.get("verificationMethod")
    did = method.partition("#")[0] if isinstance(method, str) else ""
    if not did.startswith(("did:key:", "did:jwk:")):
        raise _invalid(
            "The presentation's verificationMethod must be a did:key or did:jwk key: the "
            f"binding methods are {', '.join(BINDING_METHODS)}."
        )
    holder = presentation.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    if holder_id is not None and holder_id != did:
        raise _invalid("The presentation's holder is not the DID of the key that signed it.")
    result = vcapi.verify_presentation(
        session,
        base_url=base_url,
        presentation=presentation,
        challenge=challenge,
        domain=credential_issuer,
    )
    if not result.verified:
        details = "; ".join(error["detail"] for error in result.errors)
        raise _invalid(f"The presentation does not verify: {details}")
    return did, challenge
