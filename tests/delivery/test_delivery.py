"""End to end: an event's award reaches a real SMTP server and a real HTTP receiver, through
the outbox; failures are retried and end in exactly one delivery."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import standardwebhooks
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine as delivery
from plaudit.models.delivery import OutboxMessage
from plaudit.runtime import Runtime
from tests.fixtures.credentials import act, issue
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


def learner_email(client: TestClient, tenant: Tenant, learner_id: str) -> str:
    learner = client.get(f"/api/v1/learners/{learner_id}", headers=tenant.headers).json()
    return str(learner["email"])


def test_an_award_emails_the_learner_and_signs_a_webhook(
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    endpoint = subscribe(client, tenant, receiver.url, kinds=["credential.issued"])
    issued = issue(client, tenant, template_name="Safety Champion", learner="ada")
    deliver_all(runtime)

    [mail] = smtp_server.mailbox.to("ada@example.org")
    assert "Safety Champion" in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert "Hello Ada Lovelace" in body
    page = f"http://testserver/credentials/{issued.public_id}"
    assert page in body
    # The link works: the page says the credential is valid.
    html = client.get(page.removeprefix("http://testserver"), headers={"Accept": "text/html"})
    assert html.status_code == 200 and "Safety Champion" in html.text
    wallet_link = next(line for line in body.splitlines() if "/wallet/" in line).split(": ")[-1]
    assert client.get(wallet_link.removeprefix("http://testserver")).status_code == 200

    [request] = receiver.requests
    # Verified with the Standard Webhooks reference library, not our own code.
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "credential.issued"
    assert payload["data"]["credential_id"] == issued.credential_id
    assert payload["data"]["learner"]["email"] == "ada@example.org"
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(endpoint["secret"]).verify(request.body + b" ", request.headers)

    log = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=tenant.headers
    ).json()["items"]
    assert {(m["channel"], m["status"]) for m in log} == {
        ("email", "delivered"),
        ("webhook", "delivered"),
    }
    assert all(m["history"][0]["ok"] for m in log)
    webhook_log = next(m for m in log if m["channel"] == "webhook")
    assert webhook_log["history"][0]["response_code"] == 200


def test_refusals_and_errors_are_retried_then_delivered_exactly_once(
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    subscribe(client, tenant, receiver.url)
    smtp_server.mailbox.refuse_with = "451 4.7.1 greylisted, try again later"
    receiver.statuses = [500, 503, 200]
    issued = issue(client, tenant, learner="grace")

    delivery.run_due(runtime)
    assert smtp_server.mailbox.messages == []
    assert [r.answered for r in receiver.requests] == [500]

    smtp_server.mailbox.refuse_with = None  # the mail server recovers
    deliver_all(runtime)

    assert len(smtp_server.mailbox.to("grace@example.org")) == 1
    assert [r.answered for r in receiver.requests] == [500, 503, 200]
    # The same message each time: a receiver can tell a retry from a new event.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    log = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=tenant.headers
    ).json()["items"]
    by_channel = {m["channel"]: m for m in log}
    assert [a["ok"] for a in by_channel["email"]["history"]] == [False, True]
    assert by_channel["email"]["history"][0]["response_code"] == 451
    assert [a["response_code"] for a in by_channel["webhook"]["history"]] == [500, 503, 200]

    # Running the queue again, or redelivering the job, sends nothing more.
    with unit_of_work(runtime.read_sessions) as session:
        ids = list(session.scalars(select(OutboxMessage.id)))
    for message_id in ids:
        assert delivery.deliver_one(runtime, message_id) is None
    assert len(smtp_server.mailbox.messages) == 1
    assert len(receiver.acknowledged()) == 1


def test_a_slow_send_is_not_taken_over_however_short_the_retries(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    # Retries here come after a thousandth of their delays; the lease on a message being
    # sent must not shrink with them, or a send slower than that is sent twice.
    issue(client, tenant, learner="slow")
    with unit_of_work(runtime.read_sessions) as session:
        [message_id] = delivery.due(session, now=utcnow(), limit=10)
    smtp_server.mailbox.hold = threading.Event()
    sending = threading.Thread(target=delivery.deliver_one, args=(runtime, message_id))
    sending.start()
    try:
        assert smtp_server.mailbox.held.wait(10)
        with unit_of_work(runtime.read_sessions) as session:
            assert delivery.due(session, now=utcnow() + timedelta(seconds=60), limit=10) == []
            later = utcnow() + timedelta(seconds=runtime.settings.delivery_lease_seconds + 1)
            assert delivery.due(session, now=later, limit=10) == [message_id]
    finally:
        smtp_server.mailbox.hold.set()
        sending.join(10)
    smtp_server.mailbox.hold = None
    deliver_all(runtime)  # the held attempt was refused (451), so it is retried once
    assert len(smtp_server.mailbox.to("slow@example.org")) == 1


def test_a_permanent_refusal_is_not_retried(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.refuse_with = "550 5.1.1 no such mailbox"
    issued = issue(client, tenant, learner="nobody")
    deliver_all(runtime)
    [message] = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=tenant.headers
    ).json()["items"]
    assert message["status"] == "failed"
    assert len(message["history"]) == 1
    assert "550" in message["last_error"]


def test_revocation_and_suspension_tell_the_learner_why(
    client: TestClient,
    runtime: Runtime,
    tenant: Tenant,
    smtp_server: SmtpServer,
    receiver: Receiver,
) -> None:
    endpoint = subscribe(client, tenant, receiver.url, kinds=["credential.revoked"])
    issued = issue(client, tenant, template_name="Forklift", learner="lin")
    deliver_all(runtime)
    act(client, tenant, issued, "suspend", "Under review")
    act(client, tenant, issued, "unsuspend")
    act(client, tenant, issued, "revoke", "Exam <fraud> found")
    deliver_all(runtime)

    subjects = [m["Subject"] for m in smtp_server.mailbox.to("lin@example.org")]
    assert subjects == ["You earned Forklift", "Forklift is suspended", "Forklift was revoked"]
    revoked = smtp_server.mailbox.to("lin@example.org")[-1]
    html_part = revoked.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    # The reason is the issuer's text: escaped in HTML, as is in plain text.
    assert "Exam &lt;fraud&gt; found" in html and "<fraud>" not in html
    text_part = revoked.get_body(("plain",))
    assert text_part is not None and "Reason: Exam <fraud> found" in text_part.get_content()
    [request] = receiver.requests  # subscribed to revocations only
    payload = standardwebhooks.Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "credential.revoked"
    assert payload["data"]["reason"] == "Exam <fraud> found"


def test_the_email_speaks_the_learners_language(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issue(
        client,
        tenant,
        template_name="Safety Champion",
        learner="zoe",
        translations=[{"lang": "fr", "name": "Championne sécurité", "description": "Bravo"}],
        data={},
    )
    # The learner's locale is set by a later event; the email is composed when sent.
    with unit_of_work(runtime.sessions) as session:
        from plaudit.models.learner import Learner

        learner = session.scalar(select(Learner).where(Learner.external_id == "zoe"))
        assert learner is not None
        learner.locale = "fr-FR"
    deliver_all(runtime)
    [mail] = smtp_server.mailbox.to("zoe@example.org")
    assert mail["Subject"] == "Vous avez obtenu Championne sécurité"
    assert mail["Content-Language"] == "fr"


def test_unsubscribed_learners_get_no_more_emails(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    issued = issue(client, tenant, template_name="First", learner="max")
    deliver_all(runtime)
    [mail] = smtp_server.mailbox.to("max@example.org")
    link = str(mail["List-Unsubscribe"]).strip().strip("<>").removeprefix("http://testserver")
    # Following the link (as scanners do) changes nothing; the button (or one-click) does.
    page = client.get(link)
    assert page.status_code == 200, (link, page.text[:300])
    assert "<form" in page.text
    assert client.get(link.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 404
    assert client.post(link).status_code == 200

    act(client, tenant, issued, "revoke", "Mistake")
    deliver_all(runtime)
    assert len(smtp_server.mailbox.to("max@example.org")) == 1
    log = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=tenant.headers
    ).json()["items"]
    revoked = next(m for m in log if m["topic"] == "credential.revoked")
    assert revoked["status"] == "cancelled"
    assert revoked["last_error"] == "the learner unsubscribed from emails"


def test_organization_templates_and_admin_copies(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    bad = client.put(
        "/api/v1/email/settings",
        json={"templates": {"credential.issued": {"subject": "{{ credential "}}},
        headers=tenant.headers,
    )
    assert bad.status_code == 422
    assert "templates.credential.issued.subject" in bad.json()["detail"]
    response = client.put(
        "/api/v1/email/settings",
        json={
            "from_address": "badges@acme.example",
            "from_name": "Acme Badges",
            "admin_notifications": "copy",
            "admin_emails": ["boss@acme.example"],
            "templates": {
                "credential.issued": {
                    "subject": "Well done {{ learner_name }}: {{ credential }}",
                    "html": "<p>{{ learner_name }} earned {{ credential }}</p>",
                }
            },
        },
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    issue(client, tenant, template_name="<b>Bold</b>", learner="eve")
    deliver_all(runtime)
    [mail] = smtp_server.mailbox.to("eve@example.org")
    assert mail["Subject"] == "Well done Ada Lovelace: <b>Bold</b>"
    assert mail["From"] == "Acme Badges <badges@acme.example>"
    html_part = mail.get_body(("html",))
    assert html_part is not None
    assert "earned &lt;b&gt;Bold&lt;/b&gt;" in html_part.get_content()
    [copy] = smtp_server.mailbox.to("boss@acme.example")
    text_part = copy.get_body(("plain",))
    assert text_part is not None
    assert "Copy of the message sent to eve@example.org" in text_part.get_content()
    assert copy["List-Unsubscribe"] is None


def test_settings_keep_the_smtp_password_encrypted(
    client: TestClient, runtime: Runtime, tenant: Tenant, engine: Engine
) -> None:
    response = client.put(
        "/api/v1/email/settings",
        json={"smtp_host": "smtp.acme.example", "smtp_password": "s3cret-pass"},
        headers=tenant.headers,
    )
    assert response.status_code == 200
    assert response.json()["has_smtp_password"] is True
    assert "s3cret" not in response.text
    with engine.connect() as conn:
        from sqlalchemy import text

        raw = conn.execute(text("SELECT smtp_password_sealed FROM email_settings")).scalar_one()
    assert b"s3cret-pass" not in bytes(raw)


def test_a_test_email_reports_its_delivery(
    client: TestClient, runtime: Runtime, tenant: Tenant, smtp_server: SmtpServer
) -> None:
    response = client.post(
        "/api/v1/email/test", json={"to": "admin@acme.example"}, headers=tenant.headers
    )
    assert response.status_code == 202
    deliver_all(runtime)
    [mail] = smtp_server.mailbox.to("admin@acme.example")
    assert "test" in mail["Subject"].lower()
    listed = client.get("/api/v1/deliveries?channel=email", headers=tenant.headers).json()["items"]
    assert listed[0]["id"] == response.json()["message_id"]
    assert listed[0]["status"] == "delivered"


def test_without_smtp_emails_are_written_to_files(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(engine, tmp_path)
    runtime = Runtime(settings=settings, engine=engine)
    from plaudit.app import create_app

    app = create_app(settings, runtime=runtime)
    with TestClient(app) as client:
        tenant = make_tenant(runtime, name="Files Inc")
        response = client.post(
            "/api/v1/email/test", json={"to": "a@files.example"}, headers=tenant.headers
        )
        assert response.status_code == 202
        delivery.run_due(runtime)
    written = list((tmp_path / "mail").glob("*.eml"))
    assert len(written) == 1
    assert b"a@files.example" in written[0].read_bytes()


def test_other_tenants_deliveries_are_invisible(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    issued = issue(client, tenant, learner="kim")
    other = make_tenant(runtime, name="Other Org")
    response = client.get(
        f"/api/v1/credentials/{issued.credential_id}/deliveries", headers=other.headers
    )
    assert response.status_code == 404
    with unit_of_work(runtime.read_sessions) as session:
        message_id = session.scalars(select(OutboxMessage.id)).first()
    response = client.post(f"/api/v1/deliveries/{message_id}/redeliver", headers=other.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/deliveries", headers=other.headers).json()["items"] == []
