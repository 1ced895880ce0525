"""Invitations to join an organization: sent by email, accepted with a password, withdrawn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.delivery import outbox
from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.delivery import Channel
from plaudit.models.organization import Organization
from plaudit.models.user import Invitation, Membership, Role, User
from plaudit.users import service as users
from plaudit.users import tokens
from plaudit.users.passwords import verify_password
from plaudit.vault import Vault

INVITATION_LIFETIME = timedelta(days=7)


def invite(
    session: Session,
    *,
    organization_id: uuid.UUID,
    email: str,
    role: Role,
    invited_by: uuid.UUID | None,
    now: datetime,
) -> Invitation:
    email = users.normalize_email(email)
    existing_user = session.scalar(select(User).where(User.email == email))
    if (
        existing_user is not None
        and session.get(Membership, (existing_user.id, organization_id)) is not None
    ):
        raise Conflict(f"{email} is already a member of this organization.")
    pending = session.scalar(
        select(Invitation).where(
            Invitation.organization_id == organization_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    if pending is not None:
        pending.role = role
        invitation = pending
    else:
        invitation = Invitation(
            organization_id=organization_id,
            email=email,
            role=role,
            invited_by=invited_by,
            expires_at=now + INVITATION_LIFETIME,
        )
        session.add(invitation)
    session.flush()
    outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=organization_id,
                channel=Channel.EMAIL,
                topic="account.invitation",
                dedupe_key=f"email:account.invitation:{invitation.id}:{now.timestamp():.0f}",
                recipient=email,
                payload={"invitation_id": str(invitation.id), "role": role.value},
            )
        ],
    )
    return invitation


def pending(
    session: Session, *, organization_id: uuid.UUID, now: datetime, limit: int
) -> list[Invitation]:
    """The invitations that can still be accepted, the newest first."""
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.organization_id == organization_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .limit(limit)
        )
    )


def withdraw(
    session: Session, *, organization_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime
) -> Invitation:
    """Its link stops working; withdrawing twice is no error, an accepted one cannot be."""
    invitation = session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organization_id == organization_id
        )
    )
    if invitation is None:
        raise not_found("invitation", invitation_id)
    if invitation.accepted_at is not None:
        raise Conflict(f"{invitation.email} already accepted; remove the member instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = now
        session.flush()
    return invitation


def open_invitation(
    session: Session, vault: Vault, token: str, *, now: datetime
) -> Invitation | None:
    """The invitation a link names, if it can still be accepted."""
    invitation_id = tokens.invitation_of(vault, token)
    invitation = session.get(Invitation, invitation_id) if invitation_id else None
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        return None
    return invitation


@dataclass(frozen=True)
class Offer:
    """What the invitation page tells the invitee."""

    email: str
    role: Role
    organization: str
    has_account: bool  # they confirm the password they have instead of choosing one


def offer(session: Session, invitation: Invitation) -> Offer:
    organization = session.get(Organization, invitation.organization_id)
    existing = session.scalar(select(User).where(User.email == invitation.email))
    return Offer(
        email=invitation.email,
        role=invitation.role,
        organization=organization.name if organization else "",
        has_account=existing is not None and existing.password_hash is not None,
    )


def accept_invitation(
    session: Session,
    invitation: Invitation,
    *,
    name: str | None,
    password: str,
    now: datetime,
) -> User:
    """New people choose a password; people who have one confirm it."""
    user = session.scalar(select(User).where(User.email == invitation.email))
    if user is not None and user.password_hash is not None:
        if not verify_password(user.password_hash, password):
            raise InvalidInput(
                "That is not this account's password.",
                extra={"errors": [{"field": "password", "reason": "does not match"}]},
            )
    else:
        user = users.get_or_create_user(session, email=invitation.email, name=name)
        users.set_password(session, user=user, password=password)
        if name and not user.name:
            user.name = name
    if session.get(Membership, (user.id, invitation.organization_id)) is None:
        users.add_member(
            session, organization_id=invitation.organization_id, user=user, role=invitation.role
        )
    invitation.accepted_at = now
    session.flush()
    return user
