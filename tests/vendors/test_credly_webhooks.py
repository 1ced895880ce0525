"""Credly-shaped template webhooks: a real HTTP receiver hears of templates published, changed
and archived as Open edX's Credly webhook expects, and reads each event back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.db import unit_of_work
from plaudit.models.apikey import Scope
from plaudit.models.delivery import OutboxMessage
from plaudit.models.vendor import VendorEvent
from plaudit.runtime import Runtime
from tests.fixtures.delivery import deliver_all, subscribe
from tests.fixtures.peers import Receiver
from tests.fixtures.templates import act, published
from tests.fixtures.tenants import Tenant, make_tenant
from tests.vendors.openedx import OPENEDX_DATE, Credly

WEBHOOK = "/api/v1/vendors/credly/webhook"


def point_at(client: TestClient, tenant: Tenant, url: str) -> dict[str, Any]:
    response = client.put(WEBHOOK, json={"url": url}, headers=tenant.headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def received(receiver: Receiver) -> list[dict[str, Any]]:
    return [r.json() for r in receiver.acknowledged()]


def test_published_changed_and_archived_templates_reach_the_lms(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    configured = point_at(client, tenant, receiver.url)
    assert configured["organization_id"] == str(tenant.id)
    assert configured["credly_api_base_url"] == "http://testserver/credly/v1/"
    openedx = Credly(client, str(tenant.id), tenant.token)

    template_id = published(client, tenant, name="Python 101")
    deliver_all(runtime)
    [created] = received(receiver)
    assert set(created) == {"id", "organization_id", "event_type", "occurred_at"}
    assert created["organization_id"] == str(tenant.id)
    assert created["event_type"] == "badge_template.created"
    event = openedx.fetch_event_information(created["id"])
    assert event.status_code == 200, event.text
    template = event.json()["data"]["badge_template"]
    assert (template["id"], template["name"], template["state"]) == (
        template_id,
        "Python 101",
        "active",
    )
    assert template["owner"]["id"] == str(tenant.id)
    assert template["image_url"].startswith("http://testserver/files/images/")

    renamed = client.patch(
        f"/api/v1/templates/{template_id}",
        json={"name": "Python 101 (2026)"},
        headers=tenant.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert act(client, tenant, template_id, "publish").status_code == 200
    assert act(client, tenant, template_id, "archive").status_code == 200
    deliver_all(runtime)
    changed, archived = received(receiver)[1:]
    assert (changed["event_type"], archived["event_type"]) == ("badge_template.changed",) * 2
    read = {
        e["id"]: openedx.fetch_event_information(e["id"]).json()["data"]["badge_template"]
        for e in (created, changed, archived)
    }
    assert read[changed["id"]]["name"] == "Python 101 (2026)"
    assert read[changed["id"]]["state"] == "active"
    assert read[archived["id"]]["state"] == "archived"
    # Each event says what the template was then.
    assert read[created["id"]]["name"] == "Python 101"

    assert act(client, tenant, template_id, "unarchive").status_code == 200
    deliver_all(runtime)
    unarchived = received(receiver)[-1]
    draft = openedx.fetch_event_information(unarchived["id"]).json()["data"]["badge_template"]
    assert (unarchived["event_type"], draft["state"]) == ("badge_template.changed", "draft")


def test_plaudits_own_events_never_go_to_the_credly_webhook(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    point_at(client, tenant, receiver.url)
    everything = receiver.url.replace("/hooks/plaudit", "/hooks/everything")
    subscribe(client, tenant, everything)
    template_id = published(client, tenant, name="Python 101")
    issued = Credly(client, str(tenant.id), tenant.token).issue_badge(
        {
            "recipient_email": "ada@example.org",
            "issued_to_first_name": "Ada",
            "issued_to_last_name": "Lovelace",
            "badge_template_id": template_id,
            "issued_at": (datetime.now(UTC) - timedelta(days=1)).strftime(OPENEDX_DATE),
        }
    )
    assert issued.status_code == 201, issued.text
    deliver_all(runtime)
    credly = [r.json() for r in receiver.requests if r.path == "/hooks/plaudit"]
    plaudit = [r.json() for r in receiver.requests if r.path == "/hooks/everything"]
    assert [e["event_type"] for e in credly] == ["badge_template.created"]
    assert [e["type"] for e in plaudit] == ["credential.issued"]


def test_without_a_credly_webhook_nothing_is_recorded(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    published(client, tenant, name="Python 101")
    configured = point_at(client, tenant, receiver.url)
    assert client.delete(WEBHOOK, headers=tenant.headers).status_code == 204
    assert client.get(WEBHOOK, headers=tenant.headers).status_code == 404
    assert client.delete(WEBHOOK, headers=tenant.headers).status_code == 404
    published(client, tenant, name="Python 102")
    with unit_of_work(runtime.read_sessions) as session:
        assert session.scalar(select(func.count()).select_from(VendorEvent)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert configured["endpoint_id"]


def test_pointing_the_webhook_again_moves_it_and_enables_it(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    first = point_at(client, tenant, "http://127.0.0.1:9/nowhere")
    endpoint = f"/api/v1/webhooks/{first['endpoint_id']}"
    disabled = client.patch(endpoint, json={"enabled": False}, headers=tenant.headers)
    assert disabled.status_code == 200
    published(client, tenant, name="While disabled")
    moved = point_at(client, tenant, receiver.url)
    assert (moved["endpoint_id"], moved["url"], moved["enabled"]) == (
        first["endpoint_id"],
        receiver.url,
        True,
    )
    listed = client.get("/api/v1/webhooks", headers=tenant.headers).json()["items"]
    assert len(listed) == 1
    published(client, tenant, name="Now enabled")
    deliver_all(runtime)
    assert [e["event_type"] for e in received(receiver)] == ["badge_template.created"]


def test_the_webhook_url_is_checked_and_needs_an_admin_key(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    for body in ({"url": "ftp://example.org/x"}, {"url": ""}, {}, {"url": "x", "kinds": []}):
        response = client.put(WEBHOOK, json=body, headers=tenant.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    issuer = make_tenant(runtime, scopes=[Scope.ISSUE])
    forbidden = client.put(WEBHOOK, json={"url": "https://lms.example/x"}, headers=issuer.headers)
    assert forbidden.status_code == 403


def test_the_credly_webhooks_kind_cannot_be_edited_away(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    first = point_at(client, tenant, receiver.url)
    endpoint = f"/api/v1/webhooks/{first['endpoint_id']}"
    refused = client.patch(endpoint, json={"kinds": ["credential.issued"]}, headers=tenant.headers)
    assert refused.status_code == 409, refused.text
    assert "cannot be changed" in refused.json()["detail"]
    # Its address and switch are still the API's to change; its kind stays.
    renamed = client.patch(endpoint, json={"description": "LMS"}, headers=tenant.headers)
    assert renamed.status_code == 200, renamed.text
    published(client, tenant, name="Still heard")
    deliver_all(runtime)
    assert [e["event_type"] for e in received(receiver)] == ["badge_template.created"]
