"""Verification through compiled shapes gives the general path's verdict, whatever it is sent."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from plaudit.openbadges import dataintegrity, fastpath, multikey
from plaudit.openbadges.checks.proofs import embedded_proof_checks
from plaudit.openbadges.dataintegrity import ProofError, sign_rdfc
from plaudit.openbadges.fastpath import ShapeCache, sign_rdfc_fast
from plaudit.openbadges.loader import CONTEXTS
from plaudit.openbadges.rdfc import CanonicalizationError, WorkLimitExceeded
from plaudit.openbadges.report import Verdict
from tests.fixtures.paths import standards

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key()
DID = multikey.did_key(PUBLIC.public_bytes_raw())
METHOD = multikey.did_key_verification_method(DID)
CREATED = "2026-11-22T12:00:00Z"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROOF_SETS = standards() / "w3c" / "vc-di-eddsa-test-vectors" / "proof-set-chain"


def outcome(verify: Callable[[], bool]) -> Any:
    """The verdict, or the refusal with its reason: the two paths must agree on both."""
    try:
        return verify()
    except (ProofError, CanonicalizationError) as exc:
        return type(exc).__name__, str(exc)


def both(document: dict[str, Any], cache: ShapeCache, key: Ed25519PublicKey = PUBLIC) -> Any:
    general = outcome(lambda: dataintegrity.verify_rdfc(document, public_key=key))
    fast = outcome(lambda: fastpath.verify_rdfc(document, public_key=key, cache=cache))
    assert fast == general, json.dumps(document, ensure_ascii=False)[:2000]
    return general


def sign(document: dict[str, Any]) -> dict[str, Any]:
    return sign_rdfc(document, private_key=KEY, verification_method=METHOD, created=CREATED)


# --- generated documents ---------------------------------------------------------------------

# Values that JSON-LD reads specially, or that look like what the fast path substitutes.
ODD = st.sampled_from(
    [
        "@id",
        "@type",
        "@context",
        "@vocab",
        "_:b0",
        "xsd:string",
        "ex:thing",
        "did:example:123",
        "did:example:a b",
        "urn:uuid:1",
        "urn:x-plaudit-slot:0:0",
        "https://example.org/a b",
        "https://example.org/\u00a0x",
        "https://example.org/\x7f",
        "https://example.org/<x>",
        "https://example.org/{x}|^`",
        "https://example.org/\\x",
        'https://example.org/"',
        "did:example:\x01",
        "urn:a\tb",
        "https://例え.jp/パス?q=1#f",
        "HTTPS://EXAMPLE.ORG/",
        "http://",
        "https:relative",
        "relative/path",
        "#fragment",
        "",
        "Course",
        "AchievementSubject",
        "2026-01-01T00:00:00Z",
        "not a date",
        "1e400",
    ]
)
TEXT = st.text(st.characters(codec="utf-8"), max_size=8)
IRI = st.one_of(
    st.builds(
        lambda scheme, tail: f"{scheme}{tail}",
        st.sampled_from(["https://example.org/", "did:example:", "urn:uuid:", "http://a.test/"]),
        st.text("abc-_./:%é名", max_size=6),
    ),
    ODD,
)
DATE = st.one_of(
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    ODD,
)
NUMBER = st.one_of(
    st.integers(-(2**60), 2**60), st.floats(allow_nan=False, allow_infinity=False), st.booleans()
)
Draw = Callable[[st.SearchStrategy[Any]], Any]
# A leaf of the skeleton names what kind of value fills it.
IRI_SLOT, TEXT_SLOT, DATE_SLOT, NUMBER_SLOT = "<iri>", "<text>", "<date>", "<number>"
FILLERS = {IRI_SLOT: IRI, TEXT_SLOT: st.one_of(TEXT, ODD), DATE_SLOT: DATE, NUMBER_SLOT: NUMBER}


@st.composite
def skeletons(draw: st.DrawFn) -> dict[str, Any]:
    """An Open Badge with optional fields and lists of varying lengths; leaves are slots."""
    achievement: dict[str, Any] = {
        "id": IRI_SLOT,
        "type": ["Achievement"],
        "name": TEXT_SLOT,
        "criteria": {"narrative": TEXT_SLOT},
    }
    if draw(st.booleans()):
        achievement["description"] = TEXT_SLOT
    if draw(st.booleans()):
        achievement["achievementType"] = draw(st.sampled_from(["Course", "Badge", "ext:Thing"]))
    achievement["tag"] = [TEXT_SLOT] * draw(st.integers(0, 3))
    achievement["alignment"] = [
        {"type": ["Alignment"], "targetName": TEXT_SLOT, "targetUrl": IRI_SLOT}
    ] * draw(st.integers(0, 2))
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": achievement}
    if draw(st.booleans()):
        subject["id"] = IRI_SLOT
    document: dict[str, Any] = {
        "@context": [VC2, OB3],
        "id": IRI_SLOT,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": IRI_SLOT, "type": ["Profile"], "name": TEXT_SLOT},
        "validFrom": DATE_SLOT,
        "name": TEXT_SLOT,
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        document["validUntil"] = DATE_SLOT
    if draw(st.booleans()):
        achievement["creditsAvailable"] = NUMBER_SLOT  # a number (or boolean) in the shape
    if draw(st.booleans()):
        document["evidence"] = [
            {"type": ["Evidence"], "narrative": TEXT_SLOT, "id": IRI_SLOT}
        ] * draw(st.integers(1, 2))
    return document


def fill(draw: Draw, skeleton: Any) -> Any:
    if isinstance(skeleton, dict):
        return {key: fill(draw, value) for key, value in skeleton.items()}
    if isinstance(skeleton, list):
        return [fill(draw, item) for item in skeleton]
    if isinstance(skeleton, str) and skeleton in FILLERS:
        return draw(FILLERS[skeleton])
    return skeleton


def signed_or_not(document: dict[str, Any], fallback_proof: dict[str, Any]) -> dict[str, Any]:
    """`document` signed; one the general path cannot sign carries someone else's proof."""
    try:
        return sign(document)
    except ProofError:
        return {**document, "proof": fallback_proof}


