"""Who is told of an award (the learner's email, the webhook endpoints) is kept per process
under the organization's sending version, and never outlives a change: a change made anywhere
(the API, SQL by hand) changes the version through the database's triggers, and the next event
is announced as changed."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, update

from plaudit.models.delivery import Channel, OutboxMessage, WebhookEndpoint
from plaudit.models.organization import Organization
from plaudit.runtime import Runtime
from tests.fixtures.scenario import event as learning_event
from tests.fixtures.scenario import rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


def _told(runtime: Runtime, result: dict[str, Any]) -> set[tuple[Channel, str]]:
    """Whom the event's award is announced to: (channel, recipient) in the outbox."""
    [award] = result["awards"]
    with runtime.sessions() as session:
        rows = session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient).where(
                OutboxMessage.credential_id == uuid.UUID(award["credential_id"]),
                OutboxMessage.topic == "credential.issued",
            )
        )
        return {(channel, recipient) for channel, recipient in rows}


def _awarding(client: TestClient, runtime: Runtime) -> Tenant:
    tenant = make_tenant(runtime)
    badge = published(client, tenant, name="Lesson")
    rule(
        client,
        tenant,
        name="Every lesson",
        mode="always",
        trigger={"event_types": ["lesson.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    return tenant


def test_a_new_endpoint_and_email_settings_are_followed_by_the_next_event(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = _awarding(client, runtime)
    email = (Channel.EMAIL, "ada@example.org")
    first = send(client, tenant, learning_event("e1", "lesson.completed", learner="ada"))
    assert _told(runtime, first) == {email}  # no endpoint yet; kept so by this process
    reads: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM email_settings" in statement or "FROM webhook_endpoints" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        again = send(client, tenant, learning_event("e1b", "lesson.completed", learner="ada"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert _told(runtime, again) == {email}
    assert reads == []  # what the first event read was kept
    hook = "https://hooks.example.org/awards"
    made = client.post("/api/v1/webhooks", json={"url": hook}, headers=tenant.headers)
    assert made.status_code == 201, made.text
    second = send(client, tenant, learning_event("e2", "lesson.completed", learner="ada"))
    assert _told(runtime, second) == {email, (Channel.WEBHOOK, hook)}
    # By hand, straight to the database: no code of this process runs.
    with engine.begin() as conn:
        conn.execute(update(WebhookEndpoint).values(enabled=False))
    third = send(client, tenant, learning_event("e3", "lesson.completed", learner="ada"))
    assert _told(runtime, third) == {email}
    settings = client.put(
        "/api/v1/email/settings", json={"topics_off": ["credential.issued"]}, headers=tenant.headers
    )
    assert settings.status_code == 200, settings.text
    fourth = send(client, tenant, learning_event("e4", "lesson.completed", learner="ada"))
    assert _told(runtime, fourth) == set()


def test_only_what_decides_who_is_told_changes_the_version(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = _awarding(client, runtime)
    made = client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.org/a"}, headers=tenant.headers
    )
    assert made.status_code == 201, made.text
    endpoint = uuid.UUID(made.json()["id"])

    def version() -> str:
        with engine.connect() as conn:
            found = conn.scalar(
                select(Organization.sending_version).where(Organization.id == tenant.id)
            )
            return str(found)

    before = version()
    with engine.begin() as conn:  # a failure streak, as the delivery engine records it
        conn.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint)
            .values(failing_since=WebhookEndpoint.created_at)
        )
    assert version() == before
    for change in ({"kinds": ["credential.revoked"]}, {"url": "https://hooks.example.org/b"}):
        with engine.begin() as conn:
            conn.execute(
                update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint).values(change)
            )
        assert version() != before, change
        before = version()
    deleted = client.delete(f"/api/v1/webhooks/{endpoint}", headers=tenant.headers)
    assert deleted.status_code == 204, deleted.text
    assert version() != before
