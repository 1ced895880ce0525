"""Claims: open one for a credential, find it by its token, and take each one-time step once.

Every step that may happen only once (using the pre-authorized code, a nonce, the claim
itself) is a conditional UPDATE whose row count says who won: the database settles it across
processes and restarts, with no lock held in between.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaudit.claims import tokens
from plaudit.config import Settings
from plaudit.db import utcnow
from plaudit.errors import Conflict
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.claim import Claim, ClaimNonce, ClaimStatus, WalletNotice
from plaudit.vault import Vault

ACCESS_TOKEN_SECONDS: Final = 300
NONCE_SECONDS: Final = 300
TX_CODE_ATTEMPTS: Final = 5


@dataclass
class ClaimRefused(Exception):
    """Why a wallet gets nothing. `error` is the OAuth 2.0 / OpenID4VCI error code that fits
    (invalid_grant, invalid_token, invalid_nonce, …); `status` the HTTP status to answer."""

    error: str
    description: str
    status: int = 400

    def __str__(self) -> str:
        return self.description


def open_claim(session: Session, settings: Settings, *, credential: Credential) -> Claim:
    """A new claim for the credential, valid for PLAUDIT_CLAIM_TTL_DAYS."""
    claim = Claim(
        organization_id=credential.organization_id,
        credential_id=credential.id,
        status=ClaimStatus.OPEN,
        expires_at=utcnow() + timedelta(days=settings.claim_ttl_days),
        tx_code_required=settings.claim_tx_code,
        tx_code_failures=0,
    )
    session.add(claim)
    session.flush()
    return claim


def current_claim(session: Session, settings: Settings, *, credential: Credential) -> Claim:
    """The credential's open, unexpired claim; a new one when there is none."""
    found = session.scalar(
        select(Claim)
        .where(
            Claim.credential_id == credential.id,
            Claim.status == ClaimStatus.OPEN,
            Claim.expires_at > utcnow(),
        )
        .order_by(Claim.created_at.desc())
        .limit(1)
    )
    return found or open_claim(session, settings, credential=credential)


def in_a_wallet(session: Session, *, credential_id: uuid.UUID) -> bool:
    """Whether a wallet ever took the credential (through any of its claims)."""
    taken = session.scalar(
        select(Claim.id)
        .where(Claim.credential_id == credential_id, Claim.status == ClaimStatus.CLAIMED)
        .limit(1)
    )
    return taken is not None


def mark_reminded(session: Session, claim: Claim, *, now: datetime) -> bool:
    """Record that the learner was reminded of this claim, once: False when it was already
    (another run got there first)."""
    marked = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.reminded_at.is_(None))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(marked.rowcount == 1)  # type: ignore[attr-defined]


def by_token(
    session: Session, vault: Vault, token: str, *, purpose: str = tokens.INTERACTION
) -> Claim | None:
    claim_id = tokens.claim_of(vault, token, purpose=purpose)
    return session.get(Claim, claim_id) if claim_id is not None else None


def claimable(session: Session, claim: Claim | None, *, now: datetime | None = None) -> Credential:
    """The credential a claim offers, if it can still be taken; else why not."""
    if claim is None:
        raise ClaimRefused("invalid_grant", "This claim does not exist.", 404)
    if claim.status is ClaimStatus.REVOKED:
        raise ClaimRefused("invalid_grant", "This claim was withdrawn by the issuer.")
    if claim.status is ClaimStatus.CLAIMED:
        raise ClaimRefused(
            "invalid_grant",
            "This claim was used already: ask for a new one from your wallet page.",
        )
    if claim.expires_at <= (now or utcnow()):
        raise ClaimRefused(
            "invalid_grant", "This claim has expired: ask for a new one from your wallet page."
        )
    credential = session.get(Credential, claim.credential_id)
    if credential is None:
        raise ClaimRefused("invalid_grant", "The credential no longer exists.", 404)
    if credential.status is not CredentialStatus.ACTIVE:
        raise ClaimRefused(
            "invalid_grant", f"The credential is {credential.status.value}: it cannot be claimed."
        )
    if credential.signed_at is None or credential.document is None:
        raise ClaimRefused(
            "invalid_grant", "The credential is being signed: try again in a minute.", 409
        )
    return credential