def string_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in string_paths(value, (*path, key))]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in string_paths(value, (*path, i))]
    return [path] if isinstance(node, str) else []


def set_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


def tampered(draw: Draw, secured: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of a signed document, each changed in one way a forger (or a bug) might."""
    copies: list[dict[str, Any]] = []
    body = {key: value for key, value in secured.items() if key != "proof"}

    changed = copy.deepcopy(secured)  # a value changed
    path = draw(st.sampled_from(string_paths(body)))
    set_at(changed, path, draw(st.one_of(IRI, TEXT)))
    copies.append(changed)

    added = copy.deepcopy(secured)  # a field added, known to the context or not
    target = draw(st.sampled_from([added, added["credentialSubject"], added["issuer"]]))
    target[draw(st.sampled_from(["description", "name", "image", "unknownTerm"]))] = draw(TEXT)
    copies.append(added)

    removable = [key for key in body if key not in ("@context", "type")]
    removed = copy.deepcopy(secured)  # a field removed
    del removed[draw(st.sampled_from(removable))]
    copies.append(removed)

    tags = secured["credentialSubject"]["achievement"]["tag"]
    if len(tags) > 1:  # an array reordered (a set in RDF: the signature still holds)
        reordered = copy.deepcopy(secured)
        reordered["credentialSubject"]["achievement"]["tag"] = list(reversed(tags))
        copies.append(reordered)

    recontexted = copy.deepcopy(secured)  # @context changed
    recontexted["@context"] = draw(
        st.sampled_from(
            [
                [VC2],
                [OB3, VC2],
                [VC2, OB3, "https://w3id.org/security/data-integrity/v2"],
                [VC2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json"],
                [VC2, OB3, {"name": "https://example.org/name"}],
                [VC2, OB3, {"@vocab": "https://example.org/vocab#"}],
            ]
        )
    )
    copies.append(recontexted)

    reproofed = copy.deepcopy(secured)  # a proof field changed
    proof = reproofed["proof"]
    field = draw(
        st.sampled_from(["created", "verificationMethod", "proofPurpose", "cryptosuite", "extra"])
    )
    proof[field] = draw(
        st.sampled_from(
            [
                "2026-11-22T12:00:01Z",
                METHOD + "x",
                "authentication",
                "eddsa-2022",
                "_:b0",
                "@id",
                "ex:odd",
            ]
        )
    )
    copies.append(reproofed)
    return copies


# No shrinking: each example signs and verifies a dozen documents, so shrinking a failure
# would take minutes; the assertion message shows the document the paths disagree on.
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
@given(st.data())
def test_fast_verification_agrees_with_the_general_path(data: st.DataObject) -> None:
    skeleton = data.draw(skeletons())
    # Two documents of one shape: the first (values possibly odd) is the one the shape is
    # compiled and proved with; the second, and its tampered copies, then take the fast path
    # wherever their values allow.
    one = fill(data.draw, skeleton)
    two = fill(data.draw, skeleton)
    fallback = sign(_benign(0))["proof"]
    cache = ShapeCache(compile_after=1)
    signed_one = signed_or_not(one, fallback)
    signed_two = signed_or_not(two, fallback)
    both(signed_one, cache)
    verdict = both(signed_two, cache)
    if signed_two["proof"] is not fallback:
        assert verdict is True
    for copy_ in tampered(data.draw, signed_two):
        both(copy_, cache)


def _benign(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [VC2, OB3],
        "id": f"https://plaudit.example/credentials/{n}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": DID, "type": ["Profile"], "name": f"Academy {n}"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": f"Badge {n}",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"https://plaudit.example/achievements/{n}",
                "type": ["Achievement"],
                "name": f"Badge {n}",
                "criteria": {"narrative": "Do it."},
                "image": {"id": "https://plaudit.example/i.png", "type": "Image"},
            },
        },
        **extra,
    }


# Documents whose values JSON-LD reads differently from a plain IRI or string, all of the
# shape of _benign (string leaves where _benign has them).
HOSTILE_VALUES: list[dict[str, Any]] = [
    {"id": "_:b0"},
    {"id": "@id"},
    {"id": "xsd:string"},
    {"id": "relative"},
    {"id": "did:example:a b"},
    {"id": "https://example.org/\u2028"},
    {"id": "urn:x-plaudit-slot:0:1"},
    {"id": "https://example.org/<x>"},
    {"id": "did:example:\x01"},
    {"name": "@type"},
    {"name": "https://example.org/looks-like-an-iri"},
    {"validFrom": "@value"},
    {"issuer": {"id": "@context", "type": ["Profile"], "name": "x"}},
    {"issuer": {"id": "did:key", "type": ["Profile"], "name": "x"}},
]


@pytest.mark.parametrize("hostile", HOSTILE_VALUES, ids=lambda value: json.dumps(value))
def test_the_shape_cache_cannot_be_poisoned(hostile: dict[str, Any]) -> None:
    fallback = sign(_benign(0))["proof"]
    # The hostile document comes first, so it is the one the shape is compiled from...
    cache = ShapeCache(compile_after=1)
    poisoned = signed_or_not({**_benign(1), **hostile}, fallback)
    both(poisoned, cache)
    both(poisoned, cache)
    # ...and honest documents of the shape still verify, forgeries still fail.
    for n in range(2, 5):
        honest = sign(_benign(n))
        assert both(honest, cache) is True
        forged = {**honest, "name": "Forged"}
        assert both(forged, cache) is False
        both({**honest, **hostile}, cache)
    # An honest document takes the fast path for both its canonical forms.
    before = cache.hits
    assert both(sign(_benign(9)), cache) is True
    assert cache.hits == before + 2


def test_honest_then_hostile_documents_of_one_shape() -> None:
    cache = ShapeCache(compile_after=1)
    honest = sign(_benign(1))
    assert both(honest, cache) is True
    assert both(sign(_benign(2)), cache) is True
    for hostile in HOSTILE_VALUES:
        both({**honest, **hostile}, cache)
    before = cache.hits
    assert both(sign(_benign(3)), cache) is True
    assert cache.hits == before + 2


# --- the safety argument's premises -----------------------------------------------------------


def _terms(context: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for item in context if isinstance(context, list) else [context]:
        if not isinstance(item, dict):
            continue
        for term, definition in item.items():
            found.append((term, definition))
            if isinstance(definition, dict) and "@context" in definition:
                found.extend(_terms(definition["@context"]))
    return found


def test_bundled_contexts_define_nothing_a_substituted_iri_could_collide_with() -> None:
    # fastpath substitutes http(s), did and urn IRIs as they are: JSON-LD would expand them
    # only if a context defined "did" or "urn" (or the IRI itself) as a term.
    folder = resources.files("plaudit.openbadges") / "contexts"
    for name in set(CONTEXTS.values()):
        context = json.loads((folder / name).read_text(encoding="utf-8"))["@context"]
        for term, definition in _terms(context):
            assert term not in ("did", "urn", "http", "https"), (name, term)
            assert not term.startswith(("http:", "https:", "did:", "urn:")), (name, term)
            # Keyword aliases other than id and type would need their values kept in the shape.
            target = definition.get("@id") if isinstance(definition, dict) else definition
            if isinstance(target, str) and target.startswith("@") and term != target:
                assert (term, target) in (("id", "@id"), ("type", "@type")), (name, term)


def test_a_context_that_redefines_a_scheme_is_never_compiled() -> None:
    # With "did" a prefix, JSON-LD reads did:example:1 as https://evil.example/#example:1: a
    # value substituted as it stands would not be what the issuer signed. The first document
    # (https IRIs only) would prove such a shape, so only refusing inline contexts prevents it.
    context = [VC2, OB3, {"did": "https://evil.example/#"}]

    def signed(issuer: str, method: str) -> dict[str, Any]:
        document = {
            **_benign(1),
            "@context": context,
            "issuer": {"id": issuer, "type": ["Profile"], "name": "x"},
        }
        return sign_rdfc(document, private_key=KEY, verification_method=method, created=CREATED)

    cache = ShapeCache(compile_after=1)
    assert both(signed("https://a.example/", "https://a.example/keys#1"), cache) is True
    second = signed("did:example:1", "did:example:1#key")
    assert both(second, cache) is True
    assert both({**second, "name": "Forged"}, cache) is False
    assert cache.hits == 0


def test_a_shape_the_general_path_reads_otherwise_is_caught_by_the_first_comparison() -> None:
    # A JSON literal holds its strings inside one literal, where no placeholder can be
    # substituted; only comparing the first document with the general path shows it.
    cache = ShapeCache(compile_after=1)
    for n in range(3):
        document = {**_benign(n), "description": {"@type": "@json", "@value": {"a": f"v{n}"}}}
        assert set(cache.quads(document)) == set(dataintegrity.to_quads(document))
    assert cache.hits == 0


def test_inline_contexts_always_take_the_general_path() -> None:
    cache = ShapeCache(compile_after=1)
    document = sign(_benign(1, **{"@context": [VC2, OB3, {"extra": "https://example.org/x"}]}))
    for _ in range(3):
        assert both(document, cache) is True
    assert cache.hits == 0


# --- wiring, chains and sets, hostile input -------------------------------------------------


def test_verification_compiles_a_shape_only_once_it_repeats() -> None:
    cache = ShapeCache(compile_after=2)
    credentials = [
        sign_rdfc_fast(
            ShapeCache(), _benign(n), private_key=KEY, verification_method=METHOD, created=CREATED
        )
        for n in range(4)
    ]
    assert fastpath.verify_rdfc(credentials[0], public_key=PUBLIC, cache=cache) is True
    assert cache.hits == 0  # seen once: the general path only
    for credential in credentials[1:]:
        assert fastpath.verify_rdfc(credential, public_key=PUBLIC, cache=cache) is True
    assert cache.hits >= 2


def test_offline_verification_uses_the_shared_verification_shapes() -> None:
    document = sign(_benign(7))
    before = fastpath.VERIFICATION_SHAPES.hits
    for _ in range(3):
        check, _key = embedded_proof_checks(document, lambda method: PUBLIC)
        assert check.verdict is Verdict.PASSED, check.message
    assert fastpath.VERIFICATION_SHAPES.hits > before
    tampered_document = {**document, "name": "Forged"}
    check, _key = embedded_proof_checks(tampered_document, lambda method: PUBLIC)
    assert check.verdict is Verdict.FAILED


def _multi_public(name: str) -> Ed25519PublicKey:
    keys = json.loads((PROOF_SETS / "multiKeyPairs.json").read_text(encoding="utf-8"))
    raw = multikey.ed25519_public_from_multibase(keys[name]["publicKeyMultibase"])
    return Ed25519PublicKey.from_public_bytes(raw)


@pytest.mark.parametrize("name", ["signedProofSet2.json", "signedProofChain2.json"])
def test_proof_sets_and_chains_verify_through_compiled_shapes(name: str) -> None:
    secured = json.loads((PROOF_SETS / name).read_text(encoding="utf-8"))
    keys = {
        proof["verificationMethod"]: _multi_public(f"keyPair{i + 1}")
        for i, proof in enumerate(secured["proof"])
    }
    for _ in range(3):  # compiled on the second pass, substituted on the third
        check, _key = embedded_proof_checks(secured, keys.get)
        assert check.verdict is Verdict.PASSED, check.message
    cache = ShapeCache(compile_after=1)
    for key in keys.values():
        for _ in range(2):
            both(secured, cache, key)
    broken = copy.deepcopy(secured)
    broken["proof"][-1]["previousProof"] = secured["proof"][0]["id"]
    if "previousProof" in secured["proof"][-1]:
        check, _key = embedded_proof_checks(broken, keys.get)
        assert check.verdict is Verdict.FAILED


def _poison(size: int) -> dict[str, Any]:
    """Anonymous nodes all linked to each other, with bundled contexts only."""
    return {
        "@context": [VC2],
        "@graph": [
            {
                "@id": f"_:n{node}",
                "https://example.org/link": [{"@id": f"_:n{o}"} for o in range(size)],
            }
            for node in range(size)
        ],
    }


def test_hostile_input_stays_bounded_on_the_fast_path() -> None:
    # Blank node identifiers are never substituted, so such a graph always takes the general
    # path, with its work limit (the timing is test_rdfc's poison graph test).
    cache = ShapeCache(compile_after=1)
    poisoned = {**_poison(10), "proof": sign(_benign(1))["proof"]}
    for _ in range(3):
        with pytest.raises(WorkLimitExceeded, match="hash steps"):
            fastpath.verify_rdfc(poisoned, public_key=PUBLIC, cache=cache)
    assert cache.fallbacks >= 3  # the graph each time (its proof configuration is fast)


def test_a_deep_document_falls_back_to_the_general_path() -> None:
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"https://example.org/next": deep}
    cache = ShapeCache(compile_after=1)
    document = {**_benign(1), "credentialSubject": deep, "proof": sign(_benign(1))["proof"]}
    both(document, cache)
    assert cache.fallbacks >= 1
