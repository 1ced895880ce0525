"""Record messages in the caller's transaction; a job delivers them once it commits.

A message's ``dedupe_key`` names its cause and recipient ("email:credential.issued:<id>:<to>"),
and is unique: recording the same cause again (a job run twice, a request retried) adds
nothing, so a recipient hears of a cause once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plaudit.db import after_commit, new_id, on_rollback, utcnow
from plaudit.models.delivery import Channel, MessageStatus, OutboxMessage

_PENDING_KEY = "plaudit_outbox_pending"
# What a message that waits for its credential's signature says (see ``wake``).
WAITING_FOR_SIGNATURE = "waiting for the credential to be signed"


@dataclass(frozen=True)
class NewMessage:
    organization_id: uuid.UUID
    channel: Channel
    topic: str
    dedupe_key: str
    recipient: str
    payload: dict[str, Any] = field(default_factory=dict)
    credential_id: uuid.UUID | None = None
    endpoint_id: uuid.UUID | None = None
    not_before: datetime | None = None


def record(session: Session, messages: Sequence[NewMessage]) -> list[uuid.UUID]:
    """Insert the messages (ignoring any whose dedupe key exists) in the current transaction,
    and deliver them once it commits. Returns the ids tried (existing ones are skipped)."""
    if not messages:
        return []
    now = utcnow()
    ids = [new_id() for _ in messages]
    rows: list[dict[str, Any]] = [
        {
            "id": ident,
            "organization_id": m.organization_id,
            "channel": m.channel,
            "topic": m.topic,
            "dedupe_key": m.dedupe_key[:255],
            "recipient": m.recipient,
            "credential_id": m.credential_id,
            "endpoint_id": m.endpoint_id,
            "payload": m.payload,
            "status": MessageStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": m.not_before or now,
            "created_at": now,
            "updated_at": now,
        }
        for ident, m in zip(ids, messages, strict=True)
    ]
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        statement = module.insert(OutboxMessage).on_conflict_do_nothing(
            index_elements=["dedupe_key"]
        )
        session.execute(statement, chunk)
    _deliver_after_commit(
        session, [m_id for m_id, m in zip(ids, messages, strict=True) if not m.not_before]
    )
    return ids


def _deliver_after_commit(session: Session, ids: list[uuid.UUID]) -> None:
    """One delivery job per transaction, however many times ``record`` was called in it."""
    if not ids:
        return
    pending: list[uuid.UUID] | None = session.info.get(_PENDING_KEY)
    if pending is not None:
        pending.extend(ids)
        return
    pending = list(ids)
    session.info[_PENDING_KEY] = pending

    def send() -> None:
        session.info.pop(_PENDING_KEY, None)
        from plaudit.delivery import tasks

        for start in range(0, len(pending), 200):
            tasks.deliver([str(i) for i in pending[start : start + 200]])

    after_commit(session, send)
    on_rollback(session, lambda: session.info.pop(_PENDING_KEY, None))


def wake(session: Session, *, credential_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Messages about these credentials that wait for them (to be signed) are due now, and go
    out once the caller's transaction commits. Call it in the transaction that signs them:
    a waiting message costs nothing until then (recovery is the safety net)."""
    if not credential_ids:
        return []
    now = utcnow()
    waiting = (
        OutboxMessage.credential_id.in_(credential_ids),
        OutboxMessage.status == MessageStatus.PENDING,
        OutboxMessage.last_error == WAITING_FOR_SIGNATURE,
        OutboxMessage.next_attempt_at > now,
    )
    # A message being attempted right now is skipped: its attempt reads the credential under
    # a share lock, so it waits for this transaction and finds the signature itself.
    ids = list(
        session.scalars(select(OutboxMessage.id).where(*waiting).with_for_update(skip_locked=True))
    )
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        _deliver_after_commit(session, ids)
    return ids
