"""Image uploads: type sniffing, bomb and truncation guards, SVG sanitising and PNG variants."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageFile, PngImagePlugin

from plaudit.errors import InvalidInput, PayloadTooLarge, PlauditError, UnsupportedMediaType
from plaudit.images.processing import (
    MAX_BYTES,
    ProcessedImage,
    Variant,
    detect_type,
    process_image,
)
from plaudit.images.svg import SVG_NS, XLINK_NS, sanitize_svg

# --- builders: every test file is made here, in memory ---------------------------------------


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def raster(fmt: str, size: tuple[int, int] = (300, 300)) -> bytes:
    return encode(Image.new("RGB", size, (200, 30, 30)), fmt)


def noisy(fmt: str) -> bytes:
    """Incompressible pixels, so that cutting the file in half really cuts the image data."""
    pixels = hashlib.shake_256(b"noise").digest(160 * 160 * 3)
    return encode(Image.frombytes("RGB", (160, 160), pixels), fmt)


def patched_png(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims another size: tiny on disk, huge if ever decoded."""
    data = bytearray(encode(Image.new("RGB", (1, 1)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def svg_doc(body: str = "", attrs: str = 'width="300" height="300"', prolog: str = "") -> bytes:
    return (
        f'{prolog}<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" {attrs}>{body}'
        '<circle id="keep" cx="50" cy="50" r="40" fill="#0a0"/></svg>'
    ).encode()


def png_data_uri(img: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(img).decode()


def open_png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    assert img.format == "PNG"
    img.load()
    return img


def variant_sizes(processed: ProcessedImage) -> dict[Variant, tuple[int, int]]:
    return {variant: open_png(data).size for variant, data in processed.variants.items()}


def refusal(expected: type[PlauditError], data: bytes, **claims: str) -> PlauditError:
    """Process and expect a refusal a person can read: the right status and a whole sentence."""
    with pytest.raises(expected) as caught:
        process_image(data, **claims)
    error = caught.value
    assert type(error) is expected
    assert (
        error.status
        == {InvalidInput: 422, UnsupportedMediaType: 415, PayloadTooLarge: 413}[expected]
    )
    assert error.detail[0].isupper()
    assert error.detail.endswith(".")
    assert error.extra["errors"][0]["field"] == "image"
    return error


SQUARE = {Variant.STANDARD: (512, 512), Variant.HIGH: (1024, 1024), Variant.THUMBNAIL: (128, 128)}


# --- accepted formats and variants ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (raster("PNG"), "image/png"),
        (raster("JPEG"), "image/jpeg"),
        (raster("WEBP"), "image/webp"),
        (svg_doc(), "image/svg+xml"),
    ],
    ids=["png", "jpeg", "webp", "svg"],
)
def test_each_accepted_format_yields_three_png_variants(data: bytes, content_type: str) -> None:
    processed = process_image(data, declared_type=content_type)
    assert processed.content_type == content_type
    assert (processed.width, processed.height) == (300, 300)
    assert processed.sha256 == hashlib.sha256(processed.original).hexdigest()
    assert set(processed.variants) == {Variant.STANDARD, Variant.HIGH, Variant.THUMBNAIL}
    assert variant_sizes(processed) == SQUARE
    assert all(open_png(v).mode == "RGBA" for v in processed.variants.values())
    if content_type == "image/svg+xml":
        assert b'id="keep"' in processed.original
    else:
        assert processed.original == data  # the user's file, untouched


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (raster("PNG", (400, 100)), (512, 128)),
        (raster("JPEG", (100, 400)), (128, 512)),
        (svg_doc(attrs='width="400" height="100"'), (512, 128)),
        (svg_doc(attrs='viewBox="0 0 40 160"'), (128, 512)),
    ],
    ids=["png-wide", "jpeg-tall", "svg-wide", "svg-tall-viewbox"],
)
def test_non_square_images_keep_their_aspect_ratio(data: bytes, expected: tuple[int, int]) -> None:
    sizes = variant_sizes(process_image(data))
    assert sizes[Variant.STANDARD] == expected
    assert sizes[Variant.HIGH] == (expected[0] * 2, expected[1] * 2)
    assert sizes[Variant.THUMBNAIL] == (expected[0] // 4, expected[1] // 4)


@pytest.mark.parametrize(
    ("attrs", "size"),
    [
        ('viewBox="0 0 40 20"', (40, 20)),
        ('width="2in" height="1in"', (192, 96)),
        ('width="120" viewBox="0 0 40 20"', (120, 60)),
        ('width="100%" height="100%"', (512, 512)),
        ("", (512, 512)),
    ],
)
def test_svg_intrinsic_size_comes_from_width_height_or_viewbox(
    attrs: str, size: tuple[int, int]
) -> None:
    processed = process_image(svg_doc(attrs=attrs))
    assert (processed.width, processed.height) == size


@pytest.mark.parametrize("attrs", ['width="9000" height="10"', 'viewBox="0 0 100 8001"'])
def test_svg_declaring_a_huge_size_is_refused(attrs: str) -> None:
    error = refusal(InvalidInput, svg_doc(attrs=attrs))
    assert "the limit is 8000 pixels per side" in error.detail


def test_svg_with_zero_size_is_refused() -> None:
    refusal(InvalidInput, svg_doc(attrs='width="0" height="10"'))


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways; shown rotated 90° clockwise
    data = encode(Image.new("RGB", (200, 100), "red"), "JPEG", exif=exif.tobytes())
    processed = process_image(data)
    assert (processed.width, processed.height) == (100, 200)
    assert variant_sizes(processed)[Variant.STANDARD] == (256, 512)


def test_variants_carry_no_metadata() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "secret-artist"
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "secret-comment")
    data = encode(Image.new("RGB", (64, 64), "blue"), "PNG", exif=exif.tobytes(), pnginfo=text)
    for variant in process_image(data).variants.values():
        assert b"secret" not in variant
        img = open_png(variant)
        assert not {"exif", "icc_profile", "Comment"} & set(img.info)


