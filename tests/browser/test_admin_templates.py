"""Dashboard templates in Chromium: build a badge with its image and a translation, watch the
preview, publish it, find it published as version 1; build a certificate and see its PDF;
copy from the catalog; and the builder at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import FilePayload, expect

from tests.browser.conftest import AdminBrowser
from tests.fixtures.images import png_bytes


def test_build_preview_and_publish_a_badge_then_a_certificate(admin: AdminBrowser) -> None:
    page = admin.page
    admin.go("/admin/templates")
    expect(page.get_by_text("No templates yet.")).to_be_visible()
    admin.shot("templates-list-empty")

    page.get_by_role("link", name="New badge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New badge template")
    page.locator("#f-name").fill("Safety Champion")
    page.locator("#f-description").fill("Awarded for completing the safety course.")
    page.locator("#f-criteria").fill("Pass every safety quiz.")
    preview = page.locator("#badge-preview")
    expect(preview.locator("[data-preview=name]")).to_have_text("Safety Champion")  # as typed
    expect(preview.locator("[data-preview=criteria]")).to_have_text("Pass every safety quiz.")
    image_file: FilePayload = {
        "name": "badge.png",
        "mimeType": "image/png",
        "buffer": png_bytes((96, 96)),
    }
    page.set_input_files("#f-image", files=[image_file])
    expect(page.locator("#preview-image")).to_be_visible()
    page.locator("#f-tr-0-lang").fill("it")
    page.locator("#f-tr-0-name").fill("Campione della sicurezza")
    page.get_by_role("button", name="Add a language").click()
    page.locator("#f-tr-1-lang").fill("es")
    page.locator("#f-tr-1-name").fill("Campeón de seguridad")
    page.get_by_label("Expires a while after it is issued").check()
    page.get_by_label("How long").fill("P1Y")
    page.get_by_label("Tags").fill("safety, onboarding")
    admin.shot("templates-new-badge")
    page.get_by_role("button", name="Create the template").click()

    expect(page.get_by_role("status")).to_contain_text("The template was created as a draft.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety Champion")
    image = page.locator("#preview-image")
    expect(image).to_have_attribute("src", re.compile(r"^/files/images/[0-9a-f-]{36}/standard$"))
    assert page.evaluate("document.getElementById('preview-image').naturalWidth") > 0
    expect(page.locator("#f-tr-1-name")).to_have_value("Campeón de seguridad")
    page.get_by_role("link", name="it", exact=True).click()  # the preview in Italian
    expect(preview.locator("[data-preview=name]")).to_have_text("Campione della sicurezza")
    admin.shot("templates-badge-draft")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("status")).to_contain_text("is published: version 1 is in use")
    expect(page.locator("#published-version")).to_have_text("1")
    expect(page.get_by_role("link", name="v1")).to_be_visible()
    admin.shot("templates-badge-published")
    page.get_by_role("link", name="v1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Version 1")
    admin.shot("templates-version")

    admin.go("/admin/templates")
    row = page.get_by_role("row", name=re.compile("Safety Champion"))
    expect(row.get_by_text("published")).to_be_visible()
    expect(row.get_by_role("cell", name="v1")).to_be_visible()
    page.get_by_label("Status").select_option("draft")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No template matches these filters.")).to_be_visible()
    admin.go("/admin/templates")
    admin.shot("templates-list")

    page.get_by_role("link", name="New certificate").click()
    page.locator("#f-name").fill("Forklift Operator")
    page.get_by_label("Signatory", exact=True).fill("Grace Hopper")
    page.get_by_label("Orientation").select_option("portrait")
    page.get_by_role("button", name="Create the template").click()
    expect(page.get_by_role("status")).to_contain_text("created as a draft")
    frame = page.locator("object#certificate-preview")
    expect(frame).to_be_attached()
    pdf = page.request.get(admin.live.url + str(frame.get_attribute("data")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    admin.shot("templates-certificate")

    admin.go("/admin/templates")
    page.get_by_role("link", name="Copy from the catalog").click()
    expect(page.get_by_role("heading", name="Quiz Ace")).to_be_visible()
    admin.shot("templates-catalog")
    page.get_by_role("button", name="Copy “Quiz Ace”").click()
    expect(page.get_by_role("status")).to_contain_text("copied from the catalog as a draft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiz Ace")

    page.set_viewport_size({"width": 375, "height": 740})
    admin.go("/admin/templates")
    page.get_by_role("link", name="Safety Champion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety Champion")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    admin.shot("templates-badge-phone")
