"""Wallet reminders: one email, some days after a credential was signed (the template's
``wallet_reminder_days``), to a learner who has not taken it into a wallet app yet.

Once per credential: the claim it links to records the reminder with a conditional UPDATE, and
the outbox keeps one message per credential and address (its dedupe key), whichever process
or run recorded it first. The template's setting is read live, not from the credential's
version: it is a delivery policy, not part of the credential.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from plaudit.claims import service as claims
from plaudit.config import Settings
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.claim import Claim, ClaimStatus
from plaudit.models.learner import Learner
from plaudit.models.template import Template
from plaudit.notifications import service as notifications

TOPIC: Final = "credential.claim_reminder"
# Per transaction: a backlog (a template's setting turned on after years of awards) is worked
# through in short transactions rather than one long one.
BATCH: Final = 500


def send_wallet_reminders(
    session: Session, settings: Settings, *, now: datetime, limit: int = BATCH
) -> int:
    """Record the reminders that are due, at most ``limit``; returns how many credentials were
    settled. Each one settled is left out of every later run, so fewer than ``limit`` means
    none is left."""
    settled = 0
    reminding = session.execute(
        select(Template.id, Template.organization_id, Template.wallet_reminder_days)
        .where(Template.wallet_reminder_days.is_not(None))
        .order_by(Template.id)
    ).all()
    for template_id, organization_id, days in reminding:
        if settled >= limit:
            break
        assert days is not None  # the query's condition
        # An organization that sends no such email now gets none recorded, and none marked:
        # its credentials are reminded if it turns the email on again.
        if not notifications.wanted(session, organization_id=organization_id, topic=TOPIC):
            continue
        due = _due(organization_id, template_id, signed_before=now - timedelta(days=days), now=now)
        # Read before writing: each reminder opens or marks a claim the query looks at.
        for credential in session.scalars(due.limit(limit - settled)).all():
            claim = claims.current_claim(session, settings, credential=credential)
            if claims.mark_reminded(session, claim, now=now):
                notifications.notify(
                    session,
                    organization_id=organization_id,
                    topic=TOPIC,
                    notices=[
                        notifications.Notice(
                            credential.id, credential.recipient_email, occurrence="wallet"
                        )
                    ],
                )
            settled += 1
    return settled


def _due(
    organization_id: uuid.UUID, template_id: uuid.UUID, *, signed_before: datetime, now: datetime
) -> Select[Credential]:
    """A template's credentials whose learner may be reminded: active, signed long enough ago,
    not expired, with an address that did not unsubscribe, never taken into a wallet and never
    reminded (through any of their claims)."""
    taken_or_reminded = exists().where(
        Claim.credential_id == Credential.id,
        or_(Claim.status == ClaimStatus.CLAIMED, Claim.reminded_at.is_not(None)),
    )
    return (
        select(Credential)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(
            Credential.organization_id == organization_id,
            Credential.template_id == template_id,
            Credential.status == CredentialStatus.ACTIVE,
            Credential.imported.is_(False),
            Credential.document.is_not(None),
            Credential.signed_at <= signed_before,
            or_(Credential.expires_at.is_(None), Credential.expires_at > now),
            Credential.recipient_email.is_not(None),
            Credential.recipient_email != "",
            Learner.email_opt_out_at.is_(None),
            ~taken_or_reminded,
        )
        .order_by(Credential.signed_at, Credential.id)
    )
