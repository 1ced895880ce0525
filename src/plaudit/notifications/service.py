"""Which emails a cause sends, recorded in the outbox in the cause's own transaction.

Learner emails go to the credential's recipient address, unless the learner unsubscribed or
the organization turned the topic (or email) off. Admins get a copy of each, a daily digest,
or nothing (the organization's choice), and always the alerts (a webhook endpoint disabled).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.db import transaction_cache
from plaudit.delivery import outbox
from plaudit.delivery import service as deliveries
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.delivery import Channel, EmailSettings, OutboxMessage
from plaudit.models.learner import Learner
from plaudit.models.user import Membership, Role, User
from plaudit.notifications import compose
from plaudit.notifications.schemas import EmailSettingsIn
from plaudit.organizations import versions
from plaudit.vault import Vault

LEARNER_TOPICS = (
    "credential.issued",
    "credential.expiring",
    "credential.expired",
    "credential.suspended",
    "credential.revoked",
    "credential.claim_reminder",
)
ADMIN_TOPICS = ("admin.digest", "webhook.disabled", "test")
UNSUBSCRIBE_PURPOSE = "unsubscribe"
_SETTINGS_KEY = "plaudit_email_settings"


@dataclass(frozen=True)
class Notice:
    """One learner email to record: a credential, its recipient, what happened."""

    credential_id: uuid.UUID
    email: str | None
    occurrence: str = ""  # distinguishes repeats of a topic (a second suspension, a reminder)
    data: dict[str, Any] | None = None


def settings_of(session: Session, organization_id: uuid.UUID) -> EmailSettings | None:
    cache: dict[uuid.UUID, EmailSettings | None] = transaction_cache(session, _SETTINGS_KEY)
    if organization_id not in cache:
        cache[organization_id] = session.get(EmailSettings, organization_id)
    return cache[organization_id]


def admin_addresses(session: Session, organization_id: uuid.UUID) -> list[str]:
    """The organization's chosen admin addresses, else its owners' and admins' own."""
    settings = settings_of(session, organization_id)
    if settings is not None and settings.admin_emails:
        return list(settings.admin_emails)
    return sorted(
        session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organization_id == organization_id,
                Membership.role.in_([Role.OWNER, Role.ADMIN]),
            )
        )
    )


@dataclass(frozen=True)
class _Sending:
    """What of an organization's email settings decides who gets an email."""

    enabled: bool
    topics_off: frozenset[str]
    admin_copies: bool

    @classmethod
    def of(cls, settings: EmailSettings | None) -> _Sending:
        if settings is None:
            return cls(enabled=True, topics_off=frozenset(), admin_copies=False)
        return cls(
            enabled=settings.enabled,
            topics_off=frozenset(settings.topics_off or ()),
            admin_copies=settings.admin_notifications == "copy",
        )

    def wants(self, topic: str) -> bool:
        return self.enabled and topic not in self.topics_off


# Per process, under each organization's sending version (its email settings change it).
_kept: versions.Kept[_Sending] = versions.Kept()


def _sending(session: Session, organization_id: uuid.UUID, sending_version: str | None) -> _Sending:
    sending = _kept.get(session, organization_id, sending_version)
    if sending is None:
        sending = _Sending.of(settings_of(session, organization_id))
        _kept.put(session, organization_id, sending_version, sending)
    return sending


def wanted(session: Session, *, organization_id: uuid.UUID, topic: str) -> bool:
    """Whether the organization sends ``topic`` emails now (email on, the topic not off)."""
    return _Sending.of(settings_of(session, organization_id)).wants(topic)


def notify(
    session: Session,
    *,
    organization_id: uuid.UUID,
    topic: str,
    notices: Sequence[Notice],
    sending_version: str | None = None,
) -> None:
    """Record ``topic`` emails for the credentials' recipients (and admin copies).
    ``sending_version``: the organization's, if the caller read it in this transaction
    (plaudit.organizations.versions): the settings this process keeps under it are used."""
    sending = _sending(session, organization_id, sending_version)
    if not sending.wants(topic):
        return
    copies = admin_addresses(session, organization_id) if sending.admin_copies else []
    messages = []
    for notice in notices:
        if not notice.email:
            continue
        payload = {"credential_id": str(notice.credential_id), **(notice.data or {})}
        for to, copy in [(notice.email, False), *((admin, True) for admin in copies)]:
            messages.append(
                outbox.NewMessage(
                    organization_id=organization_id,
                    channel=Channel.EMAIL,
                    topic=topic,
                    dedupe_key=(
                        f"email:{topic}:{notice.credential_id}:{notice.occurrence}:{to.lower()}"
                    ),
                    recipient=to,
                    payload={**payload, "copy_of": notice.email} if copy else payload,
                    credential_id=notice.credential_id,
                )
            )
    outbox.record(session, messages)


