"""What a visitor sees on a credential's public page, in a real browser, and what they download."""

from __future__ import annotations

import json
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import Page, expect

from plaudit.openbadges import baking
from tests.browser.conftest import LiveServer, screenshot
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.tenants import Tenant, make_tenant

# Pages are storage-agnostic; their storage paths run on both engines in tests/test_pages.py.
pytestmark = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)

FRENCH = {"lang": "fr", "name": "Champion de la sécurité", "description": "Pour la sécurité."}


@pytest.fixture
def tenant(live: LiveServer) -> Tenant:
    return make_tenant(live.runtime, name="Acme Academy")


def _verify(live: LiveServer, name: str, content: bytes) -> dict[str, object]:
    response = live.client.post("/api/v1/verify/file", files={"file": (name, content)})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_valid_badge_page_switches_language_and_every_download_verifies(
    live: LiveServer, tenant: Tenant, page: Page, tmp_path: Path
) -> None:
    issued = issue(
        live.client,
        tenant,
        template_name="Safety Champion",
        description="Completed the safety course.",
        translations=[FRENCH],
        expiry={"type": "duration", "duration": "P2Y"},
    )
    page.goto(f"{live.url}{issued.page}")
    # Keyboard first: the first Tab reaches the skip link to the main landmark.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip")).to_be_focused()
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("Valid credential")
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety Champion")
    expect(page.locator(".recipient")).to_have_text("Ada Lovelace")
    expect(page.get_by_role("img", name="Safety Champion")).to_be_visible()
    # The checks behind the banner open on request.
    checks = page.locator(".checks details")
    expect(checks.locator("li").first).to_be_hidden()
    checks.locator("summary").click()
    expect(checks.locator("li").first).to_be_visible()
    screenshot(page, "credential-valid")

    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Champion de la sécurité")
    expect(page.get_by_role("status")).to_contain_text("Certificat valide")
    screenshot(page, "credential-valid-fr")

    links = page.locator("[data-download]")
    names = [links.nth(i).get_attribute("data-download") for i in range(links.count())]
    assert names == ["credential.json", "credential.jwt", "badge.png", "badge.svg", "badge-ob2.png"]
    document = live.client.get(issued.page, headers={"Accept": "application/json"}).json()
    for name in names:
        assert name is not None
        with page.expect_download() as download:
            page.locator(f'[data-download="{name}"]').click()
        saved = tmp_path / name
        download.value.save_as(saved)
        content = saved.read_bytes()
        if name == "badge-ob2.png":
            assertion = json.loads(baking.extract(content))
            assert assertion["type"] == "Assertion"
            continue
        assert _verify(live, name, content)["valid"] is True, name
        if name.startswith("badge"):
            assert json.loads(baking.extract(content)) == document

    # At phone width nothing overflows sideways.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "credential-valid-phone")


def test_a_certificate_page_offers_its_pdf(
    live: LiveServer, tenant: Tenant, page: Page, tmp_path: Path
) -> None:
    issued = issue(
        live.client,
        tenant,
        kind="certificate",
        template_name="Python Foundations",
        first_name="Grace",
        last_name="Hopper",
    )
    page.goto(f"{live.url}{issued.page}")
    with page.expect_download() as download:
        page.locator('[data-download="certificate.pdf"]').click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    text = pypdf.PdfReader(saved).pages[0].extract_text()
    assert "Grace Hopper" in text and "Python Foundations" in text
    assert _verify(live, "certificate.pdf", saved.read_bytes())["valid"] is True
    screenshot(page, "credential-certificate")


@pytest.mark.parametrize(
    ("state", "banner", "reason"),
    [
        ("expired", "Expired", None),
        ("suspended", "Suspended", "Under review by the exam board"),
        ("revoked", "Revoked", "Issued to the wrong person"),
    ],
)
def test_expired_suspended_and_revoked_pages_say_so(
    live: LiveServer, tenant: Tenant, page: Page, state: str, banner: str, reason: str | None
) -> None:
    expiry: dict[str, str] = (
        {"type": "fixed_date", "date": "2026-03-31"} if state == "expired" else {"type": "none"}
    )
    issued: Issued = issue(live.client, tenant, template_name=f"{banner} badge", expiry=expiry)
    if reason:
        act(live.client, tenant, issued, "suspend" if state == "suspended" else "revoke", reason)
    page.goto(f"{live.url}{issued.page}")
    status = page.get_by_role("status")
    expect(status).to_have_attribute("data-state", state)
    expect(status).to_contain_text(banner)
    if reason:
        expect(status).to_contain_text(f"Reason: {reason}")
    else:
        expect(status).to_contain_text("This credential expired on 2026-03-31.")
    # Nothing offers to put it on LinkedIn; the address itself says why instead of going there.
    expect(page.locator("[data-linkedin]")).to_have_count(0)
    screenshot(page, f"credential-{state}")
    page.goto(f"{live.url}{issued.page}/linkedin?action=add")
    expect(page.get_by_role("heading", level=1)).to_have_text(banner)
    expect(page.get_by_role("status")).to_contain_text("Only a valid credential can be added")


def test_script_and_quotes_show_as_text(live: LiveServer, tenant: Tenant, page: Page) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror="alert(1)"> O\'Brien'
    issued = issue(
        live.client,
        tenant,
        template_name=f"Badge {hostile}",
        description=f"About {hostile}",
        first_name=hostile,
        last_name='"Quoted"',
    )
    page.goto(f"{live.url}{issued.page}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Badge {hostile}")
    expect(page.locator(".recipient")).to_have_text(f'{hostile} "Quoted"')
    assert page.locator("main script, main img[src=x]").count() == 0
    assert page.title().startswith(f"Badge {hostile}")
    screenshot(page, "credential-escaped")
    # The page fixture fails the test if any alert() ran.


def test_the_wallet_lists_and_hides_credentials(
    live: LiveServer, tenant: Tenant, page: Page
) -> None:
    issued = issue(live.client, tenant, template_name="Wallet badge", learner="wallet-browser")
    link = live.client.get(
        f"/api/v1/learners/{issued.learner_id}/wallet-link", headers=tenant.headers
    ).json()["url"]
    page.goto(link)
    item = page.locator(f'[data-credential="{issued.public_id}"]')
    expect(item.get_by_role("heading", level=2)).to_have_text("Wallet badge")
    screenshot(page, "wallet")
    item.get_by_role("button", name="Make private").click()
    expect(item.locator(".private")).to_have_text("Private")
    page.goto(f"{live.url}{issued.page}")
    expect(page.get_by_role("heading", level=1)).to_have_text("This credential is private")
    screenshot(page, "credential-private")
