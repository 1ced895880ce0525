"""Data Integrity proofs with the eddsa-jcs-2022 cryptosuite (W3C vc-di-eddsa, section 3.3)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any, Final

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from plaudit.openbadges.multikey import b58decode, b58encode

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-jcs-2022"

# XML Schema 1.1 dateTime, the lexical space the spec requires of `created`.
_XSD_DATETIME: Final = re.compile(
    r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JCS) serialisation of a JSON value, as UTF-8 bytes."""
    return rfc8785.dumps(value)


def _hash_data(proof_config: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    # Section 3.3.4: the proof configuration's hash comes first, then the document's.
    return (
        hashlib.sha256(canonical_json(proof_config)).digest()
        + hashlib.sha256(canonical_json(unsecured)).digest()
    )


def _without_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "proof"}


def create_proof_jcs(
    document: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An eddsa-jcs-2022 DataIntegrityProof over `document` (any existing `proof` left out).

    Following the Recommendation (3.3.1 step 2), the proof carries the document's @context;
    it is part of the signed proof configuration and of the proof returned.
    """
    if not _XSD_DATETIME.fullmatch(created):
        raise ValueError(f"created must be an XML Schema dateTime, got {created!r}")
    unsecured = _without_proof(document)
    # Key order matches the W3C test vector, so a signed document serialises the same way.
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        # More proof options when asked: id, challenge, domain, expires, previousProof, nonce.
        **(options or {}),
    }
    if "@context" in unsecured:
        proof["@context"] = unsecured["@context"]
    signature = private_key.sign(_hash_data(proof, unsecured))
    proof["proofValue"] = "z" + b58encode(signature)
    return proof


def sign_jcs(document: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    """`document` with an eddsa-jcs-2022 proof added; keywords as for create_proof_jcs.

    A document that already has proofs gets a proof set: each proof signs the document
    without the others, as Data Integrity's "add proof set" prescribes.
    """
    return with_proof(document, create_proof_jcs(document, **kw))


def with_proof(document: Mapping[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """`document` with `proof` added: alone, or appended to the proofs it already has."""
    secured = dict(document)
    existing = document.get("proof")
    if existing is None:
        secured["proof"] = proof
    elif isinstance(existing, list):
        secured["proof"] = [*existing, proof]
    else:
        secured["proof"] = [existing, proof]
    return secured


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _verify_one(
    unsecured: Mapping[str, Any], proof: Mapping[str, Any], public_key: Ed25519PublicKey
) -> bool:
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        return False
    try:
        signature = b58decode(proof_value[1:])
    except ValueError:
        return False
    if len(signature) != 64:
        return False
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _XSD_DATETIME.fullmatch(created)):
        return False
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    candidates: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
    if "@context" in options:
        # 3.3.2 step 4: the document's contexts must begin with the proof's, in order, and
        # the proof's contexts are the ones that were signed.
        proof_contexts = _as_list(options["@context"])
        document_contexts = _as_list(unsecured.get("@context", []))
        if document_contexts[: len(proof_contexts)] != proof_contexts:
            return False
        candidates.append((options, {**unsecured, "@context": options["@context"]}))
    else:
        candidates.append((options, unsecured))
        # Drafts before the Recommendation signed the document's @context inside the proof
        # configuration without writing it into the proof; such proofs are still honest.
        if "@context" in unsecured:
            candidates.append(({**options, "@context": unsecured["@context"]}, unsecured))
    for proof_config, document in candidates:
        try:
            public_key.verify(signature, _hash_data(proof_config, document))
        except InvalidSignature:
            continue
        return True
    return False


def verify_jcs(secured: Mapping[str, Any], *, public_key: Ed25519PublicKey) -> bool:
    """Whether an eddsa-jcs-2022 proof on `secured` verifies with `public_key`.

    With a proof set, True when any eddsa-jcs-2022 proof verifies (each is checked against
    the document without the other proofs). Proofs in a chain (`previousProof`) never count
    here: verify_jcs_proof checks them. A bad signature or malformed proof gives
    False; only a document with no eddsa-jcs-2022 proof at all raises ValueError. Whether the
    proof's verificationMethod belongs to the issuer, and is `public_key`, is the caller's check.
    """
    proofs = [
        proof
        for proof in _as_list(secured.get("proof"))
        if isinstance(proof, Mapping)
        and proof.get("type") == PROOF_TYPE
        and proof.get("cryptosuite") == CRYPTOSUITE
    ]
    if not proofs:
        raise ValueError("the document has no DataIntegrityProof with cryptosuite eddsa-jcs-2022")
    unsecured = _without_proof(secured)
    try:
        return any(
            _verify_one(unsecured, proof, public_key)
            for proof in proofs
            if "previousProof" not in proof
        )
    except (ValueError, TypeError):
        # A document JCS cannot serialise (say, an integer beyond 2**53) was not signed by it.
        return False


def verify_jcs_proof(
    document: Mapping[str, Any], proof: Mapping[str, Any], *, public_key: Ed25519PublicKey
) -> bool:
    """Whether one eddsa-jcs-2022 `proof` verifies over `document` with `public_key`.

    `document` is what the proof signed: the document without its proofs, or, for a proof in
    a chain, with the proofs its `previousProof` names as its `proof` (Data Integrity 4.3).
    """
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ValueError("the proof is not a DataIntegrityProof with cryptosuite eddsa-jcs-2022")
    try:
        return _verify_one(document, proof, public_key)
    except (ValueError, TypeError):
        return False
