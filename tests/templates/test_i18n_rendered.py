"""What readers of another language get: dates in their words and their text direction, on the
public page, in the award email and on the certificate PDF, from one definition."""

from __future__ import annotations

import html
import io
import unicodedata
from datetime import date
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.certificates.render import (
    CertificateAssets,
    CertificateContent,
    CertificateRenderer,
    labels_for,
)
from plaudit.config import Settings
from plaudit.runtime import Runtime
from plaudit.templates.layout import CertificateLayout
from tests.fixtures.credentials import issue
from tests.fixtures.delivery import deliver_all
from tests.fixtures.peers import SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant

HTML = {"Accept": "text/html"}
EXPIRY = {"type": "fixed_date", "date": "2030-12-04"}


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def pdf_text(pdf: bytes) -> str:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    return unicodedata.normalize("NFKC", page.extract_text())


def test_a_french_certificate_prints_its_dates_in_french(
    client: TestClient, tenant: Tenant
) -> None:
    issued = issue(
        client,
        tenant,
        kind="certificate",
        template_name="Soudure à l'arc",
        language="fr",
        expiry=EXPIRY,
    )
    response = client.get(f"{issued.page}/download/certificate.pdf")
    assert response.status_code == 200, response.text
    text = pdf_text(response.content)
    assert "Valable jusqu'au 4 décembre 2030" in text
    assert "Dec" not in text and "2030-12-04" not in text


def test_a_french_award_email_prints_its_date_in_french(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issue(
        client,
        tenant,
        template_name="Secourisme",
        learner="lea",
        language="fr",
        expiry=EXPIRY,
    )
    deliver_all(runtime)
    [mail] = smtp_server.mailbox.to("lea@example.org")
    assert mail["Subject"] == "Vous avez obtenu Secourisme"
    for kind in ("plain", "html"):
        body = mail.get_body((kind,))
        assert body is not None
        text = html.unescape(body.get_content()) if kind == "html" else body.get_content()
        assert "Elle est valable jusqu'au 4 décembre 2030." in text, kind


def test_an_arabic_page_reads_right_to_left(client: TestClient, tenant: Tenant) -> None:
    issued = issue(client, tenant, template_name="بطل السلامة", language="ar")
    arabic = client.get(issued.page, headers=HTML)
    assert arabic.status_code == 200
    assert '<html lang="ar" dir="rtl">' in arabic.text
    english = issue(client, tenant, template_name="Safety Champion")
    assert '<html lang="en" dir="ltr">' in client.get(english.page, headers=HTML).text


def _positions(pdf: bytes) -> dict[str, float]:
    """Where each run of text starts across the page, as a fraction of its width."""
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    width = float(page.mediabox.width)
    found: dict[str, float] = {}

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            found.setdefault(text.strip(), (cm[4] + tm[4]) / width)

    page.extract_text(visitor_text=visit)
    return found


def test_an_arabic_certificate_is_laid_out_right_to_left_by_the_same_rule() -> None:
    """Its language decides, as for pages and emails: the issuer's block, first in reading
    order, moves to the right-hand edge and the verification link to the left."""

    def render(lang: str) -> dict[str, float]:
        content = CertificateContent(
            title="Certificate",
            intro="",
            recipient_name="Mariam",
            achievement_name="Safety",
            achievement_description="",
            issuer_name="Acme Academy",
            issued_on=date(2026, 5, 4),
            expires_on=None,
            fields=[],
            verification_url="https://plaudit.example/credentials/abc",
            credential_id="abc",
            lang=lang,
            labels=labels_for(lang),
        )
        pdf = CertificateRenderer().render(
            CertificateLayout(), content, CertificateAssets(), attachment=None
        )
        return _positions(pdf)

    english, arabic = render("en"), render("ar")
    url = "https://plaudit.example/credentials/abc"
    assert english["Acme Academy"] < 0.25 and english[url] > 0.6
    assert arabic["Acme Academy"] > 0.6 and arabic[url] < 0.25
