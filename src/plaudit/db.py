"""Engine, sessions, the declarative base and the unit of work."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

from sqlalchemy import (
    DateTime,
    Engine,
    Insert,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    insert,
    make_url,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault
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


# Up to this many rows, in all, for several tables go to PostgreSQL as one statement.
ONE_STATEMENT_ROWS = 24


def insert_rows(
    session: Session, tables: Sequence[tuple[type[Base], list[dict[str, Any]]]]
) -> None:
    """Insert rows into several tables, in the order given (a row may point at one of an
    earlier table). Each table's rows all have the same keys.

    Core INSERTs, not the ORM's bulk insert: that one splits rows by which of their values are
    None, which made a batch of 1,000 events send hundreds of INSERTs of two or three rows each.
    On PostgreSQL a few rows for several tables go as one statement, each row's INSERT but the
    last in its WITH (a single event's writes were five round trips; its latency is mostly
    round trips). Foreign keys are checked at the end of that statement, as they would be at
    the end of each INSERT. Otherwise one INSERT per table, each its rows' executemany.
    """
    present = [(model.metadata.tables[model.__tablename__], rows) for model, rows in tables if rows]
    if not present:
        return
    if (
        len(present) > 1
        and sum(len(rows) for _, rows in present) <= ONE_STATEMENT_ROWS
        and session.get_bind().dialect.name == "postgresql"
    ):
        each: list[tuple[Table, dict[str, Any]]] = []
        for table, rows in present:
            completed = _with_defaults(table, rows)
            if completed is None:
                break
            each.extend((table, row) for row in completed)
        else:
            statement = _chained(tuple((table, tuple(row)) for table, row in each))
            values = {f"w{n}_{key}": v for n, (_, row) in enumerate(each) for key, v in row.items()}
            session.execute(statement, values)
            return
    for table, rows in present:
        session.execute(insert(table), rows)


@functools.lru_cache(maxsize=128)
def _chained(shape: tuple[tuple[Table, tuple[str, ...]], ...]) -> Insert:
    """One INSERT per row (its values bound as w<n>_<column>), all but the last in the WITH of
    the last: a statement SQLAlchemy can cache, unlike a multi-row VALUES, so each shape (the
    tables, their rows' columns) is compiled once."""
    inserts = [
        insert(table).values({key: bindparam(f"w{n}_{key}") for key in keys})
        for n, (table, keys) in enumerate(shape)
    ]
    *first, statement = inserts
    return statement.add_cte(*(row.cte(f"w{n}") for n, row in enumerate(first)))


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The rows with the Python-side defaults of the columns they leave out (an INSERT inside
    a WITH does not apply them); None if one is not a plain value or function."""
    missing = [c for c in table.columns if c.key not in rows[0] and c.default is not None]
    if not missing:
        return rows
    values: dict[str, Any] = {}
    makers: dict[str, Callable[[Any], Any]] = {}
    for column in missing:
        default = column.default
        if isinstance(default, ScalarElementColumnDefault):
            values[column.key] = default.arg
        elif isinstance(default, CallableColumnDefault):
            makers[column.key] = default.arg  # takes the execution context; ours ignore it
        else:
            return None
    return [{**row, **values, **{key: make(None) for key, make in makers.items()}} for row in rows]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_public_id() -> str:
    """A credential's public id: 16 URL-safe characters (96 random bits) starting with a letter
    or digit, so that it never reads as a command-line option or, in a spreadsheet, as a formula
    (an exported id starting with '-' would be quoted to defuse it)."""
    while True:
        public_id = secrets.token_urlsafe(12)
        if public_id[0].isalnum():
            return public_id


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


# How long a transaction waits for a lock another one holds, unless its session says otherwise
# (requests wait less: see LOCK_TIMEOUT_OPTION). On SQLite, for the database's one write lock.
SQLITE_BUSY_TIMEOUT_MS = 10_000

# An execution option (milliseconds) bounding every lock wait of a transaction: PostgreSQL's
# lock_timeout, SQLite's busy timeout. A wait past it fails the statement (lost_race() says it
# can be run again), instead of queueing behind a long transaction for as long as it lasts.
LOCK_TIMEOUT_OPTION = "plaudit_lock_timeout_ms"


# What a request (API or dashboard) waits, at most, for one lock before it gives up and is run
# again (plaudit.api.routing). On PostgreSQL a wait means another transaction changes the same
# rows: rare, and a long one is a pile-up; on SQLite every write waits for the one writer.
REQUEST_LOCK_TIMEOUT_MS = {"postgresql": 2_000, "sqlite": 5_000}


def request_lock_timeout_ms(engine: Engine) -> int:
    return REQUEST_LOCK_TIMEOUT_MS.get(engine.dialect.name, SQLITE_BUSY_TIMEOUT_MS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
    # No pool_pre_ping (a round trip on every checkout, a tenth of a single event's): a
    # connection idle for a while is pinged on checkout instead; one back from a request a
    # moment ago is not.
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    event.listen(engine.pool, "checkin", _note_return)
    event.listen(engine.pool, "checkout", _ping_if_idle(engine.dialect))
    event.listen(engine, "begin", _postgres_lock_timeout)
    event.listen(engine, "rollback", _forget_lock_timeout)
    event.listen(engine.pool, "reset", _forget_lock_timeout_on_reset)
    return engine


# A pooled PostgreSQL connection back for less than this is used without a ping: a server
# restart or a dropped connection in that time fails one statement, which invalidates the
# pool's connections (SQLAlchemy sees the disconnect), as a ping would have.
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "plaudit_returned_at"


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect: Dialect) -> Callable[[Any, Any, Any], None]:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or just back
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            # Those connected before it are likely gone too (a restart): a new one for each.
            raise InvalidatePoolError() from exc

    return checkout


# The lock_timeout a connection's session has now (the pool keeps connections across requests
# and jobs): set when a transaction needs another, not at every BEGIN (a round trip each).
# SET is undone by a rollback of the transaction it ran in: after one it is not known.
_LOCK_TIMEOUT = "plaudit_lock_timeout"
_SERVER_DEFAULT = "default"
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open


def _postgres_lock_timeout(conn: Any) -> None:
    options = conn.get_execution_options()
    if options.get("plaudit_read_only"):
        return  # reads take no row locks: whatever the connection has will do
    timeout = options.get(LOCK_TIMEOUT_OPTION)
    wanted: int | str = _SERVER_DEFAULT if timeout is None else int(timeout)
    if conn.info.get(_LOCK_TIMEOUT) == wanted:
        return
    if wanted == _SERVER_DEFAULT:
        conn.exec_driver_sql("RESET lock_timeout")
    else:
        conn.exec_driver_sql(f"SET lock_timeout = {wanted}")
    conn.info[_LOCK_TIMEOUT] = wanted


def _forget_lock_timeout(conn: Any) -> None:
    conn.info.pop(_LOCK_TIMEOUT, None)


def _forget_lock_timeout_on_reset(dbapi_connection: Any, record: Any, _state: Any) -> None:
    # The pool rolls back every connection it takes back; only an open transaction is undone.
    if dbapi_connection.info.transaction_status != _IDLE:
        record.info.pop(_LOCK_TIMEOUT, None)


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(conn: Any) -> None:
    options = conn.get_execution_options()
    # Set at every BEGIN: a pooled connection serves requests and jobs in turn.
    timeout = int(options.get(LOCK_TIMEOUT_OPTION, SQLITE_BUSY_TIMEOUT_MS))
    conn.exec_driver_sql(f"PRAGMA busy_timeout={timeout}")
    # Readers (GET requests) keep a deferred BEGIN so they never wait on a writer in WAL mode.
    deferred = options.get("plaudit_read_only", False)
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def create_session_factory(
    engine: Engine, *, read_only: bool = False, lock_timeout_ms: int | None = None
) -> sessionmaker[Session]:
    options: dict[str, Any] = {}
    if read_only:
        options["plaudit_read_only"] = True
    if lock_timeout_ms is not None:
        options[LOCK_TIMEOUT_OPTION] = lock_timeout_ms
    bind = engine.execution_options(**options) if options else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


# --- races: a write that lost to a concurrent one can succeed when run again ---------------

# PostgreSQL: unique, foreign key and exclusion violations (a row another transaction
# inserted or deleted meanwhile), serialization failures, deadlocks, and a lock_timeout.
_PG_RACES = frozenset({"23505", "23503", "23P01", "40001", "40P01", "55P03"})
# SQLite: the same constraints, and the write lock not obtained within the busy timeout.
_SQLITE_RACES = frozenset(
    {
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
        "SQLITE_CONSTRAINT_FOREIGNKEY",
        "SQLITE_BUSY",
        "SQLITE_LOCKED",
    }
)


def lost_race(exc: BaseException) -> bool:
    """Whether ``exc`` says this transaction lost a race to a concurrent one, so that the same
    work in a new transaction (which sees what the winner committed) can succeed. Other
    integrity errors (a NOT NULL or CHECK constraint) are bugs, and running them again fails
    the same way."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _PG_RACES
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        return name in _SQLITE_RACES
    return False


# --- after-commit hooks: side effects (jobs, emails, webhooks) run only once data is durable ---
#
# A hook belongs to the savepoint it was registered in (None: the outermost transaction).
# SQLAlchemy reports a savepoint's release as a commit and its rollback as a rollback, so:
# a released savepoint hands its hooks to the transaction around it (nothing runs before the
# outermost commit), and a savepoint rolled back drops only its own hooks (the items of a batch
# that went in before a bad one keep theirs).

_HOOKS_KEY = "plaudit_after_commit"
_ROLLBACK_HOOKS_KEY = "plaudit_on_rollback"

_Scope: TypeAlias = "SessionTransaction | None"
_Hooks: TypeAlias = "list[tuple[_Scope, Callable[[], None]]]"


def _scope(session: Session) -> _Scope:
    return session.get_nested_transaction()


def after_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` once the session's outermost transaction commits; drop it on rollback
    (of that transaction, or of the savepoint it was registered in)."""
    session.info.setdefault(_HOOKS_KEY, []).append((_scope(session), hook))


def on_rollback(session: Session, hook: Callable[[], None]) -> None:
    """Undo a side effect made before commit (e.g. a file written) if the transaction fails."""
    session.info.setdefault(_ROLLBACK_HOOKS_KEY, []).append((_scope(session), hook))


def _run(hooks: _Hooks, what: str) -> None:
    for _, hook in hooks:
        try:
            hook()
        except Exception:
            # The data is committed (or rolled back); a failed side effect must not turn the
            # request into an error.
            log.exception("%s hook failed", what)


def _split(session: Session, key: str, scope: SessionTransaction) -> _Hooks:
    """Remove and return the hooks registered in ``scope``."""
    hooks: _Hooks = session.info.get(key, [])
    mine = [entry for entry in hooks if entry[0] is scope]
    session.info[key] = [entry for entry in hooks if entry[0] is not scope]
    return mine


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # A savepoint released: its hooks wait for the transaction around it.
        parent = savepoint.parent
        outer: _Scope = parent if parent is not None and parent.nested else None
        for key in (_HOOKS_KEY, _ROLLBACK_HOOKS_KEY):
            handed = [(outer, hook) for _, hook in _split(session, key, savepoint)]
            session.info[key].extend(handed)
        return
    session.info.pop(_ROLLBACK_HOOKS_KEY, None)
    _run(session.info.pop(_HOOKS_KEY, []), "after-commit")


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        _split(session, _HOOKS_KEY, previous)
        _run(_split(session, _ROLLBACK_HOOKS_KEY, previous), "rollback")
        return
    session.info.pop(_HOOKS_KEY, None)
    _run(session.info.pop(_ROLLBACK_HOOKS_KEY, []), "rollback")


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
