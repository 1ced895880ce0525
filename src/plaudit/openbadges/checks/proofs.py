"""The proof checks: embedded Data Integrity proofs or a VC-JWT's signature; the issuer's key."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from plaudit.openbadges import jose, multikey
from plaudit.openbadges.checks.fields import as_list, issuer_id
from plaudit.openbadges.checks.validity import parse_datetime
from plaudit.openbadges.dataintegrity import ProofError, verify_ed25519_2020
from plaudit.openbadges.fastpath import verify_rdfc_proof
from plaudit.openbadges.jcs import verify_jcs_proof
from plaudit.openbadges.rdfc import WorkLimitExceeded
from plaudit.openbadges.report import Check, failed, passed, warning

PublicKey = Ed25519PublicKey | RSAPublicKey
KeyResolver = Callable[[str], PublicKey | None]


def offline_key(verification_method: str) -> PublicKey | None:
    """The key a verification method names without any lookup, or None.

    A did:key carries its Ed25519 key, and a did:jwk its JWK (Ed25519 or RSA); so does
    1EdTech's '<controller>#z6Mk...' form, whose fragment is the publicKeyMultibase. Such a key
    is only as trustworthy as the controller check the verifier makes afterwards (issuer_key).
    """
    try:
        if verification_method.startswith("did:key:"):
            raw = multikey.public_key_from_did_key(verification_method)
            return Ed25519PublicKey.from_public_bytes(raw)
        if verification_method.startswith("did:jwk:"):
            return _did_jwk_key(verification_method)
        controller, sep, fragment = verification_method.partition("#")
        if sep and controller and fragment.startswith("z6Mk"):
            return Ed25519PublicKey.from_public_bytes(
                multikey.ed25519_public_from_multibase(fragment)
            )
    except ValueError:
        return None
    return None


# Private members a did:jwk must never carry (its JWK is published with the DID).
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _did_jwk_key(verification_method: str) -> PublicKey | None:
    """did:jwk: the DID is 'did:jwk:' + base64url(JWK JSON), its one key '#0'."""
    did, _, fragment = verification_method.partition("#")
    if fragment not in ("", "0"):
        return None
    encoded = did.removeprefix("did:jwk:")
    try:
        jwk = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"not a did:jwk: {exc}") from exc
    if not isinstance(jwk, dict) or _PRIVATE_JWK_MEMBERS & set(jwk):
        return None
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        return Ed25519PublicKey.from_public_bytes(multikey.ed25519_from_jwk(jwk))
    if jwk.get("kty") == "RSA":
        try:
            key = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError as exc:
            raise ValueError(f"the did:jwk's RSA key is unusable: {exc}") from exc
        return key if isinstance(key, RSAPublicKey) else None
    return None


@dataclass(frozen=True)
class ProofExpectations:
    """What the verifier expects of each embedded proof besides its signature (Data
    Integrity 4.2): its purpose, and for a presentation the challenge and domain it was
    given. `now` decides whether a proof has expired."""

    purpose: str = "assertionMethod"
    challenge: str | None = None
    domain: str | None = None
    now: datetime | None = None


def _signed_input(
    unsecured: Mapping[str, Any], proof: Mapping[str, Any], proofs: list[Any]
) -> dict[str, Any]:
    """What `proof` signed: the document without proofs, or, for a proof in a chain, with the
    proofs its previousProof names, in that order (Data Integrity 4.3 and 4.5)."""
    if "previousProof" not in proof:
        return dict(unsecured)
    named = as_list(proof["previousProof"])
    matching: list[Any] = []
    for ident in named:
        found = [p for p in proofs if isinstance(p, Mapping) and p.get("id") == ident]
        if not isinstance(ident, str) or not found:
            raise ProofError(f"its previousProof {ident!r} names no proof in the document")
        matching.append(found[0])
    return {**unsecured, "proof": matching}


def _verify_one_proof(
    unsecured: Mapping[str, Any], proof: Mapping[str, Any], proofs: list[Any], key: Any
) -> bool:
    if not isinstance(key, Ed25519PublicKey):
        raise ProofError("the key is not an Ed25519 key")
    document = _signed_input(unsecured, proof, proofs)
    if proof.get("type") == "Ed25519Signature2020":
        if "previousProof" in proof:
            raise ProofError("proof chains are not supported with Ed25519Signature2020")
        return verify_ed25519_2020({**unsecured, "proof": proof}, public_key=key)
    if proof.get("cryptosuite") == "eddsa-jcs-2022":
        try:
            return verify_jcs_proof(document, proof, public_key=key)
        except ValueError as exc:
            raise ProofError(str(exc)) from exc
    return verify_rdfc_proof(document, proof, public_key=key)


def _supported(proof: Mapping[str, Any]) -> bool:
    if proof.get("type") == "Ed25519Signature2020":
        return True
    return proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") in (
        "eddsa-rdfc-2022",
        "eddsa-2022",
        "eddsa-jcs-2022",
    )


def _options_problem(proof: Mapping[str, Any], label: str, expect: ProofExpectations) -> str | None:
    """Why the proof's own options refuse it, before any signature is checked."""
    if "expires" in proof and parse_datetime(proof["expires"]) is None:
        return (
            f"the {label} proof's expires {proof['expires']!r} is not an XML Schema "
            "dateTimeStamp (a date and time with a time zone)"
        )
    expires = parse_datetime(proof.get("expires"))
    if expires is not None and expires < (expect.now or datetime.now(UTC)):
        return f"the {label} proof expired on {proof['expires']}"
    purpose = proof.get("proofPurpose")
    if purpose != expect.purpose:
        return f"the {label} proof is for {purpose!r}; it must be for {expect.purpose!r} here"
    if expect.challenge is not None and proof.get("challenge") != expect.challenge:
        return f"the {label} proof does not carry the expected challenge"
    if expect.domain is not None and expect.domain not in as_list(proof.get("domain")):
        bound = proof.get("domain")
        where = f"bound to the domain {bound!r}" if bound is not None else "bound to no domain"
        return f"the {label} proof is {where}, not to {expect.domain!r}"
    return None


