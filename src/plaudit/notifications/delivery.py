"""Send email messages: compose them from current data, then hand them to SMTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plaudit.certificates import service as certificates
from plaudit.claims import links as claim_links
from plaudit.claims import service as claims
from plaudit.claims import tokens as claim_tokens
from plaudit.config import Settings
from plaudit.credentials.recipient import recipient_name
from plaudit.delivery import engine, outbox
from plaudit.delivery.engine import Cancel, Outcome, Send, Wait
from plaudit.learners import links
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.delivery import EmailSettings, OutboxMessage
from plaudit.models.learner import Learner
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateVersion
from plaudit.models.user import Invitation, User
from plaudit.notifications import compose, smtp
from plaudit.notifications.service import LEARNER_TOPICS, UNSUBSCRIBE_PURPOSE, settings_of
from plaudit.public_urls import credential_url
from plaudit.runtime import Runtime
from plaudit.templates.service import localized
from plaudit.templates.snapshot import snapshot_of
from plaudit.users import tokens

# Emails to the people who run the dashboard: sent even when learner emails are off.
ACCOUNT_TOPICS = ("account.password_reset", "account.invitation")

# Learner emails that carry the link to take the credential into a wallet app (a copy to the
# admins does not: the link is the learner's).
CLAIM_TOPICS = ("credential.issued", "credential.claim_reminder")

# A safety net only, so not shortened by PLAUDIT_DELIVERY_BACKOFF_SCALE: signing wakes the
# email at once (outbox.wake), and this long wait costs nothing meanwhile.
SIGNING_WAIT_SECONDS = 600


def smtp_config(settings: Settings, runtime: Runtime, own: EmailSettings | None) -> smtp.SmtpConfig:
    mail_dir = settings.data_dir / "mail"
    if own is not None and own.smtp_host:
        password = (
            runtime.vault.open(own.smtp_password_sealed, context=password_context(own)).decode()
            if own.smtp_password_sealed
            else None
        )
        return smtp.SmtpConfig(
            host=own.smtp_host,
            port=own.smtp_port or 587,
            security=own.smtp_security or "starttls",
            username=own.smtp_username,
            password=password,
            timeout=settings.smtp_timeout_seconds,
            mail_dir=mail_dir,
        )
    return smtp.SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout_seconds,
        mail_dir=mail_dir,
    )


def password_context(own: EmailSettings) -> str:
    return f"smtp-password:{own.organization_id}"


def sender(
    settings: Settings, own: EmailSettings | None, organization: Organization
) -> tuple[str, str]:
    from email.utils import parseaddr

    if own is not None and own.from_address:
        return own.from_name or organization.name, own.from_address
    name, address = parseaddr(settings.email_from)
    # The instance's address, in the organization's name: learners know the issuer.
    return organization.name if organization.name else name, address


class EmailHandler:
    def prepare(
        self, session: Session, runtime: Runtime, message: OutboxMessage
    ) -> Send | Wait | Cancel:
        organization = session.get(Organization, message.organization_id)
        if organization is None:
            return Cancel("the organization is gone")
        own = settings_of(session, organization.id)
        manual = message.last_error == engine.REDELIVERY
        exempt = message.topic == "test" or message.topic in ACCOUNT_TOPICS
        if own is not None and not own.enabled and not manual and not exempt:
            return Cancel("the organization turned email off")
        base = runtime.settings.public_base_url
        attachments: tuple[compose.Attachment, ...] = ()
        payload = message.payload
        if message.topic in LEARNER_TOPICS:
            # An award email reads its credential under a share lock: if the credential is
            # being signed right now, this waits for the signature rather than deciding to wait
            # for a wake-up that the signing transaction, not seeing this message yet, cannot give.
            credential = (
                session.get(
                    Credential,
                    message.credential_id,
                    with_for_update={"read": True}
                    if message.topic == "credential.issued"
                    else None,
                )
                if message.credential_id
                else None
            )
            if credential is None:
                return Cancel("the credential is gone")
            learner = session.get(Learner, credential.learner_id)
            copy_of = payload.get("copy_of")
            if learner is not None and learner.email_opt_out_at is not None and not copy_of:
                return Cancel("the learner unsubscribed from emails")
            if message.topic == "credential.issued":
                if credential.status is CredentialStatus.REVOKED:
                    return Cancel("the credential was revoked before the email went out")
                if credential.document is None:
                    return Wait(SIGNING_WAIT_SECONDS, outbox.WAITING_FOR_SIGNATURE)
            if message.topic == "credential.claim_reminder":
                if credential.status is not CredentialStatus.ACTIVE:
                    return Cancel(f"the credential was {credential.status.value} meanwhile")
                if claims.in_a_wallet(session, credential_id=credential.id):
                    return Cancel("the credential was added to a wallet meanwhile")
            version = session.get(TemplateVersion, credential.template_version_id)
            assert version is not None
            wanted = [lang for lang in (learner.locale if learner else None,) if lang]
            snapshot = snapshot_of(version)
            local = localized(snapshot, wanted=[*wanted, organization.default_language])
            certificate = message.topic == "credential.issued" and snapshot.certificate
            claim = None
            if message.topic in CLAIM_TOPICS and not copy_of:
                # The learner can take it into a wallet app from the email (the claim's page).
                claim = claims.current_claim(session, runtime.settings, credential=credential)
            if certificate:
                pdf = certificates.ensure_pdf(session, runtime, credential=credential)
                attachments = (compose.Attachment("certificate.pdf", pdf, "application", "pdf"),)
            facts = compose.Facts(
                topic=message.topic,
                lang=str(local["lang"]),
                issuer=organization.name,
                credential=str(local["name"]),
                description=str(local["description"] or ""),
                learner_name=recipient_name(credential),
                credential_url=credential_url(base, credential.public_id),
                wallet_url=links.url(base, runtime.vault, credential.learner_id),
                claim_url=claim_links.interaction_url(base, runtime.vault, claim)
                if claim is not None
                else None,
                tx_code=claim_tokens.tx_code(runtime.vault, claim.id)
                if claim is not None and claim.tx_code_required
                else None,
                unsubscribe_url=None
                if copy_of
                else f"{base}/unsubscribe/"
                + links.token_for(
                    runtime.vault, credential.learner_id, purpose=UNSUBSCRIBE_PURPOSE
                ),
                expires_on=_day(credential.expires_at),
                days_left=payload.get("days"),
                reason=credential.revoked_reason
                if message.topic in ("credential.revoked", "credential.suspended")
                else None,
                certificate=certificate,
                copy_of=copy_of,
            )
        elif message.topic in ACCOUNT_TOPICS:
            account = _account_facts(session, runtime, message, organization)
            if isinstance(account, Cancel):
                return account
            facts = account
        else:
            facts = _admin_facts(message, organization)
        override = ((own.templates or {}) if own is not None else {}).get(message.topic)
        msg = compose.message(
            facts,
            sender=sender(runtime.settings, own, organization),
            to=message.recipient,
            message_id=f"<{message.id}@{_domain(runtime.settings)}>",
            reply_to=own.reply_to if own is not None else None,
            override=override,
            attachments=attachments,
        )
        config = smtp_config(runtime.settings, runtime, own)
        name = str(message.id)
        return lambda: smtp.send(config, msg, file_name=name)

    def settle(
        self,
        session: Session,
        runtime: Runtime,
        message: OutboxMessage,
        outcome: Outcome,
        now: datetime,
    ) -> None:
        del session, runtime, message, outcome, now


def _admin_facts(message: OutboxMessage, organization: Organization) -> compose.Facts:
    payload = message.payload
    paragraphs: list[str] = []
    if message.topic == "admin.digest":
        counts = payload.get("counts", {})
        paragraphs = [f"{kind}: {count}" for kind, count in sorted(counts.items())] or ["-"]
    elif message.topic == "webhook.disabled":
        paragraphs = [
            f"URL: {payload.get('url')}",
            f"Why: {payload.get('reason')}",
            f"Last answer: {payload.get('last_error')}",
            "Fix the receiver, then enable the endpoint again (PATCH /api/v1/webhooks/"
            f"{payload.get('endpoint_id')} with enabled: true) and redeliver what failed.",
        ]
    return compose.Facts(
        topic=message.topic,
        lang=organization.default_language,
        issuer=organization.name,
        expires_on=str(payload.get("day", "")),
        extra={"paragraphs": paragraphs},
    )


def _account_facts(
    session: Session, runtime: Runtime, message: OutboxMessage, organization: Organization
) -> compose.Facts | Cancel:
    """The link is made now, from the master key: no secret waits in the outbox."""
    base = runtime.settings.public_base_url
    payload = message.payload
    if message.topic == "account.password_reset":
        user = session.get(User, _uuid(payload.get("user_id")))
        if user is None or not user.is_active:
            return Cancel("the account is gone")
        if tokens.password_fingerprint(user.password_hash) != payload.get("fingerprint"):
            return Cancel("the password was changed since the reset was asked for")
        expires = datetime.fromtimestamp(int(payload.get("expires", 0)), UTC)
        if expires <= datetime.now(UTC):
            return Cancel("the reset link expired before it could be sent")
        token = tokens.reset_token(
            runtime.vault, user_id=user.id, expires=expires, password_hash=user.password_hash
        )
        return compose.Facts(
            topic=message.topic,
            lang=organization.default_language,
            issuer=organization.name,
            learner_name=user.name or "",
            credential_url=f"{base}/admin/password/reset/{token}",
            expires_on=f"{expires:%Y-%m-%d %H:%M} UTC",
        )
    invitation = session.get(Invitation, _uuid(payload.get("invitation_id")))
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        return Cancel("the invitation was accepted or withdrawn")
    return compose.Facts(
        topic=message.topic,
        lang=organization.default_language,
        issuer=organization.name,
        credential_url=f"{base}/admin/invitations/"
        + tokens.invitation_token(runtime.vault, invitation.id),
        expires_on=f"{invitation.expires_at:%Y-%m-%d}",
        extra={"paragraphs": [f"Role: {invitation.role.value}"]},
    )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment else None


def _domain(settings: Settings) -> str:
    from urllib.parse import urlsplit

    return urlsplit(settings.public_base_url).hostname or "plaudit.localhost"
