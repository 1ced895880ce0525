"""W3C Bitstring Status List: encode, decode and flip bits, and build the list credential."""

from __future__ import annotations

import base64
import gzip
import zlib
from datetime import datetime
from typing import Any, Final

from plaudit.openbadges.credential import iso

# 16 KiB of bits: the spec's minimum size, so that one holder's index hides among many.
LIST_SIZE: Final = 131_072
PURPOSES: Final = ("revocation", "suspension")
# A gzip bomb must not exhaust memory: no list we would accept decompresses beyond this.
MAX_DECODED_BYTES: Final = 16 * 1024 * 1024

VC_V2: Final = "https://www.w3.org/ns/credentials/v2"


def empty(size: int = LIST_SIZE) -> bytearray:
    return bytearray(size // 8)


def encode(bits: bytes | bytearray) -> str:
    """GZIP, then multibase base64url without padding ('u' prefix)."""
    # mtime=0 keeps the encoding a function of the bits alone.
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytearray:
    if not encoded.startswith("u"):
        raise ValueError("an encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    try:
        padded = body + "=" * (-len(body) % 4)
        compressed = base64.b64decode(padded, altchars=b"-_", validate=True)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
        bits = inflater.decompress(compressed, MAX_DECODED_BYTES)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"the encodedList cannot be decoded: {exc}") from exc
    if not inflater.eof and not inflater.unconsumed_tail:
        raise ValueError("the encodedList is not a complete GZIP stream")
    if inflater.unconsumed_tail:
        raise ValueError(f"the status list is larger than {MAX_DECODED_BYTES} bytes")
    return bytearray(bits)


def _position(bitstring: bytes | bytearray, index: int) -> tuple[int, int]:
    if not 0 <= index < len(bitstring) * 8:
        raise IndexError(f"index {index} is outside a list of {len(bitstring) * 8} bits")
    # Index 0 is the most significant bit of the first byte.
    return index // 8, 0x80 >> (index % 8)


def get(bitstring: bytes | bytearray, index: int) -> bool:
    byte, mask = _position(bitstring, index)
    return bool(bitstring[byte] & mask)


def set_bit(bitstring: bytearray, index: int, value: bool = True) -> None:
    byte, mask = _position(bitstring, index)
    if value:
        bitstring[byte] |= mask
    else:
        bitstring[byte] &= ~mask & 0xFF


def build_status_list_credential(
    *, url: str, issuer: str, purpose: str, encoded: str, valid_from: datetime
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential published at ``url``."""
    if purpose not in PURPOSES:
        raise ValueError(f"statusPurpose must be one of {', '.join(PURPOSES)}")
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }
