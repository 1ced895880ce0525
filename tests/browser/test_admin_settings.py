"""The settings pages in Chromium: each page used once, a screenshot of each, a viewer invited,
and one page at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from plaudit.connectors import presets
from tests.admin.conftest import deliver
from tests.browser.conftest import AdminBrowser


def test_walk_the_settings_pages(admin: AdminBrowser) -> None:
    page = admin.page
    admin.go("/admin/")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issuer profile")

    # Issuer profile
    page.get_by_label("Website").fill("ftp://acme.example/")
    page.get_by_label("Description").fill("Courses that count.")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.locator("#e-url")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Courses that count.")
    page.get_by_label("Website").fill("https://acme.example/")
    page.get_by_role("button", name="Save the profile").click()
    expect(page.locator(".flash")).to_have_text("The issuer profile was saved.")
    admin.shot("settings-profile")

    # Signing keys
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Signing keys").click()
    page.get_by_role("button", name="Rotate now").click()
    expect(page.locator(".flash")).to_contain_text("signs from now on")
    expect(page.locator("#keys .badge.s-active").first).to_be_visible()
    expect(page.locator("#jwks-link")).to_have_attribute(
        "href", f"/orgs/{admin.tenant.slug}/jwks.json"
    )
    admin.shot("settings-keys")

    # Email
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Email", exact=True
    ).click()
    page.get_by_label("Host").fill("smtp.acme.example")
    page.get_by_label("Port").fill("70000")
    page.get_by_label("Password", exact=True).fill("typed-secret-123")
    page.get_by_role("button", name="Save the email settings").click()
    expect(page.locator("#e-smtp_port")).to_be_visible()
    expect(page.get_by_label("Host")).to_have_value("smtp.acme.example")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    page.get_by_label("Port").fill("587")
    page.get_by_label("Password", exact=True).fill("typed-secret-123")
    page.get_by_role("button", name="Save the email settings").click()
    expect(page.locator("#password-state")).to_contain_text("set")
    assert "typed-secret-123" not in page.content()
    admin.shot("settings-email")

    # Email templates: an error beside the field, a preview, then saved
    page.get_by_role("navigation", name="Settings").get_by_role(
        "link", name="Email templates"
    ).click()
    admin.shot("settings-templates")
    page.get_by_role("link", name=re.compile("Credential issued")).click()
    page.get_by_label("Subject").fill("{{ credential ")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#e-subject")).to_be_visible()
    page.get_by_label("Subject").fill("Bravo {{ learner_name }}: {{ credential }}")
    page.get_by_role("button", name="Preview").click()
    preview = page.frame_locator("#email-preview")
    expect(preview.locator("#preview-subject")).to_have_text(
        "Bravo Alex Example: Sample Credential"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("was saved")
    admin.shot("settings-template-edit")

    # Webhooks: an endpoint, its secret once, a ping and the log
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Webhooks").click()
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("URL").fill("https://hooks.acme.example/plaudit")
    page.get_by_label("Description").fill("Our CRM")
    page.get_by_label("credential.issued").check()
    page.get_by_role("button", name="Add the endpoint").click()
    expect(page.locator("#secret")).to_contain_text("whsec_")
    admin.shot("settings-webhook-secret")
    page.get_by_role("link", name="Go to the endpoint").click()
    page.get_by_role("button", name="Send a test ping").click()
    expect(page.locator(".flash")).to_contain_text("webhook.ping")
    deliver(admin.live.runtime)
    page.reload()
    expect(page.locator("#deliveries")).to_contain_text("webhook.ping")
    expect(page.locator("#deliveries .attempt").first).to_be_visible()
    admin.shot("settings-webhooks-log")

    # Connectors: from a preset; a payload received
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Connectors").click()
    page.get_by_label("Name").fill("TalentLMS")
    page.get_by_label("Mapping", exact=True).select_option("talentlms")
    page.get_by_role("button", name="Create the connector").click()
    secret = page.locator("#secret-2").inner_text()
    url = page.locator("#secret-1").inner_text()
    admin.shot("settings-connector-secret")
    received = admin.live.client.post(
        url.removeprefix(admin.live.url) + f"?token={secret}",
        json=presets.get("talentlms").example,
    )
    assert received.json()["status"] == "mapped"
    page.get_by_role("link", name="Go to the connector").click()
    expect(page.locator("#payloads")).to_contain_text("mapped")
    admin.shot("settings-connectors")

    # API keys: the token once
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Moodle production")
    page.get_by_label(re.compile("^issue")).check()
    page.get_by_role("button", name="Create the key").click()
    expect(page.locator("#secret")).to_contain_text("plaudit_")
    page.get_by_role("link", name="Back to the API keys").click()
    expect(page.locator("#api-keys")).to_contain_text("Moodle production")
    admin.shot("settings-api-keys")

    # Members: invite a viewer
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Members").click()
    page.get_by_label("Email").fill("new.viewer@example.org")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".flash")).to_contain_text("new.viewer@example.org")
    expect(page.locator("#invitations")).to_contain_text("new.viewer@example.org")
    expect(page.locator("#members")).to_contain_text(admin.email)
    admin.shot("settings-members")

    # At phone width: the webhook log fits, its table scrolls inside its frame
    page.set_viewport_size({"width": 375, "height": 740})
    admin.go("/admin/settings/webhooks")
    page.get_by_role("link", name="https://hooks.acme.example/plaudit").click()
    expect(page.locator("#deliveries")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide at phone width"
    admin.shot("settings-phone")
