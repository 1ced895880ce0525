"""The Accredible-shaped API, called exactly as Open edX's badges app calls Accredible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.credentials import tasks as credential_tasks
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.pages import HTML, read
from tests.fixtures.templates import act, published
from tests.fixtures.tenants import Tenant, make_tenant
from tests.vendors.openedx import Accredible, accredible_badge_data, accredible_expire_data

PROBLEM = "application/problem+json"
# Open edX sends its user credential's creation time as issued_on (issuers.py).
EARNED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


def groups(openedx: Accredible) -> list[dict[str, Any]]:
    response = openedx.fetch_all_groups()
    assert response.status_code == 200, response.text
    return list(response.json()["groups"])


def group_of(openedx: Accredible, name: str) -> dict[str, Any]:
    return next(g for g in groups(openedx) if g["course_name"] == name)


def credential_body(group: dict[str, Any], email: str = "ada@example.org") -> dict[str, Any]:
    return accredible_badge_data(
        name="Ada Lovelace",
        email=email,
        group_id=group["id"],
        group_name=group["course_name"],
        created=EARNED,
    )


def record(client: TestClient, tenant: Tenant, public_id: str) -> dict[str, Any]:
    listed = client.get("/api/v1/credentials", headers=tenant.headers).json()["items"]
    return next(c for c in listed if c["public_id"] == public_id)


def test_groups_are_the_published_templates_with_integer_ids(
    client: TestClient, tenant: Tenant
) -> None:
    first = published(client, tenant, name="Python 101")
    published(client, tenant, name="Python 102")
    archived = published(client, tenant, name="Old course")
    act(client, tenant, archived, "archive")
    openedx = Accredible(client, tenant.token)

    listed = groups(openedx)
    assert [g["course_name"] for g in listed] == ["Python 101", "Python 102"]
    assert all(isinstance(g["id"], int) and 0 < g["id"] < 2**31 for g in listed)
    python = listed[0]
    assert python["course_description"] == "Awarded for completing the onboarding learning path."
    assert python["primary_design_id"] == python["id"]
    assert python["created_at"]
    # The same numbers on every listing; a template published later gets the next one.
    assert groups(openedx) == listed
    published(client, tenant, name="Python 103")
    again = groups(openedx)
    assert again[:2] == listed
    assert again[2]["id"] > listed[1]["id"]

    image = openedx.fetch_design_image(python["primary_design_id"])
    assert image is not None and image.startswith("http://testserver/files/images/")
    assert client.get(image).status_code == 200
    assert first  # the template behind the group


def test_a_credential_is_issued_signed_verified_and_expired_as_a_revocation(
    client: TestClient, tenant: Tenant
) -> None:
    published(client, tenant, name="Python 101")
    openedx = Accredible(client, tenant.token)
    group = group_of(openedx, "Python 101")

    response = openedx.issue_badge(credential_body(group))
    assert response.status_code == 200, response.text
    issued = response.json()["credential"]
    assert isinstance(issued["id"], int)
    assert issued["group_id"] == group["id"]
    assert issued["recipient"] == {"name": "Ada Lovelace", "email": "ada@example.org"}
    assert issued["issued_on"] == EARNED.date().isoformat()
    public_id = issued["encoded_id"]
    credential = record(client, tenant, public_id)
    assert credential["recipient_first_name"] == "Ada Lovelace"
    assert datetime.fromisoformat(credential["emitted_at"]) == EARNED

    credential_tasks.sign_credentials.call_local([credential["id"]])
    document = record(client, tenant, public_id)["document"]
    assert client.post("/api/v1/verify", json={"credential": document}).json()["valid"] is True

    # Open edX's naive datetime.now(): no offset, a trailing space.
    expired = openedx.revoke_badge(issued["id"], accredible_expire_data(datetime.now()))  # noqa: DTZ005
    assert expired.status_code == 200, expired.text
    assert expired.json()["credential"]["expired_on"] == datetime.now(UTC).date().isoformat()
    assert record(client, tenant, public_id)["status"] == "revoked"
    page = read(client.get(f"/credentials/{public_id}", headers=HTML).text)
    assert "Revoked" in page.text
    assert "Reason: Expired by the issuer on" in " ".join(page.text)
    assert client.post("/api/v1/verify", json={"credential": document}).json()["valid"] is False
    again = openedx.revoke_badge(issued["id"], accredible_expire_data(datetime.now(UTC)))
    assert again.status_code == 200


def test_a_replayed_create_returns_the_same_credential(client: TestClient, tenant: Tenant) -> None:
    published(client, tenant, name="Python 101")
    openedx = Accredible(client, tenant.token)
    group = group_of(openedx, "Python 101")
    first = openedx.issue_badge(credential_body(group)).json()["credential"]
    replayed = openedx.issue_badge(credential_body(group)).json()["credential"]
    assert replayed["id"] == first["id"]
    other = openedx.issue_badge(credential_body(group, "grace@example.org")).json()["credential"]
    assert other["id"] != first["id"]
    # A client's own id makes the request, whatever else it says.
    own = {"credential": {**credential_body(group)["credential"], "id": "enrolment-7"}}
    mine = openedx.issue_badge(own).json()["credential"]
    own["credential"]["issued_on"] = "01/02/2024"
    assert openedx.issue_badge(own).json()["credential"]["id"] == mine["id"]
    listed = client.get("/api/v1/credentials", headers=tenant.headers).json()["items"]
    assert len(listed) == 3


def test_accrediblés_documented_token_header_works(client: TestClient, tenant: Tenant) -> None:
    for header in (f"Token token={tenant.token}", f'Token token="{tenant.token}"'):
        response = client.get("/accredible/v1/issuer/all_groups", headers={"Authorization": header})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "authorization", [None, "Bearer plaudit_nope_nope", "Token token=", "Basic abc", "Token"]
)
def test_wrong_or_missing_credentials_are_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in [
        ("GET", "/accredible/v1/issuer/all_groups"),
        ("GET", "/accredible/v1/designs/1000001"),
        ("POST", "/accredible/v1/credentials"),
        ("PATCH", "/accredible/v1/credentials/1000001"),
    ]:
        response = client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM


def test_another_organizations_groups_and_credentials_are_404(
    client: TestClient, tenant: Tenant, other: Tenant
) -> None:
    published(client, other, name="Their course")
    theirs = Accredible(client, other.token)
    their_group = group_of(theirs, "Their course")
    their_credential = theirs.issue_badge(credential_body(their_group)).json()["credential"]
    mine = Accredible(client, tenant.token)

    assert groups(mine) == []
    assert mine.perform_request("get", f"designs/{their_group['id']}").status_code == 404
    assert mine.issue_badge(credential_body(their_group)).status_code == 404
    expire = accredible_expire_data(datetime.now(UTC))
    assert mine.revoke_badge(their_credential["id"], expire).status_code == 404
    # A group number is no credential number, nor the reverse.
    assert theirs.revoke_badge(their_group["id"], expire).status_code == 404
    assert theirs.perform_request("get", f"designs/{their_credential['id']}").status_code == 404
    for number in ("0", "1", "-5", "99999999999999999999", "abc"):
        response = mine.perform_request("get", f"designs/{number}")
        assert response.status_code in (404, 422), (number, response.text)
        assert response.headers["content-type"] == PROBLEM


def test_a_read_only_key_cannot_issue(client: TestClient, runtime: Runtime) -> None:
    reader = make_tenant(runtime, scopes=[Scope.READ])
    openedx = Accredible(client, reader.token)
    assert openedx.fetch_all_groups().status_code == 200
    body = credential_body({"id": 1_000_001, "course_name": "x"})
    assert openedx.issue_badge(body).status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": {"name": "Ada", "email": "nope"}}, "email"),
        ({"recipient": {"email": "ada@example.org"}}, "name"),
        ({"group_id": "x"}, "group_id"),
        ({"group_id": 0}, "group_id"),
        ({"group_id": 2**40}, "group_id"),
        ({"issued_on": "someday"}, "issued_on"),
        ({"issued_on": "2999-01-01"}, "issued_on"),
        ({"complete": False}, "complete"),
        ({"expired_on": "2000-01-01"}, "expired_on"),
        ({"grade": "A"}, "grade"),
    ],
)
def test_bad_bodies_are_422_problems(
    client: TestClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    published(client, tenant, name="Python 101")
    openedx = Accredible(client, tenant.token)
    group = group_of(openedx, "Python 101")
    body = {"credential": {**credential_body(group)["credential"], **change}}
    response = openedx.issue_badge(body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert field in problem["detail"] or field in str(problem.get("errors")), problem


def test_an_expiry_is_only_served_as_an_ending_now(client: TestClient, tenant: Tenant) -> None:
    published(client, tenant, name="Python 101")
    openedx = Accredible(client, tenant.token)
    issued = openedx.issue_badge(credential_body(group_of(openedx, "Python 101"))).json()
    number = issued["credential"]["id"]
    bodies: list[Any] = [
        {"credential": {"expired_on": "2999-01-01"}},
        {"credential": {"expired_on": None}},
        {"credential": {"name": "Renamed"}},
        {"credential": {}},
        {},
        [],
    ]
    for body in bodies:
        response = client.patch(
            f"/accredible/v1/credentials/{number}", json=body, headers=openedx.headers()
        )
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
    listed = client.get("/api/v1/credentials", headers=tenant.headers).json()["items"]
    assert listed[0]["status"] == "active"


def test_an_archived_group_cannot_be_issued(client: TestClient, tenant: Tenant) -> None:
    template_id = published(client, tenant, name="Python 101")
    openedx = Accredible(client, tenant.token)
    group = group_of(openedx, "Python 101")
    act(client, tenant, template_id, "archive")
    response = openedx.issue_badge(credential_body(group))
    assert response.status_code == 409
    assert groups(openedx) == []
