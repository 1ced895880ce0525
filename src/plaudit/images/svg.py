"""Sanitise uploaded SVG so it is safe to render and to serve back to browsers."""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import re
import struct
import warnings
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as defused_et  # type: ignore[import-untyped]
from defusedxml import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from PIL import Image

from plaudit.errors import InvalidInput

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Deeper trees are not drawn by people; refusing them keeps the recursive passes here (and
# ElementTree's serialiser) far from Python's recursion limit.
MAX_DEPTH = 256
# What the renderer would draw, in plain-shape equivalents, after expanding <use>, url(#...) and
# href="#..." references: a few kilobytes of nested <use> can otherwise ask for billions of shapes.
# Masks, clips and opacity composite a canvas-sized layer, filters and images cost more still
# (measured with resvg at 1024 px against a full-canvas rect: opacity 75x, mask 130x, a blur or a
# stretched image 450x). The budget keeps the worst accepted document to seconds, not minutes.
MAX_RENDER_COST = 20_000
_LAYER_COST = 250
_HEAVY_COST = 1_000
# Embedded rasters are drawn at badge size at most; anything bigger is a decompression bomb risk
# inside the renderer, which has no limit of its own.
MAX_EMBEDDED_PIXELS = 4096 * 4096

_SNIFF_CHARS = 64 * 1024
_SVG_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]")

_SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
_TEXT = {"text", "tspan", "textPath"}
_STRUCTURE = {"svg", "g", "defs", "title", "desc", "symbol", "use", "image", "marker"}
_PAINT = {"linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern"}
_FILTERS = {
    "filter",
    "feBlend",
    "feColorMatrix",
    "feComponentTransfer",
    "feComposite",
    "feDiffuseLighting",
    "feDisplacementMap",
    "feDistantLight",
    "feDropShadow",
    "feFlood",
    "feFuncA",
    "feFuncB",
    "feFuncG",
    "feFuncR",
    "feGaussianBlur",
    "feImage",
    "feMerge",
    "feMergeNode",
    "feOffset",
    "fePointLight",
    "feSpecularLighting",
    "feSpotLight",
    "feTile",
}
# Everything else goes, with its subtree: script, style (CSS can fetch URLs), foreignObject (HTML),
# a (links), animate/set (they can rewrite href at run time), metadata, other vocabularies, and
# feMorphology, feConvolveMatrix and feTurbulence, each of which alone can keep resvg busy for
# minutes (cost grows with radius, kernel order or octaves, times the filter area).
ALLOWED_ELEMENTS = frozenset(_SHAPES | _TEXT | _STRUCTURE | _PAINT | _FILTERS)
_IMAGE_ELEMENTS = {"image", "feImage"}

_HREFS = ("href", f"{{{XLINK_NS}}}href")
_XML_ATTRIBUTES = {f"{{{XML_NS}}}space", f"{{{XML_NS}}}lang"}
_FRAGMENT = re.compile(r"#[\w.:-]+")
_RASTER_DATA_URI = re.compile(r"data:image/(png|jpeg|webp);base64,(.*)", re.IGNORECASE | re.DOTALL)
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
_URL_FRAGMENT_REF = re.compile(r"url\(\s*['\"]?\s*#([^)'\"\s]+)", re.IGNORECASE)
_URL_START = re.compile(r"url\(['\"]?")
_DTD_SUBSET_END = re.compile(r"\]\s*>")
_LAYERS = ("mask", "clip-path", "opacity")
_STYLE_PROPERTY = {
    name: re.compile(rf"(?<![\w-]){name}\s*:", re.IGNORECASE) for name in ("filter", *_LAYERS)
}
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f]+")
# Ways CSS or a browser can reach outside the document or run code, matched after removing
# whitespace and lower-casing. A backslash is refused outright: CSS escapes (u\72l) defeat matching.
_FORBIDDEN_IN_VALUES = (
    "\\",
    "javascript:",
    "vbscript:",
    "expression(",
    "@import",
    "image(",
    "image-set(",
    "src(",
    "-moz-binding",
    "behavior:",
)

_UNSAFE_DTD = "SVG files may not declare entities or an inline DTD."
_XML_ERRORS: tuple[type[Exception], ...] = (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)


def looks_like_svg(data: bytes) -> bool:
    """Whether the bytes are XML text whose root element is named svg (namespace not checked)."""
    prolog = _skip_prolog(data)
    return prolog is not None and _SVG_ROOT.match(prolog[0]) is not None


def sanitize_svg(data: bytes) -> bytes:
    """Return the SVG with everything that could run code or fetch a URL removed, as UTF-8.

    Removal is silent; only documents that cannot be made safe (entities, inline DTDs,
    malformed XML, a root that is not SVG, absurd nesting or expansion) are refused.
    """
    prolog = _skip_prolog(data)
    if prolog is not None and prolog[1]:
        raise _invalid(_UNSAFE_DTD, "declares a DTD or entities")
    root = _parse(data)
    _clean_attributes(root)
    _clean_children(root)
    _check_render_cost(root)
    return _serialise(root)


