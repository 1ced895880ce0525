"""Ed25519 key encodings: base58btc multibase, Multikey, did:key, JWK, and did:web names."""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

_B58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX: Final = {char: index for index, char in enumerate(_B58_ALPHABET)}

# Multicodec headers, as unsigned varints: ed25519-pub is 0xed, ed25519-priv is 0x1300.
_ED25519_PUB: Final = b"\xed\x01"
_ED25519_PRIV: Final = b"\x80\x26"
_KEY_LENGTH: Final = 32

_DID_KEY: Final = "did:key:"
_DID_WEB: Final = "did:web:"
# DID Core's idchar, less pct-encoded: what a did:web segment may hold unescaped.
_IDCHAR: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_")
_DID_WEB_SEGMENT: Final = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")


def b58encode(data: bytes) -> str:
    """Base58 with the Bitcoin alphabet; each leading zero byte becomes a leading '1'."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_B58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """The inverse of b58encode; raises ValueError on a character outside the alphabet."""
    number = 0
    for position, char in enumerate(text):
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise ValueError(f"invalid base58 character {char!r} at position {position}")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def _multibase_key(header: bytes, raw32: bytes) -> str:
    if len(raw32) != _KEY_LENGTH:
        raise ValueError(f"an Ed25519 key is {_KEY_LENGTH} bytes, not {len(raw32)}")
    return "z" + b58encode(header + raw32)


def _key_from_multibase(value: str, header: bytes, what: str) -> bytes:
    if not value.startswith("z"):
        raise ValueError(f"{what} must be multibase base58btc, starting with 'z': {value!r}")
    try:
        decoded = b58decode(value[1:])
    except ValueError as exc:
        raise ValueError(f"{what} is not valid base58btc: {exc}") from exc
    if not decoded.startswith(header):
        raise ValueError(
            f"{what} must start with the multicodec header 0x{header.hex()}, "
            f"found 0x{decoded[:2].hex()}"
        )
    key = decoded[len(header) :]
    if len(key) != _KEY_LENGTH:
        raise ValueError(f"{what} holds {len(key)} key bytes; Ed25519 needs {_KEY_LENGTH}")
    return key


def ed25519_public_multibase(raw32: bytes) -> str:
    """The Multikey publicKeyMultibase of a raw Ed25519 public key ('z6Mk...')."""
    return _multibase_key(_ED25519_PUB, raw32)


def ed25519_public_from_multibase(value: str) -> bytes:
    """The raw 32-byte Ed25519 public key in a 'z6Mk...' publicKeyMultibase."""
    return _key_from_multibase(value, _ED25519_PUB, "an Ed25519 publicKeyMultibase")


def ed25519_secret_multibase(raw32: bytes) -> str:
    """The Multikey secretKeyMultibase of a raw Ed25519 private key (seed), 'z3u2...'."""
    return _multibase_key(_ED25519_PRIV, raw32)


def ed25519_secret_from_multibase(value: str) -> bytes:
    """The raw 32-byte Ed25519 private key (seed) in a 'z3u2...' secretKeyMultibase."""
    return _key_from_multibase(value, _ED25519_PRIV, "an Ed25519 secretKeyMultibase")


def did_key(raw32: bytes) -> str:
    """The did:key DID of a raw Ed25519 public key."""
    return _DID_KEY + ed25519_public_multibase(raw32)


def _did_key_parts(did_or_vm: str) -> tuple[str, str]:
    did, _, fragment = did_or_vm.partition("#")
    if not did.startswith(_DID_KEY):
        raise ValueError(f"not a did:key identifier: {did_or_vm!r}")
    multibase = did[len(_DID_KEY) :]
    ed25519_public_from_multibase(multibase)
    # did:key names its one verification method after the key itself.
    if fragment and fragment != multibase:
        raise ValueError(f"a did:key verification method is '#{multibase}', not '#{fragment}'")
    return did, multibase


def did_key_verification_method(did: str) -> str:
    """The verification method id of a did:key: 'did:key:z6Mk...#z6Mk...'."""
    did, multibase = _did_key_parts(did)
    return f"{did}#{multibase}"


def public_key_from_did_key(did_or_vm: str) -> bytes:
    """The raw Ed25519 public key named by a did:key DID or its verification method id."""
    _, multibase = _did_key_parts(did_or_vm)
    return ed25519_public_from_multibase(multibase)


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document a did:key resolves to: one Multikey, used for every relationship."""
    did, multibase = _did_key_parts(did)
    method = f"{did}#{multibase}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multibase,
            }
        ],
        "authentication": [method],
        "assertionMethod": [method],
        "capabilityDelegation": [method],
        "capabilityInvocation": [method],
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_from_ed25519(raw32: bytes) -> dict[str, str]:
    """The public JWK (RFC 8037, kty OKP) of a raw Ed25519 public key."""
    if len(raw32) != _KEY_LENGTH:
        raise ValueError(f"an Ed25519 key is {_KEY_LENGTH} bytes, not {len(raw32)}")
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw32)}


