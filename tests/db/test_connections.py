"""PostgreSQL connections kept by the pool: a request's lock_timeout is set once per connection,
not at every BEGIN, and is always what the session asked for (a SET rolled back with its
transaction is set again); a connection the server dropped while idle is replaced on checkout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from plaudit import db
from plaudit.db import create_db_engine, create_session_factory

postgresql_only = pytest.mark.parametrize("migrated_engine", ["postgresql"], indirect=True)


@pytest.fixture
def one_connection(migrated_engine: Engine) -> Iterator[tuple[Engine, list[str]]]:
    """An engine of its own on the same database, whose statements are listed; used one
    session at a time, so that it reuses one pooled connection."""
    engine = create_db_engine(migrated_engine.url.render_as_string(hide_password=False))
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    yield engine, sent
    engine.dispose()


def _lock_timeout(sessions: sessionmaker[Session]) -> str:
    with sessions() as session, session.begin():
        return str(session.scalar(text("SHOW lock_timeout")))


@postgresql_only
def test_each_session_kind_gets_its_lock_timeout_and_a_request_sets_it_once(
    one_connection: tuple[Engine, list[str]],
) -> None:
    engine, sent = one_connection
    requests = create_session_factory(engine, lock_timeout_ms=2000)
    jobs = create_session_factory(engine)
    assert [_lock_timeout(requests) for _ in range(5)] == ["2s"] * 5
    assert sum(s.startswith("SET lock_timeout") for s in sent) == 1
    # A job on the same connection waits as long as the server's default says.
    assert _lock_timeout(jobs) == "0"
    assert _lock_timeout(requests) == "2s"
    assert sum(s.startswith("SET lock_timeout") for s in sent) == 2


@postgresql_only
def test_a_lock_timeout_rolled_back_with_its_transaction_is_set_again(
    one_connection: tuple[Engine, list[str]],
) -> None:
    engine, _ = one_connection
    requests = create_session_factory(engine, lock_timeout_ms=2000)
    with requests() as session:
        session.execute(text("SELECT 1"))  # the SET is in this transaction...
        session.rollback()  # ...and undone with it
    assert _lock_timeout(requests) == "2s"
    # Left open and taken back by the pool: rolled back there.
    session = requests()
    session.execute(text("SELECT 1"))
    session.close()
    assert _lock_timeout(requests) == "2s"


@postgresql_only
def test_a_connection_dropped_while_idle_is_replaced_on_checkout(
    one_connection: tuple[Engine, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = one_connection
    sessions = create_session_factory(engine)
    with sessions() as session:
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    with create_db_engine(engine.url.render_as_string(hide_password=False)).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had been idle a while
    with sessions() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != pid
