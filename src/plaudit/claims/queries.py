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


def of_credential_query(credential_id: uuid.UUID) -> Select[Claim]:
    """A credential's claims, for paging."""
    return select(Claim).where(Claim.credential_id == credential_id)