def redeem_code(
    session: Session, vault: Vault, *, code: str, tx_code: str | None
) -> tuple[Claim, str]:
    """Trade a pre-authorized code (and its transaction code) for an access token, once."""
    claim = by_token(session, vault, code, purpose=tokens.PRE_AUTHORIZED_CODE)
    if claim is None:
        raise ClaimRefused("invalid_grant", "The pre-authorized code is not valid.")
    claimable(session, claim)
    if claim.tx_code_required:
        if claim.tx_code_failures >= TX_CODE_ATTEMPTS:
            raise ClaimRefused(
                "invalid_grant", "Too many wrong transaction codes: ask for a new claim."
            )
        if tx_code is None or not secrets.compare_digest(
            tx_code.encode(), tokens.tx_code(vault, claim.id).encode()
        ):
            session.execute(
                update(Claim)
                .where(Claim.id == claim.id)
                .values(tx_code_failures=Claim.tx_code_failures + 1)
            )
            raise ClaimRefused("invalid_grant", "The transaction code is wrong.")
    access_token = secrets.token_urlsafe(32)
    now = utcnow()
    used = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.code_used_at.is_(None))
        .values(
            code_used_at=now,
            access_token_hash=tokens.digest(access_token),
            access_token_expires_at=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        )
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimRefused("invalid_grant", "The pre-authorized code was used already.")
    session.refresh(claim)
    return claim, access_token


def by_access_token(session: Session, access_token: str) -> Claim:
    claim = session.scalar(
        select(Claim).where(Claim.access_token_hash == tokens.digest(access_token))
    )
    if claim is None or claim.access_token_expires_at is None:
        raise ClaimRefused("invalid_token", "The access token is not valid.", 401)
    if claim.access_token_expires_at <= utcnow():
        raise ClaimRefused("invalid_token", "The access token has expired.", 401)
    return claim


def new_nonce(session: Session) -> tuple[str, int]:
    """A fresh nonce for a wallet to sign, and how many seconds it lasts."""
    nonce = secrets.token_urlsafe(24)
    session.add(
        ClaimNonce(
            nonce_hash=tokens.digest(nonce),
            expires_at=utcnow() + timedelta(seconds=NONCE_SECONDS),
        )
    )
    session.flush()
    return nonce, NONCE_SECONDS


def use_nonce(session: Session, nonce: str) -> bool:
    """Whether the nonce was ours, unexpired and unused; it is used from now on."""
    now = utcnow()
    used = session.execute(
        update(ClaimNonce)
        .where(
            ClaimNonce.nonce_hash == tokens.digest(nonce),
            ClaimNonce.used_at.is_(None),
            ClaimNonce.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def complete(
    session: Session, claim: Claim, *, protocol: str, wallet: str | None, holder: str | None
) -> str:
    """Mark the claim taken (once: a second wallet racing the first is refused). Returns the
    notification id a wallet may report back with."""
    notification_id = secrets.token_urlsafe(16)
    taken = session.execute(
        update(Claim)
        .where(Claim.id == claim.id, Claim.status == ClaimStatus.OPEN)
        .values(
            status=ClaimStatus.CLAIMED,
            claimed_at=utcnow(),
            protocol=protocol,
            wallet=(wallet or None) and wallet[:200],
            holder=holder,
            notification_id=notification_id,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimRefused("invalid_grant", "This claim was used already.")
    session.refresh(claim)
    return notification_id


def record_notice(
    session: Session, claim: Claim, *, notification_id: str, event: WalletNotice
) -> None:
    """What the wallet did with the credential (OpenID4VCI notification)."""
    if claim.notification_id is None or not secrets.compare_digest(
        claim.notification_id.encode(), notification_id.encode()
    ):
        raise ClaimRefused("invalid_notification_id", "This notification id is not known.")
    claim.notice = event
    claim.noticed_at = utcnow()
    session.flush()


def withdraw(session: Session, claim: Claim) -> None:
    """The issuer withdraws an offer; one a wallet took cannot be: revoke the credential then."""
    if claim.status is ClaimStatus.CLAIMED:
        raise Conflict("A wallet took this offer already: revoke the credential instead.")
    revoke(session, claim)


def revoke(session: Session, claim: Claim) -> None:
    """Withdraw an offer that was not taken yet (a taken one stays as the record of it)."""
    if claim.status is ClaimStatus.OPEN:
        claim.status = ClaimStatus.REVOKED
        session.flush()
