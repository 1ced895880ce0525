"""Dashboard templates: the list and its filters, the builder (new, edit, 422 beside the field
with nothing saved), previews, the lifecycle with its versions, and copies from the catalog."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest

from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard
from tests.fixtures.images import SVG, png_bytes
from tests.fixtures.templates import act, create, with_image
from tests.fixtures.tenants import make_tenant

BADGE_FORM: dict[str, Any] = {
    "kind": "badge",
    "language": "en",
    "name": "Safety Champion",
    "description": "Awarded for completing the safety course.",
    "criteria": "Pass every safety quiz.",
    "criteria_url": "https://academy.example/safety",
    "achievement_type": "Course",
    "tr-0-lang": "it",
    "tr-0-name": "Campione della sicurezza",
    "tr-0-description": "Assegnato per il corso sulla sicurezza.",
    "tr-0-criteria": "",
    "tr-1-lang": "",
    "tr-1-name": "",
    "tr-1-description": "",
    "tr-1-criteria": "",
    "expiry_type": "duration",
    "expiry_duration": "P1Y",
    "expiry_date": "",
    "expiry_reminders": "30, 7",
    "tags": "safety, onboarding",
    "al-0-name": "Teamwork",
    "al-0-url": "https://skills.example/teamwork",
    "al-0-framework": "ESCO",
    "al-0-code": "T1",
    "al-0-description": "",
    "metadata": '{"course": "safety-101"}',
}

CERTIFICATE_FORM: dict[str, Any] = {
    "kind": "certificate",
    "language": "en",
    "name": "Forklift Operator",
    "description": "Certified to operate a forklift.",
    "criteria": "",
    "achievement_type": "Certificate",
    "expiry_type": "fixed_date",
    "expiry_date": "2030-12-31",
    "tags": "",
    "fd-0-name": "recipient_name",
    "fd-0-label": "Recipient name",
    "fd-0-type": "text",
    "fd-0-required": "on",
    "fd-0-default": "",
    "fd-1-name": "hours",
    "fd-1-label": "Hours",
    "fd-1-type": "number",
    "fd-1-default": "8",
    "layout_paper": "letter",
    "layout_orientation": "portrait",
    "layout_accent_color": "#aa3300",
    "layout_title": "Certificate of Competence",
    "layout_intro": "This certifies that",
    "layout_signatory_name": "Grace Hopper",
    "layout_signatory_title": "Head of Training",
    "layout_show_fields": ["hours"],
    "layout_show_qr": "on",
}


def _png() -> dict[str, Any]:
    return {"image": ("badge.png", png_bytes(), "image/png")}


def _api(owner: Dashboard, path: str) -> Any:
    response = owner.client.get(f"/api/v1{path}", headers=owner.tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _count(owner: Dashboard) -> int:
    return len(_api(owner, "/templates?limit=100")["items"])


def _created(owner: Dashboard, data: dict[str, Any], files: Any = None) -> str:
    response = owner.post("/admin/templates", data, files=files, page="/admin/templates/new")
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/admin/templates/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def _error_beside(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', html)
    assert match, f"no message beside {field}"
    return match.group(1)


# --- the builder -------------------------------------------------------------------------


def test_a_badge_is_built_with_its_image_translations_expiry_tags_and_skills(
    owner: Dashboard,
) -> None:
    new = owner.get("/admin/templates/new?kind=badge")
    assert new.status_code == 200
    assert 'name="image" type="file"' in new.text
    template_id = _created(owner, BADGE_FORM, files=_png())
    saved = _api(owner, f"/templates/{template_id}")
    assert saved["status"] == "draft"
    assert saved["name"] == "Safety Champion"
    assert saved["achievement_type"] == "Course"
    assert saved["criteria"] == {
        "narrative": "Pass every safety quiz.",
        "url": "https://academy.example/safety",
    }
    assert saved["languages"] == ["en", "it"]  # the empty column was ignored
    assert saved["translations"][0]["name"] == "Campione della sicurezza"
    assert saved["expiry"] == {"type": "duration", "duration": "P1Y", "reminder_days": [30, 7]}
    assert [t["name"] for t in saved["tags"]] == ["safety", "onboarding"]
    assert saved["alignments"][0]["framework"] == "ESCO"
    assert saved["metadata"] == {"course": "safety-101"}
    assert saved["image"] is not None
    page = owner.get(f"/admin/templates/{template_id}")
    assert page.status_code == 200
    image_id = saved["image"]["standard"].split("/")[-2]
    assert f'src="/files/images/{image_id}/standard"' in page.text  # the badge preview
    assert 'value="Campione della sicurezza"' in page.text  # the translation's column
    assert owner.client.get(f"/files/images/{image_id}/standard").status_code == 200
    italian = owner.get(f"/admin/templates/{template_id}?preview=it").text
    assert 'lang="it"' in italian and ">Campione della sicurezza</h3>" in italian


def test_saving_an_unchanged_published_template_leaves_nothing_to_publish(
    owner: Dashboard,
) -> None:
    template = create(owner.client, owner.tenant, tags=[{"name": "b", "priority": 5}])
    with_image(owner.client, owner.tenant, template["id"])
    assert act(owner.client, owner.tenant, template["id"], "publish").status_code == 200
    page = owner.get(f"/admin/templates/{template['id']}")
    assert "unpublished changes" not in page.text
    form = _form_of(page.text)
    response = owner.post(f"/admin/templates/{template['id']}", form, csrf=form["csrf_token"])
    assert response.status_code == 303, response.text
    assert _api(owner, f"/templates/{template['id']}")["has_unpublished_changes"] is False
    form["name"] = "Renamed"
    owner.post(f"/admin/templates/{template['id']}", form, csrf=form["csrf_token"])
    after = _api(owner, f"/templates/{template['id']}")
    assert after["name"] == "Renamed" and after["has_unpublished_changes"] is True
    edited = owner.get(f"/admin/templates/{template['id']}").text
    assert 'id="unpublished-changes"' in edited
    assert "Publish version 2" in edited


def _form_of(page: str) -> dict[str, Any]:
    """The builder's fields as a browser would send them (text inputs, text areas, checked
    boxes and radios, selected options)."""
    start = page.index('id="template-form"')
    form_html = page[start : page.index("</form>", start)]
    form_html = re.sub(r"<template.*?</template>", "", form_html, flags=re.S)
    data: dict[str, Any] = {}

    def put(name: str, value: str) -> None:
        if name in data:
            data[name] = (
                [*data[name], value] if isinstance(data[name], list) else [data[name], value]
            )
        else:
            data[name] = value

    for tag in re.findall(r"<input [^>]*>", form_html):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or (kind and kind.group(1) == "file"):
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and " checked" not in tag:
            continue
        put(name.group(1), _unescape(value.group(1) if value else ""))
    for name, body in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form_html, re.S
    ):
        put(name, _unescape(body))
    for name, body in re.findall(
        r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form_html, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(
            r'<option value="([^"]*)"', body
        )
        put(name, _unescape(chosen.group(1)) if chosen else "")
    return data


def _unescape(value: str) -> str:
    return html.unescape(value)


def test_bad_input_comes_back_beside_each_field_with_what_was_typed_and_nothing_saved(
    owner: Dashboard,
) -> None:
    before = _count(owner)
    bad = {
        **BADGE_FORM,
        "name": "",
        "description": "Kept <b>as typed</b>",
        "expiry_duration": "a year",
        "tr-1-lang": "not a language!",
        "tr-1-name": "Zweite",
        "al-0-url": "nope",
        "metadata": "{not json",
    }
    response = owner.post("/admin/templates", bad, files=_png(), page="/admin/templates/new")
    assert response.status_code == 422
    html = response.text
    assert _error_beside(html, "name") == "String should have at least 1 character"
    assert "ISO 8601 duration" in _error_beside(html, "expiry_duration")
    assert "language tag" in _error_beside(html, "tr-1-lang")
    assert "valid URL" in _error_beside(html, "al-0-url")
    assert "not valid JSON" in _error_beside(html, "metadata")
    assert "Kept &lt;b&gt;as typed&lt;/b&gt;</textarea>" in html
    assert 'value="Zweite"' in html and 'value="a year"' in html
    assert "Files are not kept" in html
    assert _count(owner) == before


def test_an_image_is_checked_exactly_as_the_api_checks_it(owner: Dashboard) -> None:
    template = create(owner.client, owner.tenant)
    fake = {"image": ("badge.png", b"GIF89a not really", "image/png")}
    api = owner.client.put(
        f"/api/v1/templates/{template['id']}/image", files=fake, headers=owner.tenant.headers
    )
    assert api.status_code >= 400
    before = _count(owner)
    response = owner.post("/admin/templates", BADGE_FORM, files=fake, page="/admin/templates/new")
    assert response.status_code == 422
    assert html.unescape(_error_beside(response.text, "image")) == api.json()["detail"]
    assert _count(owner) == before
    svg = {"image": ("badge.svg", SVG, "image/svg+xml")}
    form = _form_of(owner.get(f"/admin/templates/{template['id']}").text)
    saved = owner.post(
        f"/admin/templates/{template['id']}", form, files=svg, csrf=form["csrf_token"]
    )
    assert saved.status_code == 303
    assert _api(owner, f"/templates/{template['id']}")["image"] is not None


def test_the_services_refusals_land_beside_the_field_too(owner: Dashboard) -> None:
    before = _count(owner)
    twice = {**BADGE_FORM, "tr-0-lang": "EN"}
    response = owner.post("/admin/templates", twice, page="/admin/templates/new")
    assert response.status_code == 422
    assert "each language may appear once" in _error_beside(response.text, "translations")
    assert _count(owner) == before


def test_an_archived_template_cannot_be_edited(owner: Dashboard) -> None:
    template = create(owner.client, owner.tenant)
    with_image(owner.client, owner.tenant, template["id"])
    act(owner.client, owner.tenant, template["id"], "publish")
    page = owner.get(f"/admin/templates/{template['id']}").text
    form = _form_of(page)
    act(owner.client, owner.tenant, template["id"], "archive")
    archived = owner.get(f"/admin/templates/{template['id']}").text
    assert "Unarchive it to edit it again" in archived
    assert ">Save</button>" not in archived
    form["name"] = "Sneaky"
    response = owner.post(f"/admin/templates/{template['id']}", form, csrf=form["csrf_token"])
    assert response.status_code == 422
    assert "archived; unarchive it first" in response.text
    assert _api(owner, f"/templates/{template['id']}")["name"] == template["name"]


# --- certificates ------------------------------------------------------------------------


def test_a_certificate_is_built_with_its_layout_and_fields_and_previewed_as_a_pdf(
    owner: Dashboard,
) -> None:
    new = owner.get("/admin/templates/new?kind=certificate").text
    assert 'value="recipient_name"' in new  # the API's default fields
    assert "The PDF appears here once the template is created." in new
    files = {
        "image": ("badge.png", png_bytes(), "image/png"),
        "layout_signature": ("signature.png", png_bytes((120, 40)), "image/png"),
    }
    template_id = _created(owner, CERTIFICATE_FORM, files=files)
    saved = _api(owner, f"/templates/{template_id}")
    assert saved["kind"] == "certificate"
    assert saved["expiry"] == {"type": "fixed_date", "date": "2030-12-31"}
    assert [f["name"] for f in saved["fields"]] == ["recipient_name", "hours"]
    assert saved["fields"][0]["required"] is True
    assert saved["fields"][1] == {
        "name": "hours",
        "label": "Hours",
        "type": "number",
        "required": False,
        "default": "8",
    }
    layout = saved["layout"]
    assert layout["paper"] == "letter" and layout["orientation"] == "portrait"
    assert layout["accent_color"] == "#aa3300"
    assert layout["show_fields"] == ["hours"]
    assert layout["show_qr"] is True and layout["show_badge_image"] is False
    assert layout["signatory_name"] == "Grace Hopper"
    assert layout["signature_image_id"] is not None
    page = owner.get(f"/admin/templates/{template_id}").text
    src = f"/admin/templates/{template_id}/certificate-preview?lang=en"
    assert f'id="certificate-preview" data="{src}" type="application/pdf"' in page
    pdf = owner.get(src)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # Removing a field that was printed stops printing it.
    form = _form_of(page)
    form["fd-1-name"] = form["fd-1-label"] = form["fd-1-default"] = ""
    response = owner.post(f"/admin/templates/{template_id}", form, csrf=form["csrf_token"])
    assert response.status_code == 303, response.text
    after = _api(owner, f"/templates/{template_id}")
    assert [f["name"] for f in after["fields"]] == ["recipient_name"]
    assert after["layout"]["show_fields"] == []
    assert after["layout"]["signature_image_id"] == layout["signature_image_id"]


def test_certificate_mistakes_are_shown_beside_their_fields(owner: Dashboard) -> None:
    before = _count(owner)
    bad = {
        **CERTIFICATE_FORM,
        "layout_accent_color": "red",
        "layout_title": "",
        "fd-1-name": "Hours Done",
        "expiry_date": "",
    }
    response = owner.post("/admin/templates", bad, page="/admin/templates/new?kind=certificate")
    assert response.status_code == 422
    html = response.text
    assert "must be a colour written #RRGGBB" in _error_beside(html, "layout_accent_color")
    assert "at least 1 character" in _error_beside(html, "layout_title")
    assert "must be a lowercase name" in _error_beside(html, "fd-1-name")
    assert _error_beside(html, "expiry_date") == "This field is required."
    assert 'value="Hours Done"' in html
    assert _count(owner) == before


def test_a_badge_has_no_pdf(owner: Dashboard) -> None:
    template = create(owner.client, owner.tenant)
    page = owner.get(f"/admin/templates/{template['id']}")
    assert "certificate-preview" not in page.text
    response = owner.get(f"/admin/templates/{template['id']}/certificate-preview")
    assert response.status_code == 422
    assert "Only certificate templates have a PDF" in response.text


# --- the lifecycle -----------------------------------------------------------------------


def test_publish_archive_unarchive_with_the_versions_listed(owner: Dashboard) -> None:
    template_id = _created(owner, BADGE_FORM)
    path = f"/admin/templates/{template_id}"
    refused = owner.post(f"{path}/publish", page=path)
    assert refused.status_code == 303
    assert "it has no image yet; upload one first" in owner.get(path).text
    assert _api(owner, f"/templates/{template_id}")["status"] == "draft"
    with_image(owner.client, owner.tenant, template_id)
    assert owner.post(f"{path}/publish", page=path).status_code == 303
    page = owner.get(path).text
    assert "is published: version 1 is in use" in page
    assert '<strong id="published-version">1</strong>' in page
    assert f'href="{path}/versions/1">v1</a>' in page
    saved = _api(owner, f"/templates/{template_id}")
    assert saved["status"] == "published" and saved["published_version"] == 1
    listed = owner.get("/admin/templates?status=published").text
    assert "Safety Champion" in listed and ">v1</td>" in listed
    version = owner.get(f"{path}/versions/1")
    assert version.status_code == 200
    assert "Version 1" in version.text and "P1Y after issue" in version.text
    assert owner.get(f"{path}/versions/2").status_code == 404
    assert owner.get(f"{path}/versions/x").status_code == 404
    assert owner.post(f"{path}/archive", page=path).status_code == 303
    assert _api(owner, f"/templates/{template_id}")["status"] == "archived"
    assert owner.post(f"{path}/unarchive", page=path).status_code == 303
    assert _api(owner, f"/templates/{template_id}")["status"] == "draft"
    assert "unarchived" in owner.get(path).text


def test_a_draft_never_published_can_be_deleted(owner: Dashboard) -> None:
    template_id = _created(owner, BADGE_FORM)
    path = f"/admin/templates/{template_id}"
    assert "Delete this draft" in owner.get(path).text
    response = owner.post(f"{path}/delete", page=path)
    assert response.headers["location"] == "/admin/templates"
    assert owner.get(path).status_code == 404


# --- the list ----------------------------------------------------------------------------


def test_the_list_filters_by_kind_status_tag_and_name(owner: Dashboard) -> None:
    badge = create(owner.client, owner.tenant, name="Quiz <Ace>", tags=[{"name": "quiz"}])
    with_image(owner.client, owner.tenant, badge["id"])
    act(owner.client, owner.tenant, badge["id"], "publish")
    cert = create(
        owner.client, owner.tenant, name="Welding", kind="certificate", tags=[], translations=[]
    )
    everything = owner.get("/admin/templates").text
    assert "Quiz &lt;Ace&gt;</a>" in everything and "Welding</a>" in everything
    assert f'href="/admin/templates/{badge["id"]}"' in everything
    cases = {
        "?kind=certificate": cert,
        "?status=published": badge,
        "?tag=QUIZ": badge,
        "?q=weld": cert,
    }
    for query, wanted in cases.items():
        found = owner.get(f"/admin/templates{query}").text
        other = cert if wanted is badge else badge
        assert f'href="/admin/templates/{wanted["id"]}"' in found, query
        assert f'href="/admin/templates/{other["id"]}"' not in found, query
    nothing = owner.get("/admin/templates?q=zzz").text
    assert "No template matches these filters." in nothing
    assert owner.get("/admin/templates?kind=nonsense").status_code == 200


def test_the_list_is_paged(owner: Dashboard) -> None:
    for n in range(26):
        create(owner.client, owner.tenant, name=f"Badge {n:02d}", translations=[], tags=[])
    first = owner.get("/admin/templates").text
    assert "Page 1 of 2 · 26 in all" in first
    assert len(re.findall(r'href="/admin/templates/[0-9a-f-]{36}"', first)) == 25
    second = owner.get("/admin/templates?page=2").text
    assert len(re.findall(r'href="/admin/templates/[0-9a-f-]{36}"', second)) == 1


# --- the catalog -------------------------------------------------------------------------


def test_copy_from_the_catalog(owner: Dashboard) -> None:
    page = owner.get("/admin/templates/catalog")
    assert page.status_code == 200
    assert '<img src="/files/catalog/quiz-ace.svg"' in page.text
    assert owner.client.get("/files/catalog/quiz-ace.svg").status_code == 200
    response = owner.post(
        "/admin/templates/catalog/quiz-ace/copy",
        {"language": "it", "sync_with_catalog": "on"},
        page="/admin/templates/catalog",
    )
    assert response.status_code == 303
    template_id = response.headers["location"].rsplit("/", 1)[1]
    copied = _api(owner, f"/templates/{template_id}")
    assert copied["origin"] == "catalog" and copied["catalog_key"] == "quiz-ace"
    assert copied["language"] == "it" and copied["name"] == "Asso dei Quiz"
    assert copied["sync_with_catalog"] is True and copied["image"] is not None
    assert "copied from the catalog as a draft" in owner.get(response.headers["location"]).text
    bad = owner.post(
        "/admin/templates/catalog/quiz-ace/copy",
        {"language": "not a language!"},
        page="/admin/templates/catalog",
    )
    assert bad.status_code == 422 and "language tag" in bad.text
    missing = owner.post("/admin/templates/catalog/nope/copy", {}, page="/admin/templates/catalog")
    assert missing.status_code == 404


# --- who may do what ---------------------------------------------------------------------


def test_viewers_see_templates_and_change_nothing(dashboard: Callable[..., Dashboard]) -> None:
    viewer = dashboard(Role.VIEWER)
    template = create(viewer.client, viewer.tenant)
    path = f"/admin/templates/{template['id']}"
    page = viewer.get(path)
    assert page.status_code == 200
    assert ">Save</button>" not in page.text and '/publish"' not in page.text
    assert "New badge" not in viewer.get("/admin/templates").text
    token = viewer.csrf(path)
    for target in (path, f"{path}/publish", f"{path}/delete", "/admin/templates"):
        response = viewer.post(target, {**BADGE_FORM, "name": "Changed"}, csrf=token)
        assert response.status_code == 403, target
    copy = viewer.post("/admin/templates/catalog/quiz-ace/copy", {}, csrf=token)
    assert copy.status_code == 403
    assert _api(viewer, f"/templates/{template['id']}")["name"] == template["name"]
    assert len(_api(viewer, "/templates")["items"]) == 1


@pytest.mark.parametrize(
    "suffix", ["", "/certificate-preview", "/versions/1", "/publish", "/archive", "/delete", "!"]
)
def test_another_organizations_template_is_not_found(
    owner: Dashboard, runtime: Runtime, suffix: str
) -> None:
    other = make_tenant(runtime, name="Elsewhere")
    theirs = create(owner.client, other, kind="certificate", translations=[])
    with_image(owner.client, other, theirs["id"])
    act(owner.client, other, theirs["id"], "publish")
    if suffix == "!":
        assert owner.get("/admin/templates/not-a-uuid").status_code == 404
        assert owner.post("/admin/templates/not-a-uuid/publish").status_code == 404
        return
    path = f"/admin/templates/{theirs['id']}{suffix}"
    response = (
        owner.get(path)
        if suffix in ("", "/certificate-preview", "/versions/1")
        else (owner.post(path))
    )
    assert response.status_code == 404
    if suffix == "":
        assert owner.post(path, BADGE_FORM).status_code == 404
    assert theirs["id"] not in owner.get("/admin/templates").text
    assert _api_of(owner, other, theirs["id"])["status"] == "published"


def _api_of(owner: Dashboard, tenant: Any, template_id: str) -> Any:
    return owner.client.get(f"/api/v1/templates/{template_id}", headers=tenant.headers).json()


def test_layout_images_can_be_removed_and_catalog_copies_can_stop_following(
    owner: Dashboard,
) -> None:
    files = {"layout_background": ("paper.png", png_bytes((300, 200)), "image/png")}
    template_id = _created(owner, CERTIFICATE_FORM, files=files)
    path = f"/admin/templates/{template_id}"
    assert _api(owner, f"/templates/{template_id}")["layout"]["background_image_id"]
    form = _form_of(owner.get(path).text)
    assert 'alt="The background image now"' in owner.get(path).text
    form["layout_remove_background"] = "on"
    assert owner.post(path, form, csrf=form["csrf_token"]).status_code == 303
    assert _api(owner, f"/templates/{template_id}")["layout"]["background_image_id"] is None

    copied = owner.post(
        "/admin/templates/catalog/course-completer/copy",
        {"sync_with_catalog": "on"},
        page="/admin/templates/catalog",
    ).headers["location"]
    form = _form_of(owner.get(copied).text)
    assert form["sync_with_catalog"] == "on"
    del form["sync_with_catalog"]
    assert owner.post(copied, form, csrf=form["csrf_token"]).status_code == 303
    after = _api(owner, f"/templates/{copied.rsplit('/', 1)[1]}")
    assert after["sync_with_catalog"] is False and after["name"] == "Course Completer"


def test_what_users_typed_is_escaped_in_the_builder(owner: Dashboard) -> None:
    template = create(
        owner.client,
        owner.tenant,
        name="<script>alert(1)</script>",
        description='"><img src=x>',
        tags=[{"name": "<b>"}],
    )
    page = owner.get(f"/admin/templates/{template['id']}").text
    assert "<script>alert(1)</script>" not in page and "<img src=x>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert 'value="&lt;b&gt;"' in page
    listed = owner.get("/admin/templates").text
    assert '<span class="tag">&lt;b&gt;</span>' in listed


def test_the_wallet_reminder_is_set_in_the_builder_and_refused_beside_its_field(
    owner: Dashboard,
) -> None:
    new = owner.get("/admin/templates/new?kind=badge").text
    assert 'name="wallet_reminder_days" type="number" value=""' in new
    assert "Remind learners who have not added it to a wallet after N days" in new
    template_id = _created(owner, {**BADGE_FORM, "wallet_reminder_days": "14"}, files=_png())
    assert _api(owner, f"/templates/{template_id}")["wallet_reminder_days"] == 14
    path = f"/admin/templates/{template_id}"
    form = _form_of(owner.get(path).text)
    assert form["wallet_reminder_days"] == "14"
    assert owner.post(path, form, csrf=form["csrf_token"]).status_code == 303
    assert _api(owner, f"/templates/{template_id}")["wallet_reminder_days"] == 14  # unchanged

    for typed, message in [
        ("0", "Input should be greater than or equal to 1"),
        ("1000", "Input should be less than or equal to 365"),
        ("soon", "Input should be a valid integer"),
    ]:
        refused = owner.post(path, {**form, "wallet_reminder_days": typed}, csrf=form["csrf_token"])
        assert refused.status_code == 422
        assert _error_beside(refused.text, "wallet_reminder_days").startswith(message)
        assert f'name="wallet_reminder_days" type="number" value="{typed}"' in refused.text
        assert _api(owner, f"/templates/{template_id}")["wallet_reminder_days"] == 14

    changed = owner.post(path, {**form, "wallet_reminder_days": "3"}, csrf=form["csrf_token"])
    assert changed.status_code == 303
    assert _api(owner, f"/templates/{template_id}")["wallet_reminder_days"] == 3
    form["wallet_reminder_days"] = ""
    assert owner.post(path, form, csrf=form["csrf_token"]).status_code == 303
    assert _api(owner, f"/templates/{template_id}")["wallet_reminder_days"] is None
    assert 'name="wallet_reminder_days" type="number" value=""' in owner.get(path).text
