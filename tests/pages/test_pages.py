"""The public credential page, its downloads, LinkedIn links, the wallet and engagement counts."""

from __future__ import annotations

import io
import json
import uuid
from urllib.parse import parse_qs, urlparse

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.certificates import service as certificates
from plaudit.credentials import tasks as credential_tasks
from plaudit.db import unit_of_work
from plaudit.models.award import Credential
from plaudit.models.engagement import EngagementCount
from plaudit.openbadges import baking
from plaudit.openbadges.report import Verdict
from plaudit.runtime import Runtime
from plaudit.verification import service as verification
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.images import png_bytes
from tests.fixtures.pages import FRENCH, HTML, engagement_of, read
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime, name="Acme <Academy>")


def _badge(client: TestClient, tenant: Tenant) -> Issued:
    return issue(
        client,
        tenant,
        template_name="Safety Champion",
        description="Completed the safety course.",
        translations=[FRENCH],
        alignments=[{"name": "Fire safety", "url": "https://skills.example/fire"}],
        expiry={"type": "duration", "duration": "P10Y"},
    )


@pytest.fixture
def badge(client: TestClient, tenant: Tenant, runtime: Runtime) -> Issued:
    issued = _badge(client, tenant)
    document = client.get(issued.page, headers={"Accept": "application/json"}).json()
    with unit_of_work(runtime.read_sessions) as session:
        report = verification.verify(
            session, base_url=runtime.settings.public_base_url, data=document
        )
    # Every page test starts from a credential that verifies; if not, say which check failed.
    assert report.valid, [c for c in report.checks if c.verdict is not Verdict.PASSED]
    return issued


