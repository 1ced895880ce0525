"""Key encodings against the W3C vc-di-eddsa key pair, base58 vectors and the did:web spec."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from plaudit.openbadges.multikey import (
    b58decode,
    b58encode,
    did_key,
    did_key_document,
    did_key_verification_method,
    did_web,
    did_web_document_url,
    ed25519_from_jwk,
    ed25519_public_from_multibase,
    ed25519_public_multibase,
    ed25519_secret_from_multibase,
    ed25519_secret_multibase,
    jwk_from_ed25519,
    public_key_from_did_key,
)
from tests.fixtures.paths import standards

VECTORS = standards() / "w3c" / "vc-di-eddsa-test-vectors"
KEY_PAIR = json.loads((VECTORS / "keyPair.json").read_text(encoding="utf-8"))
MULTI_KEY_PAIRS = json.loads(
    (VECTORS / "proof-set-chain" / "multiKeyPairs.json").read_text(encoding="utf-8")
)


def _raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\x00", "1"),
        (b"\x00\x00\x01", "112"),
        (b"hello world", "StV1DL6CwTryKyV"),
        (b"\x00\x00\x28\x7f\xb4\xcd", "11233QC4"),
        (bytes.fromhex("61"), "2g"),
        (bytes.fromhex("626262"), "a3gV"),
        (bytes.fromhex("636363"), "aPEr"),
        (bytes.fromhex("516b6fcd0f"), "ABnLTmg"),
        (bytes.fromhex("572e4794"), "3EFU7m"),
        (bytes.fromhex("ecac89cad93923c02321"), "EJDM8drfXA6uyA"),
        (bytes.fromhex("10c8511e"), "Rt5zm"),
        (b"\x00" * 10, "1111111111"),
    ],
)
def test_base58_known_vectors(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "z z"])
def test_base58_refuses_characters_outside_the_alphabet(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid base58 character"):
        b58decode(bad)


@pytest.mark.parametrize("pair", [KEY_PAIR, *MULTI_KEY_PAIRS.values()])
def test_public_multibase_derives_from_the_vector_private_key(pair: dict[str, str]) -> None:
    seed = ed25519_secret_from_multibase(pair["privateKeyMultibase"])
    assert ed25519_secret_multibase(seed) == pair["privateKeyMultibase"]
    raw = _raw_public(Ed25519PrivateKey.from_private_bytes(seed))
    assert ed25519_public_multibase(raw) == pair["publicKeyMultibase"]
    assert ed25519_public_from_multibase(pair["publicKeyMultibase"]) == raw


def test_multibase_prefixes() -> None:
    raw = bytes(range(32))
    assert ed25519_public_multibase(raw).startswith("z6Mk")
    assert ed25519_secret_multibase(raw).startswith("z3u2")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("u6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "starting with 'z'"),
        ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ0", "not valid base58btc"),
        (KEY_PAIR["privateKeyMultibase"], "multicodec header 0xed01"),
        ("z" + b58encode(b"\xed\x01" + bytes(31)), "31 key bytes"),
        ("z" + b58encode(b"\xed\x01" + bytes(33)), "33 key bytes"),
        ("z", "multicodec header"),
    ],
)
def test_public_multibase_validation(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ed25519_public_from_multibase(value)


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ed25519_public_multibase(bytes(31))
    with pytest.raises(ValueError, match="32 bytes"):
        did_key(bytes(33))


def test_did_key_round_trip_with_the_vector_key() -> None:
    raw = ed25519_public_from_multibase(KEY_PAIR["publicKeyMultibase"])
    did = did_key(raw)
    assert did == "did:key:" + KEY_PAIR["publicKeyMultibase"]
    method = did_key_verification_method(did)
    # The verification method the eddsa-jcs-2022 vector uses.
    assert method == (
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    )
    assert did_key_verification_method(method) == method
    assert public_key_from_did_key(did) == raw
    assert public_key_from_did_key(method) == raw


def test_did_key_round_trip_with_a_fresh_key() -> None:
    raw = _raw_public(Ed25519PrivateKey.generate())
    assert public_key_from_did_key(did_key_verification_method(did_key(raw))) == raw


@pytest.mark.parametrize(
    "value",
    [
        "did:web:example.com",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#key-1",
        "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    ],
)
def test_public_key_from_did_key_refuses_other_identifiers(value: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails for its own reason
        public_key_from_did_key(value)


def test_did_key_document() -> None:
    did = "did:key:" + KEY_PAIR["publicKeyMultibase"]
    method = f"{did}#{KEY_PAIR['publicKeyMultibase']}"
    document = did_key_document(did)
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {
            "id": method,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": KEY_PAIR["publicKeyMultibase"],
        }
    ]
    assert document["assertionMethod"] == [method]
    assert document["authentication"] == [method]


def test_jwk_round_trip() -> None:
    raw = ed25519_public_from_multibase(KEY_PAIR["publicKeyMultibase"])
    jwk = jwk_from_ed25519(raw)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert "=" not in jwk["x"]
    assert ed25519_from_jwk(jwk) == raw


def test_rfc8037_jwk_example() -> None:
    # RFC 8037, appendix A.2: the public key of the A.1 example.
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    assert ed25519_from_jwk(jwk) == _raw_public(Ed25519PrivateKey.from_private_bytes(seed))


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "RSA", "n": "x", "e": "AQAB"}, "not an Ed25519 JWK"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, "not an Ed25519 JWK"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A" * 43, "d": "A" * 43}, "private key"),
        ({"kty": "OKP", "crv": "Ed25519"}, "unpadded base64url"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "3 bytes"),
    ],
)
def test_jwk_validation(jwk: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ed25519_from_jwk(jwk)


@pytest.mark.parametrize(
    ("base_url", "path", "did"),
    [
        # The did:web method specification's examples.
        ("https://w3c-ccg.github.io", (), "did:web:w3c-ccg.github.io"),
        ("https://w3c-ccg.github.io/user/alice", (), "did:web:w3c-ccg.github.io:user:alice"),
        ("https://example.com:3000", ("user", "alice"), "did:web:example.com%3A3000:user:alice"),
        (
            "https://issuer.example:8443/orgs/acme",
            (),
            "did:web:issuer.example%3A8443:orgs:acme",
        ),
        ("https://Issuer.Example/", ("orgs", "acme/"), "did:web:issuer.example:orgs:acme"),
        ("https://issuer.example", ("a:b c",), "did:web:issuer.example:a%3Ab%20c"),
    ],
)
def test_did_web(base_url: str, path: tuple[str, ...], did: str) -> None:
    assert did_web(base_url, *path) == did


@pytest.mark.parametrize(
    "base_url",
    ["http://issuer.example", "issuer.example", "https://issuer.example/?q=1", "https:///x"],
)
def test_did_web_refuses_what_is_not_an_https_origin(base_url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails for its own reason
        did_web(base_url)


@pytest.mark.parametrize(
    ("did", "url"),
    [
        # The did:web method specification's examples.
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        (
            "did:web:issuer.example%3A8443:orgs:acme",
            "https://issuer.example:8443/orgs/acme/did.json",
        ),
        ("did:web:issuer.example#key-1", "https://issuer.example/.well-known/did.json"),
    ],
)
def test_did_web_document_url(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@pytest.mark.parametrize(
    "did",
    ["did:key:z6Mk", "did:web:", "did:web:a%2Fb", "did:web:host%3Aport", "did:web:host:a/b"],
)
def test_did_web_document_url_refuses_malformed_dids(did: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails for its own reason
        did_web_document_url(did)


def test_did_web_round_trip() -> None:
    did = did_web("https://issuer.example:8443", "orgs", "acme")
    assert did_web_document_url(did) == "https://issuer.example:8443/orgs/acme/did.json"