def alert_admins(
    session: Session,
    *,
    organization_id: uuid.UUID,
    topic: str,
    occurrence: str,
    data: dict[str, Any],
) -> None:
    outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=organization_id,
                channel=Channel.EMAIL,
                topic=topic,
                dedupe_key=f"email:{topic}:{occurrence}:{to.lower()}",
                recipient=to,
                payload=data,
            )
            for to in admin_addresses(session, organization_id)
        ],
    )


def digest_recipients(session: Session) -> Iterable[tuple[uuid.UUID, list[str]]]:
    for settings in session.scalars(
        select(EmailSettings).where(
            EmailSettings.admin_notifications == "digest", EmailSettings.enabled.is_(True)
        )
    ):
        yield settings.organization_id, admin_addresses(session, settings.organization_id)


def record_digest(
    session: Session, *, organization_id: uuid.UUID, day: date, counts: dict[str, int]
) -> None:
    alert_admins(
        session,
        organization_id=organization_id,
        topic="admin.digest",
        occurrence=f"{organization_id}:{day.isoformat()}",
        data={"day": day.isoformat(), "counts": counts},
    )


def save_settings(
    session: Session, vault: Vault, *, organization_id: uuid.UUID, data: EmailSettingsIn
) -> EmailSettings:
    """Replace the organization's email settings. The SMTP password is sealed; ``None`` keeps
    the stored one and '' removes it. Templates that do not compile are refused (422)."""
    # delivery imports this module; the seal's context is its business.
    from plaudit.notifications.delivery import password_context

    templates: dict[str, dict[str, str]] = {}
    for topic, parts in data.templates.items():
        given = {k: v for k, v in parts.model_dump().items() if v is not None}
        try:
            compose.check_override(given)
        except ValueError as exc:
            raise InvalidInput(f"templates.{topic}.{exc}") from exc
        if given:
            templates[topic] = given
    row = session.get(EmailSettings, organization_id)
    if row is None:
        row = EmailSettings(organization_id=organization_id)
        session.add(row)
    row.enabled = data.enabled
    row.smtp_host = data.smtp_host or None
    row.smtp_port = data.smtp_port
    row.smtp_security = data.smtp_security
    row.smtp_username = data.smtp_username or None
    if data.smtp_password is not None:
        row.smtp_password_sealed = (
            vault.seal(data.smtp_password.encode(), context=password_context(row))
            if data.smtp_password
            else None
        )
    row.from_address = data.from_address
    row.from_name = data.from_name
    row.reply_to = data.reply_to
    row.admin_notifications = data.admin_notifications
    row.admin_emails = [str(a) for a in data.admin_emails]
    row.topics_off = sorted(set(data.topics_off))
    row.templates = templates
    session.flush()
    transaction_cache(session, _SETTINGS_KEY).pop(organization_id, None)
    return row


def send_test_email(session: Session, *, organization_id: uuid.UUID, to: str) -> uuid.UUID:
    """A test email with the current settings; its result shows in the delivery log."""
    [message_id] = outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=organization_id,
                channel=Channel.EMAIL,
                topic="test",
                dedupe_key=f"email:test:{uuid.uuid4()}",
                recipient=to,
            )
        ],
    )
    return message_id


def resend_issued(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID
) -> OutboxMessage:
    """Send the learner's award email for a credential again ("I never got it")."""
    credential = session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.organization_id == organization_id
        )
    )
    if credential is None:
        raise not_found("credential", credential_id)
    if credential.status is not CredentialStatus.ACTIVE:
        raise Conflict(
            f"The credential is {credential.status.value}; its award email is not sent again."
        )
    learner = session.get(Learner, credential.learner_id)
    if learner is not None and learner.email_opt_out_at is not None:
        raise Conflict("The learner unsubscribed from emails; Plaudit sends them none.")
    # The learner's own message, not the admins' copies of it (those carry "copy_of").
    message = next(
        (
            m
            for m in session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.organization_id == organization_id,
                    OutboxMessage.credential_id == credential.id,
                    OutboxMessage.channel == Channel.EMAIL,
                    OutboxMessage.topic == "credential.issued",
                )
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
            if not m.payload.get("copy_of")
        ),
        None,
    )
    if message is None:
        raise Conflict(
            "No award email was recorded for this credential: it has no recipient email, "
            "or emails (or this kind of email) were turned off when it was issued."
        )
    return deliveries.redeliver(session, organization_id=organization_id, message_id=message.id)