def _key_checks(
    owner: str | None, methods: Iterable[tuple[str, bool]], *, role: str = "issuer"
) -> Check:
    """The key check over (verification method, key found) pairs: is each key the owner's?"""
    name = "issuer_key" if role == "issuer" else f"{role}_key"
    for method, found in methods:
        if not found:
            return failed(name, f"the {role}'s key could not be found: {method}")
        # The method's controller is the part before '#': a did:key names itself, and
        # 1EdTech's '<controller>#z6Mk...' form names the issuer that holds the key.
        if owner is None:
            return failed(name, f"the document names no {role} to own the key")
        if method.partition("#")[0] != owner:
            return warning(
                name,
                f"the key {method} is not controlled by the {role} {owner}: "
                f"nothing ties the signer to the {role}",
            )
    return passed(name, f"the signing key belongs to the {role} {owner}")


def embedded_proof_checks(
    document: Mapping[str, Any],
    resolve_key: KeyResolver,
    expect: ProofExpectations = ProofExpectations(),
    *,
    owner: str | None = None,
    role: str = "issuer",
) -> tuple[Check, Check | None]:
    """The proof check (every proof of a set or chain must verify) and the key check.

    `owner` is who must control the keys (the issuer, or a presentation's holder).
    """
    proofs = as_list(document.get("proof"))
    if not proofs:
        what = "presentation" if role == "holder" else "credential"
        return failed("proof", f"the {what} has no proof"), None
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    problems: list[str] = []
    methods: list[tuple[str, bool]] = []
    for proof in proofs:
        if not isinstance(proof, Mapping):
            problems.append("a proof is not a JSON object")
            continue
        label = proof.get("cryptosuite") or proof.get("type")
        if not _supported(proof):
            problems.append(f"the proof type {label!r} is not supported")
            continue
        refused = _options_problem(proof, str(label), expect)
        if refused is not None:
            problems.append(refused)
            continue
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            problems.append(f"the {label} proof has no verificationMethod")
            continue
        key = resolve_key(method)
        methods.append((method, key is not None))
        if key is None:
            problems.append(f"the {label} proof was not checked: no key for {method}")
            continue
        try:
            if not _verify_one_proof(unsecured, proof, proofs, key):
                problems.append(f"the {label} signature does not match")
        except WorkLimitExceeded:
            problems.append(
                "refused: the document is too complex to canonicalise (possible attack)"
            )
        except ProofError as exc:
            problems.append(f"the {label} proof is invalid: {exc}")
    if owner is None and role == "issuer":
        owner = issuer_id(document)
    key_check = _key_checks(owner, methods, role=role) if methods else None
    if problems:
        return failed("proof", "; ".join(problems)), key_check
    return passed("proof", f"{len(proofs)} signature(s) verified"), key_check


