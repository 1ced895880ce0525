"""Expiry reminders (per template offsets, default 30 and 7 days), the expiry notice, and the
admins' daily digest: each sent once, however often the hourly job runs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import standardwebhooks
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.lifecycle import expiry
from plaudit.models.award import AwardLog
from plaudit.notifications import reminders
from plaudit.runtime import Runtime
from tests.fixtures.credentials import issue
from tests.fixtures.delivery import deliver_all, subscribe
from tests.fixtures.peers import Receiver, SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant

T = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.mark.parametrize(
    ("issued_days_before", "now_days_before", "expected"),
    [
        (60, 31, None),  # not yet
        (60, 30, 30),
        (60, 10, 30),  # the 30-day moment has come; the 7-day one not yet
        (60, 7, 7),
        (60, 1, 7),
        (20, 10, None),  # issued after the 30-day moment: no 30-day reminder
        (20, 6, 7),
        (5, 2, None),  # issued inside the last week: nothing before the expiry notice
        (60, 0, None),  # expired: the expiry notice instead
    ],
)
def test_which_reminder_is_due(
    issued_days_before: int, now_days_before: int, expected: int | None
) -> None:
    expires = T + timedelta(days=100)
    assert (
        expiry.due_reminder(
            (30, 7),
            issued_at=expires - timedelta(days=issued_days_before),
            expires_at=expires,
            now=expires - timedelta(days=now_days_before),
        )
        == expected
    )


def test_reminders_then_the_expiry_notice_each_once(
    client: TestClient,
    runtime: Runtime,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    tenant: Tenant = make_tenant(runtime)
    endpoint = subscribe(client, tenant, receiver.url, kinds=["credential.expired"])
    issued = issue(
        client,
        tenant,
        template_name="First Aid",
        learner="kai",
        expiry={"type": "duration", "duration": "P40D"},
    )
    start = utcnow()

    def run(days: int) -> dict[str, int]:
        with unit_of_work(runtime.sessions) as session:
            return expiry.send_expiry_notices(session, now=start + timedelta(days=days))

    assert run(5) == {}
    assert run(11) == {"expiring": 1}
    assert run(12) == {"expiring": 1}  # recorded again, but the outbox keeps one
    assert run(34) == {"expiring": 1}
    assert run(41) == {"expired": 1}
    deliver_all(runtime)

    subjects = [m["Subject"] for m in smtp_server.mailbox.to("kai@example.org")]
    assert subjects == [
        "You earned First Aid",
        "First Aid expires in 30 days",
        "First Aid expires in 7 days",
        "First Aid has expired",
    ]
    [request] = receiver.requests
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "credential.expired"
    assert payload["data"]["credential_id"] == issued.credential_id


def test_templates_choose_their_reminder_days(
    client: TestClient, runtime: Runtime, smtp_server: SmtpServer
) -> None:
    tenant = make_tenant(runtime)
    issue(
        client,
        tenant,
        template_name="Annual Check",
        learner="noa",
        expiry={"type": "duration", "duration": "P1Y", "reminder_days": [60]},
    )
    start = utcnow()
    with unit_of_work(runtime.sessions) as session:
        assert expiry.send_expiry_notices(session, now=start + timedelta(days=300)) == {}
        assert expiry.send_expiry_notices(session, now=start + timedelta(days=310)) == {
            "expiring": 1
        }
        assert expiry.send_expiry_notices(session, now=start + timedelta(days=360)) == {
            "expiring": 1
        }
    deliver_all(runtime)
    subjects = [m["Subject"] for m in smtp_server.mailbox.to("noa@example.org")]
    assert subjects == ["You earned Annual Check", "Annual Check expires in 60 days"]
    bad = client.post(
        "/api/v1/templates",
        json={
            "name": "Bad",
            "description": "d",
            "expiry": {"type": "duration", "duration": "P1Y", "reminder_days": [0]},
        },
        headers=tenant.headers,
    )
    assert bad.status_code == 422


def test_the_daily_digest_counts_yesterday(
    client: TestClient, runtime: Runtime, smtp_server: SmtpServer
) -> None:
    tenant = make_tenant(runtime)
    client.put(
        "/api/v1/email/settings",
        json={"admin_notifications": "digest", "admin_emails": ["lead@acme.example"]},
        headers=tenant.headers,
    )
    issue(client, tenant, learner="a1")
    issue(client, tenant, template_name="Second", learner="a2")
    # Both issued at noon on one day, and the digest sent early the next: no midnight between
    # the issuance and a clock read here can move them to another day.
    noon = datetime.combine(utcnow().date(), time(12), UTC)
    with unit_of_work(runtime.sessions) as session:
        session.execute(update(AwardLog).values(created_at=noon))
    tomorrow = noon + timedelta(hours=20)
    with unit_of_work(runtime.sessions) as session:
        assert reminders.send_digests(session, now=tomorrow) == 1
        reminders.send_digests(session, now=tomorrow)  # a second run the same day
    deliver_all(runtime)
    [digest] = smtp_server.mailbox.to("lead@acme.example")
    body = digest.get_body(("plain",))
    assert body is not None
    lines = body.get_content().splitlines()
    assert "issued: 2" in lines and "revoked: 0" in lines
