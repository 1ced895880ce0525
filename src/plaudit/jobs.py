"""Background jobs on Huey: a SQLite-file queue embedded, Redis when workers run elsewhere.

Jobs are enqueued only after the transaction that causes them commits (``enqueue``), take
ids rather than objects, and must be safe to run twice: a worker can die after doing the work
but before acknowledging it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from huey import Huey, MemoryHuey, crontab
from huey.consumer import Consumer
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy.orm import Session

from plaudit.config import Settings
from plaudit.db import after_commit
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class _State:
    runtime: Runtime | None = None


_state = _State()

# Tasks register on this instance at import time; ``configure`` gives it its real storage.
queue: Huey = MemoryHuey("plaudit", results=False, utc=True)


def configure(settings: Settings, runtime: Runtime) -> Huey:
    """Point the queue at the configured backend and give tasks the runtime they use."""
    url, name = settings.resolved_queue_url, settings.queue_name
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        queue.storage = SqliteStorage(name, filename=str(path))
    elif url.startswith(("redis://", "rediss://", "unix://")):
        queue.storage = RedisStorage(name, url=url)
    elif url == "memory://":
        queue.storage = MemoryStorage(name)
    else:
        raise ValueError(
            f"PLAUDIT_QUEUE_URL must be sqlite:///PATH, redis://HOST:PORT/DB or memory://: {url}"
        )
    queue.name = settings.queue_name
    _state.runtime = runtime
    _import_tasks()
    return queue


def runtime() -> Runtime:
    """The runtime a task uses to open its own unit of work."""
    if _state.runtime is None:
        raise RuntimeError("jobs.configure() was not called in this process")
    return _state.runtime


def task(*, retries: int = 3, retry_delay: int = 10) -> Callable[[Callable[P, R]], Any]:
    """Declare a job. Arguments must be plain values (ids, strings), never ORM objects."""

    def decorate(fn: Callable[P, R]) -> Any:
        # Huey names a task after its module and function: stable across processes.
        return queue.task(retries=retries, retry_delay=retry_delay)(fn)

    return decorate


def periodic(schedule: crontab) -> Callable[[Callable[[], R]], Any]:
    """Declare a job the consumer's scheduler runs on ``schedule`` (a huey crontab)."""

    def decorate(fn: Callable[[], R]) -> Any:
        return queue.periodic_task(schedule, retries=1, retry_delay=60)(fn)

    return decorate


def enqueue(session: Session, job: Any, *args: Any) -> None:
    """Send ``job(*args)`` to the queue once ``session``'s transaction commits, never before."""
    after_commit(session, lambda: job(*args))


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer running inside `plaudit serve`: uvicorn owns the process signals, not Huey."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(workers: int) -> Consumer:
    consumer = EmbeddedConsumer(queue, workers=workers, worker_type="thread", periodic=True)
    consumer.start()
    _recover()
    return consumer


def run_worker(workers: int) -> None:
    """Consume the queue in the foreground until SIGINT/SIGTERM (`plaudit worker`)."""
    _recover()
    Consumer(queue, workers=workers, worker_type="thread", periodic=True).run()


def _recover() -> None:
    """On start, pick up what a previous worker left (messages it was sending when it died)
    rather than waiting for the minute's sweep."""
    from plaudit.delivery import tasks

    tasks.sweep()


def _import_tasks() -> None:
    # Importing the feature task modules registers their jobs with the queue.
    from plaudit import tasks  # noqa: F401
