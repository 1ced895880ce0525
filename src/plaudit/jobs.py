"""Background jobs on Huey: a SQLite-file queue embedded, Redis when workers run elsewhere.

Jobs are enqueued only after the transaction that causes them commits (``enqueue``), take
ids rather than objects, and must be safe to run twice: a worker can die after doing the work
but before acknowledging it.

A queued job can also be lost: a process killed between its commit and the enqueue, a worker
killed while it runs one. So every kind of background work has a recovery function
(``@recovery``) that finds what is left undone in the database and queues it again; one
process of the instance runs them all every ``PLAUDIT_RECOVERY_INTERVAL_SECONDS`` (under a
lease, so one at a time), and each worker runs them when it starts.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from huey import Huey, MemoryHuey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from plaudit import leases
from plaudit.config import Settings
from plaudit.db import after_commit, unit_of_work
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K")


class _State:
    runtime: Runtime | None = None


_state = _State()

# Tasks register on this instance at import time; ``configure`` gives it its real storage.
queue: Huey = MemoryHuey("plaudit", results=False, utc=True)


class QueueFile(SqliteStorage):  # type: ignore[misc]  # huey has no type hints
    """Huey's SQLite queue, its WAL synced at checkpoints (synchronous=NORMAL) rather than at
    every enqueue: 0.3 ms less per job, two jobs per award. A job enqueued survives the
    process being killed (it is in the WAL the moment enqueue returns); only a crash of the
    machine can lose the last few, and the recovery functions queue those again."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def configure(settings: Settings, runtime: Runtime) -> Huey:
    """Point the queue at the configured backend and give tasks the runtime they use."""
    url, name = settings.resolved_queue_url, settings.queue_name
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        queue.storage = QueueFile(name, filename=str(path))
    elif url.startswith(("redis://", "rediss://", "unix://")):
        queue.storage = _redis_storage(name, url)
    elif url == "memory://":
        queue.storage = MemoryStorage(name)
    else:
        raise ValueError(
            f"PLAUDIT_QUEUE_URL must be sqlite:///PATH, redis://HOST:PORT/DB or memory://: {url}"
        )
    queue.name = settings.queue_name
    _state.runtime = runtime
    import_tasks()
    return queue


def _redis_storage(name: str, url: str) -> PriorityRedisStorage:
    """A priority queue on Redis (a sorted set). A queue left as a plain list by an earlier
    version is moved over, oldest first, so an upgrade loses no job."""
    storage = PriorityRedisStorage(name, url=url)
    key = storage.queue_key
    if storage.conn.type(key) == b"list":
        items = storage.conn.lrange(key, 0, -1)
        storage.conn.delete(key)
        for data in reversed(items):
            storage.enqueue(data)
    return storage


def runtime() -> Runtime:
    """The runtime a task uses to open its own unit of work."""
    if _state.runtime is None:
        raise RuntimeError("jobs.configure() was not called in this process")
    return _state.runtime


# Signing comes before everything else: emails wait for signatures, never the reverse.
SIGNING = 10


def task(
    *, retries: int = 3, retry_delay: int = 10, priority: int | None = None
) -> Callable[[Callable[P, R]], Any]:
    """Declare a job. Arguments must be plain values (ids, strings), never ORM objects.
    Higher ``priority`` jobs are taken first."""

    def decorate(fn: Callable[P, R]) -> Any:
        # Huey names a task after its module and function: stable across processes.
        return queue.task(retries=retries, retry_delay=retry_delay, priority=priority)(fn)

    return decorate


def periodic(schedule: crontab) -> Callable[[Callable[[], R]], Any]:
    """Declare a job the consumer's scheduler runs on ``schedule`` (a huey crontab)."""

    def decorate(fn: Callable[[], R]) -> Any:
        return queue.periodic_task(schedule, retries=1, retry_delay=60)(fn)

    return decorate


def enqueue(session: Session, job: Any, *args: Any) -> None:
    """Send ``job(*args)`` to the queue once ``session``'s transaction commits, never before."""
    after_commit(session, lambda: _send(job, args))


def _send(job: Any, args: tuple[Any, ...]) -> None:
    if _state.runtime is not None and (
        _state.runtime.settings.fault_injection == "exit-before-enqueue"
    ):
        # A crash between commit and enqueue, for the tests that prove recovery.
        os._exit(70)
    job(*args)


