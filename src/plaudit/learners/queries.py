"""Read learners back for the dashboard: the list, one learner, and credentials found through
their learner (a credential search that reads the learners' search, so it lives here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.learners import service as learners
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.learner import Learner
from plaudit.models.template import Template

# What a credential is now, as its public page says it.
State = Literal["valid", "expired", "suspended", "revoked"]


def listing(
    session: Session, *, organization_id: uuid.UUID, search: str | None, window: Window
) -> NumberedPage[Learner]:
    """The most recently added first."""
    stmt = learners.query(organization_id=organization_id, search=search).order_by(
        Learner.created_at.desc(), Learner.id.desc()
    )
    return numbered_page(session, stmt, window)


def find(session: Session, learner_id: uuid.UUID) -> Learner | None:
    return session.get(Learner, learner_id)


def _in_state(state: State, now: datetime) -> ColumnElement[bool]:
    active = Credential.status == CredentialStatus.ACTIVE
    if state == "valid":
        return and_(active, or_(Credential.expires_at.is_(None), Credential.expires_at > now))
    if state == "expired":
        return and_(active, Credential.expires_at <= now)
    return Credential.status == CredentialStatus(state)


def credential_search(
    session: Session,
    *,
    organization_id: uuid.UUID,
    text: str | None,
    template_id: uuid.UUID | None,
    state: State | None,
    imported: bool | None,
    now: datetime,
    window: Window,
) -> NumberedPage[Any]:
    """(credential, template name, learner) rows, the latest issued first. ``text`` finds the
    learner's name, email or id as the learners' search finds them, the email the credential
    was issued to, or the credential's public id."""
    stmt = (
        select(Credential, Template.name, Learner)
        .join(Template, Template.id == Credential.template_id)
        .join(Learner, Learner.id == Credential.learner_id)
        .where(Credential.organization_id == organization_id)
    )
    if text:
        found = learners.query(organization_id=organization_id, search=text).with_only_columns(
            Learner.id
        )
        stmt = stmt.where(
            or_(
                Credential.learner_id.in_(found),
                Credential.recipient_email.ilike(f"%{text.lower()}%"),
                Credential.public_id == text,
            )
        )
    if template_id is not None:
        stmt = stmt.where(Credential.template_id == template_id)
    if state is not None:
        stmt = stmt.where(_in_state(state, now))
    if imported is not None:
        stmt = stmt.where(Credential.imported.is_(imported))
    stmt = stmt.order_by(Credential.emitted_at.desc(), Credential.id.desc())
    return numbered_page(session, stmt, window, scalars=False)


def credentials_of(
    session: Session, *, organization_id: uuid.UUID, learner_id: uuid.UUID, window: Window
) -> NumberedPage[Any]:
    """A learner's (credential, template name) rows, the latest issued first."""
    stmt = (
        select(Credential, Template.name)
        .join(Template, Template.id == Credential.template_id)
        .where(Credential.organization_id == organization_id, Credential.learner_id == learner_id)
        .order_by(Credential.emitted_at.desc(), Credential.id.desc())
    )
    return numbered_page(session, stmt, window, scalars=False)
