"""eddsa-jcs-2022 against the W3C vc-di-eddsa test vectors, step by step and byte for byte."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from plaudit.openbadges.jcs import canonical_json, create_proof_jcs, sign_jcs, verify_jcs
from plaudit.openbadges.multikey import (
    b58decode,
    b58encode,
    did_key_verification_method,
    ed25519_public_from_multibase,
    ed25519_secret_from_multibase,
    public_key_from_did_key,
)
from tests.fixtures.paths import standards

VECTORS = standards() / "w3c" / "vc-di-eddsa-test-vectors"
JCS = VECTORS / "eddsa-jcs-2022"
KEY_PAIR = json.loads((VECTORS / "keyPair.json").read_text(encoding="utf-8"))
PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(
    ed25519_secret_from_multibase(KEY_PAIR["privateKeyMultibase"])
)
PUBLIC_KEY = Ed25519PublicKey.from_public_bytes(
    ed25519_public_from_multibase(KEY_PAIR["publicKeyMultibase"])
)
CREATED = "2023-02-24T23:36:38Z"
METHOD = did_key_verification_method("did:key:" + KEY_PAIR["publicKeyMultibase"])


def _text(name: str) -> str:
    return (JCS / name).read_text(encoding="utf-8").strip()


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


UNSIGNED: dict[str, Any] = _json(VECTORS / "unsigned.json")
SIGNED: dict[str, Any] = _json(JCS / "signedJCS.json")


def _proof() -> dict[str, Any]:
    return create_proof_jcs(
        UNSIGNED, private_key=PRIVATE_KEY, verification_method=METHOD, created=CREATED
    )


def test_the_vector_verification_method_is_the_did_key_of_the_vector_key() -> None:
    proof_config = _json(JCS / "proofConfigJCS.json")
    assert proof_config["verificationMethod"] == METHOD
    assert public_key_from_did_key(METHOD) == ed25519_public_from_multibase(
        KEY_PAIR["publicKeyMultibase"]
    )


def test_canonical_document() -> None:
    assert canonical_json(UNSIGNED) == _text("canonDocJCS.txt").encode("utf-8")


def test_document_hash() -> None:
    assert hashlib.sha256(canonical_json(UNSIGNED)).hexdigest() == _text("docHashJCS.txt")


def test_proof_config_is_the_proof_without_its_value() -> None:
    proof = _proof()
    proof_config = {key: value for key, value in proof.items() if key != "proofValue"}
    assert proof_config == _json(JCS / "proofConfigJCS.json")
    assert canonical_json(proof_config) == _text("proofCanonJCS.txt").encode("utf-8")
    assert hashlib.sha256(canonical_json(proof_config)).hexdigest() == _text("proofHashJCS.txt")


def test_combined_hash_and_signature() -> None:
    proof_hash = hashlib.sha256(_text("proofCanonJCS.txt").encode("utf-8")).digest()
    document_hash = hashlib.sha256(_text("canonDocJCS.txt").encode("utf-8")).digest()
    assert (proof_hash + document_hash).hex() == _text("combinedHashJCS.txt")
    signature = b58decode(_proof()["proofValue"][1:])
    assert signature.hex() == _text("sigHexJCS.txt")
    PUBLIC_KEY.verify(signature, bytes.fromhex(_text("combinedHashJCS.txt")))


def test_proof_value() -> None:
    assert _proof()["proofValue"] == _text("sigBTC58JCS.txt")


def test_signed_document_matches_the_vector_byte_for_byte() -> None:
    signed = sign_jcs(
        UNSIGNED, private_key=PRIVATE_KEY, verification_method=METHOD, created=CREATED
    )
    assert signed == SIGNED
    # Same key order too, so the pretty-printed form is the vector file itself.
    assert json.dumps(signed, indent=2) == (JCS / "signedJCS.json").read_text(encoding="utf-8")


def test_signing_leaves_the_input_alone() -> None:
    before = copy.deepcopy(UNSIGNED)
    sign_jcs(UNSIGNED, private_key=PRIVATE_KEY, verification_method=METHOD, created=CREATED)
    assert before == UNSIGNED


def test_the_vector_signed_document_verifies() -> None:
    assert verify_jcs(SIGNED, public_key=PUBLIC_KEY)


def test_another_key_does_not_verify() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_jcs(SIGNED, public_key=other)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))]
    return [path]


def _tampered(path: tuple[Any, ...]) -> dict[str, Any]:
    document = copy.deepcopy(SIGNED)
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step]
    original = parent[path[-1]]
    if path == ("proof", "proofValue"):
        # Still well-formed base58btc of 64 bytes: only the signature check can catch it.
        signature = bytearray(b58decode(original[1:]))
        signature[10] ^= 1
        parent[path[-1]] = "z" + b58encode(bytes(signature))
    else:
        parent[path[-1]] = original + "x"
    return document


@pytest.mark.parametrize("path", _leaves(SIGNED), ids=lambda p: ".".join(map(str, p)))
def test_changing_any_single_value_breaks_verification(path: tuple[Any, ...]) -> None:
    tampered = _tampered(path)
    if path[:2] == ("proof", "type") or path[:2] == ("proof", "cryptosuite"):
        # The proof is no longer an eddsa-jcs-2022 proof at all.
        with pytest.raises(ValueError, match="no DataIntegrityProof"):
            verify_jcs(tampered, public_key=PUBLIC_KEY)
    else:
        assert verify_jcs(tampered, public_key=PUBLIC_KEY) is False


def test_adding_or_removing_a_member_breaks_verification() -> None:
    added = copy.deepcopy(SIGNED)
    added["credentialSubject"]["honours"] = True
    assert not verify_jcs(added, public_key=PUBLIC_KEY)
    removed = copy.deepcopy(SIGNED)
    del removed["description"]
    assert not verify_jcs(removed, public_key=PUBLIC_KEY)


@pytest.mark.parametrize(
    "proof_value",
    ["", "z", "zz0OIl", "u" + "A" * 86, "z" + "1" * 10, 42, None],
)
def test_a_malformed_proof_value_is_false_not_an_exception(proof_value: Any) -> None:
    document = copy.deepcopy(SIGNED)
    document["proof"]["proofValue"] = proof_value
    assert verify_jcs(document, public_key=PUBLIC_KEY) is False


def test_the_proof_contexts_must_prefix_the_document_contexts() -> None:
    document = copy.deepcopy(SIGNED)
    document["@context"] = list(reversed(document["@context"]))
    assert verify_jcs(document, public_key=PUBLIC_KEY) is False
    extended = copy.deepcopy(SIGNED)
    extended["@context"].append("https://w3id.org/security/data-integrity/v2")
    # 3.3.2 step 4: contexts after the signed ones (a later proof in a set may add some) are
    # set aside; the document is checked with the contexts this proof signed.
    assert verify_jcs(extended, public_key=PUBLIC_KEY) is True


def test_a_document_without_an_eddsa_jcs_proof_raises() -> None:
    with pytest.raises(ValueError, match="no DataIntegrityProof"):
        verify_jcs(UNSIGNED, public_key=PUBLIC_KEY)
    rdfc = _json(VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json")
    with pytest.raises(ValueError, match="eddsa-jcs-2022"):
        verify_jcs(rdfc, public_key=PUBLIC_KEY)


def test_proof_sets() -> None:
    rdfc = _json(VECTORS / "eddsa-rdfc-2022" / "signedDataInt.json")
    secured = sign_jcs(rdfc, private_key=PRIVATE_KEY, verification_method=METHOD, created=CREATED)
    assert isinstance(secured["proof"], list)
    assert secured["proof"][0] == rdfc["proof"]
    # Each proof in a set signs the document without the others, so this one is the vector's.
    assert secured["proof"][1] == SIGNED["proof"]
    assert verify_jcs(secured, public_key=PUBLIC_KEY)
    second_key = Ed25519PrivateKey.generate()
    twice = sign_jcs(secured, private_key=second_key, verification_method="urn:k2", created=CREATED)
    assert len(twice["proof"]) == 3
    assert verify_jcs(twice, public_key=PUBLIC_KEY)
    assert verify_jcs(twice, public_key=second_key.public_key())


def test_a_proof_without_context_follows_the_current_algorithm() -> None:
    key = Ed25519PrivateKey.generate()
    document = {"name": "no context here"}
    secured = sign_jcs(document, private_key=key, verification_method="urn:k", created=CREATED)
    assert "@context" not in secured["proof"]
    assert verify_jcs(secured, public_key=key.public_key())


def test_a_pre_recommendation_proof_is_still_accepted() -> None:
    # Drafts signed the document's @context in the proof configuration but left it out of
    # the proof; rebuild such a proof from the vector's own pieces.
    proof = {key: value for key, value in SIGNED["proof"].items() if key != "@context"}
    secured = {**UNSIGNED, "proof": proof}
    assert verify_jcs(secured, public_key=PUBLIC_KEY)


def test_invalid_created_is_refused_when_signing() -> None:
    with pytest.raises(ValueError, match="XML Schema dateTime"):
        create_proof_jcs(
            UNSIGNED, private_key=PRIVATE_KEY, verification_method=METHOD, created="yesterday"
        )


def test_a_proof_chain_member_is_not_counted() -> None:
    document = copy.deepcopy(SIGNED)
    document["proof"]["previousProof"] = "urn:uuid:earlier"
    assert verify_jcs(document, public_key=PUBLIC_KEY) is False


def test_numbers_beyond_the_json_safe_range_are_false() -> None:
    document = copy.deepcopy(SIGNED)
    document["credentialSubject"]["big"] = 2**60
    assert verify_jcs(document, public_key=PUBLIC_KEY) is False
