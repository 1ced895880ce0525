"""Catalog artwork: every glyph on every shape renders, and every document is safe to inline."""

from __future__ import annotations

import io
import itertools
import re
import xml.etree.ElementTree as ET

import pytest
import resvg_py
from PIL import Image

from plaudit.catalog.artwork import PALETTES, Glyph, Palette, Shape, badge_svg

SVG = "{http://www.w3.org/2000/svg}"
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
COMBOS = list(itertools.product(Glyph, Shape))


def _parse(document: str) -> ET.Element:
    # The input is our own generated markup, not untrusted XML.
    return ET.fromstring(document)  # noqa: S314


def _render(document: str, size: int) -> Image.Image:
    # resvg maps "sans-serif" to Arial by default, which test machines rarely have.
    png = resvg_py.svg_to_bytes(
        svg_string=document, width=size, height=size, sans_serif_family="DejaVu Sans"
    )
    return Image.open(io.BytesIO(png))


@pytest.mark.parametrize(("glyph", "shape"), COMBOS, ids=[f"{g}-{s}" for g, s in COMBOS])
def test_every_glyph_on_every_shape_renders_a_visible_badge(glyph: Glyph, shape: Shape) -> None:
    document = badge_svg(glyph=glyph, shape=shape, palette=PALETTES["ocean"], size=128)

    image = _render(document, 128).convert("RGBA")

    assert image.size == (128, 128)
    colours = image.getcolors(maxcolors=128 * 128)
    assert colours is not None
    assert len(colours) >= 3
    assert image.getpixel((64, 64)) != image.getpixel((0, 0))


@pytest.mark.parametrize(("glyph", "shape"), COMBOS, ids=[f"{g}-{s}" for g, s in COMBOS])
def test_documents_are_self_contained_and_inert(glyph: Glyph, shape: Shape) -> None:
    document = badge_svg(glyph=glyph, shape=shape, palette=PALETTES["royal"], label="Well done")

    root = _parse(document)

    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 512 512"
    lowered = document.lower()
    for forbidden in ("<script", "<style", "foreignobject", "<!doctype", "<!entity", "<image"):
        assert forbidden not in lowered
    assert set(re.findall(r"https?://[^\"'\s<>]*", document)) <= NAMESPACES
    ids = []
    for element in root.iter():
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1]
            assert not local.lower().startswith("on")
            if local == "href":
                assert value.startswith("#")
            if local == "id":
                ids.append(value)
        for reference in re.findall(r"url\(([^)]*)\)", " ".join(element.attrib.values())):
            assert reference.startswith("#")
    assert len(ids) == len(set(ids))
    assert all(i.startswith("pl-") for i in ids)


def test_documents_stay_compact() -> None:
    sizes = [
        len(badge_svg(glyph=g, shape=s, palette=p).encode())
        for g, s in COMBOS
        for p in PALETTES.values()
    ]

    assert max(sizes) < 8 * 1024


def test_size_sets_the_pixel_dimensions_only() -> None:
    root = _parse(
        badge_svg(glyph=Glyph.STAR, shape=Shape.CIRCLE, palette=PALETTES["ember"], size=96)
    )

    assert (root.get("width"), root.get("height")) == ("96", "96")
    assert root.get("viewBox") == "0 0 512 512"


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size"):
        badge_svg(glyph=Glyph.STAR, shape=Shape.CIRCLE, palette=PALETTES["ember"], size=0)


def _label_text(document: str) -> str | None:
    texts = list(_parse(document).iter(f"{SVG}text"))
    assert len(texts) == 1
    return texts[0].text


def test_label_markup_is_escaped() -> None:
    label = '<script>&"'
    document = badge_svg(
        glyph=Glyph.CHAT, shape=Shape.SHIELD, palette=PALETTES["slate"], label=label
    )

    assert "<script" not in document
    assert _label_text(document) == label
    assert all(t.get("font-family") == "sans-serif" for t in _parse(document).iter(f"{SVG}text"))


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    document = badge_svg(
        glyph=Glyph.BOOK,
        shape=Shape.RIBBON,
        palette=PALETTES["ocean"],
        label="Introduction to <Advanced> Topics & More",
    )

    text = _label_text(document)

    assert text == "Introduction to <\u2026"
    assert len(text) <= 18


def test_labelled_badge_renders_its_banner() -> None:
    plain = badge_svg(glyph=Glyph.MEDAL, shape=Shape.HEXAGON, palette=PALETTES["forest"])
    labelled = badge_svg(
        glyph=Glyph.MEDAL, shape=Shape.HEXAGON, palette=PALETTES["forest"], label="Certified Pro"
    )

    assert f"{SVG}text" not in {e.tag for e in _parse(plain).iter()}
    assert _render(labelled, 128).size == (128, 128)
    assert _render(labelled, 128).tobytes() != _render(plain, 128).tobytes()


@pytest.mark.parametrize("shape", list(Shape))
def test_different_glyphs_produce_different_documents(shape: Shape) -> None:
    documents = {badge_svg(glyph=g, shape=shape, palette=PALETTES["forest"]) for g in Glyph}

    assert len(documents) == len(Glyph)


def test_shapes_and_palettes_change_the_document() -> None:
    by_shape = {badge_svg(glyph=Glyph.FLAG, shape=s, palette=PALETTES["sunset"]) for s in Shape}
    by_palette = {
        badge_svg(glyph=Glyph.FLAG, shape=Shape.CIRCLE, palette=p) for p in PALETTES.values()
    }

    assert len(by_shape) == len(Shape)
    assert len(by_palette) == len(PALETTES)


def test_palettes_are_named_and_valid() -> None:
    assert {"ocean", "forest", "sunset", "royal", "ember", "slate"} <= PALETTES.keys()
    for palette in PALETTES.values():
        for colour in (palette.primary, palette.secondary, palette.accent):
            assert re.fullmatch(r"#[0-9a-f]{6}", colour)


def test_palette_rejects_non_hex_colours() -> None:
    with pytest.raises(ValueError, match="rrggbb"):
        Palette(primary="blue", secondary="#000000", accent="#ffffff")
