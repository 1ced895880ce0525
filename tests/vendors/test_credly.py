"""The Credly-shaped API, called exactly as Open edX's badges app calls Credly."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.credentials import tasks as credential_tasks
from plaudit.db import unit_of_work
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.pages import HTML, read
from tests.fixtures.templates import act, published
from tests.fixtures.tenants import Tenant, make_key, make_tenant
from tests.vendors.openedx import OPENEDX_REVOKE_REASON, Credly, credly_badge_data

# Open edX sends its own template's creation time as every badge's issued_at (issuers.py).
TEMPLATE_CREATED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
PROBLEM = "application/problem+json"


def credly(client: TestClient, tenant: Tenant, organization: str | None = None) -> Credly:
    return Credly(client, organization or str(tenant.id), tenant.token)


def badge(template_id: str, email: str = "ada@example.org") -> dict[str, Any]:
    return credly_badge_data(
        email=email,
        first="Ada",
        last="Lovelace",
        template_id=template_id,
        template_created=TEMPLATE_CREATED,
    )


def record(client: TestClient, tenant: Tenant, credential_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_organization_is_found_by_id_or_slug(client: TestClient, tenant: Tenant) -> None:
    response = credly(client, tenant).fetch_organization()
    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "Acme Academy"
    assert response.json()["data"]["id"] == str(tenant.id)
    by_slug = credly(client, tenant, tenant.slug).fetch_organization()
    assert by_slug.json()["data"]["id"] == str(tenant.id)


def test_credlys_documented_basic_form_and_a_bearer_key_work_too(
    client: TestClient, tenant: Tenant
) -> None:
    url = f"/credly/v1/organizations/{tenant.id}/"
    documented = base64.b64encode(f"{tenant.token}:".encode()).decode()
    assert client.get(url, headers={"Authorization": f"Basic {documented}"}).status_code == 200
    assert client.get(url, headers=tenant.headers).status_code == 200
    # Without its trailing slash, the path is redirected to Credly's.
    assert client.get(url.rstrip("/"), headers=tenant.headers).status_code == 200


def test_active_templates_are_listed_page_by_page(client: TestClient, tenant: Tenant) -> None:
    ids = [published(client, tenant, name=f"Badge {n}") for n in range(5)]
    archived = published(client, tenant, name="Old badge")
    assert act(client, tenant, archived, "archive").status_code == 200
    openedx = credly(client, tenant)

    everything = openedx.fetch_badge_templates()
    assert [t["id"] for t in everything] == ids
    paged = openedx.fetch_badge_templates("&per=2")
    assert [t["id"] for t in paged] == ids
    first = everything[0]
    assert first["name"] == "Badge 0"
    assert first["state"] == "active"
    assert first["description"] == "Awarded for completing the onboarding learning path."
    assert first["image_url"].startswith("http://testserver/files/images/")
    assert client.get(first["image_url"]).status_code == 200
    assert first["owner"]["id"] == str(tenant.id)

    page = openedx.perform_request("get", "badge_templates/?filter=state::active&per=2").json()
    assert page["metadata"]["total_pages"] == 3
    assert page["metadata"]["total_count"] == 5
    assert page["metadata"]["next_page_url"].startswith("http://testserver/credly/v1/")
    every = openedx.perform_request("get", "badge_templates/").json()
    assert {t["state"] for t in every["data"]} == {"active", "archived"}


def test_a_badge_is_issued_signed_verified_and_revoked_with_its_reason(
    client: TestClient, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Python 101")
    openedx = credly(client, tenant)

    response = openedx.issue_badge(badge(template_id))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["state"] == "accepted"
    assert data["badge_template"]["id"] == template_id
    credential = record(client, tenant, data["id"])
    assert credential["template_id"] == template_id
    assert credential["recipient_email"] == "ada@example.org"
    assert (credential["recipient_first_name"], credential["recipient_last_name"]) == (
        "Ada",
        "Lovelace",
    )
    assert datetime.fromisoformat(credential["emitted_at"]) == TEMPLATE_CREATED

    credential_tasks.sign_credentials.call_local([data["id"]])
    document = record(client, tenant, data["id"])["document"]
    assert document is not None
    verified = client.post("/api/v1/verify", json={"credential": document}).json()
    assert verified["valid"] is True, verified

    revoked = openedx.revoke_badge(data["id"], {"reason": OPENEDX_REVOKE_REASON})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["data"]["state"] == "revoked"
    page = read(client.get(data["badge_url"].removeprefix("http://testserver"), headers=HTML).text)
    assert "Revoked" in page.text
    assert f"Reason: {OPENEDX_REVOKE_REASON}" in " ".join(page.text)
    assert client.post("/api/v1/verify", json={"credential": document}).json()["valid"] is False
    # Revoking again (a retry) answers as the first revocation did.
    again = openedx.revoke_badge(data["id"], {"reason": "another reason"})
    assert again.status_code == 200
    assert again.json()["data"]["revocation_reason"] == OPENEDX_REVOKE_REASON


def test_a_replayed_issue_returns_the_same_badge(client: TestClient, tenant: Tenant) -> None:
    template_id = published(client, tenant, name="Python 101")
    openedx = credly(client, tenant)
    first = openedx.issue_badge(badge(template_id))
    replayed = openedx.issue_badge(badge(template_id))
    assert (first.status_code, replayed.status_code) == (201, 200)
    assert replayed.json()["data"]["id"] == first.json()["data"]["id"]
    # The same moment written another way is the same request.
    iso = {**badge(template_id), "issued_at": TEMPLATE_CREATED.isoformat()}
    assert openedx.issue_badge(iso).json()["data"]["id"] == first.json()["data"]["id"]
    listed = client.get(
        f"/api/v1/credentials?template_id={template_id}", headers=tenant.headers
    ).json()
    assert len(listed["items"]) == 1
    # Another person is another badge.
    other = openedx.issue_badge(badge(template_id, email="grace@example.org"))
    assert other.status_code == 201
    assert other.json()["data"]["id"] != first.json()["data"]["id"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(b"plaudit_nope_nope").decode(),
        "Basic " + base64.b64encode(b"plaudit_x:secret").decode(),
        "Basic not-base64!",
        "Digest abc",
        "Bearer plaudit_nope_nope",
    ],
)
def test_wrong_or_missing_credentials_are_401(
    client: TestClient, tenant: Tenant, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in [
        ("GET", f"/credly/v1/organizations/{tenant.id}/"),
        ("GET", f"/credly/v1/organizations/{tenant.id}/badge_templates/?filter=state::active"),
        ("POST", f"/credly/v1/organizations/{tenant.id}/badges/"),
    ]:
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM


def test_a_revoked_key_and_a_read_only_key(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Python 101")
    reader = make_tenant(runtime, scopes=[Scope.READ])
    assert credly(client, reader).fetch_organization().status_code == 200
    assert credly(client, reader).issue_badge(badge(template_id)).status_code == 403
    reading = Credly(client, str(tenant.id), reader.token)
    assert reading.fetch_organization().status_code == 404  # another organization
    key_id = client.get("/api/v1/api-keys", headers=tenant.headers).json()["items"][0]["id"]
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=tenant.headers).status_code == 200
    assert credly(client, tenant).fetch_organization().status_code == 401


def test_an_issue_key_needs_the_issue_scope(client: TestClient, runtime: Runtime) -> None:
    reader = make_tenant(runtime, scopes=[Scope.READ])
    response = credly(client, reader).issue_badge(badge("00000000-0000-0000-0000-000000000000"))
    assert response.status_code == 403
    assert "issue" in response.json()["detail"]


def test_another_organizations_things_are_404(
    client: TestClient, tenant: Tenant, other: Tenant
) -> None:
    theirs = published(client, other, name="Their badge")
    their_badge = credly(client, other).issue_badge(badge(theirs)).json()["data"]["id"]
    mine = credly(client, tenant)

    assert credly(client, tenant, str(other.id)).fetch_organization().status_code == 404
    assert (
        credly(client, tenant, other.slug).perform_request("get", "badge_templates/").status_code
        == 404
    )
    assert mine.issue_badge(badge(theirs)).status_code == 404
    assert mine.revoke_badge(their_badge, {"reason": "no"}).status_code == 404
    assert mine.revoke_badge("not-a-uuid", {"reason": "no"}).status_code == 404
    assert mine.fetch_event_information("not-a-uuid").status_code == 404
    assert mine.fetch_event_information("00000000-0000-0000-0000-000000000000").status_code == 404
    assert record(client, other, their_badge)["status"] == "active"


def test_an_unpublished_template_is_a_409(client: TestClient, tenant: Tenant) -> None:
    template_id = published(client, tenant, name="Python 101")
    act(client, tenant, template_id, "archive")
    response = credly(client, tenant).issue_badge(badge(template_id))
    assert response.status_code == 409
    assert "archived" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient_email": "not an email"}, "recipient_email"),
        ({"recipient_email": None}, "recipient_email"),
        ({"badge_template_id": "nope"}, "badge_template_id"),
        ({"badge_template_id": 7}, "badge_template_id"),
        ({"issued_at": "yesterday"}, "issued_at"),
        ({"issued_at": "0001-01-01 00:00:00 +0500"}, "issued_at"),
        ({"issued_at": "2999-01-01 00:00:00 +0000"}, "issued_at"),
        ({"issued_at": 12}, "issued_at"),
        ({"issued_to_first_name": "x" * 201}, "issued_to_first_name"),
        ({"expires_at": "2020-01-01"}, "expires_at"),
        ({"suppress_badge_notification_email": True}, "suppress_badge_notification_email"),
        ({"issued_to_last_name": "bad\x00name"}, "issued_to_last_name"),
    ],
)
def test_bad_bodies_are_422_problems(
    client: TestClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    template_id = published(client, tenant, name="Python 101")
    body = {**badge(template_id), **change}
    response = credly(client, tenant).issue_badge(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert field in problem["detail"] or field in str(problem.get("errors")), problem


@pytest.mark.parametrize(
    ("content", "status"),
    [(b"{not json", 400), (b"[]", 422), (b'"text"', 422), (b"null", 422), (b"", 422)],
)
def test_unreadable_bodies_are_problems_never_500(
    client: TestClient, tenant: Tenant, content: bytes, status: int
) -> None:
    openedx = credly(client, tenant)
    for method, path in [
        ("POST", f"/credly/v1/organizations/{tenant.id}/badges/"),
        ("PUT", f"/credly/v1/organizations/{tenant.id}/badges/{tenant.id}/revoke/"),
    ]:
        response = client.request(method, path, content=content, headers=openedx.headers())
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == PROBLEM


def test_a_revocation_needs_a_reason(client: TestClient, tenant: Tenant) -> None:
    template_id = published(client, tenant, name="Python 101")
    openedx = credly(client, tenant)
    badge_id = openedx.issue_badge(badge(template_id)).json()["data"]["id"]
    for body in (None, {}, {"reason": ""}, {"reason": "x" * 501}):
        response = openedx.revoke_badge(badge_id, body)
        assert response.status_code == 422, (body, response.text)
    assert record(client, tenant, badge_id)["status"] == "active"


@pytest.mark.parametrize(
    "query",
    ["filter=owner::me", "filter=state::gone", "page=0", "per=1000", "sort=name", "page=x"],
)
def test_unserved_or_bad_query_parameters_are_422(
    client: TestClient, tenant: Tenant, query: str
) -> None:
    response = credly(client, tenant).perform_request("get", f"badge_templates/?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


def test_a_certificate_with_a_required_field_cannot_be_issued_here(
    client: TestClient, tenant: Tenant
) -> None:
    fields = [{"name": "score", "label": "Score", "type": "number", "required": True}]
    template_id = published(client, tenant, name="Exam", kind="certificate", fields=fields)
    response = credly(client, tenant).issue_badge(badge(template_id))
    assert response.status_code == 409
    assert "score" in response.json()["detail"]
    named = published(client, tenant, name="Course certificate", kind="certificate")
    issued = credly(client, tenant).issue_badge(badge(named))
    assert issued.status_code == 201, issued.text
    credential = record(client, tenant, issued.json()["data"]["id"])
    assert credential["fields"]["recipient_name"] == "Ada Lovelace"


def test_the_documented_key_read_and_issue_does_all_open_edx_does(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Python 101")
    with unit_of_work(runtime.sessions) as session:
        token = make_key(session, organization_id=tenant.id, scopes=[Scope.READ, Scope.ISSUE])
    openedx = Credly(client, str(tenant.id), token)
    assert openedx.fetch_organization().status_code == 200
    assert [t["id"] for t in openedx.fetch_badge_templates()] == [template_id]
    issued = openedx.issue_badge(badge(template_id))
    assert issued.status_code == 201, issued.text
    revoked = openedx.revoke_badge(issued.json()["data"]["id"], {"reason": OPENEDX_REVOKE_REASON})
    assert revoked.status_code == 200, revoked.text
    issue_only = Credly(client, str(tenant.id), make_issue_only_key(runtime, tenant))
    assert issue_only.fetch_organization().status_code == 403


def make_issue_only_key(runtime: Runtime, tenant: Tenant) -> str:
    with unit_of_work(runtime.sessions) as session:
        return make_key(session, organization_id=tenant.id, scopes=[Scope.ISSUE])