def _jwt_key_candidates(kid: str, issuer: str | None) -> list[str]:
    candidates = [kid]
    if kid.startswith("z6Mk"):
        candidates.append(f"did:key:{kid}")
    if issuer and not kid.startswith(issuer):
        candidates.append(f"{issuer}{kid}" if kid.startswith("#") else f"{issuer}#{kid}")
    return candidates


def jwt_checks(
    token: str, credential: Mapping[str, Any], resolve_key: KeyResolver
) -> tuple[Check, Check]:
    header = jwt.get_unverified_header(token)
    issuer = issuer_id(credential)
    kid = header.get("kid")
    key: Any = None
    if isinstance(kid, str) and kid:
        method = kid
        for candidate in _jwt_key_candidates(kid, issuer):
            key = resolve_key(candidate)
            if key is not None:
                method = candidate
                break
        if key is None:
            return (
                failed("proof", f"the JWT was not checked: no key for {kid}"),
                failed("issuer_key", f"the issuer's key could not be found: {kid}"),
            )
        key_check = _key_checks(issuer, [(method, True)])
    elif isinstance(header.get("jwk"), Mapping):
        try:
            key = jwt.PyJWK(dict(header["jwk"])).key
        except jwt.PyJWTError as exc:
            return failed("proof", f"the JWT's jwk header is not a usable key: {exc}"), failed(
                "issuer_key", "the issuer's key could not be found: the jwk header is unusable"
            )
        # A key the token carries proves only that the token is intact; 1EdTech's validator
        # accepts it, but nothing ties it to the issuer.
        key_check = warning(
            "issuer_key",
            f"the token carries its own key (jwk header); nothing ties it to the issuer {issuer}",
        )
    else:
        return (
            failed("proof", "the JWT names no key (no kid and no jwk header)"),
            failed("issuer_key", "the issuer's key could not be found: the JWT names none"),
        )
    try:
        _, claims = jose.decode_vc_jwt(token, public_key=key)
    except (ValueError, TypeError) as exc:
        return failed("proof", f"the JWT signature is invalid: {exc}"), key_check
    conflicts = _claim_conflicts(claims, credential)
    if conflicts:
        return failed(
            "proof", f"the JWT contradicts the credential it signs: {conflicts}"
        ), key_check
    return passed("proof", f"the JWT signature ({header.get('alg')}) verified"), key_check


def _claim_conflicts(claims: Mapping[str, Any], credential: Mapping[str, Any]) -> str:
    """The registered claims that name something else than the credential does (VC-JOSE-COSE
    asks issuers to avoid it: a verifier reading only the claims would see another credential).
    The issuer is compared by the structure check."""
    subject = as_list(credential.get("credentialSubject"))
    pairs = [
        ("jti", credential.get("id")),
        (
            "sub",
            subject[0].get("id") if len(subject) == 1 and isinstance(subject[0], Mapping) else None,
        ),
    ]
    return "; ".join(
        f"{name} is {claims[name]!r}, the credential says {value!r}"
        for name, value in pairs
        if name in claims and value is not None and claims[name] != value
    )
