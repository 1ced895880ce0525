"""Create, list and revoke API keys. Only a hash of each secret is stored."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plaudit.api.deps import TOKEN_PREFIX
from plaudit.db import utcnow
from plaudit.errors import not_found
from plaudit.models.apikey import ApiKey, Scope
from plaudit.vault import hash_secret


def create(
    session: Session, *, organization_id: uuid.UUID, name: str, scopes: list[Scope]
) -> tuple[ApiKey, str]:
    """Returns the key and its token; the token is never retrievable again."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=[s.value for s in scopes],
    )
    session.add(key)
    session.flush()
    return key, f"{TOKEN_PREFIX}{prefix}_{secret}"


def query(*, organization_id: uuid.UUID, revoked: bool | None = None) -> Select[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.organization_id == organization_id)
    if revoked is not None:
        stmt = stmt.where(
            ApiKey.revoked_at.is_not(None) if revoked else ApiKey.revoked_at.is_(None)
        )
    return stmt


def get(session: Session, *, organization_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
    )
    if key is None:
        raise not_found("API key", key_id)
    return key


def revoke(session: Session, *, organization_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """Revoking twice is harmless: the first revocation time stands."""
    key = get(session, organization_id=organization_id, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key
