"""Signing in to the dashboard: sessions, lockout and password resets (no HTTP here).

A session cookie carries 32 random bytes; the database keeps their SHA-256 only, with the
session's CSRF token and the organization it shows. Five failed sign-ins in a row lock the
account for 15 minutes; a successful one, or a password reset, clears the count.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plaudit.delivery import outbox
from plaudit.errors import InvalidInput
from plaudit.models.delivery import Channel
from plaudit.models.organization import Organization
from plaudit.models.user import AdminSession, Membership, User
from plaudit.users import service as users
from plaudit.users import tokens
from plaudit.users.passwords import hash_password, verify_password
from plaudit.vault import Vault

SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
RESET_LIFETIME = timedelta(hours=1)
# Asking again for a reset within this window sends no second email.
RESET_WINDOW = timedelta(minutes=10)

# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked_until: datetime | None = None


def sign_in(session: Session, *, email: str, password: str, now: datetime) -> SignInResult:
    """Checks the password and counts failures; the caller commits either way."""
    user = session.scalar(select(User).where(User.email == users.normalize_email(email)))
    if user is None or not user.is_active:
        verify_password(_DUMMY_HASH, password)
        return SignInResult(None)
    if user.locked_until is not None and user.locked_until > now:
        return SignInResult(None, locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCK_DURATION
            user.failed_logins = 0
            return SignInResult(None, locked_until=user.locked_until)
        return SignInResult(None)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return SignInResult(user)


def memberships(session: Session, user_id: uuid.UUID) -> list[tuple[Membership, Organization]]:
    rows = session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    ).all()
    return [(m, o) for m, o in rows]


def open_session(
    session: Session, *, user: User, now: datetime, organization_id: uuid.UUID | None = None
) -> str:
    """A new session for ``user``; returns the cookie's token."""
    if organization_id is None:
        first = memberships(session, user.id)
        organization_id = first[0][1].id if first else None
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            token_hash=token_hash(token),
            user_id=user.id,
            organization_id=organization_id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + SESSION_LIFETIME,
        )
    )
    # Sessions that ran out are cleared as new ones open.
    session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    session.flush()
    return token


def find_session(session: Session, token: str | None, *, now: datetime) -> AdminSession | None:
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(AdminSession).where(AdminSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= now:
        return None
    return row


@dataclass(frozen=True)
class SignedIn:
    """Who a session cookie names: the session, its (active) user and their organizations."""

    session: AdminSession
    user: User
    memberships: list[tuple[Membership, Organization]]


def signed_in(session: Session, token: str | None, *, now: datetime) -> SignedIn | None:
    """The session a cookie names, if it is current and its user still active."""
    row = find_session(session, token, now=now)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return SignedIn(row, user, memberships(session, user.id))


def close_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(AdminSession).where(AdminSession.token_hash == token_hash(token)))


def close_all_sessions(session: Session, user_id: uuid.UUID) -> None:
    session.execute(delete(AdminSession).where(AdminSession.user_id == user_id))


def switch_organization(
    session: Session, admin_session: AdminSession, organization_id: uuid.UUID
) -> None:
    if session.get(Membership, (admin_session.user_id, organization_id)) is None:
        raise InvalidInput("You are not a member of that organization.")
    admin_session.organization_id = organization_id
    session.flush()


# --- password resets ---------------------------------------------------------------------


def request_reset(session: Session, *, email: str, now: datetime) -> None:
    """Emails a reset link if the address belongs to an active member; says nothing either way.

    The link is made when the email goes out (nothing secret is stored); the message carries
    a fingerprint of the password it may replace, and is dropped if that changed meanwhile."""
    user = session.scalar(select(User).where(User.email == users.normalize_email(email)))
    if user is None or not user.is_active:
        return
    first = memberships(session, user.id)
    if not first:
        return
    organization_id = first[0][1].id
    window = int(now.timestamp() // RESET_WINDOW.total_seconds())
    expires = now + RESET_LIFETIME
    outbox.record(
        session,
        [
            outbox.NewMessage(
                organization_id=organization_id,
                channel=Channel.EMAIL,
                topic="account.password_reset",
                dedupe_key=f"email:account.password_reset:{user.id}:{window}",
                recipient=user.email,
                payload={
                    "user_id": str(user.id),
                    "expires": int(expires.timestamp()),
                    "fingerprint": tokens.password_fingerprint(user.password_hash),
                },
            )
        ],
    )


def reset_password(
    session: Session, vault: Vault, *, token: str, password: str, now: datetime
) -> User:
    claimed = tokens.reset_user(token)
    user = session.get(User, claimed[0]) if claimed else None
    if (
        user is None
        or not user.is_active
        or not tokens.reset_valid(vault, token, password_hash=user.password_hash, now=now)
    ):
        raise InvalidInput(
            "This reset link has expired or was already used; ask for a new one.",
        )
    users.set_password(session, user=user, password=password)
    user.failed_logins = 0
    user.locked_until = None
    close_all_sessions(session, user.id)
    return user
