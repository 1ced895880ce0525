"""The fast signing path gives exactly the general path's proofs, shape by shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plaudit.openbadges import credential as ob
from plaudit.openbadges import multikey
from plaudit.openbadges.dataintegrity import ProofError, create_proof_rdfc, verify_rdfc
from plaudit.openbadges.fastpath import ShapeCache, create_proof_rdfc_fast, sign_rdfc_fast

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
DID = multikey.did_key(KEY.public_key().public_bytes_raw())
METHOD = multikey.did_key_verification_method(DID)
CREATED = "2026-11-22T12:00:00Z"


def build(n: int, **change: Any) -> dict[str, Any]:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=n)
    achievement = ob.Achievement(
        id=f"https://plaudit.example/achievements/{n % 3}",
        name=f'Badge {n} <with> "quotes" and ünïcode 名前',
        description="Line one\nline two\ttabbed",
        criteria_narrative=change.get("criteria", "Do it."),
        image=change.get("image", "https://plaudit.example/files/images/x/standard"),
        achievement_type=change.get("achievement_type", "Badge"),
        alignments=change.get("alignments", ()),
        tags=change.get("tags", ("a", "b")),
        language="en",
    )
    return ob.build_credential(
        ob.CredentialData(
            id=f"https://plaudit.example/credentials/c{n}",
            issuer=ob.Issuer(
                id=change.get("issuer", DID), name="Academy", url="https://academy.example"
            ),
            achievement=achievement,
            valid_from=start,
            valid_until=change.get("valid_until"),
            recipient_email=f"l{n}@example.org",
            recipient_salt=f"s{n}",
            evidence=change.get("evidence", ()),
            statuses=change.get("statuses", ()),
        )
    )


SHAPES: dict[str, dict[str, Any]] = {
    "plain": {},
    "expiring": {"valid_until": datetime(2027, 1, 1, tzinfo=UTC)},
    "aligned": {"alignments": (ob.Alignment("Skill", "https://skills.example/s", "ESCO", "S1"),)},
    "course": {"achievement_type": "Course", "tags": ()},
    "extension type": {"achievement_type": "ext:Workshop"},
    "evidence and status": {
        "evidence": (ob.Evidence("done at noon", name="e1"),),
        "statuses": (ob.StatusEntry("https://plaudit.example/status/a/revocation", 7),),
    },
    "did web issuer": {"issuer": "did:web:plaudit.example:orgs:academy"},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_fast_proofs_equal_general_proofs_for_every_document_of_a_shape(shape: str) -> None:
    cache = ShapeCache()
    for n in range(5):
        document = build(n, **SHAPES[shape])
        general = create_proof_rdfc(
            document, private_key=KEY, verification_method=METHOD, created=CREATED
        )
        fast = create_proof_rdfc_fast(
            cache, document, private_key=KEY, verification_method=METHOD, created=CREATED
        )
        assert fast == general  # Ed25519 is deterministic: equal hashes give equal proofValues
    assert cache.hits >= 8  # the document and proof configuration shapes were compiled once
    assert cache.fallbacks == 0


def test_fast_signed_credentials_verify_with_the_general_verifier() -> None:
    cache = ShapeCache()
    signed = sign_rdfc_fast(
        cache, build(1), private_key=KEY, verification_method=METHOD, created=CREATED
    )
    assert verify_rdfc(signed, public_key=KEY.public_key()) is True


def test_a_value_json_ld_treats_specially_falls_back_to_the_general_path() -> None:
    cache = ShapeCache()
    sign_rdfc_fast(cache, build(1), private_key=KEY, verification_method=METHOD, created=CREATED)
    odd = build(2, image="not an absolute IRI")  # same shape, a value the shape was not proved for
    with pytest.raises(ProofError):
        sign_rdfc_fast(cache, odd, private_key=KEY, verification_method=METHOD, created=CREATED)
    assert cache.fallbacks >= 1


def test_a_third_party_credential_shape_matches_too(standards: Path) -> None:
    document = json.loads((standards / "ob3" / "validator-fixtures" / "simple.json").read_text())
    document.pop("proof")
    cache = ShapeCache()
    for _ in range(2):
        fast = create_proof_rdfc_fast(
            cache, document, private_key=KEY, verification_method=METHOD, created=CREATED
        )
    assert fast == create_proof_rdfc(
        document, private_key=KEY, verification_method=METHOD, created=CREATED
    )
