"""1EdTech's own OB 3.0 samples (JSON, VC-JWT, and both baked into PNG and SVG) upsert through
the API and read back exactly as sent; the same credential (same issuer, same id) sent again
in another form replaces it."""

from __future__ import annotations

from tests.fixtures.tenants import make_tenant
from tests.obapi.conftest import Live
from tests.obapi.samples import id_of, sample

# By issuer: 1EdTech's samples reuse credential ids across issuers, and Plaudit keeps one
# credential per id in an organization (as imports do), so each issuer's go to an organization
# of their own. Within a group, equal ids replace each other.
GROUPS = {
    "https://example.com/issuers/876543": [
        "simple.json",
        "simple-json.png",
        "simple-json.svg",
        "simple-multiple-proofs.json",
        "simple-context-alias.json",
        "simple-context-version.json",
    ],
    "https://1edtech.edu/issuers/565049": [
        "complete.json",
        "simple-jwt.png",
        "simple-jwt.svg",
        "simple-did-web-method.json",
    ],
    "https://example.edu/issuers/565049": ["simple.jwt", "simple-jwt_v1.png", "simple-jwt_v1.svg"],
    "did-key and velocity": ["simple-did-key-method.json", "velocity.jwt"],
}


def test_1edtech_samples_upsert_and_read_back_without_loss(live: Live) -> None:
    for number, names in enumerate(GROUPS.values()):
        tenant = make_tenant(live.runtime, name=f"Group {number}")
        # complete.json names its recipient by this address as well as by a DID.
        learner = live.learner(tenant, credentials=0, email="student@1edtech.edu")
        ob = live.ob(tenant)
        tokens = ob.tokens(ob.register(), wallet=learner.wallet)
        seen: set[str] = set()
        for name in names:
            credential = sample(name)
            answer = ob.upsert(tokens, credential)
            assert answer.status_code in (200, 201), (name, answer.text)
            if isinstance(credential, str):
                assert answer.headers["content-type"].startswith("text/plain")
                assert answer.text == credential
            else:
                assert answer.json() == credential
            held = ob.all_credentials(tokens)
            if isinstance(credential, str):
                assert credential in held["compactJwsString"], name
            else:
                assert credential in held["credential"], name
            seen.add(id_of(credential))
            # One credential per id: what an equal one replaced is gone.
            assert len(held["credential"]) + len(held["compactJwsString"]) == len(seen), name