def test_a_valid_credential_page_shows_what_a_visitor_needs(
    client: TestClient, badge: Issued
) -> None:
    response = client.get(badge.page, headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = read(response.text)
    text = " | ".join(page.text)
    assert "Valid credential" in text
    assert "Safety Champion" in text
    assert "Ada Lovelace" in text
    assert "Acme <Academy>" in text  # escaped in the HTML, shown as typed
    assert "Fire safety" in text
    assert "@example.org" not in response.text  # never the recipient's email
    assert page.meta["og:title"] == "Safety Champion · Acme <Academy>"
    assert page.meta["og:image"].endswith("/standard")
    assert page.meta["twitter:card"] == "summary_large_image"
    # The live verification's checks are listed for a visitor to expand.
    assert "Verification checks" in text
    assert any(href.endswith("/download/badge.png") for href in page.links)
    assert any(href.endswith("/linkedin?action=add") for href in page.links)
    # No asset comes from anywhere else.
    assert "https://cdn" not in response.text and "//fonts." not in response.text


def test_api_clients_still_get_the_json(client: TestClient, badge: Issued) -> None:
    response = client.get(badge.page, headers={"Accept": "application/json"})
    assert response.headers["content-type"] == "application/vc+ld+json"
    assert response.json()["credentialSubject"]["achievement"]["name"] == "Safety Champion"


def test_the_language_follows_lang_and_the_browser(client: TestClient, badge: Issued) -> None:
    french = read(client.get(f"{badge.page}?lang=fr", headers=HTML).text)
    assert "Champion de la sécurité" in french.text
    assert "Certificat valide" in french.text
    browser = read(client.get(badge.page, headers={**HTML, "Accept-Language": "fr-CA, en"}).text)
    assert "Champion de la sécurité" in browser.text
    # The switch links to every translation.
    switch = [href for href in french.links if "lang=" in href]
    assert {parse_qs(urlparse(h).query)["lang"][0] for h in switch} == {"en"}


def test_script_and_quotes_are_escaped_everywhere(client: TestClient, tenant: Tenant) -> None:
    hostile = '<script>alert("x")</script> O\'Brien "quoted"'
    issued = issue(
        client,
        tenant,
        template_name=f"Badge {hostile}",
        description=f"Text {hostile}",
        first_name=hostile,
        last_name="Smith",
    )
    html = client.get(issued.page, headers=HTML).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    page = read(html)
    assert f"{hostile} Smith" in page.text  # a visitor reads exactly what was typed
    assert page.meta["og:title"].startswith(f"Badge {hostile}")


@pytest.mark.parametrize(
    ("action", "banner", "reason"),
    [("revoke", "Revoked", "Issued by mistake <b>"), ("suspend", "Suspended", "Under review")],
)
def test_revoked_and_suspended_pages_say_so_with_the_reason(
    client: TestClient, tenant: Tenant, badge: Issued, action: str, banner: str, reason: str
) -> None:
    # Viewed first: the page is cached, and the change must still show at once.
    assert "Valid credential" in read(client.get(badge.page, headers=HTML).text).text
    act(client, tenant, badge, action, reason)
    page = read(client.get(badge.page, headers=HTML).text)
    assert banner in page.text
    assert f"Reason: {reason}" in " ".join(page.text)


def test_an_expired_credential_says_when(client: TestClient, tenant: Tenant) -> None:
    issued = issue(client, tenant, expiry={"type": "fixed_date", "date": "2026-03-31"})
    page = read(client.get(issued.page, headers=HTML).text)
    assert "Expired" in page.text
    assert "This credential expired on 2026-03-31." in page.text


def test_a_missing_credential_is_a_friendly_404(client: TestClient) -> None:
    response = client.get("/credentials/nope", headers=HTML)
    assert response.status_code == 404
    assert "There is no credential at this address." in read(response.text).text


def test_every_download_verifies(client: TestClient, badge: Issued) -> None:
    document = client.get(badge.page, headers={"Accept": "application/json"}).json()
    for filename in ("credential.json", "credential.jwt", "badge.png", "badge.svg"):
        response = client.get(f"{badge.page}/download/{filename}")
        assert response.status_code == 200, (filename, response.text)
        assert filename in response.headers["content-disposition"]
        report = client.post(
            "/api/v1/verify/file", files={"file": (filename, response.content)}
        ).json()
        assert report["valid"] is True, (filename, report)
        if filename.startswith("badge"):
            assert json.loads(baking.extract(response.content)) == document
    assert client.get(f"{badge.page}/download/certificate.pdf").status_code == 404
    assert client.get(f"{badge.page}/download/other.txt").status_code == 404


def test_the_ob2_badge_points_to_a_hosted_assertion(client: TestClient, badge: Issued) -> None:
    png = client.get(f"{badge.page}/download/badge-ob2.png").content
    assertion = json.loads(baking.extract(png))
    assert assertion["@context"] == "https://w3id.org/openbadges/v2"
    assert assertion["recipient"]["identity"].startswith("sha256$")
    hosted = client.get(urlparse(assertion["id"]).path).json()
    assert hosted == assertion
    badge_class = client.get(urlparse(assertion["badge"]).path).json()
    assert badge_class["name"] == "Safety Champion"
    issuer = client.get(urlparse(badge_class["issuer"]).path).json()
    assert issuer["name"] == "Acme <Academy>"


def test_a_revoked_ob2_assertion_says_so(client: TestClient, tenant: Tenant, badge: Issued) -> None:
    act(client, tenant, badge, "revoke", "Cheating")
    hosted = client.get(f"/ob2/assertions/{badge.public_id}").json()
    assert hosted["revoked"] is True
    assert hosted["revocationReason"] == "Cheating"


def test_linkedin_links_carry_the_certification(
    client: TestClient, runtime: Runtime, badge: Issued
) -> None:
    add = client.get(f"{badge.page}/linkedin?action=add", follow_redirects=False)
    assert add.status_code == 303
    target = urlparse(add.headers["location"])
    assert target.netloc == "www.linkedin.com"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["startTask"] == "CERTIFICATION_NAME"
    assert query["name"] == "Safety Champion"
    assert query["organizationName"] == "Acme <Academy>"
    # The credential's own dates (a clock read here could be a month later, at midnight).
    with unit_of_work(runtime.read_sessions) as session:
        credential = session.get_one(Credential, uuid.UUID(badge.credential_id))
    issued, expires = credential.emitted_at, credential.expires_at
    assert expires is not None and expires.year == issued.year + 10
    assert (query["issueYear"], query["issueMonth"]) == (str(issued.year), str(issued.month))
    assert (query["expirationYear"], query["expirationMonth"]) == (
        str(expires.year),
        str(expires.month),
    )
    assert query["certId"] == badge.public_id
    assert query["certUrl"].endswith(badge.page)
    share = client.get(f"{badge.page}/linkedin?action=share", follow_redirects=False)
    assert parse_qs(urlparse(share.headers["location"]).query)["url"][0].endswith(badge.page)


@pytest.mark.parametrize(("action", "banner"), [("revoke", "Revoked"), ("suspend", "Suspended")])
def test_a_revoked_or_suspended_credential_is_not_put_on_linkedin(
    client: TestClient, runtime: Runtime, tenant: Tenant, badge: Issued, action: str, banner: str
) -> None:
    act(client, tenant, badge, action, "Under review")
    page = read(client.get(badge.page, headers=HTML).text)
    assert banner in page.text
    assert not any("/linkedin" in href for href in page.links)
    assert "Add to LinkedIn profile" not in page.text
    for kind in ("add", "share"):
        refused = client.get(f"{badge.page}/linkedin?action={kind}", follow_redirects=False)
        assert refused.status_code == 409
        assert "location" not in refused.headers
        text = read(refused.text).text
        assert banner in text
        assert "Only a valid credential can be added to a LinkedIn profile" in " ".join(text)
    french = client.get(f"{badge.page}/linkedin", headers={"Accept-Language": "fr"})
    assert "Seul un certificat valide" in french.text
    engagement_of(client).flush(runtime.sessions)
    with unit_of_work(runtime.sessions) as session:
        kinds = {row.kind for row in session.scalars(select(EngagementCount))}
    assert not kinds & {"linkedin_add", "linkedin_share"}


def test_an_expired_credential_is_not_put_on_linkedin(client: TestClient, tenant: Tenant) -> None:
    issued = issue(client, tenant, expiry={"type": "fixed_date", "date": "2026-03-31"})
    page = read(client.get(issued.page, headers=HTML).text)
    assert not any("/linkedin" in href for href in page.links)
    refused = client.get(f"{issued.page}/linkedin?action=add", follow_redirects=False)
    assert refused.status_code == 409
    assert "Expired" in read(refused.text).text


def test_engagement_is_counted_per_credential_without_visitor_data(
    client: TestClient, runtime: Runtime, badge: Issued
) -> None:
    for _ in range(3):
        client.get(badge.page, headers=HTML)
    client.get(f"{badge.page}/download/badge.png")
    client.get(f"{badge.page}/linkedin?action=add", follow_redirects=False)
    png = client.get(f"{badge.page}/download/badge.png").content
    client.post("/api/v1/verify/file", files={"file": ("b.png", png)})
    engagement_of(client).flush(runtime.sessions)
    with unit_of_work(runtime.sessions) as session:
        rows = session.scalars(select(EngagementCount)).all()
        counts = {row.kind: row.count for row in rows}
        columns = set(EngagementCount.__table__.columns.keys())
    assert counts == {"view": 3, "download_png": 2, "linkedin_add": 1, "verification": 1}
    assert columns == {"credential_id", "organization_id", "day", "kind", "count"}


def test_the_wallet_lists_counts_and_hides(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    first = issue(client, tenant, learner="wallet-1", template_name="Repeatable")
    link = client.get(
        f"/api/v1/learners/{first.learner_id}/wallet-link", headers=tenant.headers
    ).json()["url"]
    path = urlparse(link).path
    page = read(client.get(path, headers=HTML).text)
    assert "Repeatable" in page.text
    assert "Ada Lovelace" in " ".join(page.text)
    # A tampered token opens nothing.
    assert client.get(path[:-2] + "xx", headers=HTML).status_code == 404
    # Making it private: the public page says so, the file still verifies.
    own = f"{path}/credentials/{first.public_id}"
    response = client.post(f"{own}/visibility", data={"private": "1"}, follow_redirects=False)
    assert response.status_code == 303
    hidden = client.get(first.page, headers=HTML)
    assert hidden.status_code == 403
    assert "This credential is private" in read(hidden.text).text
    assert client.get(first.page, headers={"Accept": "application/json"}).status_code == 403
    assert client.get(f"{first.page}/download/badge.png").status_code == 403
    png = client.get(f"{own}/download/badge.png")
    assert png.status_code == 200
    report = client.post("/api/v1/verify/file", files={"file": ("b.png", png.content)}).json()
    assert report["valid"] is True
    assert "Private" in read(client.get(path, headers=HTML).text).text
    client.post(f"{own}/visibility", data={"private": "0"})
    assert client.get(first.page, headers=HTML).status_code == 200


def test_a_wallet_token_opens_only_its_own_credentials(
    client: TestClient, tenant: Tenant, badge: Issued
) -> None:
    other = issue(client, tenant, learner="someone-else", template_name="Other")
    link = client.get(
        f"/api/v1/learners/{other.learner_id}/wallet-link", headers=tenant.headers
    ).json()["url"]
    path = urlparse(link).path
    response = client.get(f"{path}/credentials/{badge.public_id}/download/credential.json")
    assert response.status_code == 404
    refused = client.post(f"{path}/credentials/{badge.public_id}/visibility", data={"private": "1"})
    assert refused.status_code == 404
    assert client.get(badge.page, headers=HTML).status_code == 200


def test_a_certificate_comes_as_a_pdf_carrying_the_credential(
    client: TestClient, tenant: Tenant
) -> None:
    issued = issue(
        client,
        tenant,
        kind="certificate",
        template_name="Python Foundations",
        first_name="Grace",
        last_name="Hopper",
        layout={"show_fields": ["score"], "signatory_name": "Dr. Alan Turing"},
        data={"score": 93},
    )
    response = client.get(f"{issued.page}/download/certificate.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Grace Hopper" in text
    assert "Python Foundations" in text
    assert "Dr. Alan Turing" in text
    attached = json.loads(reader.attachments["credential.json"][0])
    document = client.get(issued.page, headers={"Accept": "application/json"}).json()
    assert attached == document
    assert reader.metadata is not None
    assert json.loads(str(reader.metadata["/OpenBadgeCredential"])) == document
    report = client.post("/api/v1/verify/file", files={"file": ("c.pdf", response.content)}).json()
    assert report["valid"] is True
    # Issued once: the same bytes every time.
    assert client.get(f"{issued.page}/download/certificate.pdf").content == response.content


def test_a_certificate_is_rendered_by_the_job_and_never_changes_with_its_template(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    issued = issue(client, tenant, kind="certificate", template_name="Frozen Course")
    credential_tasks.render_certificates.call_local([issued.credential_id])
    with unit_of_work(runtime.sessions) as session:
        credential = session.scalars(
            select(Credential).where(Credential.public_id == issued.public_id)
        ).one()
        key = certificates.file_key(credential)
    stored = runtime.files.get(key)
    assert stored is not None and stored.startswith(b"%PDF-")
    template_id = client.get(
        f"/api/v1/credentials/{issued.credential_id}", headers=tenant.headers
    ).json()["template_id"]
    edited = client.patch(
        f"/api/v1/templates/{template_id}",
        json={"name": "Renamed", "layout": {"title": "A New Title"}},
        headers=tenant.headers,
    )
    assert edited.status_code == 200, edited.text
    assert (
        client.post(f"/api/v1/templates/{template_id}/publish", headers=tenant.headers).status_code
        == 200
    )
    assert client.get(f"{issued.page}/download/certificate.pdf").content == stored
    # Even rendered again (the stored file lost), it shows the version it was issued from.
    runtime.files.delete(key)
    again = client.get(f"{issued.page}/download/certificate.pdf").content
    text = pypdf.PdfReader(io.BytesIO(again)).pages[0].extract_text()
    assert "Frozen Course" in text and "Certificate of Achievement" in text
    assert "Renamed" not in text and "A New Title" not in text


def test_layouts_are_checked_and_previewed(client: TestClient, tenant: Tenant) -> None:
    created = client.post(
        "/api/v1/templates",
        json={"kind": "certificate", "name": "Layout check", "achievement_type": "Certificate"},
        headers=tenant.headers,
    ).json()
    url = f"/api/v1/templates/{created['id']}"
    assert created["layout"]["paper"] == "a4"
    unknown = client.patch(url, json={"layout": {"show_fields": ["nope"]}}, headers=tenant.headers)
    assert unknown.status_code == 422
    assert "nope" in unknown.json()["detail"]
    colour = client.patch(url, json={"layout": {"accent_color": "red"}}, headers=tenant.headers)
    assert colour.status_code == 422
    stranger = client.patch(
        url,
        json={"layout": {"background_image_id": "00000000-0000-4000-8000-000000000000"}},
        headers=tenant.headers,
    )
    assert stranger.status_code == 422
    upload = client.put(
        f"{url}/layout/signature",
        files={"image": ("sig.png", png_bytes((120, 40)), "image/png")},
        headers=tenant.headers,
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["layout"]["signature_image_id"] is not None
    fine = client.patch(
        url,
        json={"layout": {"show_fields": ["score"], "paper": "letter", "signatory_name": "Dean"}},
        headers=tenant.headers,
    )
    assert fine.status_code == 200, fine.text
    preview = client.get(f"{url}/certificate-preview", headers=tenant.headers)
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    page = pypdf.PdfReader(io.BytesIO(preview.content)).pages[0]
    assert round(float(page.mediabox.width)) == 792  # US Letter, landscape
    assert "Ada Lovelace" in page.extract_text()
    badge = client.post(
        "/api/v1/templates",
        json={"kind": "badge", "name": "No layout", "layout": {}},
        headers=tenant.headers,
    )
    assert badge.status_code == 422


def test_the_evidence_says_what_was_done_when_and_with_what_result_in_the_pages_language(
    client: TestClient, tenant: Tenant
) -> None:
    issued = issue(
        client,
        tenant,
        translations=[FRENCH],
        data={"score": 85, "max_score": 100, "passed": True},
    )
    english = client.get(issued.page, headers=HTML).text
    section = english[english.index('<ul class="evidence">') :]
    section = section[: section.index("</ul>")]
    text = " | ".join(read(section).text)
    assert "Completed the course “Python 101”" in text
    assert "March 1, 2026" in text and "Score: 85 out of 100" in text and "Passed" in text
    # Not the machine data: no event type, no timestamp, no event id.
    assert "course.completed" not in section and "T09:00:00" in section  # only in datetime=""
    assert "2026-03-01T09:00:00+00:00</" not in section and "e-" not in text

    french = client.get(f"{issued.page}?lang=fr", headers=HTML).text
    section = french[french.index('<ul class="evidence">') :]
    text = " | ".join(read(section[: section.index("</ul>")]).text)
    assert "A terminé le cours « Python 101 »" in text
    assert "1 mars 2026" in text and "Score : 85 sur 100" in text and "Réussi" in text

    # The Open Badges JSON keeps the machine data.
    document = client.get(issued.page, headers={"Accept": "application/json"}).json()
    assert document["evidence"][0]["narrative"].startswith("course.completed at 2026-03-01")


def test_evidence_of_a_type_of_the_senders_own_is_said_in_its_words(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    issued = issue(client, tenant)
    with unit_of_work(runtime.sessions) as session:
        credential = session.get(Credential, uuid.UUID(issued.credential_id))
        assert credential is not None
        credential.evidence = [
            {"type": "event", "id": "gone", "event_type": "badge.earned", "occurred_at": "x"},
            {"type": "url", "id": "javascript:alert(1)", "narrative": "<b>Portfolio</b>"},
            {"type": "url", "id": "https://example.org/work", "narrative": None},
        ]
    page = client.get(issued.page, headers=HTML).text
    section = page[page.index('<ul class="evidence">') :]
    section = section[: section.index("</ul>")]
    text = " | ".join(read(section).text)
    assert "Recorded: badge earned" in text
    assert "&lt;b&gt;Portfolio&lt;/b&gt;" in section and "javascript:" not in section
    assert 'href="https://example.org/work"' in section and "See the evidence" in text