def declared_size(data: bytes) -> tuple[float | None, float | None, tuple[float, float] | None]:
    """The root's width and height in px (None when absent or relative) and its viewBox size."""
    # Only the root's start tag is parsed.
    _event, root = next(defused_et.iterparse(io.BytesIO(data), events=("start",)))
    width, height = _length_px(root.get("width")), _length_px(root.get("height"))
    return width, height, _view_box_size(root.get("viewBox"))


def _invalid(detail: str, reason: str) -> InvalidInput:
    return InvalidInput(
        detail, extra={"errors": [{"field": "image", "reason": reason, "in": "body"}]}
    )


def _skip_prolog(data: bytes) -> tuple[str, bool] | None:
    """The text from the root element on, and whether the prolog declared an inline DTD."""
    text = _decode_head(data)
    pos, inline_dtd = 0, False
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            pos = -1 if end < 0 else end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            pos = -1 if end < 0 else end + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            pos, subset = _skip_doctype(text, pos + 9)
            inline_dtd = inline_dtd or subset
        else:
            return (text[pos:], inline_dtd) if text.startswith("<", pos) else None
        if pos < 0:
            return None


def _skip_doctype(text: str, pos: int) -> tuple[int, bool]:
    quote = ""
    for index in range(pos, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ">":
            return index + 1, False
        elif char == "[":
            end = _DTD_SUBSET_END.search(text, index)
            return (-1 if end is None else end.end()), True
    return -1, False


def _decode_head(data: bytes) -> str:
    head = data[: _SNIFF_CHARS * 2]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", "replace")[:_SNIFF_CHARS]
    return head.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace")[:_SNIFF_CHARS]


def _parse(data: bytes) -> ET.Element:
    """Parse with entities refused, stopping as soon as the document is not SVG or is too big."""
    root: ET.Element | None = None
    depth = count = 0
    try:
        # A DOCTYPE naming only the SVG 1.1 external DTD (older Illustrator and Inkscape exports)
        # is harmless: the parser never fetches it and serialising drops it. Entities are not.
        events = defused_et.iterparse(
            io.BytesIO(data),
            events=("start", "end"),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            depth, count = depth + 1, count + 1
            if root is None:
                root = element
                if root.tag != f"{{{SVG_NS}}}svg":
                    raise _invalid(
                        f'The SVG\'s root element must be <svg xmlns="{SVG_NS}">.',
                        "is not an SVG document",
                    )
            if depth > MAX_DEPTH:
                raise _invalid(
                    f"The SVG nests elements more than {MAX_DEPTH} levels deep.",
                    "is nested too deeply",
                )
            if count > MAX_RENDER_COST:
                raise _too_complex()
    except _XML_ERRORS as exc:
        raise _invalid(_UNSAFE_DTD, "declares a DTD or entities") from exc
    except ET.ParseError as exc:
        raise _invalid(f"The SVG is not well-formed XML: {exc}.", "is not well-formed XML") from exc
    assert root is not None  # a document without elements is a ParseError
    return root


def _too_complex() -> InvalidInput:
    return _invalid(
        "The SVG is too complex to render safely (too many elements, filters or effects once "
        "references are expanded).",
        "is too complex",
    )


def _clean_children(parent: ET.Element) -> None:
    kept: list[ET.Element] = []
    # A removed child's tail is the parent's text (the rest of a <text> line, say), so it moves to
    # the previous kept sibling; tails are joined once so that many removals stay linear.
    tails: list[str] = []

    def move_tails() -> None:
        if tails:
            if kept:
                kept[-1].tail = (kept[-1].tail or "") + "".join(tails)
            else:
                parent.text = (parent.text or "") + "".join(tails)
            tails.clear()

    for child in parent:
        if _keep_element(child):
            move_tails()
            _clean_attributes(child)
            _clean_children(child)
            kept.append(child)
        elif child.tail:
            tails.append(child.tail)
    move_tails()
    parent[:] = kept


def _keep_element(element: ET.Element) -> bool:
    if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{SVG_NS}}}"):
        return False
    name = _local(element.tag)
    if name not in ALLOWED_ELEMENTS:
        return False
    if name in _IMAGE_ELEMENTS:
        # An image without a safe source draws nothing; dropping it is simpler than keeping a husk.
        return any(_safe_href(name, element.get(attr)) for attr in _HREFS)
    return True


def _clean_attributes(element: ET.Element) -> None:
    name = _local(element.tag)
    for attr, value in list(element.attrib.items()):
        if not _keep_attribute(name, attr, value):
            del element.attrib[attr]