def test_an_unusable_colour_profile_is_ignored() -> None:
    data = encode(Image.new("RGB", (64, 64), (10, 200, 10)), "PNG", icc_profile=b"not a profile")
    standard = open_png(process_image(data).variants[Variant.STANDARD])
    assert standard.getpixel((256, 256)) == (10, 200, 10, 255)


def _palette_with_transparency() -> bytes:
    img = Image.new("P", (64, 64), 0)
    img.putpalette([0, 0, 0, 255, 0, 0])
    return encode(img, "PNG", transparency=0)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_palette_with_transparency(), (0, 0, 0, 0)),
        (encode(Image.new("LA", (64, 64), (90, 0)), "PNG"), (0, 0, 0, 0)),
        (encode(Image.new("L", (64, 64), 90), "PNG"), (90, 90, 90, 255)),
        (encode(Image.new("1", (64, 64), 1), "PNG"), (255, 255, 255, 255)),
        (encode(Image.new("I;16", (64, 64), 32768), "PNG"), (128, 128, 128, 255)),
        (encode(Image.new("CMYK", (64, 64), (0, 0, 0, 0)), "JPEG"), (255, 255, 255, 255)),
        (encode(Image.new("RGBA", (64, 64), (1, 2, 3, 0)), "WEBP", lossless=True), (0, 0, 0, 0)),
    ],
    ids=["palette-transparent", "la", "l", "1-bit", "16-bit-grey", "cmyk-jpeg", "rgba-webp"],
)
def test_every_colour_mode_becomes_rgba(data: bytes, expected: tuple[int, int, int, int]) -> None:
    standard = open_png(process_image(data).variants[Variant.STANDARD])
    assert standard.mode == "RGBA"
    pixel = standard.getpixel((256, 256))
    assert isinstance(pixel, tuple)
    if expected[3] == 0:
        assert pixel[3] == 0  # transparency survives; the colour of a clear pixel is irrelevant
    else:
        assert all(abs(a - b) <= 2 for a, b in zip(pixel, expected, strict=True))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_use_the_first_frame(fmt: str) -> None:
    red, blue = Image.new("RGB", (64, 64), "red"), Image.new("RGB", (64, 64), "blue")
    data = encode(red, fmt, save_all=True, append_images=[blue], lossless=True)
    pixel = open_png(process_image(data).variants[Variant.THUMBNAIL]).getpixel((64, 64))
    assert isinstance(pixel, tuple)
    assert pixel[0] > 200
    assert pixel[2] < 50


