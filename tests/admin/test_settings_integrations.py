"""Settings: webhook endpoints (a ping reaching a real receiver, the delivery log, redelivery,
the disabled state) and inbound connectors (preset or custom mapping, payloads, replay)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from plaudit.config import Settings
from plaudit.connectors import presets
from plaudit.db import unit_of_work
from plaudit.models.connector import Connector
from plaudit.models.delivery import WebhookEndpoint
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard, deliver
from tests.fixtures.admin import error_beside
from tests.fixtures.peers import Receiver, SmtpServer, delivery_settings, receiver, smtp_server

__all__ = ["receiver", "smtp_server"]


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


def only_once(page: str, pattern: str) -> str:
    match = re.search(pattern, page)
    assert match, pattern
    return match.group(0)


def endpoint_id(runtime: Runtime, url: str) -> str:
    with unit_of_work(runtime.read_sessions) as session:
        return str(
            session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.url == url)).one()
        )


def test_a_bad_webhook_is_refused_beside_its_fields(owner: Dashboard, runtime: Runtime) -> None:
    for url, expected in (
        ("ftp://files.example/hook", "must start with"),
        ("not a url at all", "must start with"),
        ("https://user:pw@hooks.example/x", "no user or password"),
        ("", "Enter the address"),
    ):
        bad = owner.post(
            "/admin/settings/webhooks",
            {"url": url, "description": "typed", "kinds": ["credential.issued"]},
        )
        assert bad.status_code == 422, url
        assert expected in error_beside(bad.text, "url"), url
        assert 'value="typed"' in bad.text
        assert 'value="credential.issued" checked' in bad.text
    unknown = owner.post(
        "/admin/settings/webhooks", {"url": "https://hooks.example/x", "kinds": ["no.such"]}
    )
    assert unknown.status_code == 422 and "Unknown event kind" in error_beside(
        unknown.text, "kinds"
    )
    with unit_of_work(runtime.read_sessions) as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def test_a_webhook_ping_reaches_the_receiver_and_the_log_shows_its_answer(
    owner: Dashboard, runtime: Runtime, receiver: Receiver
) -> None:
    created = owner.post(
        "/admin/settings/webhooks",
        {"url": receiver.url, "description": "Our CRM", "kinds": ["credential.issued"]},
    )
    assert created.status_code == 200
    secret = only_once(created.text, r"whsec_[A-Za-z0-9+/=]+")
    assert "shown only once" in created.text
    ident = endpoint_id(runtime, receiver.url)
    page = owner.get(f"/admin/settings/webhooks/{ident}").text
    assert secret not in page and "Our CRM" in page
    assert receiver.url in owner.get("/admin/settings/webhooks").text

    pinged = owner.post(f"/admin/settings/webhooks/{ident}/ping", page="/admin/settings/webhooks")
    assert pinged.status_code == 303
    deliver(runtime)
    [request] = receiver.acknowledged()
    assert request.json()["type"] == "webhook.ping"
    assert "webhook-signature" in {k.lower() for k in request.headers}
    log = owner.get(f"/admin/settings/webhooks/{ident}").text
    assert "webhook.ping" in log and "s-delivered" in log
    assert re.search(r'class="attempt ok"[^>]*>#1 <span class="code">200</span>', log)

    # The receiver breaks: the next answer is a 500, shown as such; a manual redelivery works.
    receiver.statuses = [500, 200]
    owner.post(f"/admin/settings/webhooks/{ident}/ping", page="/admin/settings/webhooks")
    deliver(runtime)
    log = owner.get(f"/admin/settings/webhooks/{ident}").text
    assert '<span class="code">500</span>' in log
    message_id = re.findall(r"/deliveries/([0-9a-f-]{36})/redeliver", log)[0]
    again = owner.post(
        f"/admin/settings/webhooks/{ident}/deliveries/{message_id}/redeliver",
        page="/admin/settings/webhooks",
    )
    assert again.status_code == 303
    deliver(runtime)
    assert "· manual" in owner.get(f"/admin/settings/webhooks/{ident}").text
    assert len(receiver.requests) >= 3

    # A new secret is shown once and replaces the old one.
    rotated = owner.post(
        f"/admin/settings/webhooks/{ident}/rotate-secret", page="/admin/settings/webhooks"
    )
    assert rotated.status_code == 200
    assert only_once(rotated.text, r"whsec_[A-Za-z0-9+/=]+") != secret


def test_a_webhook_is_edited_and_its_disabled_state_shows_why(
    owner: Dashboard, runtime: Runtime, receiver: Receiver
) -> None:
    owner.post("/admin/settings/webhooks", {"url": receiver.url})
    ident = endpoint_id(runtime, receiver.url)
    edit = owner.get(f"/admin/settings/webhooks/{ident}/edit")
    assert edit.status_code == 200 and f'value="{receiver.url}"' in edit.text
    bad = owner.post(f"/admin/settings/webhooks/{ident}", {"url": "gopher://x", "enabled": "on"})
    assert bad.status_code == 422 and 'value="gopher://x"' in bad.text
    saved = owner.post(
        f"/admin/settings/webhooks/{ident}",
        {
            "url": receiver.url + "/v2",
            "description": "renamed",
            "kinds": ["credential.revoked", "bulk.completed"],
            "enabled": "on",
        },
    )
    assert saved.status_code == 303
    api = owner.client.get(f"/api/v1/webhooks/{ident}", headers=owner.tenant.headers).json()
    assert api["url"] == receiver.url + "/v2" and api["description"] == "renamed"
    assert api["kinds"] == ["bulk.completed", "credential.revoked"]
    # The delivery engine disables an endpoint that keeps failing, with its reason.
    with unit_of_work(runtime.sessions) as session:
        endpoint = session.get(WebhookEndpoint, ident_uuid(ident))
        assert endpoint is not None
        endpoint.enabled = False
        endpoint.disabled_reason = "it failed every attempt for 3 days"
    page = owner.get(f"/admin/settings/webhooks/{ident}").text
    assert 'id="disabled-state"' in page and "it failed every attempt for 3 days" in page
    enabled = owner.post(
        f"/admin/settings/webhooks/{ident}/enable", page="/admin/settings/webhooks"
    )
    assert enabled.status_code == 303
    api = owner.client.get(f"/api/v1/webhooks/{ident}", headers=owner.tenant.headers).json()
    assert api["enabled"] is True and api["disabled_reason"] is None
    assert 'id="disabled-state"' not in owner.get(f"/admin/settings/webhooks/{ident}").text
    owner.post(f"/admin/settings/webhooks/{ident}/disable", page="/admin/settings/webhooks")
    assert "disabled by an administrator" in owner.get(f"/admin/settings/webhooks/{ident}").text
    deleted = owner.post(
        f"/admin/settings/webhooks/{ident}/delete", page="/admin/settings/webhooks"
    )
    assert deleted.status_code == 303
    assert owner.get(f"/admin/settings/webhooks/{ident}").status_code == 404


def ident_uuid(value: str) -> object:
    import uuid

    return uuid.UUID(value)


def test_a_connector_from_a_preset_receives_maps_and_replays(
    owner: Dashboard, runtime: Runtime
) -> None:
    created = owner.post(
        "/admin/settings/connectors",
        {"name": "TalentLMS", "description": "prod", "source": "talentlms", "enabled": "on"},
    )
    assert created.status_code == 200, created.text
    secret = only_once(created.text, r"phk_[A-Za-z0-9_-]+")
    url = only_once(created.text, r"http://testserver/hooks/[0-9a-f-]{36}")
    ident = url.rsplit("/", 1)[1]
    page = owner.get(f"/admin/settings/connectors/{ident}").text
    assert secret not in page and url in page
    with unit_of_work(runtime.read_sessions) as session:
        stored = session.get(Connector, ident_uuid(ident))
        assert stored is not None and stored.secret_hash != secret and stored.preset == "talentlms"

    example = presets.get("talentlms").example
    hook = url.removeprefix("http://testserver")
    mapped = owner.client.post(hook, json=example, headers={"Authorization": f"Bearer {secret}"})
    assert mapped.status_code == 202 and mapped.json()["status"] == "mapped"
    broken = {**example, "data": {**example["data"], "user": {}}}
    unmapped = owner.client.post(f"{hook}?token={secret}", json=broken)
    assert unmapped.json()["status"] == "unmapped"

    page = owner.get(f"/admin/settings/connectors/{ident}").text
    assert (
        'class="badge s-mapped">mapped 1<' in page
        and 'class="badge s-unmapped">unmapped 1<' in page
    )
    assert page.count('/replay"') >= 3  # each payload, and the unmapped-and-failed button
    only_unmapped = owner.get(f"/admin/settings/connectors/{ident}?status=unmapped").text
    assert len(re.findall(r"/payloads/[0-9a-f-]{36}/replay", only_unmapped)) == 1
    payload_id = re.findall(r"/payloads/([0-9a-f-]{36})/replay", only_unmapped)[0]
    replayed = owner.post(
        f"/admin/settings/connectors/{ident}/payloads/{payload_id}/replay",
        page="/admin/settings/connectors",
    )
    assert replayed.status_code == 303
    assert "mapped again: unmapped" in owner.get(f"/admin/settings/connectors/{ident}").text
    many = owner.post(
        f"/admin/settings/connectors/{ident}/replay", page="/admin/settings/connectors"
    )
    assert many.status_code == 303
    assert "1 payload(s) mapped again" in owner.get(f"/admin/settings/connectors/{ident}").text

    rotated = owner.post(
        f"/admin/settings/connectors/{ident}/rotate-secret", page="/admin/settings/connectors"
    )
    new_secret = only_once(rotated.text, r"phk_[A-Za-z0-9_-]+")
    assert new_secret != secret
    assert owner.client.post(f"{hook}?token={secret}", json=example).status_code == 401


def test_a_custom_mapping_is_validated_beside_the_field(owner: Dashboard, runtime: Runtime) -> None:
    not_json = owner.post(
        "/admin/settings/connectors",
        {"name": "Custom", "source": "custom", "mapping": '{"id": ', "enabled": "on"},
    )
    assert not_json.status_code == 422
    assert "not valid JSON" in error_beside(not_json.text, "mapping")
    assert 'value="Custom"' in not_json.text and "{&#34;id&#34;: " in not_json.text
    wrong = owner.post(
        "/admin/settings/connectors",
        {"name": "Custom", "source": "custom", "mapping": json.dumps({"id": "x"}), "enabled": "on"},
    )
    assert wrong.status_code == 422
    message = error_beside(wrong.text, "mapping")
    assert "type" in message and "required" in message.lower()
    with unit_of_work(runtime.read_sessions) as session:
        assert session.scalars(select(Connector)).all() == []
    mapping = presets.get("moodle").mapping.dump()
    made = owner.post(
        "/admin/settings/connectors",
        {"name": "Custom", "source": "custom", "mapping": json.dumps(mapping), "enabled": "on"},
    )
    assert made.status_code == 200
    ident = only_once(made.text, r"/hooks/[0-9a-f-]{36}").rsplit("/", 1)[1]
    taken = owner.post(
        "/admin/settings/connectors", {"name": "Custom", "source": "moodle", "enabled": "on"}
    )
    assert taken.status_code == 422 and "already exists" in error_beside(taken.text, "name")
    # Editing: a broken mapping keeps what was typed and changes nothing.
    edited = owner.post(
        f"/admin/settings/connectors/{ident}",
        {"name": "Renamed", "mapping": "[1, 2", "enabled": "on"},
    )
    assert edited.status_code == 422 and "not valid JSON" in error_beside(edited.text, "mapping")
    assert 'value="Renamed"' in edited.text and "[1, 2</textarea>" in edited.text
    with unit_of_work(runtime.read_sessions) as session:
        assert session.get(Connector, ident_uuid(ident)).name == "Custom"  # type: ignore[union-attr]
    saved = owner.post(
        f"/admin/settings/connectors/{ident}",
        {"name": "Renamed", "mapping": json.dumps(mapping), "description": "d"},
    )
    assert saved.status_code == 303
    api = owner.client.get(f"/api/v1/connectors/{ident}", headers=owner.tenant.headers).json()
    assert api["name"] == "Renamed" and api["enabled"] is False
    deleted = owner.post(
        f"/admin/settings/connectors/{ident}/delete", page="/admin/settings/connectors"
    )
    assert deleted.status_code == 303
    assert owner.get(f"/admin/settings/connectors/{ident}").status_code == 404
