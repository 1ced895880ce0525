"""Side effects wait for the outermost commit: a released savepoint is not a commit, and a
savepoint rolled back drops only what was registered inside it.

Found by tests/test_crash_recovery.py: an event's signing job was sent when the event's
savepoint was released, before the request's transaction committed (a worker could look for
the credential before it existed), and a bad item of a batch dropped the jobs of the good
items before it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from plaudit.db import after_commit, on_rollback, unit_of_work
from plaudit.models.organization import Organization
from plaudit.runtime import Runtime
from tests.fixtures.tenants import make_org


def _organizations(runtime: Runtime) -> int:
    with unit_of_work(runtime.read_sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Organization)) or 0)


def test_a_hook_registered_in_a_savepoint_runs_after_the_outer_commit_only(
    runtime: Runtime,
) -> None:
    seen: list[int] = []
    with unit_of_work(runtime.sessions) as session:
        with session.begin_nested():
            make_org(session, slug="in-savepoint")
            after_commit(session, lambda: seen.append(_organizations(runtime)))
        # Released, not committed: nothing has run, and no other session sees the row.
        assert seen == []
        assert _organizations(runtime) == 0
    # It ran once the row was there for every other session to see.
    assert seen == [1]


def test_a_savepoint_rolled_back_drops_only_its_own_hooks(runtime: Runtime) -> None:
    ran: list[str] = []
    undone: list[str] = []
    with unit_of_work(runtime.sessions) as session:
        after_commit(session, lambda: ran.append("outer"))
        with session.begin_nested():
            after_commit(session, lambda: ran.append("good item"))
            on_rollback(session, lambda: undone.append("good item"))
        try:
            with session.begin_nested():
                after_commit(session, lambda: ran.append("bad item"))
                on_rollback(session, lambda: undone.append("bad item"))
                with session.begin_nested():
                    after_commit(session, lambda: ran.append("inside the bad item"))
                raise ValueError("a bad item")
        except ValueError:
            pass
        assert undone == ["bad item"]  # its own undo ran at once; the good item's waits
    assert ran == ["outer", "good item"]
    assert undone == ["bad item"]  # the commit dropped the good item's undo


def test_a_rollback_of_the_transaction_drops_every_hook_and_runs_every_undo(
    runtime: Runtime,
) -> None:
    ran: list[str] = []
    undone: list[str] = []
    try:
        with unit_of_work(runtime.sessions) as session:
            after_commit(session, lambda: ran.append("outer"))
            on_rollback(session, lambda: undone.append("outer"))
            with session.begin_nested():
                after_commit(session, lambda: ran.append("savepoint"))
                on_rollback(session, lambda: undone.append("savepoint"))
            raise ValueError("the request failed")
    except ValueError:
        pass
    assert ran == []
    assert sorted(undone) == ["outer", "savepoint"]
