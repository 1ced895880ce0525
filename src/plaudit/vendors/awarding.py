"""Issue and revoke for the vendors' APIs, through the award path every issuance takes.

A badge asked for through Credly's or Accredible's API is granted by an ``AwardBook`` and
settled by ``lifecycle.awarding`` (signed by a job, emailed, webhooked), as a bulk row is. Its
``issuance_key`` (unique per organization) is a hash of what identifies the request, so that a
client retrying a POST whose answer it lost (Open edX does) gets the same credential back: the
second request finds the key, and two racing ones collide on it, the loser being run again by
the unit of work and then finding it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardableTemplate, AwardBook, Grant, awardable_templates
from plaudit.db import utcnow
from plaudit.errors import Conflict, InvalidInput, NotFound
from plaudit.learners import service as learners
from plaudit.learners.schemas import LearnerIn
from plaudit.lifecycle import awarding
from plaudit.lifecycle import status as lifecycle
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.learner import Learner
from plaudit.models.template import Template

# How far ahead of this server's clock a client's issue date may be (clocks drift).
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Recipient:
    email: str
    first_name: str | None
    last_name: str | None
    # The client's own id for the person (Credly's issuer_earner_id, Accredible's recipient.id).
    external_id: str | None = None


# The vendors whose API can issue, by the prefix of the keys their credentials carry.
VENDORS: Final = {"credly": "Credly", "accredible": "Accredible"}


def issuance_key(vendor: str, *parts: object) -> str:
    """The key that makes a request issue once: "<vendor>:" and a hash of what identifies the
    request, cut to the column's 64 characters (over 220 bits of it remain). The prefix keeps a
    Credly request and an Accredible one apart, and tells the dashboard which API issued the
    credential (bulk issuance's keys are bare hashes)."""
    assert vendor in VENDORS
    digest = hashlib.sha256("\x1f".join(str(p) for p in (vendor, *parts)).encode()).hexdigest()
    return f"{vendor}:{digest}"[:64]


def issued_through(issuance_key: str | None) -> str | None:
    """The vendor whose API issued a credential with this key ("Credly", "Accredible"), if any."""
    vendor, colon, _ = (issuance_key or "").partition(":")
    return VENDORS.get(vendor) if colon else None


def template_of(
    session: Session, *, organization_id: uuid.UUID, template_id: uuid.UUID
) -> Template:
    template = session.scalar(
        select(Template).where(
            Template.id == template_id, Template.organization_id == organization_id
        )
    )
    if template is None:
        raise NotFound(f"No badge template with id '{template_id}' exists in this organization.")
    return template


def issued(session: Session, *, organization_id: uuid.UUID, key: str) -> Credential | None:
    return session.scalar(
        select(Credential).where(
            Credential.organization_id == organization_id, Credential.issuance_key == key
        )
    )


def issue(
    session: Session,
    *,
    organization_id: uuid.UUID,
    template_id: uuid.UUID,
    recipient: Recipient,
    issued_at: datetime,
    expires_at: datetime | None,
    key: str,
    date_fields: tuple[str, str] = ("issued_at", "expires_at"),
) -> tuple[Credential, bool]:
    """The credential this request issued, and whether it is new (False: issued before).
    ``date_fields`` name the two dates as the client's body does, for its errors."""
    existing = issued(session, organization_id=organization_id, key=key)
    if existing is not None:
        return existing, False
    template = template_of(session, organization_id=organization_id, template_id=template_id)
    found = awardable_templates(
        session, organization_id=organization_id, template_ids=[template.id]
    )
    awardable = found[template.id]
    if isinstance(awardable, str):
        raise Conflict(f"Cannot issue this badge: {awardable}.")
    _check_dates(issued_at, expires_at, date_fields)
    fields = _fields(awardable, recipient)
    learner = _learner(session, organization_id=organization_id, recipient=recipient)
    book = AwardBook.load(session, organization_id=organization_id, learner_ids=[learner.id])
    book.grant(
        Grant(
            learner=learner,
            template=awardable,
            rule_id=None,
            event_id=None,
            occurred_at=issued_at,
            entity_type=None,
            entity_id=None,
            entity_title=None,
            fields=fields,
            issued_at=issued_at,
            expires_at=expires_at,
            issuance_key=key,
        ),
        once=False,
    )
    written = book.write()
    awarding.settle(session, written)
    credential = session.get(Credential, written.created[0])
    assert credential is not None
    return credential, True


def _check_dates(issued_at: datetime, expires_at: datetime | None, names: tuple[str, str]) -> None:
    issued, expires = names
    if issued_at > utcnow() + CLOCK_SKEW:
        raise InvalidInput(
            "The issue date is in the future; a badge is issued when it is earned.",
            extra={"errors": [{"field": issued, "reason": "is in the future"}]},
        )
    if issued_at < EARLIEST:
        raise InvalidInput(
            "The issue date is before 1970.",
            extra={"errors": [{"field": issued, "reason": "is before 1970"}]},
        )
    if expires_at is not None and expires_at <= issued_at:
        raise InvalidInput(
            "The expiry date must come after the issue date.",
            extra={"errors": [{"field": expires, "reason": "is not after the issue date"}]},
        )


def _fields(template: AwardableTemplate, recipient: Recipient) -> dict[str, Any]:
    """A certificate's dynamic fields from what a vendor's request carries: the recipient's
    name, and the template's defaults; a required field without either cannot be filled."""
    values: dict[str, Any] = {}
    name = " ".join(p for p in (recipient.first_name, recipient.last_name) if p)
    for spec in template.snapshot.fields:
        if spec.name == "recipient_name" and name:
            values[spec.name] = name
        elif spec.default is not None:
            values[spec.name] = spec.default
        elif spec.required:
            raise Conflict(
                f"Template '{template.name}' needs the certificate field '{spec.name}', which this "
                "API cannot send: give the field a default, or issue through Plaudit's own API."
            )
    return values


def _learner(session: Session, *, organization_id: uuid.UUID, recipient: Recipient) -> Learner:
    """The learner the client names by its own id; else the one known by this email (whatever
    its id in the LMS, as a bulk row finds it), names filling only what is missing; else a new
    learner identified by the email alone."""
    email = recipient.email.lower()
    if recipient.external_id is None:
        known = session.scalars(
            select(Learner)
            .where(Learner.organization_id == organization_id, Learner.email == email)
            .order_by(Learner.created_at, Learner.id)
            .limit(1)
        ).first()
        if known is not None:
            known.first_name = known.first_name or recipient.first_name
            known.last_name = known.last_name or recipient.last_name
            return known
    wanted = LearnerIn(
        id=recipient.external_id,
        email=email,
        first_name=recipient.first_name,
        last_name=recipient.last_name,
    )
    return learners.upsert_many(session, organization_id=organization_id, learners=[wanted])[
        wanted.key
    ]


def credential_of(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, kind: str
) -> Credential:
    credential = session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.organization_id == organization_id
        )
    )
    if credential is None:
        raise NotFound(f"No {kind} with id '{credential_id}' exists in this organization.")
    return credential


def revoke(
    session: Session,
    *,
    organization_id: uuid.UUID,
    credential_id: uuid.UUID,
    reason: str,
    kind: str,
) -> Credential:
    """Revoke once; a retried revocation answers as the first did (its reason stands)."""
    credential = credential_of(
        session, organization_id=organization_id, credential_id=credential_id, kind=kind
    )
    if credential.status is CredentialStatus.REVOKED:
        return credential
    return lifecycle.revoke(
        session, organization_id=organization_id, credential_id=credential.id, reason=reason
    )
