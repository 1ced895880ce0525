"""An organization's versions, and what a process keeps under them.

``organizations.rules_version`` changes whenever one of its rules, templates or template versions
does (migration 0024); ``organizations.sending_version`` whenever what decides its emails and
webhook deliveries does (its email settings, its webhook endpoints: migration 0025). Database
triggers set both, whichever process or path made the change, so one cheap read in a
transaction says whether what this process keeps for the organization is still current.

The version is read before what is kept under it: what a process keeps is never older than
the version it is kept under (it may be newer, and is then loaded again next time).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.models.organization import Organization

T = TypeVar("T")


@dataclass(frozen=True)
class Versions:
    rules: str | None
    sending: str | None


def read(session: Session, organization_id: uuid.UUID) -> Versions:
    """Both versions, in one round trip (None for an organization that does not exist)."""
    row = session.execute(
        select(Organization.rules_version, Organization.sending_version).where(
            Organization.id == organization_id
        )
    ).one_or_none()
    return Versions(rules=None, sending=None) if row is None else Versions(*row)


class Kept(Generic[T]):
    """What one process keeps per organization under a version; the least recently used go
    first. Shared by threads: what it holds must never change (frozen, or copies)."""

    def __init__(self, capacity: int = 256) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._held: OrderedDict[tuple[str, uuid.UUID], tuple[str, T]] = OrderedDict()

    def get(self, session: Session, organization_id: uuid.UUID, version: str | None) -> T | None:
        if version is None:
            return None
        key = (_database(session), organization_id)
        with self._lock:
            held = self._held.get(key)
            if held is None or held[0] != version:
                return None
            self._held.move_to_end(key)
            return held[1]

    def put(
        self, session: Session, organization_id: uuid.UUID, version: str | None, value: T
    ) -> None:
        if version is None:
            return
        key = (_database(session), organization_id)
        with self._lock:
            self._held[key] = (version, value)
            self._held.move_to_end(key)
            while len(self._held) > self._capacity:
                self._held.popitem(last=False)


def _database(session: Session) -> str:
    # Organizations are keyed by id, and ids are unique, but one process may serve two
    # databases (the tests run SQLite and PostgreSQL side by side).
    return session.get_bind().engine.url.render_as_string(hide_password=True)
