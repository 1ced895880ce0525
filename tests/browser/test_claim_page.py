"""The claim page in Chromium: opened from the award email and from the learner's wallet page,
its QR code decodes (with zxing-cpp, an independent reader) to the claim's interaction URL."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.runtime import Runtime
from tests.browser.conftest import LiveServer, screenshot
from tests.fixtures.credentials import issue
from tests.fixtures.delivery import deliver_all
from tests.fixtures.peers import SmtpServer, delivery_settings, free_port
from tests.fixtures.serving import serving
from tests.fixtures.tenants import make_tenant


@pytest.fixture
def mailing(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[LiveServer]:
    """A live server that sends its emails to the test's SMTP server (codes on: the page and
    the email both show the transaction code)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = delivery_settings(
        engine, tmp_path, smtp_server, public_base_url=url, claim_tx_code=True
    )
    runtime = Runtime(settings=settings, engine=engine)
    app = create_app(settings, runtime=runtime)
    with serving(app, port), TestClient(app, base_url=url, raise_server_exceptions=False) as client:
        yield LiveServer(url, client, runtime)


def _qr_text(page: Page) -> str:
    """What a phone's camera would read from the QR code on the page."""
    png = page.locator(".claim-qr").screenshot()
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, results
    return str(results[0].text)


def test_the_claim_page_from_the_email_and_the_wallet_shows_a_qr_of_itself(
    mailing: LiveServer, smtp_server: SmtpServer, page: Page
) -> None:
    tenant = make_tenant(mailing.runtime)
    issued = issue(mailing.client, tenant, template_name="Welding safety", learner="noor")
    deliver_all(mailing.runtime)
    [mail] = smtp_server.mailbox.to("noor@example.org")
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    found = re.search(r"Add it to a wallet app: (\S+)", text)
    assert found is not None
    claim_url = found.group(1)
    code = re.search(r"ask for this code: (\d{6})", text)
    assert code is not None

    page.goto(claim_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Welding safety to your wallet")
    expect(page.locator(".claim-tx-code")).to_contain_text(code.group(1))
    expect(page.get_by_role("link", name="Open in Learner Credential Wallet")).to_be_visible()
    expect(page.get_by_role("link", name="Open in my wallet (OpenID4VCI)")).to_be_visible()
    assert _qr_text(page) == claim_url
    screenshot(page, "claim")

    # From the learner's wallet page: the same open claim, the same QR code.
    link = mailing.client.get(
        f"/api/v1/learners/{issued.learner_id}/wallet-link", headers=tenant.headers
    ).json()["url"]
    page.goto(link)
    item = page.locator(f'[data-credential="{issued.public_id}"]')
    item.get_by_role("button", name="Add to a wallet app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Welding safety to your wallet")
    assert _qr_text(page) == claim_url

    # On a phone, the page fits and the code stays scannable.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert _qr_text(page) == claim_url