# --- recovery: what a crash left undone is found in the database and queued again ---------

Recovery = Callable[[Runtime], object]
_recoveries: dict[str, Recovery] = {}


def recovery(fn: Recovery) -> Recovery:
    """Declare a recovery function: it finds work a crash interrupted and queues it again.
    It must be cheap when there is nothing to do, and bounded when there is a lot."""
    _recoveries[f"{fn.__module__}.{fn.__name__}"] = fn
    return fn


def recover(rt: Runtime) -> None:
    """Run every recovery function once (each on its own: one failing stops no other)."""
    for name, fn in _recoveries.items():
        try:
            fn(rt)
        except Exception:
            log.exception("recovery %s failed", name)


class Backoff:
    """What a recovery function queued again, so that it is queued once more only after a
    doubling wait (first_wait, then 2x, 4x... up to max_wait): recovery cannot tell a lost job
    from one waiting behind a long backlog, and queuing the whole backlog again on every pass
    would only lengthen it. Kept in the process that runs the recovery."""

    def __init__(
        self, max_wait: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_wait = max_wait
        self.clock = clock
        self._queued: dict[Any, tuple[float, float]] = {}  # key -> (queued at, wait)
        self._lock = threading.Lock()

    def due(self, found: Sequence[K], *, first_wait: float) -> list[K]:
        """The keys among ``found`` (all that still need it) to queue now; the others are
        forgotten (done since)."""
        now = self.clock()
        chosen: list[K] = []
        with self._lock:
            earlier, self._queued = self._queued, {}
            for key in found:
                last = earlier.get(key)
                if last is not None and now < last[0] + last[1]:
                    self._queued[key] = last
                    continue
                wait = max(first_wait, 1.0) if last is None else min(self.max_wait, 2 * last[1])
                self._queued[key] = (now, wait)
                chosen.append(key)
        return chosen


RECOVERY_LEASE = "recovery"


class RecoveryLoop(threading.Thread):
    """Runs the recovery functions now and then every interval, in whichever process of the
    instance holds the recovery lease (it keeps it while alive; another takes over when it
    dies)."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(name="plaudit-recovery", daemon=True)
        self.rt = rt
        self.interval = rt.settings.recovery_interval_seconds
        self.holder = leases.new_holder()
        self.stopping = threading.Event()

    def run(self) -> None:
        # On start, whatever the lease: a worker restarted after a crash picks up at once what
        # it left, rather than after the dead holder's lease lapses.
        self.once(forced=True)
        while not self.stopping.wait(self.interval):
            self.once()

    def once(self, *, forced: bool = False) -> bool:
        if forced:
            recover(self.rt)
            return True
        try:
            with unit_of_work(self.rt.sessions) as session:
                leases.acquire(session, RECOVERY_LEASE, holder=self.holder, ttl=self.interval * 1.5)
        except leases.Held:
            return False
        except SQLAlchemyError:
            log.warning("could not take the recovery lease", exc_info=True)
            return False
        recover(self.rt)
        return True

    def stop(self) -> None:
        self.stopping.set()


class PlauditConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, with the recovery loop beside its workers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recovery = RecoveryLoop(runtime())

    def start(self) -> None:
        super().start()
        self.recovery.start()

    def stop(self, graceful: bool = False) -> None:
        self.recovery.stop()
        super().stop(graceful=graceful)


class EmbeddedConsumer(PlauditConsumer):
    """A consumer running inside `plaudit serve`: uvicorn owns the process signals, not Huey."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(workers: int) -> Consumer:
    consumer = EmbeddedConsumer(queue, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    return consumer


def run_worker(workers: int) -> None:
    """Consume the queue in the foreground until SIGINT/SIGTERM (`plaudit worker`)."""
    PlauditConsumer(queue, workers=workers, worker_type="thread", periodic=True).run()


def registered() -> set[str]:
    """The names of every job this process can run ("module.function")."""
    return set(queue._registry._registry)


def import_tasks() -> None:
    """Import every feature's ``tasks`` module: their jobs and recoveries register on import.
    Found by walking the package, so a new feature's jobs cannot be left out of the worker."""
    import plaudit

    for module in pkgutil.walk_packages(plaudit.__path__, "plaudit."):
        if module.name.rsplit(".", 1)[-1] == "tasks":
            importlib.import_module(module.name)
