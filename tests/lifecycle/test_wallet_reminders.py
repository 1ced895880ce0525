"""Wallet reminders: off unless a template asks; then one email, N days after signing, with the
link to add the credential to a wallet app, never twice, and none for a credential already in
a wallet, revoked, or whose learner unsubscribed. Through a real SMTP server."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from plaudit.claims import links
from plaudit.claims import tokens as claim_tokens
from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.lifecycle import tasks, wallet_reminders
from plaudit.models.award import Credential
from plaudit.models.claim import Claim, ClaimStatus
from plaudit.models.delivery import MessageStatus, OutboxMessage
from plaudit.runtime import Runtime
from plaudit.wallets import deliver
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.delivery import deliver_all
from tests.fixtures.peers import SmtpServer, delivery_settings
from tests.fixtures.tenants import Tenant, make_tenant

REMINDER = "Add First Aid to your wallet"
AWARD = "You earned First Aid"


@pytest.fixture
def settings(
    engine: Engine, tmp_path: Path, smtp_server: SmtpServer, request: pytest.FixtureRequest
) -> Settings:
    return delivery_settings(
        engine, tmp_path, smtp_server, claim_tx_code=getattr(request, "param", False)
    )


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def _issue(
    client: TestClient, tenant: Tenant, *, learner: str = "kai", days: int | None = 7
) -> Issued:
    """A First Aid badge awarded and signed, its award email sent (which opens a claim)."""
    return issue(
        client, tenant, template_name="First Aid", learner=learner, wallet_reminder_days=days
    )


def _signed_at(runtime: Runtime, issued: Issued) -> datetime:
    with unit_of_work(runtime.read_sessions) as session:
        credential = session.get(Credential, uuid.UUID(issued.credential_id))
        assert credential is not None and credential.signed_at is not None
        return credential.signed_at


def _remind(runtime: Runtime, now: datetime, limit: int = wallet_reminders.BATCH) -> int:
    with unit_of_work(runtime.sessions) as session:
        return wallet_reminders.send_wallet_reminders(
            session, runtime.settings, now=now, limit=limit
        )


def _subjects(smtp_server: SmtpServer, address: str = "kai@example.org") -> list[str]:
    return [str(m["Subject"]) for m in smtp_server.mailbox.to(address)]


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _claim_link(mail: EmailMessage) -> str:
    found = re.search(r"Add it to a wallet app: (\S+)", _text(mail))
    assert found, _text(mail)
    return found.group(1)


def test_off_by_default(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=None)
    template = client.get(
        f"/api/v1/credentials/{issued.credential_id}", headers=tenant.headers
    ).json()["template_id"]
    assert (
        client.get(f"/api/v1/templates/{template}", headers=tenant.headers).json()[
            "wallet_reminder_days"
        ]
        is None
    )
    deliver_all(runtime)
    assert _remind(runtime, _signed_at(runtime, issued) + timedelta(days=365)) == 0
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD]


@pytest.mark.parametrize("settings", [False, True], ids=["no-tx-code", "tx-code"], indirect=True)
def test_one_email_after_n_days_with_the_claim_link(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    signed = _signed_at(runtime, issued)

    assert _remind(runtime, signed + timedelta(days=6, hours=23)) == 0
    assert _remind(runtime, signed + timedelta(days=7)) == 1
    assert _remind(runtime, signed + timedelta(days=7, hours=1)) == 0  # reminded already
    assert _remind(runtime, signed + timedelta(days=30)) == 0
    deliver_all(runtime)

    assert _subjects(smtp_server) == [AWARD, REMINDER]
    award, reminder = smtp_server.mailbox.to("kai@example.org")
    text = _text(reminder)
    assert "Acme Academy awarded you First Aid, which is not in a wallet app yet." in text
    link = _claim_link(reminder)
    assert link == _claim_link(award)  # the same open offer
    rich = reminder.get_body(("html",))
    assert rich is not None and link.replace("&", "&amp;") in str(rich.get_content())
    assert reminder["List-Unsubscribe"]
    with unit_of_work(runtime.read_sessions) as session:
        [claim] = session.scalars(select(Claim))
        assert claim.reminded_at == signed + timedelta(days=7)
        assert link == links.interaction_url(runtime.settings.public_base_url, runtime.vault, claim)
        code = claim_tokens.tx_code(runtime.vault, claim.id) if claim.tx_code_required else None
    assert runtime.settings.claim_tx_code is (code is not None)
    if code is not None:
        assert f"Your wallet will ask for this code: {code}" in text
    else:
        assert "ask for this code" not in text


def test_the_hourly_task_sends_it_once_however_often_it_runs(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=3)
    deliver_all(runtime)
    tasks.wallet_reminder_emails.call_local()  # not due yet
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Credential)
            .where(Credential.id == uuid.UUID(issued.credential_id))
            .values(signed_at=utcnow() - timedelta(days=3, minutes=1))
        )
    tasks.wallet_reminder_emails.call_local()
    tasks.wallet_reminder_emails.call_local()
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD, REMINDER]


def test_a_credential_without_a_claim_gets_one_and_a_backlog_goes_in_batches(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    """Emails were off when these were awarded: no award email, so no claim yet."""
    client.put("/api/v1/email/settings", json={"enabled": False}, headers=tenant.headers)
    learners = ["ana", "ben", "cy"]
    for learner in learners:
        issued = _issue(client, tenant, learner=learner, days=2)
    client.put("/api/v1/email/settings", json={"enabled": True}, headers=tenant.headers)
    later = _signed_at(runtime, issued) + timedelta(days=3)
    assert _remind(runtime, later, limit=2) == 2
    assert _remind(runtime, later, limit=2) == 1
    assert _remind(runtime, later, limit=2) == 0
    deliver_all(runtime)
    for learner in learners:
        [reminder] = smtp_server.mailbox.to(f"{learner}@example.org")
        assert reminder["Subject"] == REMINDER
        assert "/claims/" in _claim_link(reminder)
    with unit_of_work(runtime.read_sessions) as session:
        claims = list(session.scalars(select(Claim)))
    assert len(claims) == 3 and all(c.reminded_at == later for c in claims)


def _claim_it(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        claim = session.scalars(select(Claim).where(Claim.status == ClaimStatus.OPEN)).one()
        deliver.deliver(session, runtime, claim, holder=None, protocol="test", wallet=None)


def test_none_for_a_credential_already_in_a_wallet(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    _claim_it(runtime)
    signed = _signed_at(runtime, issued)
    assert _remind(runtime, signed + timedelta(days=8)) == 0
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD]


def test_a_reminder_recorded_then_overtaken_by_a_wallet_is_cancelled(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    assert _remind(runtime, _signed_at(runtime, issued) + timedelta(days=8)) == 1
    _claim_it(runtime)  # before the reminder went out
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD]
    with unit_of_work(runtime.read_sessions) as session:
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == wallet_reminders.TOPIC)
        ).one()
        assert message.status is MessageStatus.CANCELLED
        assert message.last_error == "the credential was added to a wallet meanwhile"


def test_none_for_a_revoked_credential(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    act(client, tenant, issued, "revoke", "Issued by mistake")
    assert _remind(runtime, _signed_at(runtime, issued) + timedelta(days=8)) == 0
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD, "First Aid was revoked"]


def test_none_for_a_learner_who_unsubscribed(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    [award] = smtp_server.mailbox.to("kai@example.org")
    unsubscribe = str(award["List-Unsubscribe"]).strip().strip("<>")
    path = unsubscribe.removeprefix(runtime.settings.public_base_url)
    assert client.post(path).status_code == 200
    assert _remind(runtime, _signed_at(runtime, issued) + timedelta(days=8)) == 0
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD]


def test_none_while_the_organization_turned_the_topic_off(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    """Nothing is recorded, nor marked: turned on again, the reminder goes out."""
    issued = _issue(client, tenant, days=7)
    deliver_all(runtime)
    later = _signed_at(runtime, issued) + timedelta(days=8)
    off = {"topics_off": [wallet_reminders.TOPIC]}
    assert client.put("/api/v1/email/settings", json=off, headers=tenant.headers).is_success
    assert _remind(runtime, later) == 0
    assert client.put("/api/v1/email/settings", json={}, headers=tenant.headers).is_success
    assert _remind(runtime, later) == 1
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD, REMINDER]


def test_the_template_is_read_live(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    """Turned on after the award, on a published template, without publishing it again."""
    issued = _issue(client, tenant, days=None)
    deliver_all(runtime)
    template_id = client.get(
        f"/api/v1/credentials/{issued.credential_id}", headers=tenant.headers
    ).json()["template_id"]
    changed = client.patch(
        f"/api/v1/templates/{template_id}",
        json={"wallet_reminder_days": 10},
        headers=tenant.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["has_unpublished_changes"] is False
    signed = _signed_at(runtime, issued)
    assert _remind(runtime, signed + timedelta(days=9)) == 0
    assert _remind(runtime, signed + timedelta(days=10)) == 1
    deliver_all(runtime)
    assert _subjects(smtp_server) == [AWARD, REMINDER]
