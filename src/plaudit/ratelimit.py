"""Rate limits counted where every process of the instance sees them: Redis, or this process."""

from __future__ import annotations

import logging
import time
from functools import cache

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from plaudit.config import Settings

log = logging.getLogger(__name__)

# Huey's Redis URLs, and the scheme `limits` knows each by.
REDIS_SCHEMES = {"redis://": "redis://", "rediss://": "rediss://", "unix://": "redis+unix://"}
# A Redis that is down or black-holed costs one request at most this long (connect, then reply),
# and is then left alone for STORAGE_PAUSE: requests pass unlimited meanwhile.
STORAGE_TIMEOUT = 0.5  # seconds
STORAGE_PAUSE = 5.0  # seconds


@cache
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


class RateLimiter:
    """Counts hits per key in a moving window (exact: N in any window, never 2N across a
    boundary). Every process given the same Redis and namespace shares the counts; with
    ``memory://`` they are this process's own."""

    def __init__(self, storage_url: str, *, namespace: str) -> None:
        self.storage_url = storage_url
        options: dict[str, float | str] = {}
        if not storage_url.startswith("memory://"):
            options = {
                # Instances (and test runs) sharing one Redis keep their counts apart.
                "key_prefix": f"{namespace}:ratelimit",
                "socket_connect_timeout": STORAGE_TIMEOUT,
                "socket_timeout": STORAGE_TIMEOUT,
            }
        storage = storage_from_string(storage_url, wrap_exceptions=True, **options)
        self._window = MovingWindowRateLimiter(storage)
        self._paused_until = 0.0

    def allow(self, limit: str, *key: str) -> bool:
        """Counts one hit of ``key`` against ``limit`` ("30/6 seconds"); False once it is spent.

        Fails open: a rate limit protects the service, and an unreachable Redis must not turn
        every limited request into a 500."""
        if time.monotonic() < self._paused_until:
            return True
        try:
            return self._window.hit(_item(limit), *key)
        except StorageError as exc:
            self._paused_until = time.monotonic() + STORAGE_PAUSE
            log.warning(
                "Rate limits are not enforced for %.0f s: their storage failed (%s: %s)",
                STORAGE_PAUSE,
                type(exc.storage_error).__name__,
                exc.storage_error,
            )
            return True


def storage_url(settings: Settings) -> str:
    """The queue's Redis when the instance has one (so every process shares one count), else
    this process's memory (the embedded default is one process)."""
    url = settings.resolved_queue_url
    for scheme, ours in REDIS_SCHEMES.items():
        if url.startswith(scheme):
            return ours + url.removeprefix(scheme)
    return "memory://"


def from_settings(settings: Settings) -> RateLimiter:
    return RateLimiter(storage_url(settings), namespace=settings.queue_name)
