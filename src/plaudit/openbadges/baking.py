"""Read the credential baked into an Open Badges PNG (iTXt chunk) or SVG (openbadges element)."""

from __future__ import annotations

import struct
import zlib
from typing import Any, Final

from defusedxml import ElementTree  # type: ignore[import-untyped]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# OB 3.0 bakes under "openbadgecredential"; OB 2.0 under "openbadges".
PNG_KEYWORDS: Final = ("openbadgecredential", "openbadges")
SVG_ELEMENTS: Final = (
    "{https://purl.imsglobal.org/ob/v3p0}credential",
    "{http://openbadges.org}assertion",
)
# A baked credential is a few kilobytes; a compressed chunk inflating past this is a bomb.
_MAX_TEXT: Final = 1_000_000


class BakingError(ValueError):
    """The image carries no readable baked credential."""


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_SIGNATURE)


def is_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in data[:65536]


def _itxt_text(body: bytes) -> tuple[str, str]:
    keyword, sep, rest = body.partition(b"\0")
    if not sep or len(rest) < 2:
        raise BakingError("a malformed iTXt chunk")
    compressed, method, rest = rest[0], rest[1], rest[2:]
    _language, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    if compressed:
        if method != 0:
            raise BakingError(f"iTXt compression method {method} is not zlib")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, _MAX_TEXT + 1)
        except zlib.error as exc:
            raise BakingError(f"the compressed iTXt chunk is corrupt: {exc}") from exc
        if len(text) > _MAX_TEXT or inflater.unconsumed_tail:
            raise BakingError("the compressed iTXt chunk inflates beyond the size limit")
    try:
        return keyword.decode("latin-1"), text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError("the iTXt chunk's text is not UTF-8") from exc


def extract_png(data: bytes) -> str:
    """The text (JSON or a compact JWS) of the first Open Badges iTXt chunk in a PNG."""
    if not is_png(data):
        raise BakingError("not a PNG image")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if len(body) != length or position + 12 + length > len(data):
            raise BakingError("the PNG is truncated")
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise BakingError(f"the PNG chunk {kind!r} fails its CRC check")
        if kind == b"iTXt":
            keyword, text = _itxt_text(body)
            if keyword in PNG_KEYWORDS:
                return text
        if kind == b"IEND":
            break
        position += 12 + length
    raise BakingError("the PNG has no 'openbadgecredential' or 'openbadges' iTXt chunk")


def extract_svg(data: bytes | str) -> str:
    """The credential in an SVG's openbadges:credential element: its text, or `verify`."""
    try:
        # defusedxml refuses entity expansion (billion laughs) and external entities.
        root: Any = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises ParseError or its own DefusedXmlException
        raise BakingError(f"the SVG cannot be parsed safely: {exc}") from exc
    for name in SVG_ELEMENTS:
        element = root.find(f".//{name}")
        if element is None:
            continue
        verify = element.get("verify")
        if isinstance(verify, str) and verify.strip():
            return verify.strip()
        text = "".join(element.itertext()).strip()
        if text:
            return text
    raise BakingError("the SVG has no openbadges:credential element with content")


def extract(data: bytes) -> str:
    """The baked credential text in PNG or SVG bytes."""
    if is_png(data):
        return extract_png(data)
    if is_svg(data):
        return extract_svg(data)
    raise BakingError("neither a PNG nor an SVG image")
