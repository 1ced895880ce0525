"""Leases: locks that expire unless their holder renews them, shared by every process.

A job that must run in one place at a time (a bulk issuance, a backfill, a recovery pass)
takes the lease named after it. A holder killed with -9 renews nothing, so its lease lapses
and the next process to ask takes over: no lock outlives its holder by more than its ttl.

The holder renews in the same transaction as each step of its work (``renew``): if the lease
was lost meanwhile (the holder stalled longer than its ttl and someone took over), renewing
raises ``Lost`` and the step rolls back, so two holders never both commit work.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plaudit.db import utcnow
from plaudit.models.lease import Lease


class Held(Exception):
    """Someone else holds the lease."""

    def __init__(self, name: str, holder: str, until: datetime | None) -> None:
        self.name, self.holder, self.until = name, holder, until
        super().__init__(
            f"{name} is held by {holder} until {until:%H:%M:%S} UTC" if until else name
        )


class Lost(Exception):
    """The lease expired and was taken over while its holder still worked."""


def new_holder() -> str:
    """A name for one holder: the host and process, and a random part for each run."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(
    session: Session, name: str, *, holder: str, ttl: float, now: datetime | None = None
) -> None:
    """Take the lease (or extend it, if ``holder`` has it) for ``ttl`` seconds, or raise Held.
    One statement: two processes asking at once cannot both get it."""
    now = now or utcnow()
    until = now + timedelta(seconds=ttl)
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    insert = module.insert(Lease).values(name=name, holder=holder, expires_at=until)
    statement = insert.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "expires_at": until},
        where=(Lease.expires_at < now) | (Lease.holder == holder),
    ).returning(Lease.holder)
    if session.execute(statement).scalar_one_or_none() == holder:
        return
    current = session.get(Lease, name, populate_existing=True)
    if current is None:
        raise Held(name, "another process", None)
    raise Held(name, current.holder, current.expires_at)


def renew(session: Session, name: str, *, holder: str, ttl: float) -> None:
    """Extend the lease ``holder`` has, in the caller's transaction; raise Lost if it has not."""
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=utcnow() + timedelta(seconds=ttl))
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Lost(f"the lease on {name} was taken over")


def release(session: Session, name: str, *, holder: str) -> None:
    session.execute(
        delete(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .execution_options(synchronize_session=False)
    )
