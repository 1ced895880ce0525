"""Engine, sessions, the declarative base and the unit of work."""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from plaudit.storage import private_dirs

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): random but ordered by creation time, so ids double as cursors."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 64) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid.UUID(int=value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# SQLite's -wal, -shm and -journal files take the database file's permissions.
_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def _private_sqlite_file(path: str) -> None:
    """The database holds every learner's email and every sealed secret: create it 0600 before
    SQLite does (SQLite would make it 0644), and tighten one an older version left readable."""
    private_dirs(Path(path).absolute().parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty database
        return
    except FileExistsError:
        pass
    for name in (path + suffix for suffix in _SQLITE_FILES):
        try:
            mode = os.stat(name).st_mode
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
                log.warning("%s was readable by other users; it is now private (0600)", name)
        except FileNotFoundError:
            continue
        except PermissionError:  # another user's file: say so, and go on as before
            log.warning("%s is readable by other users and not ours to change", name)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            _private_sqlite_file(path)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 10},
            # Few connections, kept open: SQLite serialises writers anyway, and many threads
            # contending for its file locks cost more CPU than queueing for a connection
            # (measured: 16 threads on 2 connections ran 1.7x the transactions of 16 on 16).
            # The app sizes its request threads to this pool (see app.lifespan).
            pool_size=8,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers the write lock; BEGIN IMMEDIATE at the start of
        # each transaction avoids "database is locked" upgrades from reader to writer.
        event.listen(engine, "connect", _disable_pysqlite_begin)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    # Readers (GET requests) keep a deferred BEGIN so they never wait on a writer in WAL mode.
    deferred = conn.get_execution_options().get("plaudit_read_only", False)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def create_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    bind = engine.execution_options(plaudit_read_only=True) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


# --- after-commit hooks: side effects (jobs, emails, webhooks) run only once data is durable ---

_HOOKS_KEY = "plaudit_after_commit"


def after_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's current transaction commits; drop it on rollback."""
    session.info.setdefault(_HOOKS_KEY, []).append(hook)


@event.listens_for(Session, "after_commit")
def _run_after_commit_hooks(session: Session) -> None:
    hooks: list[Callable[[], None]] = session.info.pop(_HOOKS_KEY, [])
    for hook in hooks:
        try:
            hook()
        except Exception:
            # The data is committed; a failed side effect must not turn the request into an error.
            log.exception("after-commit hook failed")


_ROLLBACK_HOOKS_KEY = "plaudit_on_rollback"


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Undo a side effect made before commit (e.g. a file written) if the transaction fails."""
    session.info.setdefault(_ROLLBACK_HOOKS_KEY, []).append(hook)


@event.listens_for(Session, "after_rollback")
def _drop_after_commit_hooks(session: Session) -> None:
    session.info.pop(_HOOKS_KEY, None)
    for hook in session.info.pop(_ROLLBACK_HOOKS_KEY, []):
        try:
            hook()
        except Exception:
            log.exception("rollback hook failed")


@event.listens_for(Session, "after_commit")
def _drop_rollback_hooks(session: Session) -> None:
    session.info.pop(_ROLLBACK_HOOKS_KEY, None)


def transaction_cache(session: Session, key: str) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction (settings read once per
    batch, say): dropped when it commits or rolls back."""
    cache: dict[Any, Any] | None = session.info.get(key)
    if cache is None:
        cache = session.info[key] = {}
        after_commit(session, lambda: session.info.pop(key, None))
        on_rollback(session, lambda: session.info.pop(key, None))
    return cache


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commits when the block succeeds, rolls back when it raises."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