def ed25519_from_jwk(jwk: Mapping[str, Any]) -> bytes:
    """The raw Ed25519 public key in an OKP JWK; a JWK that carries a private part is refused."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError(
            f"not an Ed25519 JWK (kty={jwk.get('kty')!r}, crv={jwk.get('crv')!r}); "
            "expected kty 'OKP' and crv 'Ed25519'"
        )
    if "d" in jwk:
        raise ValueError("the JWK contains a private key ('d'); public keys only")
    x = jwk.get("x")
    if not isinstance(x, str) or "=" in x:
        raise ValueError("the JWK's 'x' must be unpadded base64url text")
    try:
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the JWK's 'x' is not valid base64url: {exc}") from exc
    if len(raw) != _KEY_LENGTH:
        raise ValueError(f"the JWK's 'x' holds {len(raw)} bytes; Ed25519 needs {_KEY_LENGTH}")
    return raw


def _did_web_segment(segment: str) -> str:
    decoded = urllib.parse.unquote(segment)
    return "".join(
        char if char in _IDCHAR else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in decoded
    )


def did_web(base_url: str, *path: str) -> str:
    """The did:web DID for an https URL plus optional path segments.

    "https://issuer.example:8443/orgs/acme" -> "did:web:issuer.example%3A8443:orgs:acme".
    """
    url = urllib.parse.urlsplit(base_url)
    if url.scheme != "https":
        raise ValueError(f"did:web documents are served over https, not {url.scheme or 'no'!r}")
    if url.query or url.fragment or url.username or url.password:
        raise ValueError(f"a did:web base URL has no query, fragment or credentials: {base_url}")
    host = (url.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"no host in {base_url!r}")
    try:
        port = url.port
    except ValueError as exc:
        raise ValueError(f"invalid port in {base_url!r}") from exc
    authority = host if host.isascii() else host.encode("idna").decode("ascii")
    if port is not None:
        authority += f"%3A{port}"
    segments = [s for s in url.path.split("/") if s] + [
        s for part in path for s in part.split("/") if s
    ]
    return _DID_WEB + ":".join([authority, *(_did_web_segment(s) for s in segments)])


def did_web_document_url(did: str) -> str:
    """Where a did:web DID document lives, per the did:web method's read operation."""
    did = did.partition("#")[0].partition("?")[0]
    if not did.startswith(_DID_WEB):
        raise ValueError(f"not a did:web identifier: {did!r}")
    authority, *segments = did[len(_DID_WEB) :].split(":")
    # The only escape the spec allows in the host part is the port's colon.
    host, _, port = authority.replace("%3a", "%3A").partition("%3A")
    if not host or "%" in host or "/" in host or (port and not port.isdigit()):
        raise ValueError(f"invalid did:web host {authority!r} in {did!r}")
    if any(not _DID_WEB_SEGMENT.fullmatch(segment) for segment in segments):
        raise ValueError(f"invalid did:web path in {did!r}")
    origin = f"https://{host}" + (f":{port}" if port else "")
    if not segments:
        return f"{origin}/.well-known/did.json"
    return f"{origin}/{'/'.join(segments)}/did.json"
