"""Check an uploaded image against what it claims to be and render its PNG variants."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass

import resvg_py
from PIL import Image, ImageCms, ImageFile, ImageOps

from plaudit.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from plaudit.images import svg

PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
SVG = "image/svg+xml"
ACCEPTED_TYPES: frozenset[str] = frozenset({PNG, JPEG, WEBP, SVG})
MAX_BYTES = 5 * 1024 * 1024
# Our own decompression-bomb guard, checked on the header before any pixel is decoded; Pillow's
# MAX_IMAGE_PIXELS is process-wide, larger, and can be switched off by anyone.
MAX_PIXELS = 40_000_000
MAX_DIMENSION = 8000
SVG_DEFAULT_SIZE = 512


class Variant(enum.StrEnum):
    ORIGINAL = "original"
    STANDARD = "standard"
    HIGH = "high"
    THUMBNAIL = "thumbnail"


# Longest side in pixels; small rasters are scaled up so every variant has its documented size.
VARIANT_SIZES: dict[Variant, int] = {
    Variant.STANDARD: 512,
    Variant.HIGH: 1024,
    Variant.THUMBNAIL: 128,
}


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str
    original: bytes  # the upload byte for byte; for SVG, the sanitised document
    width: int  # as displayed: after EXIF orientation; for SVG, the declared size
    height: int
    sha256: str
    variants: dict[Variant, bytes]  # metadata-free RGBA PNGs


_LABELS = {PNG: "a PNG image", JPEG: "a JPEG image", WEBP: "a WebP image", SVG: "an SVG image"}
_ACCEPTED_LIST = "PNG, JPEG, WebP or SVG"
_PIL_FORMATS = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP"}
_EXTENSIONS = {".png": PNG, ".jpg": JPEG, ".jpeg": JPEG, ".webp": WEBP, ".svg": SVG}
_TYPE_ALIASES = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    # Some clients label SVG by its syntax rather than its vocabulary.
    "text/xml": SVG,
    "application/xml": SVG,
}
_UNINFORMATIVE_TYPES = {"", "application/octet-stream"}
# Formats people often try, named in the refusal so they know what to convert.
_REFUSED_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF-", "PDF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_SRGB = ImageCms.createProfile("sRGB")


def detect_type(data: bytes) -> str | None:
    """The accepted media type the bytes really are, from their signature; None if none fits."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if svg.looks_like_svg(data):
        return SVG
    return None


def process_image(
    data: bytes, *, declared_type: str | None = None, filename: str | None = None
) -> ProcessedImage:
    """Validate an upload and render its variants; raises a PlauditError the client can act on."""
    if not data:
        raise _invalid("The image file is empty.", "is empty")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(
            f"The image is larger than the {MAX_BYTES // (1024 * 1024)} MB limit "
            f"({len(data):,} bytes).",
            extra=_field_error(f"is larger than {MAX_BYTES // (1024 * 1024)} MB"),
        )
    content_type = detect_type(data)
    if content_type is None:
        raise _unsupported(data)
    _check_claims(content_type, declared_type=declared_type, filename=filename)
    if content_type == SVG:
        return _process_svg(data)
    return _process_raster(data, content_type)


def _field_error(reason: str) -> dict[str, object]:
    return {"errors": [{"field": "image", "reason": reason, "in": "body"}]}


def _invalid(detail: str, reason: str) -> InvalidInput:
    return InvalidInput(detail, extra=_field_error(reason))


def _unsupported(data: bytes) -> UnsupportedMediaType:
    known = next((name for magic, name in _REFUSED_SIGNATURES if data.startswith(magic)), None)
    prefix = f"{known} files are not accepted." if known else "The file is not an image we accept."
    return UnsupportedMediaType(
        f"{prefix} Upload a {_ACCEPTED_LIST} image.",
        extra=_field_error(f"is not a {_ACCEPTED_LIST} image"),
    )


def _check_claims(content_type: str, *, declared_type: str | None, filename: str | None) -> None:
    claimed = (declared_type or "").partition(";")[0].strip().lower()
    if claimed not in _UNINFORMATIVE_TYPES and _TYPE_ALIASES.get(claimed, claimed) != content_type:
        raise UnsupportedMediaType(
            f"The file says it is {claimed} but its content is {_LABELS[content_type]}.",
            extra=_field_error("does not match its declared type"),
        )
    extension = os.path.splitext(filename or "")[1].lower()
    if extension in _EXTENSIONS and _EXTENSIONS[extension] != content_type:
        raise UnsupportedMediaType(
            f"The file name ends in {extension} but its content is {_LABELS[content_type]}.",
            extra=_field_error("does not match its file name"),
        )


def _too_large(size: tuple[int, int] | None) -> InvalidInput:
    found = (
        f"{size[0]}\N{MULTIPLICATION SIGN}{size[1]} pixels"
        if size
        else f"more than {MAX_PIXELS:,} pixels"
    )
    return _invalid(
        f"The image is too large to decode safely ({found}; the limit is {MAX_PIXELS:,} pixels "
        f"and {MAX_DIMENSION} pixels per side).",
        "is too large to decode safely",
    )


