"""Webhook endpoints: validation, ping, redelivery, secret rotation, automatic disabling."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import standardwebhooks
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine as delivery
from plaudit.models.delivery import MessageStatus, OutboxMessage, WebhookEndpoint
from plaudit.runtime import Runtime
from plaudit.webhooks import signing
from tests.fixtures.credentials import issue
from tests.fixtures.databases import make_settings
from tests.fixtures.delivery import deliver_all, subscribe
from tests.fixtures.peers import Receiver, SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def test_our_signatures_verify_with_the_reference_library_and_back() -> None:
    secret = signing.new_secret()
    body = b'{"type":"credential.issued","data":{"x":"\xc3\xa9"}}'
    now = int(time.time())
    headers = signing.headers(secret, message_id="msg_1", timestamp=now, body=body)
    assert standardwebhooks.Webhook(secret).verify(body, headers) is not None
    theirs = standardwebhooks.Webhook(secret).sign("msg_2", utcnow(), body.decode())
    signing.verify(
        secret,
        {
            "webhook-id": "msg_2",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": theirs,
        },
        body,
        now=int(time.time()),
    )
    with pytest.raises(signing.SignatureError, match="too far"):
        signing.verify(secret, headers, body, now=now + 3600)
    with pytest.raises(signing.SignatureError, match="no signature"):
        signing.verify(signing.new_secret(), headers, body, now=now)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "ftp://example.org/hook"}, "must start with"),
        ({"url": "http://user:pw@127.0.0.1/hook"}, "no user or password"),
        ({"url": "http://127.0.0.1/hook", "kinds": ["credential.eaten"]}, "Unknown event kind"),
    ],
)
def test_endpoints_are_validated(
    client: TestClient, tenant: Tenant, body: dict[str, object], message: str
) -> None:
    response = client.post("/api/v1/webhooks", json=body, headers=tenant.headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]


def test_private_addresses_are_refused_unless_allowed(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(engine, tmp_path)
    runtime = Runtime(settings=settings, engine=engine)
    from plaudit.app import create_app

    with TestClient(create_app(settings, runtime=runtime)) as client:
        tenant = make_tenant(runtime)
        for url in ("https://127.0.0.1/hook", "https://localhost/hook", "http://hooks.example/x"):
            response = client.post("/api/v1/webhooks", json={"url": url}, headers=tenant.headers)
            assert response.status_code == 422, url


def test_ping_rotation_and_redelivery(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = subscribe(client, tenant, receiver.url)
    listed = client.get("/api/v1/webhooks", headers=tenant.headers).json()["items"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert "secret" not in listed[0]

    ping = client.post(f"/api/v1/webhooks/{endpoint['id']}/ping", headers=tenant.headers)
    assert ping.status_code == 202
    deliver_all(runtime)
    [first] = receiver.requests
    assert (
        standardwebhooks.Webhook(endpoint["secret"]).verify(first.body, first.headers)["type"]
        == "webhook.ping"
    )

    rotated = client.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret", headers=tenant.headers
    ).json()
    assert rotated["secret"] != endpoint["secret"]
    message_id = ping.json()["message_id"]
    again = client.post(f"/api/v1/deliveries/{message_id}/redeliver", headers=tenant.headers)
    assert again.status_code == 202
    deliver_all(runtime)
    second = receiver.requests[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    # Signed with the new secret only.
    standardwebhooks.Webhook(rotated["secret"]).verify(second.body, second.headers)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(endpoint["secret"]).verify(second.body, second.headers)

    log = client.get(
        f"/api/v1/webhooks/{endpoint['id']}/deliveries", headers=tenant.headers
    ).json()["items"]
    [message] = log
    assert [a["manual"] for a in message["history"]] == [False, True]
    assert message["payload"]["type"] == "webhook.ping"


def test_persistent_failure_disables_the_endpoint_and_tells_the_admins(
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    receiver: Receiver,
    smtp_server: SmtpServer,
) -> None:
    client.put(
        "/api/v1/email/settings",
        json={"admin_emails": ["ops@acme.example"]},
        headers=tenant.headers,
    )
    receiver.statuses = [500]
    endpoint = subscribe(client, tenant, receiver.url, kinds=["credential.issued"])
    issued = issue(client, tenant, learner="ivy")
    deliver_all(runtime, rounds=40, step=timedelta(hours=12))

    webhook_attempts = len(delivery.WEBHOOK_BACKOFF) + 1
    assert len(receiver.requests) == webhook_attempts
    state = client.get(f"/api/v1/webhooks/{endpoint['id']}", headers=tenant.headers).json()
    assert state["enabled"] is False
    assert "every delivery failed since" in state["disabled_reason"]
    [alert] = smtp_server.mailbox.to("ops@acme.example")
    assert "disabled" in alert["Subject"]
    text = alert.get_body(("plain",))
    assert text is not None and receiver.url in text.get_content()

    # While disabled nothing new is queued for it; re-enabled, a redelivery goes through.
    issue(client, tenant, learner="ivy-2")
    with unit_of_work(runtime.read_sessions) as session:
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.endpoint_id.is_not(None))
        ).all()
    assert len(queued) == 1
    receiver.statuses = [200]
    assert (
        client.patch(
            f"/api/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=tenant.headers
        ).json()["enabled"]
        is True
    )
    log = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=tenant.headers
    ).json()["items"]
    failed = next(m for m in log if m["channel"] == "webhook")
    assert failed["status"] == "failed"
    client.post(f"/api/v1/deliveries/{failed['id']}/redeliver", headers=tenant.headers)
    deliver_all(runtime, step=timedelta(days=8))
    assert len(receiver.acknowledged()) == 1


def test_gone_disables_at_once(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    receiver.statuses = [410]
    endpoint = subscribe(client, tenant, receiver.url)
    client.post(f"/api/v1/webhooks/{endpoint['id']}/ping", headers=tenant.headers)
    deliver_all(runtime)
    assert len(receiver.requests) == 1
    with unit_of_work(runtime.read_sessions) as session:
        stored = session.get(WebhookEndpoint, uuid.UUID(endpoint["id"]))
        assert stored is not None and not stored.enabled
        assert stored.disabled_reason == "the endpoint answered 410 Gone"


def test_an_unreachable_endpoint_is_retried_on_the_schedule(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    endpoint = subscribe(client, tenant, "http://127.0.0.1:9/nothing-listens-here")
    client.post(f"/api/v1/webhooks/{endpoint['id']}/ping", headers=tenant.headers)
    before = utcnow()
    delivery.run_due(runtime)
    with unit_of_work(runtime.read_sessions) as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.status is MessageStatus.PENDING
    assert message.attempts == 1
    assert "Connection refused" in (message.last_error or "")
    # First retry after 5 s (scaled by 0.001 here, with 10% jitter).
    wait = message.next_attempt_at - before
    assert timedelta(0) < wait < timedelta(seconds=5 * 0.0011 + 1)


def test_tenants_cannot_see_each_others_endpoints(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    endpoint = subscribe(client, tenant, receiver.url)
    other = make_tenant(runtime, name="Other")
    for method, path in [
        ("GET", f"/api/v1/webhooks/{endpoint['id']}"),
        ("PATCH", f"/api/v1/webhooks/{endpoint['id']}"),
        ("POST", f"/api/v1/webhooks/{endpoint['id']}/ping"),
        ("DELETE", f"/api/v1/webhooks/{endpoint['id']}"),
    ]:
        response = client.request(
            method, path, headers=other.headers, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path)
    assert client.get("/api/v1/webhooks", headers=other.headers).json()["items"] == []


def test_a_finished_backfill_is_announced_once(
    client: TestClient, runtime: Runtime, tenant: Tenant, receiver: Receiver
) -> None:
    from plaudit.rules import tasks as rule_tasks
    from tests.fixtures.scenario import event, rule, send
    from tests.fixtures.templates import published

    endpoint = subscribe(client, tenant, receiver.url, kinds=["backfill.completed"])
    badge = published(client, tenant, name="Late")
    for n in range(3):
        send(client, tenant, event(f"b-{n}", "task.completed", learner=f"b-{n}"))
    created = rule(
        client,
        tenant,
        name="Tasks",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    backfill = client.post(
        f"/api/v1/rules/{created['id']}/backfills", headers=tenant.headers
    ).json()
    rule_tasks.run_backfill.call_local(backfill["id"])
    rule_tasks.run_backfill.call_local(backfill["id"])
    deliver_all(runtime)
    [request] = receiver.requests
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "backfill.completed"
    assert payload["data"]["backfill_id"] == backfill["id"]
    assert payload["data"]["awarded"] == 3
