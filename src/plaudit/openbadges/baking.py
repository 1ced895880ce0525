"""Open Badges baking: a credential carried inside its badge image.

OB 3.0 bakes into a PNG `iTXt` chunk with the keyword `openbadgecredential` and into an SVG
`<openbadges:credential>` element (namespace https://purl.imsglobal.org/ob/v3p0); OB 2.0 used the
keyword `openbadges` and an `<openbadges:assertion>` element (namespace http://openbadges.org).
Baking replaces whatever an image already carries, so baking twice leaves one credential.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any, Final, Literal

from defusedxml import ElementTree  # type: ignore[import-untyped]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
# OB 3.0 bakes under "openbadgecredential"; OB 2.0 under "openbadges".
PNG_KEYWORDS: Final = ("openbadgecredential", "openbadges")
OB3_NS: Final = "https://purl.imsglobal.org/ob/v3p0"
OB2_NS: Final = "http://openbadges.org"
SVG_ELEMENTS: Final = (f"{{{OB3_NS}}}credential", f"{{{OB2_NS}}}assertion")
# Text-chunk types an older baker may have used for the same keywords.
_TEXT_CHUNKS: Final = (b"iTXt", b"tEXt", b"zTXt")
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


def _chunks(data: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(start, end, type, body) of each chunk up to IEND, checking lengths and CRCs."""
    if not is_png(data):
        raise BakingError("not a PNG image")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise BakingError("the PNG is truncated")
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise BakingError(f"the PNG chunk {kind!r} fails its CRC check")
        yield position, end, kind, body
        if kind == b"IEND":
            return
        position = end
    if position != len(data):
        raise BakingError("the PNG is truncated")


def extract_png(data: bytes) -> str:
    """The text (JSON or a compact JWS) of the first Open Badges iTXt chunk in a PNG."""
    for _start, _end, kind, body in _chunks(data):
        if kind == b"iTXt":
            keyword, text = _itxt_text(body)
            if keyword in PNG_KEYWORDS:
                return text
    raise BakingError("the PNG has no 'openbadgecredential' or 'openbadges' iTXt chunk")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bake_png(png: bytes, text: str, *, keyword: str = "openbadgecredential") -> bytes:
    """The PNG with `text` in an uncompressed iTXt chunk right after IHDR, as OB 3.0 shows it.

    Any chunk already baked under an Open Badges keyword is dropped first.
    """
    if keyword not in PNG_KEYWORDS:
        raise ValueError(f"unknown Open Badges PNG keyword {keyword!r}")
    parts = [PNG_SIGNATURE]
    kind = b""
    for start, end, kind, body in _chunks(png):
        if kind in _TEXT_CHUNKS and body.partition(b"\0")[0].decode("latin-1") in PNG_KEYWORDS:
            continue
        parts.append(png[start:end])
        if kind == b"IHDR":
            # keyword, NUL, compression flag 0, method 0, empty language tag, empty translation
            itxt = keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
            parts.append(_chunk(b"iTXt", itxt))
    if kind != b"IEND":
        raise BakingError("the PNG is truncated: it has no IEND chunk")
    return b"".join(parts)


def extract_svg(data: bytes | str) -> str:
    """The credential in an SVG's Open Badges element: its text, or its `verify` attribute."""
    try:
        # defusedxml refuses entity expansion (billion laughs) and external entities.
        root: Any = ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises ParseError or its own DefusedXmlException
        raise BakingError(f"the SVG cannot be parsed safely: {exc}") from exc
    for name in SVG_ELEMENTS:
        element = root.find(f".//{name}")
        if element is None:
            continue
        # The content (JSON) first: OB 2.0 puts the assertion's hosted URL in `verify` beside
        # it; an OB 3.0 VC-JWT comes as `verify` alone.
        text = "".join(element.itertext()).strip()
        if text:
            return text
        verify = element.get("verify")
        if isinstance(verify, str) and verify.strip():
            return verify.strip()
    raise BakingError("the SVG has no openbadges:credential element with content")


def extract(data: bytes) -> str:
    """The baked credential text in PNG or SVG bytes."""
    if is_png(data):
        return extract_png(data)
    if is_svg(data):
        return extract_svg(data)
    raise BakingError("neither a PNG nor an SVG image")