def _corrupt() -> InvalidInput:
    return _invalid(
        "The image could not be decoded: it is truncated or corrupt.", "is truncated or corrupt"
    )


def _process_raster(data: bytes, content_type: str) -> ProcessedImage:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # The flag is process-wide and cannot be overridden for one thread; with it on, Pillow
        # pads a truncated upload with grey instead of failing. Refuse loudly rather than accept.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False for uploads.")
    base = _decode(data, content_type)
    width, height = base.size
    variants = {
        variant: _encode_png(
            base.resize(_fit(base.size, longest), Image.Resampling.LANCZOS, reducing_gap=3.0)
        )
        for variant, longest in VARIANT_SIZES.items()
    }
    return ProcessedImage(
        content_type=content_type,
        original=data,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        variants=variants,
    )


def _decode(data: bytes, content_type: str) -> Image.Image:
    """Fully decode the first frame, upright and in sRGB RGBA, checking the size before decoding."""
    # Pillow's bomb warning becomes an error here as a second line of defence. catch_warnings is
    # not thread-safe, but the explicit size check below is stricter and does not depend on it.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as img:
                width, height = img.size
                if width * height > MAX_PIXELS or max(width, height) > MAX_DIMENSION:
                    raise _too_large(img.size)
                img.load()
                upright = ImageOps.exif_transpose(img)
                return _to_srgb_rgba(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large(None) from exc
        except _DECODE_ERRORS as exc:
            raise _corrupt() from exc


def _to_srgb_rgba(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    if img.mode.startswith("I"):
        # 16-bit greyscale: Pillow's conversion to 8 bits clips instead of scaling.
        img = img.convert("I").point(lambda value: value / 256).convert("L")
    if img.mode not in ("RGB", "RGBA", "CMYK"):
        img = img.convert("RGBA")  # palette, L, LA, 1: keeps tRNS transparency
    if icc:
        # Phones save Display P3, print tools CMYK: convert so the PNGs look right without it.
        # An unusable profile is ignored and the pixels are used as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            img = _to_srgb(img, ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    rgba = img.convert("RGBA")
    # Nothing of the original's metadata (EXIF, ICC, text) may reach the variants.
    rgba.info.clear()
    return rgba


def _to_srgb(img: Image.Image, profile: ImageCms.ImageCmsProfile) -> Image.Image:
    mode = "RGB" if img.mode == "CMYK" else img.mode
    converted = ImageCms.profileToProfile(img, profile, _SRGB, outputMode=mode)
    return img if converted is None else converted


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode_png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _process_svg(data: bytes) -> ProcessedImage:
    clean = svg.sanitize_svg(data)
    width, height = _svg_size(clean)
    text = clean.decode("utf-8")
    # Loading the system fonts costs more than drawing a badge; only text needs them. The
    # sanitiser writes unprefixed tags, so this finds every <text> element.
    fonts = "<text" in text
    variants = {
        variant: _render_svg(text, longest, fonts=fonts)
        for variant, longest in VARIANT_SIZES.items()
    }
    return ProcessedImage(
        content_type=SVG,
        original=clean,
        width=width,
        height=height,
        sha256=hashlib.sha256(clean).hexdigest(),
        variants=variants,
    )


def _svg_size(clean: bytes) -> tuple[int, int]:
    width, height, view_box = svg.declared_size(clean)
    if width is None or height is None:
        # A missing side follows the viewBox's proportions; with neither, the viewBox decides.
        ratio = view_box[0] / view_box[1] if view_box else 1.0
        if width is not None:
            height = width / ratio
        elif height is not None:
            width = height * ratio
        else:
            width, height = view_box or (SVG_DEFAULT_SIZE, SVG_DEFAULT_SIZE)
    if width <= 0 or height <= 0:
        raise _invalid("The SVG declares a width or height of zero or less.", "has no size")
    if max(width, height) > MAX_DIMENSION:
        raise _invalid(
            f"The SVG declares a size of {width:g}\N{MULTIPLICATION SIGN}{height:g} pixels; "
            f"the limit is {MAX_DIMENSION} pixels per side.",
            "is too large",
        )
    return max(1, round(width)), max(1, round(height))


def _render_svg(text: str, longest: int, *, fonts: bool) -> bytes:
    try:
        # A square box: resvg fits the drawing inside it keeping its own aspect ratio, so the
        # longest side is exactly `longest` however the document states its size. dpi must be
        # given: resvg-py's default of 0 turns every mm, pt or in length into nothing.
        rendered = resvg_py.svg_to_bytes(
            svg_string=text, width=longest, height=longest, dpi=96, skip_system_fonts=not fonts
        )
    except ValueError as exc:
        raise _invalid(f"The SVG could not be rendered: {exc}.", "could not be rendered") from exc
    try:
        with Image.open(io.BytesIO(rendered), formats=["PNG"]) as img:
            img.load()
            if img.mode == "RGBA" and not img.info:
                return rendered  # already a bare RGBA PNG: re-encoding would only cost time
            return _encode_png(img.convert("RGBA"))
    except _DECODE_ERRORS as exc:
        raise _invalid(
            "The SVG could not be rendered: the renderer produced no image.",
            "could not be rendered",
        ) from exc
