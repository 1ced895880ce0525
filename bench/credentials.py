"""Benchmark: credentials signed and verified per second, per proof format, on one core.

Prints, for a typical Plaudit credential (built by plaudit.openbadges.credential), the rate of
eddsa-rdfc-2022, eddsa-jcs-2022 and VC-JWT (EdDSA, RS256) signing and verification, next to the
raw Ed25519 signing rate measured in the same run, and the rate of RDFC-1.0 canonicalisation
alone. eddsa-rdfc-2022 verification is measured on the general (PyLD) path and on the fast path
(compiled shapes), over credentials of one shape with different values, with the speed-up of the
one over the other.
Run: make bench   (or .venv/bin/python bench/credentials.py --seconds 3)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from plaudit.openbadges import credential as ob
from plaudit.openbadges import fastpath, multikey
from plaudit.openbadges.dataintegrity import sign_rdfc, to_quads, verify_rdfc
from plaudit.openbadges.fastpath import ShapeCache, sign_rdfc_fast
from plaudit.openbadges.jcs import sign_jcs, verify_jcs
from plaudit.openbadges.jose import decode_vc_jwt, sign_vc_jwt
from plaudit.openbadges.rdfc import canonicalize


def rate(label: str, fn: Callable[[int], Any], seconds: float) -> float:
    fn(0)  # warm caches (contexts, PyLD)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        fn(count)
        count += 1
    per_second = count / (time.perf_counter() - started)
    print(f"  {label:<32} {per_second:>10,.0f} /s   ({1000 / per_second:.3f} ms each)")
    return per_second


def credential(n: int, issuer: str) -> dict[str, Any]:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    return ob.build_credential(
        ob.CredentialData(
            id=f"https://plaudit.example/credentials/c{n}",
            issuer=ob.Issuer(id=issuer, name="Plaudit Academy", url="https://academy.example"),
            achievement=ob.Achievement(
                id="https://plaudit.example/achievements/v1",
                name="Course Completer",
                description="Awarded for completing every lesson of a course.",
                criteria_narrative="Complete all lessons.",
                image="https://plaudit.example/files/images/i/standard",
                achievement_type="Course",
                alignments=[ob.Alignment("Safety", "https://skills.example/safety", code="S1")],
                tags=["course"],
                language="en",
            ),
            valid_from=now,
            recipient_email=f"learner{n}@example.org",
            recipient_salt=f"salt{n}",
            evidence=[ob.Evidence(narrative="course.completed at 2026-11-22T11:00:00Z")],
            statuses=[ob.StatusEntry("https://plaudit.example/status/academy/revocation", n)],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    seconds = parser.parse_args().seconds
    ed = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raw = ed.public_key().public_bytes_raw()
    did = multikey.did_key(raw)
    method = multikey.did_key_verification_method(did)
    created = "2026-11-22T12:00:00Z"
    message = b"x" * 64

    print(f"one core, one process (.venv/bin/python bench/credentials.py --seconds {seconds:g}):")
    rate("raw Ed25519 sign (64 bytes)", lambda n: ed.sign(message), seconds)
    signed_jcs = sign_jcs(
        credential(0, did), private_key=ed, verification_method=method, created=created
    )
    jwt_ed = sign_vc_jwt(credential(0, did), private_key=ed, kid=method, alg="EdDSA")
    jwt_rsa = sign_vc_jwt(credential(0, did), private_key=rsa_key, kid=f"{did}#rsa", alg="RS256")
    rate(
        "sign eddsa-rdfc-2022",
        lambda n: sign_rdfc(
            credential(n, did), private_key=ed, verification_method=method, created=created
        ),
        seconds,
    )
    # Canonicalisation alone (RDFC-1.0 over the credential's quads, JSON-LD already done): the
    # part of an eddsa-rdfc-2022 proof that the fast path still pays per document.
    quads = to_quads(credential(0, did))
    rate(f"canonicalize RDFC-1.0 ({len(quads)} quads)", lambda n: canonicalize(quads), seconds)
    cache = ShapeCache()
    rate(
        "sign eddsa-rdfc-2022 (fast path)",
        lambda n: sign_rdfc_fast(
            cache, credential(n, did), private_key=ed, verification_method=method, created=created
        ),
        seconds,
    )
    rate(
        "sign eddsa-jcs-2022",
        lambda n: sign_jcs(
            credential(n, did), private_key=ed, verification_method=method, created=created
        ),
        seconds,
    )
    rate(
        "sign VC-JWT EdDSA",
        lambda n: sign_vc_jwt(credential(n, did), private_key=ed, kid=method, alg="EdDSA"),
        seconds,
    )
    rate(
        "sign VC-JWT RS256",
        lambda n: sign_vc_jwt(
            credential(n, did), private_key=rsa_key, kid=f"{did}#rsa", alg="RS256"
        ),
        seconds,
    )
    public = ed.public_key()
    shapes = ShapeCache()
    many = [
        sign_rdfc_fast(
            shapes, credential(n, did), private_key=ed, verification_method=method, created=created
        )
        for n in range(64)
    ]
    general = rate(
        "verify eddsa-rdfc-2022 (general)",
        lambda n: verify_rdfc(many[n % 64], public_key=public),
        seconds,
    )
    verifying = ShapeCache(compile_after=2)
    fast = rate(
        "verify eddsa-rdfc-2022 (fast path)",
        lambda n: fastpath.verify_rdfc(many[n % 64], public_key=public, cache=verifying),
        seconds,
    )
    print(f"  {'verify fast / general':<32} {fast / general:>10.1f} x")
    assert verifying.hits > verifying.misses, "the fast path was not taken"
    rate("verify eddsa-jcs-2022", lambda n: verify_jcs(signed_jcs, public_key=public), seconds)
    rate("verify VC-JWT EdDSA", lambda n: decode_vc_jwt(jwt_ed, public_key=public), seconds)
    rate(
        "verify VC-JWT RS256",
        lambda n: decode_vc_jwt(jwt_rsa, public_key=rsa_key.public_key()),
        seconds,
    )


if __name__ == "__main__":
    main()
