"""Count engagement in memory and add it to the daily counts in batches.

A public page is read far more often than anything is written: one upsert per view would make
every view a write transaction (and, on SQLite, serialise them). Counts are summed in the process
and flushed every few seconds, after a response rather than before it, and when the process stops.
A crash loses at most those few seconds of counts; nothing about the visitor is kept.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from plaudit.db import unit_of_work, utcnow
from plaudit.models.award import Credential
from plaudit.models.engagement import Engagement, EngagementCount

Key = tuple[uuid.UUID, uuid.UUID, date, str]  # organization, credential, day, kind


class EngagementCounter:
    def __init__(self, flush_interval: float = 5.0) -> None:
        self.flush_interval = flush_interval
        self._counts: Counter[Key] = Counter()
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def record(
        self, *, organization_id: uuid.UUID, credential_id: uuid.UUID, kind: Engagement
    ) -> bool:
        """Count one; True when a flush is due (the caller schedules it after its response)."""
        with self._lock:
            self._counts[(organization_id, credential_id, utcnow().date(), kind.value)] += 1
            now = time.monotonic()
            if now - self._last_flush < self.flush_interval:
                return False
            self._last_flush = now  # this caller schedules the flush; the next ones need not
            return True

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Add what was counted to the database; returns how many rows it touched."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last_flush = time.monotonic()
        if not counts:
            return 0
        try:
            with unit_of_work(sessions) as session:
                _upsert(session, counts)
        except Exception:
            # Keep them for the next flush rather than lose them to a passing database error.
            with self._lock:
                self._counts.update(counts)
            raise
        return len(counts)


def add(
    session: Session, *, organization_id: uuid.UUID, credential_id: uuid.UUID, kind: Engagement
) -> None:
    """Count one at once, in the caller's transaction: for what happens rarely and matters
    (a credential taken into a wallet), not for page views."""
    _upsert(session, Counter({(organization_id, credential_id, utcnow().date(), kind.value): 1}))


def _upsert(session: Session, counts: Counter[Key]) -> None:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    # A credential deleted since it was viewed takes its counts with it.
    ids = {cred for _, cred, _, _ in counts}
    alive = set(session.scalars(select(Credential.id).where(Credential.id.in_(ids))))
    rows = [
        {"organization_id": org, "credential_id": cred, "day": day, "kind": kind, "count": n}
        for (org, cred, day, kind), n in sorted(counts.items(), key=lambda item: str(item[0]))
        if cred in alive
    ]
    if not rows:
        return
    statement = insert(EngagementCount).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["credential_id", "day", "kind"],
            set_={"count": EngagementCount.count + statement.excluded["count"]},
        )
    )