def _keep_attribute(element: str, attr: str, value: str) -> bool:
    if attr in _HREFS:
        return _safe_href(element, value)
    if attr.startswith("{"):
        # xml:base is left out on purpose: it would re-point "#id" references at another document.
        return attr in _XML_ATTRIBUTES or attr.startswith(f"{{{XLINK_NS}}}")
    return not attr.lower().startswith("on") and not _unsafe_value(value)


def _safe_href(element: str, value: str | None) -> bool:
    if value is None:
        return False
    value = value.strip()
    if _FRAGMENT.fullmatch(value):
        return element != "image"
    return element in _IMAGE_ELEMENTS and _safe_raster_data_uri(value)


def _safe_raster_data_uri(value: str) -> bool:
    match = _RASTER_DATA_URI.fullmatch(value)
    if match is None:
        return False
    try:
        raw = base64.b64decode(_INVISIBLE.sub("", match.group(2)), validate=True)
    except binascii.Error:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Only the header is read: the content must be the raster type it claims to be.
            with Image.open(io.BytesIO(raw), formats=[_PIL_FORMATS[match.group(1).lower()]]) as img:
                width, height = img.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return False
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        return False
    return width * height <= MAX_EMBEDDED_PIXELS


def _unsafe_value(value: str) -> bool:
    compact = _INVISIBLE.sub("", value).lower()
    if any(token in compact for token in _FORBIDDEN_IN_VALUES):
        return True
    # Only references into this document may stay: url(#gradient), never url(https://...).
    return any(not compact.startswith("#", url.end()) for url in _URL_START.finditer(compact))


def _check_render_cost(root: ET.Element) -> None:
    """Refuse reference loops and documents that would cost too much to draw."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}

    def dependencies(element: ET.Element) -> list[ET.Element]:
        targets = [by_id.get(ref) for ref in _references(element)]
        return [*element, *(target for target in targets if target is not None)]

    # Iterative depth-first walk: references can chain far deeper than the element tree nests.
    cost: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[ET.Element, bool]] = [(root, False)]
    while stack:
        element, finished = stack.pop()
        key = id(element)
        if finished:
            on_path.discard(key)
            total = _own_cost(element) + sum(cost[id(dep)] for dep in dependencies(element))
            if total > MAX_RENDER_COST:
                raise _too_complex()
            cost[key] = total
        elif key in on_path:
            raise _invalid(
                "The SVG has a reference loop: an element refers back to itself.",
                "has a reference loop",
            )
        elif key not in cost:
            on_path.add(key)
            stack.append((element, True))
            stack.extend((dep, False) for dep in dependencies(element))


def _own_cost(element: ET.Element) -> int:
    style = element.get("style", "")
    if _local(element.tag) in _IMAGE_ELEMENTS or _has_property(element, style, "filter"):
        return _HEAVY_COST
    if any(_has_property(element, style, name) for name in _LAYERS):
        return _LAYER_COST
    return 1


def _has_property(element: ET.Element, style: str, name: str) -> bool:
    return name in element.attrib or _STYLE_PROPERTY[name].search(style) is not None


def _references(element: ET.Element) -> list[str]:
    refs = []
    for attr, value in element.attrib.items():
        if attr in _HREFS and _FRAGMENT.fullmatch(value.strip()):
            refs.append(value.strip()[1:])
        refs.extend(_URL_FRAGMENT_REF.findall(value))
    return refs


def _serialise(root: ET.Element) -> bytes:
    # Namespaces are written out by hand rather than with ET.register_namespace("", ...), which
    # would change how every other ElementTree user in the process serialises SVG.
    for element in root.iter():
        element.tag = _local(element.tag)
        for attr in [a for a in element.attrib if a.startswith("{")]:
            prefix = "xml" if attr.startswith(f"{{{XML_NS}}}") else "xlink"
            element.set(f"{prefix}:{_local(attr)}", element.attrib.pop(attr))
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode("utf-8")


def _local(name: str) -> str:
    return name.rpartition("}")[2]


_LENGTH = re.compile(
    r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|pt|pc|mm|cm|in|em|ex)?\s*"
)
# CSS units at 96 px/inch and a 16 px font, as resvg resolves them when rendering at dpi=96.
_PX_PER_UNIT = {
    "px": 1.0,
    "pt": 96 / 72,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
    "em": 16.0,
    "ex": 8.0,
}


def _length_px(value: str | None) -> float | None:
    match = _LENGTH.fullmatch(value or "")
    if match is None:
        return None  # absent or a percentage: no intrinsic size
    return float(match.group(1)) * _PX_PER_UNIT[match.group(2) or "px"]


def _view_box_size(value: str | None) -> tuple[float, float] | None:
    parts = re.split(r"[\s,]+", (value or "").strip())
    try:
        width, height = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    return (width, height) if len(parts) == 4 and width > 0 and height > 0 else None
