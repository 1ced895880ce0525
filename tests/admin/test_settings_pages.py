"""Settings: the issuer profile, signing keys, email settings, a test email and email templates;
every settings page renders for owners and viewers, refuses viewers' forms, and hides other
organizations' things."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from plaudit.admin import (
    settings_access,
    settings_connectors,
    settings_email,
    settings_pages,
    settings_webhooks,
)
from plaudit.admin.web import ADMIN
from plaudit.config import Settings
from plaudit.db import unit_of_work
from plaudit.models.delivery import EmailSettings
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyStatus, SigningKey
from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard, deliver
from tests.fixtures.admin import error_beside
from tests.fixtures.images import png_bytes
from tests.fixtures.peers import SmtpServer, delivery_settings, smtp_server
from tests.fixtures.tenants import make_tenant

__all__ = ["smtp_server"]

PAGES = (
    "/admin/settings/profile",
    "/admin/settings/keys",
    "/admin/settings/email",
    "/admin/settings/email/templates",
    "/admin/settings/email/templates/credential.issued",
    "/admin/settings/webhooks",
    "/admin/settings/webhooks/new",
    "/admin/settings/connectors",
    "/admin/settings/api-keys",
    "/admin/settings/members",
)


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


def organization(runtime: Runtime, owner: Dashboard) -> Organization:
    with unit_of_work(runtime.read_sessions) as session:
        org = session.get(Organization, owner.tenant.id)
        assert org is not None
        session.expunge(org)
        return org


def test_every_settings_page_renders_with_its_sub_navigation(
    owner: Dashboard, viewer: Dashboard
) -> None:
    assert owner.get("/admin/settings").headers["location"] == "/admin/settings/profile"
    for path in PAGES:
        for person in (owner, viewer):
            response = person.get(path)
            assert response.status_code == 200, (path, response.text)
            assert 'aria-label="Settings"' in response.text
            assert 'href="/admin/settings/members"' in response.text
            assert "/admin/static/settings.css" in response.text
    # Viewers see no forms that would only be refused.
    assert 'action="/admin/settings/keys/rotate"' not in viewer.get("/admin/settings/keys").text
    assert 'id="invite-form"' not in viewer.get("/admin/settings/members").text


def test_the_issuer_profile_saves_and_shows(owner: Dashboard, runtime: Runtime) -> None:
    saved = owner.post(
        "/admin/settings/profile",
        {
            "name": "Acme <Academy>",
            "url": "https://acme.example/",
            "email": "badges@acme.example",
            "description": "We teach & certify.",
            "default_language": "it",
            "timezone": "Europe/Rome",
        },
    )
    assert saved.status_code == 303
    page = owner.get("/admin/settings/profile").text
    assert "The issuer profile was saved." in page
    assert 'value="Acme &lt;Academy&gt;"' in page  # escaped, never markup
    assert 'value="https://acme.example/"' in page and "We teach &amp; certify." in page
    org = organization(runtime, owner)
    assert (org.name, org.url, org.email) == (
        "Acme <Academy>",
        "https://acme.example/",
        "badges@acme.example",
    )
    assert (org.default_language, org.timezone) == ("it", "Europe/Rome")
    # The API reads the same profile.
    api = owner.client.get("/api/v1/organization", headers=owner.tenant.headers).json()
    assert api["name"] == "Acme <Academy>" and api["default_language"] == "it"


def test_a_bad_profile_is_refused_beside_its_fields_and_nothing_is_saved(
    owner: Dashboard, runtime: Runtime
) -> None:
    before = organization(runtime, owner)
    bad = owner.post(
        "/admin/settings/profile",
        {
            "name": "Renamed",
            "url": "not a web address",
            "email": "nobody-at-all",
            "default_language": "English!",
            "timezone": "Mars/Olympus",
        },
    )
    assert bad.status_code == 422
    assert "URL" in error_beside(bad.text, "url")
    assert "email" in error_beside(bad.text, "email").lower()
    assert "language tag" in error_beside(bad.text, "default_language")
    assert "time zone" in error_beside(bad.text, "timezone")
    assert 'value="Renamed"' in bad.text and 'value="not a web address"' in bad.text
    after = organization(runtime, owner)
    assert (after.name, after.url) == (before.name, before.url)
    empty = owner.post("/admin/settings/profile", {"name": "", "default_language": "en"})
    assert empty.status_code == 422
    assert error_beside(empty.text, "name") == "Enter the organization's name."


def test_the_logo_is_uploaded_with_the_apis_checks(owner: Dashboard, runtime: Runtime) -> None:
    form = {"name": "Acme Academy", "default_language": "en", "timezone": "UTC"}
    gif = owner.post(
        "/admin/settings/profile",
        form,
        files={"logo": ("logo.gif", b"GIF89a" + b"\0" * 40, "image/gif")},
    )
    assert gif.status_code == 422
    assert "GIF" in error_beside(gif.text, "logo")
    assert organization(runtime, owner).logo_url is None
    done = owner.post(
        "/admin/settings/profile", form, files={"logo": ("logo.png", png_bytes(), "image/png")}
    )
    assert done.status_code == 303, done.text
    logo = organization(runtime, owner).logo_url
    assert logo is not None and re.fullmatch(
        r"http://testserver/files/images/[0-9a-f-]{36}/standard", logo
    )
    image = owner.client.get(logo.removeprefix("http://testserver"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert f'src="{logo}"' in owner.get("/admin/settings/profile").text
    removed = owner.post("/admin/settings/profile", {**form, "remove_logo": "on"})
    assert removed.status_code == 303
    assert organization(runtime, owner).logo_url is None


def test_signing_keys_are_listed_and_rotated(owner: Dashboard, runtime: Runtime) -> None:
    page = owner.get("/admin/settings/keys").text
    assert f'href="/orgs/{owner.tenant.slug}/jwks.json"' in page
    rotated = owner.post("/admin/settings/keys/rotate", {"algorithm": "Ed25519"})
    assert rotated.status_code == 303
    with unit_of_work(runtime.read_sessions) as session:
        ed = session.scalars(
            select(SigningKey)
            .where(SigningKey.organization_id == owner.tenant.id, SigningKey.algorithm == "Ed25519")
            .order_by(SigningKey.created_at)
        ).all()
        active = [k for k in ed if k.status is KeyStatus.ACTIVE]
        retired = [k for k in ed if k.status is KeyStatus.RETIRED]
        assert len(active) == 1 and len(retired) == len(ed) - 1
        new_id, old_ids = active[0].id, [k.id for k in retired]
        new_x = active[0].public_jwk["x"]
    page = owner.get("/admin/settings/keys").text
    assert "signs from now on" in page
    assert str(new_id) in page and all(str(i) in page for i in old_ids)
    assert "s-retired" in page if old_ids else True
    jwks = owner.client.get(f"/orgs/{owner.tenant.slug}/jwks.json").json()
    # Published under the kid its JWTs carry: without https, its did:key verification method.
    [published] = [k for k in jwks["keys"] if k.get("x") == new_x]
    assert published["kid"].startswith("did:key:z6Mk")
    unknown = owner.post("/admin/settings/keys/rotate", {"algorithm": "DSA"})
    assert unknown.status_code == 303
    assert "Choose which key" in owner.get("/admin/settings/keys").text


def test_email_settings_save_and_the_password_never_comes_back(
    owner: Dashboard, runtime: Runtime
) -> None:
    secret = "s3cret-smtp-Passw0rd"
    form = {
        "enabled": "on",
        "smtp_host": "smtp.acme.example",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": "badges",
        "smtp_password": secret,
        "from_address": "badges@acme.example",
        "from_name": "Acme Badges",
        "reply_to": "help@acme.example",
        "admin_notifications": "digest",
        "admin_emails": "ops@acme.example\nboss@acme.example",
        "topics_on": ["credential.issued", "credential.revoked"],
    }
    saved = owner.post("/admin/settings/email", form)
    assert saved.status_code == 303
    page = owner.get("/admin/settings/email").text
    assert secret not in page
    assert 'id="password-state"><span class="badge s-set">set</span>' in page
    assert 'value="smtp.acme.example"' in page and 'value="587"' in page
    assert "ops@acme.example\nboss@acme.example" in page
    with unit_of_work(runtime.read_sessions) as session:
        row = session.get(EmailSettings, owner.tenant.id)
        assert row is not None and row.smtp_password_sealed is not None
        assert secret.encode() not in row.smtp_password_sealed  # sealed, not stored in clear
        assert row.admin_notifications == "digest"
        assert "credential.issued" not in row.topics_off and "credential.expiring" in row.topics_off
    api = owner.client.get("/api/v1/email/settings", headers=owner.tenant.headers).json()
    assert api["has_smtp_password"] is True and api["smtp_port"] == 587
    # Saving again without typing the password keeps it; the checkbox removes it.
    kept = owner.post("/admin/settings/email", {**form, "smtp_password": ""})
    assert kept.status_code == 303
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(EmailSettings, owner.tenant.id).smtp_password_sealed is not None  # type: ignore[union-attr]
    removed = owner.post(
        "/admin/settings/email", {**form, "smtp_password": "", "remove_password": "on"}
    )
    assert removed.status_code == 303
    assert '<span class="badge">not set</span>' in owner.get("/admin/settings/email").text


@pytest.mark.parametrize("port", ["99999", "smtp", "0"])
def test_a_bad_port_is_refused_beside_it_and_nothing_is_saved(
    owner: Dashboard, runtime: Runtime, port: str
) -> None:
    secret = "never-echo-this-password"
    bad = owner.post(
        "/admin/settings/email",
        {
            "enabled": "on",
            "smtp_host": "smtp.typed.example",
            "smtp_port": port,
            "smtp_password": secret,
            "from_address": "not-an-address",
        },
    )
    assert bad.status_code == 422
    assert error_beside(bad.text, "smtp_port")
    assert "email" in error_beside(bad.text, "from_address").lower()
    assert 'value="smtp.typed.example"' in bad.text and f'value="{port}"' in bad.text
    assert secret not in bad.text
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(EmailSettings, owner.tenant.id) is None


def test_a_test_email_arrives(owner: Dashboard, runtime: Runtime, smtp_server: SmtpServer) -> None:
    bad = owner.post("/admin/settings/email/test", {"to": "nobody"})
    assert bad.status_code == 422 and error_beside(bad.text, "to")
    assert 'value="nobody"' in bad.text
    sent = owner.post("/admin/settings/email/test", {"to": "check@acme.example"})
    assert sent.status_code == 303
    deliver(runtime)
    [message] = smtp_server.mailbox.to("check@acme.example")
    assert message["Subject"] == "Plaudit test email"
    page = owner.get("/admin/settings/email").text
    assert "check@acme.example" in page and "s-delivered" in page


def test_email_template_overrides_are_checked_previewed_and_saved(
    owner: Dashboard, runtime: Runtime
) -> None:
    path = "/admin/settings/email/templates/credential.issued"
    broken = owner.post(
        path,
        {
            "action": "save",
            "subject": "{{ credential ",
            "text": "Hi {{ learner_name }}",
            "html": "{% if %}",
        },
    )
    assert broken.status_code == 422
    assert error_beside(broken.text, "subject") and error_beside(broken.text, "html")
    assert 'value="{{ credential "' in broken.text and "Hi {{ learner_name }}" in broken.text
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(EmailSettings, owner.tenant.id) is None
    # The preview of what is typed, before saving: subject, text and the HTML part.
    typed = {
        "subject": "Well done, {{ learner_name }}!",
        "text": "{{ issuer }} gives you {{ credential }}.",
        "html": "<p>{{ credential }} <b>from</b> {{ issuer }}</p>",
    }
    preview = owner.post(f"{path}/preview", typed)
    assert preview.status_code == 200
    assert "sandbox" in preview.headers["content-security-policy"]
    assert "Well done, Alex Example!" in preview.text
    assert "Acme Academy gives you Sample Credential." in preview.text
    assert "&lt;b&gt;from&lt;/b&gt;" in preview.text  # the HTML part sits in srcdoc, escaped
    failing = owner.post(f"{path}/preview", {"subject": "{{ nothing_like_this }}"})
    assert "fails when it runs" in failing.text
    saved = owner.post(path, {"action": "save", **typed})
    assert saved.status_code == 303
    listing = owner.get("/admin/settings/email/templates").text
    assert "yours: html, subject, text" in listing
    api = owner.client.get("/api/v1/email/settings", headers=owner.tenant.headers).json()
    assert api["templates"]["credential.issued"]["subject"] == typed["subject"]
    assert "Well done, Alex Example!" in owner.get(f"{path}/preview").text
    # Other settings are untouched by saving a template, and the reset brings the default back.
    reset = owner.post(path, {"action": "reset"})
    assert reset.status_code == 303
    api = owner.client.get("/api/v1/email/settings", headers=owner.tenant.headers).json()
    assert api["templates"] == {}
    assert "You earned Sample Credential" in owner.get(f"{path}/preview").text
    assert owner.get("/admin/settings/email/templates/nothing.here").status_code == 404


def settings_posts() -> list[str]:
    """Every POST of the settings pages (included routers are walked: app.routes lists them
    as one entry each)."""
    found = []
    for module in (settings_pages, settings_email, settings_webhooks, settings_connectors):
        found += [(module, r) for r in module.router.routes]
    found += [(settings_access, r) for r in settings_access.router.routes]
    paths = []
    for module, route in found:
        path = getattr(route, "path", None)
        if path is None or "POST" not in getattr(route, "methods", set()):
            continue
        paths.append(path if module is settings_pages else ADMIN + path)
    return paths


def test_viewers_get_403_on_every_settings_form(dashboard: Callable[..., Dashboard]) -> None:
    viewer = dashboard(Role.VIEWER)
    token = viewer.csrf("/admin/settings/profile")
    posts = settings_posts()
    assert len(posts) >= 25
    for path in posts:
        url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        url = url.replace("templates/00000000-0000-0000-0000-000000000000", "templates/test")
        response = viewer.client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403, (path, response.status_code)
        assert "Viewers can look at everything" in response.text


def test_a_form_without_the_token_is_refused(owner: Dashboard) -> None:
    response = owner.client.post(
        "/admin/settings/profile", data={"name": "Hijacked"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_other_organizations_settings_are_not_reachable(owner: Dashboard, runtime: Runtime) -> None:
    other = make_tenant(runtime, name="Beta School")
    headers = other.headers
    client = owner.client
    hook = client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x"}, headers=headers
    ).json()
    connector = client.post(
        "/api/v1/connectors", json={"name": "LMS", "preset": "moodle"}, headers=headers
    ).json()
    key = client.get("/api/v1/api-keys", headers=headers).json()["items"][0]
    member = client.get("/api/v1/members", headers=headers)
    for path in (
        f"/admin/settings/webhooks/{hook['id']}",
        f"/admin/settings/webhooks/{hook['id']}/edit",
        f"/admin/settings/connectors/{connector['id']}",
        "/admin/settings/webhooks/not-a-uuid",
    ):
        assert owner.get(path).status_code == 404, path
    for path in (
        f"/admin/settings/webhooks/{hook['id']}/ping",
        f"/admin/settings/webhooks/{hook['id']}/rotate-secret",
        f"/admin/settings/webhooks/{hook['id']}/delete",
        f"/admin/settings/connectors/{connector['id']}/rotate-secret",
        f"/admin/settings/connectors/{connector['id']}/delete",
        f"/admin/settings/api-keys/{key['id']}/revoke",
    ):
        assert owner.post(path, page="/admin/settings/profile").status_code == 404, path
    assert member.status_code == 200
    # Nothing of theirs changed.
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/api-keys/{key['id']}", headers=headers).json()["revoked_at"] is None
    assert "Beta School" not in owner.get("/admin/settings/webhooks").text
