"""Certificate PDFs: the text a reader finds, every script, one page, the attached credential."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import date
from typing import Any

import pypdf
import pytest

from plaudit.certificates.pdf import PdfCredentialError, extract_credential
from plaudit.certificates.render import (
    CertificateAssets,
    CertificateContent,
    CertificateRenderer,
    _with_metadata,
    _with_metadata_pypdf,
    labels_for,
)
from plaudit.templates.layout import CertificateLayout
from tests.fixtures.images import SVG, png_bytes


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


def content(name: str = "Ada Lovelace", lang: str = "en", **changes: object) -> CertificateContent:
    values: dict[str, object] = {
        "title": "Certificate of Achievement",
        "intro": "This certifies that",
        "recipient_name": name,
        "achievement_name": "Python Foundations",
        "achievement_description": "Completed every module of the course.",
        "issuer_name": "Acme Academy",
        "issued_on": date(2026, 5, 4),
        "expires_on": date(2028, 5, 4),
        "fields": [("Score", "93"), ("Course", "Python 101")],
        "verification_url": "https://plaudit.example/credentials/abc123",
        "credential_id": "abc123",
        "lang": lang,
        "labels": labels_for(lang),
    }
    values.update(changes)
    return CertificateContent(**values)  # type: ignore[arg-type]


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    # Arabic comes out as presentation forms; NFKC folds them back to letters.
    return unicodedata.normalize("NFKC", reader.pages[0].extract_text())


def fonts_of(pdf: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts: Any = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    return {str(fonts[key].get_object()["/BaseFont"]).split("+")[-1] for key in fonts}


def test_the_page_shows_the_recipient_the_achievement_and_the_fields(
    renderer: CertificateRenderer,
) -> None:
    layout = CertificateLayout(signatory_name="Dr. Alan Turing", signatory_title="Dean")
    pdf = renderer.render(layout, content(), CertificateAssets(), attachment=None)
    text = text_of(pdf)
    for expected in (
        "Certificate of Achievement",
        "Ada Lovelace",
        "Python Foundations",
        "Score",
        "93",
        "Acme Academy",
        "May 4, 2026",
        "Valid until May 4, 2028",
        "Dr. Alan Turing",
        "https://plaudit.example/credentials/abc123",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("script", "name", "font"),
    [
        ("Latin", "Zoë Ångström-Łukasiewicz", "NotoSans"),
        ("Cyrillic", "Анна Ахматова", "NotoSans"),
        ("Greek", "Υπατία Αλεξάνδρεια", "NotoSans"),
        ("Arabic", "مريم الأسطرلابي", "NotoSansArabic"),
        ("CJK", "山田 花子 김민준", "NotoSansCJK"),
    ],
)
def test_a_name_in_each_script_renders_with_a_font_that_has_it(
    renderer: CertificateRenderer, script: str, name: str, font: str
) -> None:
    pdf = renderer.render(CertificateLayout(), content(name), CertificateAssets(), attachment=None)
    text = text_of(pdf).replace(" ", "")
    if script == "Arabic":
        # Extracted right-to-left runs may come out in visual order; every letter is there.
        assert sorted(name.replace(" ", "")) == sorted(
            c for c in text if unicodedata.bidirectional(c) == "AL"
        )
    else:
        assert name.replace(" ", "") in text
    assert any(f.startswith(font) for f in fonts_of(pdf)), fonts_of(pdf)


def test_it_is_one_page_however_long_the_content(renderer: CertificateRenderer) -> None:
    long = content(
        "A very long name " * 8,
        achievement_description="Long description. " * 200,
        fields=[(f"Field {i}", "value " * 20) for i in range(10)],
    )
    for paper in ("a4", "letter"):
        for orientation in ("landscape", "portrait"):
            layout = CertificateLayout.model_validate({"paper": paper, "orientation": orientation})
            pdf = renderer.render(layout, long, CertificateAssets(), attachment=None)
            page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            expected = (595.3, 841.9) if paper == "a4" else (612.0, 792.0)
            if orientation == "landscape":
                expected = (expected[1], expected[0])
            assert (round(width, 1), round(height, 1)) == pytest.approx(expected, abs=0.2)


def test_images_and_the_qr_code_are_drawn(renderer: CertificateRenderer) -> None:
    assets = CertificateAssets(
        background=png_bytes((300, 200), (250, 245, 230)),
        logo=png_bytes((40, 40)),
        signature=png_bytes((120, 40), (0, 0, 0)),
        badge=SVG,
    )
    with_images = renderer.render(CertificateLayout(), content(), assets, attachment=None)
    bare = renderer.render(
        CertificateLayout(show_qr=False), content(), CertificateAssets(), attachment=None
    )
    images = pypdf.PdfReader(io.BytesIO(with_images)).pages[0].images
    assert len(images) == 3  # background, logo and signature rasters (badge and QR are vectors)
    assert len(bare) < len(with_images)


def test_the_credential_is_attached_and_in_the_metadata(renderer: CertificateRenderer) -> None:
    credential = json.dumps({"id": "urn:uuid:x", "name": "Ünïcödé ) ( \\ 日本"}, ensure_ascii=False)
    pdf = renderer.render(
        CertificateLayout(),
        content(),
        CertificateAssets(),
        attachment=("credential.json", credential.encode(), "application/vc+ld+json"),
    )
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
    assert reader.attachments["credential.json"] == [credential.encode()]
    assert reader.metadata is not None
    assert str(reader.metadata["/OpenBadgeCredential"]) == credential
    assert str(reader.metadata["/Title"]).startswith("Certificate of Achievement")
    assert extract_credential(pdf) == credential


def test_the_fast_metadata_update_matches_pypdfs(renderer: CertificateRenderer) -> None:
    pdf = renderer.render(CertificateLayout(), content(), CertificateAssets(), attachment=None)
    value = '{"a": "b ) \\\\ (c"}'
    for updated in (_with_metadata(pdf, value), _with_metadata_pypdf(pdf, value)):
        reader = pypdf.PdfReader(io.BytesIO(updated), strict=True)
        assert reader.metadata is not None
        assert str(reader.metadata["/OpenBadgeCredential"]) == value
        assert str(reader.metadata["/Author"]) == "Acme Academy"
        assert "Ada Lovelace" in reader.pages[0].extract_text()
    # Only the metadata key was there to be found: without it, extraction says so.
    with pytest.raises(PdfCredentialError, match="carries no credential"):
        extract_credential(pdf)


def test_template_text_cannot_run_as_typst(renderer: CertificateRenderer) -> None:
    hostile = '#read("/etc/passwd") $x$ [*bold*] <script>"quoted"'
    pdf = renderer.render(
        CertificateLayout(), content(hostile, title=hostile), CertificateAssets(), attachment=None
    )
    text = text_of(pdf)
    assert text.count('#read("/etc/passwd")') == 2
    assert "root:" not in text


def test_a_damaged_pdf_is_refused_clearly() -> None:
    with pytest.raises(PdfCredentialError, match="cannot be read"):
        extract_credential(b"%PDF-1.7\nnot really a pdf")