_SVG_ROOT = re.compile(rb"<(?:[\w.-]+:)?svg\b")
_START_TAG_END = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*>""")


def _baked_elements(svg: bytes) -> list[tuple[int, int]]:
    """Byte spans of every Open Badges element, under whatever prefix the document bound."""
    spans: list[tuple[int, int]] = []
    for prefix, uri in re.findall(rb"""xmlns:([\w.-]+)\s*=\s*["']([^"']*)["']""", svg):
        local = {OB3_NS.encode(): b"credential", OB2_NS.encode(): b"assertion"}.get(uri)
        if local is None:
            continue
        name = re.escape(prefix + b":" + local)
        pattern = (
            rb"<" + name + rb"\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?</" + name + rb"\s*>)"
        )
        spans.extend(m.span() for m in re.finditer(pattern, svg, re.DOTALL))
    return sorted(spans)


def _drop_unused_declarations(svg: bytes) -> bytes:
    """Remove xmlns:prefix declarations of the Open Badges namespaces that nothing uses now."""
    declaration = rb"""\s+xmlns:([\w.-]+)\s*=\s*["'](?:%s|%s)["']""" % (
        re.escape(OB3_NS.encode()),
        re.escape(OB2_NS.encode()),
    )
    for found in reversed(list(re.finditer(declaration, svg))):
        rest = svg[: found.start()] + svg[found.end() :]
        if not re.search(rb"[<\s/]" + re.escape(found.group(1)) + rb":", rest):
            svg = rest
    return svg


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def bake_svg(
    svg: bytes,
    text: str,
    *,
    version: Literal["ob3", "ob2"] = "ob3",
    verify: str | None = None,
) -> bytes:
    """The SVG with the credential as the root's first child, the rest of the document untouched.

    OB 3.0: `<openbadges:credential>` holding the JSON in CDATA, or a compact JWS in its `verify`
    attribute. OB 2.0: `<openbadges:assertion verify="hosted URL">` holding the assertion JSON.
    Any element already baked (under either version, any prefix) is removed first.
    """
    # XML reads every line break as LF; JSON has no raw CR outside whitespace, so nothing is lost.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        ElementTree.fromstring(svg)  # refuses entity bombs and external entities
    except Exception as exc:
        raise BakingError(f"the SVG cannot be parsed safely: {exc}") from exc
    for start, end in reversed(_baked_elements(svg)):
        svg = svg[:start] + svg[end:]
    svg = _drop_unused_declarations(svg)
    root = _SVG_ROOT.search(svg)
    tag_end = _START_TAG_END.match(svg, root.end()) if root else None
    if root is None or tag_end is None:
        raise BakingError("the document has no <svg> root element")
    start_tag = svg[root.start() : tag_end.end()]
    namespace, local = (OB3_NS, "credential") if version == "ob3" else (OB2_NS, "assertion")
    is_jws = version == "ob3" and not text.lstrip().startswith("{")
    prefix = "openbadges"
    declared = re.search(rb"""xmlns:openbadges\s*=\s*["']([^"']*)["']""", start_tag)
    if declared is not None and declared.group(1).decode() != namespace:
        prefix = "openbadges" + version
    if is_jws:
        element = f'<{prefix}:{local} verify="{_attribute(text.strip())}"></{prefix}:{local}>'
    else:
        attrs = f' verify="{_attribute(verify)}"' if verify else ""
        element = f"<{prefix}:{local}{attrs}>{_cdata(text)}</{prefix}:{local}>"
    declaration = f' xmlns:{prefix}="{namespace}"'.encode()
    if declared is not None and prefix == "openbadges":
        declaration = b""
    if start_tag.endswith(b"/>"):
        new_root = start_tag[:-2].rstrip() + declaration + b">" + element.encode() + b"</"
        closing = re.match(rb"<([\w.:-]+)", start_tag)
        assert closing is not None
        new_root += closing.group(1) + b">"
    else:
        new_root = start_tag[:-1] + declaration + b">" + element.encode()
    baked = svg[: root.start()] + new_root + svg[tag_end.end() :]
    if extract_svg(baked) != text.strip():
        raise BakingError("the SVG could not be baked: the credential does not read back")
    return baked
