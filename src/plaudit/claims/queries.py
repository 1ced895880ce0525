"""What the dashboard and exports read about claims."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plaudit.models.claim import Claim


def of_credential(session: Session, credential_id: uuid.UUID) -> list[Claim]:
    """Every claim of a credential, newest first: what its wallets did."""
    return list(
        session.scalars(
            select(Claim)
            .where(Claim.credential_id == credential_id)
            .order_by(Claim.created_at.desc())
        )
    )


def find(session: Session, *, credential_id: uuid.UUID, claim_id: uuid.UUID) -> Claim | None:
    """One claim of a credential (None when it belongs to another)."""
    return session.scalar(
        select(Claim).where(Claim.id == claim_id, Claim.credential_id == credential_id)
    )


def of_credential_query(credential_id: uuid.UUID) -> Select[Claim]:
    """A credential's claims, for paging."""
    return select(Claim).where(Claim.credential_id == credential_id)
