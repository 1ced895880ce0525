"""Baking a credential into PNG and SVG badge images, and reading it back."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime

import pytest
from PIL import Image

from plaudit.openbadges import baking
from plaudit.openbadges.verify import verify
from tests.fixtures.images import SVG, png_bytes
from tests.fixtures.paths import standards

FIXTURES = standards() / "ob3" / "validator-fixtures"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
CREDENTIAL = json.dumps(
    {
        "id": "urn:uuid:1",
        "name": "Ünïcode — 日本語 ]]> <b>&amp;</b>",
        "type": ["VerifiableCredential"],
    },
    ensure_ascii=False,
)


def _itxt_keywords(png: bytes) -> list[bytes]:
    return [body.partition(b"\0")[0] for _, _, kind, body in baking._chunks(png) if kind == b"iTXt"]


def test_png_round_trip_keeps_the_image_and_the_text() -> None:
    original = png_bytes((32, 16), (200, 10, 10))
    baked = baking.bake_png(original, CREDENTIAL)
    assert baking.extract(baked) == CREDENTIAL
    assert _itxt_keywords(baked) == [b"openbadgecredential"]
    with Image.open(io.BytesIO(baked)) as image:
        image.load()
        assert image.size == (32, 16)
        assert image.getpixel((0, 0)) == (200, 10, 10)
    # Right after IHDR, as the specification's example shows.
    kinds = [kind for _, _, kind, _ in baking._chunks(baked)]
    assert kinds[:2] == [b"IHDR", b"iTXt"]


def test_baking_a_png_twice_leaves_one_chunk() -> None:
    once = baking.bake_png(png_bytes(), CREDENTIAL)
    twice = baking.bake_png(once, '{"second": true}')
    assert _itxt_keywords(twice) == [b"openbadgecredential"]
    assert baking.extract(twice) == '{"second": true}'
    # An OB 2.0 chunk is replaced too: an image carries one credential.
    ob2 = baking.bake_png(twice, '{"ob2": true}', keyword="openbadges")
    assert _itxt_keywords(ob2) == [b"openbadges"]
    assert baking.extract(ob2) == '{"ob2": true}'


def test_a_fixture_png_is_rebaked_with_its_chunk_replaced() -> None:
    fixture = (FIXTURES / "simple-json.png").read_bytes()
    rebaked = baking.bake_png(fixture, CREDENTIAL)
    assert _itxt_keywords(rebaked) == [b"openbadgecredential"]
    assert baking.extract(rebaked) == CREDENTIAL


@pytest.mark.parametrize(
    "name", ["simple-json.png", "simple-json.svg", "simple-jwt.png", "simple-jwt.svg"]
)
def test_fixture_credentials_survive_a_rebake(name: str) -> None:
    """What 1EdTech baked, baked again by Plaudit into another image, reads back identically."""
    text = baking.extract((FIXTURES / name).read_bytes())
    png = baking.bake_png(png_bytes(), text)
    svg = baking.bake_svg(SVG, text)
    assert baking.extract(png) == text
    assert baking.extract(svg) == text.strip()
    if name.startswith("simple-json"):
        assert verify(png, now=NOW).outcome == "Valid"
        assert verify(svg, now=NOW).outcome == "Valid"


def test_svg_round_trip_keeps_the_drawing() -> None:
    baked = baking.bake_svg(SVG, CREDENTIAL)
    assert baking.extract(baked) == CREDENTIAL
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    assert b"<![CDATA[" in baked
    assert b'<circle cx="50" cy="50" r="40" fill="#2a7"/>' in baked
    # The credential is the root's first child.
    assert re.search(rb"<svg[^>]*><openbadges:credential>", baked)


def test_a_jws_goes_in_the_verify_attribute() -> None:
    jws = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    baked = baking.bake_svg(SVG, jws)
    assert f'<openbadges:credential verify="{jws}"></openbadges:credential>'.encode() in baked
    assert baking.extract(baked) == jws


def test_baking_an_svg_twice_leaves_one_element_whatever_its_prefix() -> None:
    foreign = (
        b'<?xml version="1.0"?>\n<!-- drawn elsewhere -->\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="https://purl.imsglobal.org/ob/v3p0"'
        b' xmlns:old="http://openbadges.org" viewBox="0 0 10 10">'
        b'<ob:credential><![CDATA[{"a": 1}]]></ob:credential>'
        b'<old:assertion verify="https://example.org/a.json"/>'
        b'<rect width="10" height="10"/></svg>'
    )
    baked = baking.bake_svg(foreign, CREDENTIAL)
    again = baking.bake_svg(baked, CREDENTIAL)
    for document in (baked, again):
        assert document.count(b"credential>") == 2  # one opening, one closing tag
        assert b"assertion" not in document
        assert b"<!-- drawn elsewhere -->" in document
        assert baking.extract(document) == CREDENTIAL


def test_a_self_closing_root_is_opened() -> None:
    baked = baking.bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', CREDENTIAL)
    assert baked.endswith(b"</svg>")
    assert baking.extract(baked) == CREDENTIAL


def test_ob2_svg_carries_the_assertion_and_its_hosted_url() -> None:
    assertion = '{"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}'
    url = "https://plaudit.example/ob2/assertions/abc?x=1&y=2"
    baked = baking.bake_svg(SVG, assertion, version="ob2", verify=url)
    assert b'xmlns:openbadges="http://openbadges.org"' in baked
    assert b'verify="https://plaudit.example/ob2/assertions/abc?x=1&amp;y=2"' in baked
    assert baking.extract(baked) == assertion
    # Baking OB 3.0 over it replaces the OB 2.0 assertion.
    ob3 = baking.bake_svg(baked, CREDENTIAL)
    assert b"openbadges.org" not in ob3
    assert baking.extract(ob3) == CREDENTIAL


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\nrubbish", "truncated"),
        (b"GIF89a", "not a PNG"),
    ],
)
def test_bad_pngs_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(baking.BakingError, match=message):
        baking.bake_png(data, CREDENTIAL)


def test_a_png_with_a_bad_crc_is_refused() -> None:
    png = bytearray(png_bytes())
    png[20] ^= 0xFF  # inside IHDR's body
    with pytest.raises(baking.BakingError, match="CRC"):
        baking.bake_png(bytes(png), CREDENTIAL)


def test_an_svg_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>'
    )
    with pytest.raises(baking.BakingError, match="safely"):
        baking.bake_svg(bomb, CREDENTIAL)
    with pytest.raises(baking.BakingError, match="no <svg> root"):
        baking.bake_svg(b"<html/>", CREDENTIAL)
