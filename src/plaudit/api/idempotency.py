"""Idempotency-Key on POSTs: a retried request returns the first response and writes nothing.

The first response is stored in the same transaction as the writes it reports, so either both
are durable or neither is. Two concurrent first attempts collide on a unique constraint; the
loser rolls back and replays the winner's response.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plaudit.api.deps import Principal, SessionDep, authenticate
from plaudit.db import utcnow
from plaudit.errors import InvalidInput
from plaudit.models.idempotency import IdempotencyRecord

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class PendingKey:
    organization_id: uuid.UUID
    key: str
    method: str
    path: str
    request_hash: str


@dataclass(frozen=True)
class StoredResponse:
    """A first response, copied out of its row so it outlives the session."""

    request_hash: str
    status_code: int
    content_type: str | None
    body: bytes


class Replay(Exception):
    """Raised to answer with a stored first response instead of running the route."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay")
        self.stored = stored


def find(session: Session, *, organization_id: uuid.UUID, key: str) -> StoredResponse | None:
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
        )
    )
    if record is None:
        return None
    return StoredResponse(
        record.request_hash, record.status_code, record.content_type, record.response_body
    )


def _check(session: Session, pending: PendingKey) -> None:
    stored = find(session, organization_id=pending.organization_id, key=pending.key)
    if stored is None:
        return
    if stored.request_hash != pending.request_hash:
        raise InvalidInput(
            f"The {HEADER} '{pending.key}' was already used with a different request. "
            "Use a new key for a new request.",
            extra={
                "errors": [
                    {"field": HEADER, "reason": "reused with another request", "in": "header"}
                ]
            },
        )
    raise Replay(stored)


async def idempotency(
    request: Request,
    principal: Annotated[Principal, Depends(authenticate)],
    session: SessionDep,
) -> None:
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidInput(
            f"{HEADER} must be 1 to 255 printable characters, such as a UUID.",
            extra={"errors": [{"field": HEADER, "reason": "is malformed", "in": "header"}]},
        )
    body = await request.body()
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    pending = PendingKey(
        organization_id=principal.organization_id,
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=digest.hexdigest(),
    )
    await run_in_threadpool(_check, session, pending)
    request.state.idempotency = pending


Idempotent = Depends(idempotency)


def record(
    session: Session,
    pending: PendingKey,
    *,
    status_code: int,
    content_type: str | None,
    body: bytes,
) -> None:
    session.add(
        IdempotencyRecord(
            organization_id=pending.organization_id,
            key=pending.key,
            method=pending.method,
            path=pending.path,
            request_hash=pending.request_hash,
            status_code=status_code,
            content_type=content_type,
            response_body=body,
        )
    )
    session.flush()


def purge_expired(session: Session, *, ttl: timedelta) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    )
    return int(getattr(result, "rowcount", 0) or 0)