# --- decompression bombs and broken files -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (patched_png(50_000, 50_000), "more than 40,000,000 pixels"),  # beyond Pillow's own limit
        (patched_png(7000, 7000), "7000\N{MULTIPLICATION SIGN}7000 pixels"),  # within Pillow's
        (patched_png(8001, 10), "8001\N{MULTIPLICATION SIGN}10 pixels"),  # one side too long
        (encode(Image.new("1", (6400, 6400)), "PNG"), "6400\N{MULTIPLICATION SIGN}6400 pixels"),
    ],
    ids=["50000-square", "7000-square", "too-wide", "real-1-bit-file"],
)
def test_decompression_bombs_are_refused_before_decoding(
    data: bytes, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(data) < 20_000

    def never(self: ImageFile.ImageFile) -> None:
        raise AssertionError("a decompression bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    error = refusal(InvalidInput, data)
    assert "too large to decode safely" in error.detail
    assert shown in error.detail


def test_our_bomb_limit_holds_when_pillows_is_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    error = refusal(InvalidInput, patched_png(50_000, 50_000))
    assert "50000\N{MULTIPLICATION SIGN}50000 pixels" in error.detail


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_files_are_refused(fmt: str) -> None:
    data = noisy(fmt)
    error = refusal(InvalidInput, data[: len(data) // 2])
    assert error.detail == "The image could not be decoded: it is truncated or corrupt."


def test_corrupt_pixel_data_is_refused() -> None:
    data = bytearray(noisy("PNG"))
    data[len(data) // 2] ^= 0xFF  # breaks the IDAT checksum
    refusal(InvalidInput, bytes(data))


def test_pillow_loading_truncated_images_is_not_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_image(raster("PNG"))


def test_empty_file_is_refused() -> None:
    error = refusal(InvalidInput, b"")
    assert error.detail == "The image file is empty."


def test_oversized_file_is_refused() -> None:
    data = raster("PNG") + bytes(MAX_BYTES)
    error = refusal(PayloadTooLarge, data)
    assert "5 MB" in error.detail


# --- the content must be what the upload claims -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "claims", "detail"),
    [
        (
            raster("JPEG"),
            {"declared_type": "image/png"},
            "The file says it is image/png but its content is a JPEG image.",
        ),
        (
            raster("PNG"),
            {"filename": "x.jpg"},
            "The file name ends in .jpg but its content is a PNG image.",
        ),
        (
            svg_doc(),
            {"declared_type": "image/png"},
            "The file says it is image/png but its content is an SVG image.",
        ),
        (
            raster("WEBP"),
            {"declared_type": "image/webp", "filename": "badge.svg"},
            "The file name ends in .svg but its content is a WebP image.",
        ),
    ],
)
def test_content_that_contradicts_its_claims_is_refused(
    data: bytes, claims: dict[str, str], detail: str
) -> None:
    assert refusal(UnsupportedMediaType, data, **claims).detail == detail


@pytest.mark.parametrize(
    ("data", "claims"),
    [
        (raster("JPEG"), {"declared_type": "image/jpg", "filename": "photo.JPEG"}),
        (raster("PNG"), {"declared_type": "IMAGE/PNG; charset=binary", "filename": "LOGO.PNG"}),
        (raster("PNG"), {"declared_type": "application/octet-stream", "filename": "badge"}),
        (raster("PNG"), {"declared_type": "", "filename": "badge.bin"}),
        (svg_doc(), {"declared_type": "text/xml", "filename": "badge.svg"}),
    ],
)
def test_claims_that_agree_or_say_nothing_are_accepted(data: bytes, claims: dict[str, str]) -> None:
    process_image(data, **claims)


@pytest.mark.parametrize(
    "data",
    [
        hashlib.shake_256(b"random").digest(2048),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        encode(Image.new("RGB", (8, 8)), "GIF"),
        encode(Image.new("RGB", (8, 8)), "BMP"),
        b"hello, world",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    ],
    ids=["random", "pdf", "gif", "bmp", "text", "xml-not-svg"],
)
def test_unsupported_content_is_refused(data: bytes) -> None:
    error = refusal(UnsupportedMediaType, data)
    assert "PNG, JPEG, WebP or SVG" in error.detail


def test_a_refused_format_is_named() -> None:
    error = refusal(UnsupportedMediaType, encode(Image.new("RGB", (8, 8)), "GIF"))
    assert error.detail == "GIF files are not accepted. Upload a PNG, JPEG, WebP or SVG image."


# --- SVG sanitising -------------------------------------------------------------------------

ATTACKS = {
    "script": ("<script>alert(1)</script>", ["<script", "alert"]),
    "onload-on-root": ("", ["onload", "alert"]),  # every document below has one on <svg>
    "handlers-on-child": (
        '<rect width="9" height="9" onclick="alert(1)" ONMOUSEOVER="alert(2)"/>',
        ["onclick", "onmouseover", "alert"],
    ),
    "foreign-object": (
        '<foreignObject width="9" height="9"><body xmlns="http://www.w3.org/1999/xhtml">'
        "<script>alert(1)</script></body></foreignObject>",
        ["foreignobject", "xhtml", "<body", "alert"],
    ),
    "external-image": (
        '<image href="https://evil.example/x.png" width="9" height="9"/>'
        '<image xlink:href="//evil.example/y.png" width="9" height="9"/>',
        ["evil.example", "<image"],
    ),
    "javascript-href": (
        '<a href="javascript:alert(1)"><rect width="9" height="9"/></a>'
        '<use xlink:href="javascript:alert(2)"/><use href=" java&#9;script:alert(3)"/>',
        ["javascript", "alert", "<a "],
    ),
    "external-paint": (
        '<rect width="9" height="9" fill="url(https://evil.example/x)" '
        "stroke=\"url('http://evil.example/y#z')\"/>",
        ["evil.example"],
    ),
}


@pytest.mark.parametrize(("body", "gone"), list(ATTACKS.values()), ids=list(ATTACKS))
def test_svg_attacks_are_removed_and_the_rest_rendered(body: str, gone: list[str]) -> None:
    processed = process_image(svg_doc(body, attrs='width="300" height="300" onload="alert(1)"'))
    text = processed.original.decode().lower()
    for token in gone:
        assert token not in text
    assert '<circle id="keep"' in text
    assert detect_type(processed.original) == "image/svg+xml"
    assert variant_sizes(processed) == SQUARE


def _sanitised(body: str, attrs: str = 'width="10" height="10"', prolog: str = "") -> str:
    return sanitize_svg(svg_doc(body, attrs=attrs, prolog=prolog)).decode()


@pytest.mark.parametrize(
    ("body", "gone"),
    [
        ("<style>@import url(https://evil.example/x.css);</style>", ["<style", "evil.example"]),
        ('<rect style="fill:url(https://evil.example/x)"/>', ["evil.example"]),
        ('<rect style="fill:u\\72l(https://evil.example/x)"/>', ["evil.example"]),
        ('<rect style="width:expression(alert(1))"/>', ["expression", "alert"]),
        ('<rect fill="url(https://evil.example/x"/>', ["evil.example"]),
        ('<animate attributeName="href" to="javascript:alert(1)"/>', ["animate", "javascript"]),
        ('<set attributeName="fill" to="red"/>', ["<set"]),
        (
            '<x:payload xmlns:x="urn:evil">hi</x:payload><rect x:a="1" xmlns:x="urn:evil"/>',
            ["evil"],
        ),
        ('<g xml:base="https://evil.example/"><use href="#keep"/></g>', ["evil.example"]),
        (
            '<image href="data:image/svg+xml;base64,PHN2Zy8+" width="9" height="9"/>',
            ["data:image/svg", "<image"],
        ),
        (
            f'<image href="{png_data_uri(patched_png(50_000, 50_000))}" width="9" height="9"/>',
            ["<image"],
        ),
        (
            f'<image href="{png_data_uri(raster("JPEG"))}" width="9" height="9"/>',
            ["<image"],
        ),
        ("<metadata><rdf:RDF xmlns:rdf='urn:rdf'/></metadata>", ["metadata", "rdf"]),
        ('<iframe src="https://evil.example/"/>', ["iframe", "evil.example"]),
    ],
    ids=[
        "style-element",
        "style-url",
        "style-css-escape",
        "style-expression",
        "unterminated-url",
        "animate",
        "set",
        "foreign-namespace",
        "xml-base",
        "svg-data-uri",
        "embedded-bomb",
        "jpeg-labelled-png",
        "metadata",
        "iframe",
    ],
)
def test_sanitiser_removes(body: str, gone: list[str]) -> None:
    text = _sanitised(body).lower()
    for token in gone:
        assert token not in text
    assert '<circle id="keep"' in text


def test_sanitiser_drops_processing_instructions_and_comments() -> None:
    prolog = '<?xml version="1.0"?><?xml-stylesheet href="https://evil.example/x.css"?><!-- c -->'
    text = _sanitised("<!-- inside -->", prolog=prolog)
    assert "evil.example" not in text
    assert "<!--" not in text


def test_sanitiser_keeps_what_is_safe() -> None:
    dot = png_data_uri(encode(Image.new("RGB", (4, 4), "red"), "PNG"))
    body = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
        '<rect width="9" height="9" fill="url(#g)" style="stroke: url( \'#g\' ); opacity: .5"/>'
        f'<image href="{dot}" width="4" height="4"/><use xlink:href="#keep" x="5"/>'
        '<text xml:space="preserve">Hello <a href="https://evil.example/">link</a>world</text>'
    )
    text = _sanitised(body)
    for kept in ['fill="url(#g)"', "stroke: url( '#g' )", dot, 'xlink:href="#keep"', "<text"]:
        assert kept in text
    assert 'xml:space="preserve"' in text
    assert "Hello world</text>" in text  # the text after a removed link stays in place
    processed = process_image(text.encode())
    assert variant_sizes(processed)[Variant.THUMBNAIL] == (128, 128)


def test_the_svg_11_doctype_is_tolerated_and_dropped() -> None:
    prolog = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    )
    processed = process_image(svg_doc(prolog=prolog))
    assert b"DOCTYPE" not in processed.original


XXE = '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
PARAMETER_XXE = '<!DOCTYPE svg [<!ENTITY % p SYSTEM "https://evil.example/x.dtd"> %p;]>'
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
BILLION_LAUGHS = f'<!DOCTYPE svg [<!ENTITY lol0 "lol">{LAUGHS}]>'
ATTLIST_DEFAULTS = '<!DOCTYPE svg [<!ATTLIST circle onclick CDATA "alert(1)">]>'


@pytest.mark.parametrize(
    ("prolog", "body"),
    [
        (XXE, "<text>&x;</text>"),
        (PARAMETER_XXE, ""),
        (BILLION_LAUGHS, "<text>&lol9;</text>"),
        (ATTLIST_DEFAULTS, ""),
    ],
    ids=["xxe", "parameter-entity", "billion-laughs", "attlist-defaults"],
)
def test_svg_entities_and_inline_dtds_are_refused(prolog: str, body: str) -> None:
    data = svg_doc(body, prolog='<?xml version="1.0"?>\n' + prolog)
    assert detect_type(data) == "image/svg+xml"
    error = refusal(InvalidInput, data)
    assert error.detail == "SVG files may not declare entities or an inline DTD."


def test_entities_are_refused_even_past_the_sniffing_window() -> None:
    # A long comment hides the DTD from the quick prolog scan; the XML parser still refuses it.
    data = svg_doc("<text>&x;</text>", prolog=f"<!--{'x' * 70_000}-->{XXE}")
    with pytest.raises(InvalidInput, match="entities"):
        sanitize_svg(data)


def test_malformed_svg_is_refused() -> None:
    error = refusal(InvalidInput, f'<svg xmlns="{SVG_NS}"><g></svg>'.encode())
    assert error.detail.startswith("The SVG is not well-formed XML:")


def test_svg_outside_the_svg_namespace_is_refused() -> None:
    """Named svg but not SVG: 422. XML with another root is not an image at all: 415 (above)."""
    error = refusal(InvalidInput, b'<svg width="10" height="10"><circle r="4"/></svg>')
    assert SVG_NS in error.detail


def test_svg_use_bomb_is_refused() -> None:
    groups = ['<g id="a0"><rect width="1" height="1"/></g>'] + [
        f'<g id="a{i}">' + f'<use href="#a{i - 1}"/>' * 10 + "</g>" for i in range(1, 7)
    ]
    data = svg_doc(f"<defs>{''.join(groups)}</defs><use href='#a6'/>")
    error = refusal(InvalidInput, data)
    assert "too complex" in error.detail


def test_svg_with_too_many_filters_is_refused() -> None:
    blur = '<filter id="f"><feGaussianBlur stdDeviation="2"/></filter>'
    error = refusal(InvalidInput, svg_doc(blur + '<rect filter="url(#f)"/>' * 25))
    assert "too complex" in error.detail


def test_filter_primitives_that_can_stall_the_renderer_are_removed() -> None:
    text = _sanitised(
        '<filter id="f"><feMorphology radius="500"/><feTurbulence numOctaves="99"/>'
        '<feConvolveMatrix order="25"/><feGaussianBlur stdDeviation="2"/></filter>'
    )
    assert "fegaussianblur" in text.lower()
    for name in ("feMorphology", "feTurbulence", "feConvolveMatrix"):
        assert name not in text


def test_svg_reference_loop_is_refused() -> None:
    data = svg_doc('<g id="loop"><rect width="1" height="1"/><use href="#loop"/></g>')
    error = refusal(InvalidInput, data)
    assert "loop" in error.detail


def test_deeply_nested_svg_is_refused() -> None:
    error = refusal(InvalidInput, svg_doc("<g>" * 2000 + "</g>" * 2000))
    assert "levels deep" in error.detail


# --- detect_type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (f'<svg xmlns="{SVG_NS}"/>'.encode(), "image/svg+xml"),
        (b"\xef\xbb\xbf<svg>", "image/svg+xml"),
        ("<svg>".encode("utf-16"), "image/svg+xml"),  # with its byte-order mark
        (b'<?xml version="1.0"?>\n<!-- by hand -->\n<svg\nwidth="1">', "image/svg+xml"),
        (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd"><svg>', "image/svg+xml"),
        (b"<!DOCTYPE svg [<!ENTITY a 'b'>]><svg>", "image/svg+xml"),
        (b'  \n<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"<svgfoo/>", None),
        (b"<html><svg/></html>", None),
        (b"<?xml version='1.0'?><!-- unterminated <svg/>", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"\x89PNG", None),
        (b"", None),
    ],
)
def test_detect_type(data: bytes, expected: str | None) -> None:
    assert detect_type(data) == expected
