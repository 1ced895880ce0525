"""Rendered public pages, kept a few seconds: a shared link can bring thousands of visits a minute.

A hit costs no database work at all. A revocation, suspension or change of visibility forgets
the credential's pages as soon as it commits: in this process directly, and in every other
process of the instance through a Redis channel when the queue is a Redis (``plaudit serve
--workers N``). A process that is not listening on that channel (Redis unreachable, still
connecting) serves no cached page, so the staleness across processes is the channel's delivery
time (milliseconds), not the time to live. Without Redis each process forgets only its own
changes: another process shows the old state for at most TTL_SECONDS
(PLAUDIT_PAGE_CACHE_SECONDS).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from plaudit.config import Settings
from plaudit.credentials import changes

log = logging.getLogger(__name__)

TTL_SECONDS: Final = 10.0
MAX_ENTRIES: Final = 5_000
REDIS_SCHEMES: Final = ("redis://", "rediss://", "unix://")
# A Redis that goes away is retried this often; meanwhile this process serves no cached page.
RECONNECT_SECONDS: Final = 1.0
SOCKET_TIMEOUT: Final = 0.5  # seconds, for a publish (a revocation's request waits for it)
# A Redis that stops answering without closing the connection is noticed within about twice this.
HEALTH_CHECK_SECONDS: Final = 5


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    organization_id: uuid.UUID
    credential_id: uuid.UUID
    expires: float


class PageCache:
    def __init__(self, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._pages: OrderedDict[tuple[str, ...], CachedPage] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by every forget. A page whose rendering began (at its miss) before the last
        # forget is not kept: it may show the state from before the change.
        self._epoch = 0
        self._misses: dict[tuple[str, ...], int] = {}
        self.channel: SharedInvalidation | None = None

    @property
    def usable(self) -> bool:
        """False while the instance's invalidation channel is not heard: a page kept now could
        outlive a revocation made in another process."""
        channel = self.channel
        return self.ttl > 0 and (channel is None or channel.listening)

    def get(self, key: tuple[str, ...]) -> CachedPage | None:
        if not self.usable:
            return None
        with self._lock:
            page = self._pages.get(key)
            if page is None or page.expires <= time.monotonic():
                if page is not None:
                    del self._pages[key]
                if len(self._misses) >= self.max_entries:
                    self._misses.clear()  # misses never put (errors, pending pages)
                self._misses[key] = self._epoch
                return None
            return page

    def put(
        self,
        key: tuple[str, ...],
        body: bytes,
        *,
        organization_id: uuid.UUID,
        credential_id: uuid.UUID,
    ) -> None:
        if not self.usable:
            return
        page = CachedPage(body, organization_id, credential_id, time.monotonic() + self.ttl)
        with self._lock:
            if self._misses.pop(key, None) != self._epoch:
                return  # rendered across a change (or never missed here): not worth the risk
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def forget(self, public_id: str) -> None:
        with self._lock:
            self._epoch += 1
            for key in [k for k in self._pages if k[0] == public_id]:
                del self._pages[key]

    def clear(self) -> None:
        with self._lock:
            self._epoch += 1
            self._pages.clear()

    def share(self, channel: SharedInvalidation | None) -> None:
        """Hear (and tell) the other processes' changes through ``channel``; None: this
        process alone. Replaces the previous channel."""
        previous, self.channel = self.channel, channel
        if previous is not None:
            previous.stop()
        self.clear()
        if channel is not None:
            channel.start()


class SharedInvalidation:
    """A Redis pub/sub channel per instance (its queue name) carrying the public ids whose pages
    must be forgotten. Each process publishes the changes it commits and a thread of its own
    forgets what it hears; after any gap in listening it forgets everything, since it may have
    missed a message."""

    def __init__(self, cache: PageCache, url: str, *, namespace: str) -> None:
        self.cache = cache
        self.url = url
        self.topic = f"{namespace}:pages:forget"
        self.listening = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        # One retry at most: the request that made the change waits for its publication.
        self._publisher = redis.Redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 1),
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="page-cache", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self.listening = False
        self._publisher.close()

    def publish(self, public_id: str) -> None:
        if self._stopped.is_set():
            return
        try:
            self._publisher.publish(self.topic, public_id)
        except redis.RedisError as exc:
            # The other processes' subscriptions may be broken too (then they serve no cached
            # page); if only this publish failed, they show the old page until it expires.
            log.warning(
                "Other processes were not told that credential %s changed; their cached page "
                "may show the old state for up to %.0f s (%s: %s)",
                public_id,
                self.cache.ttl,
                type(exc).__name__,
                exc,
            )

    def _listen(self) -> None:
        while not self._stopped.is_set():
            # No silent reconnection: a connection lost is a gap, handled below.
            subscriber = redis.Redis.from_url(
                self.url,
                socket_connect_timeout=SOCKET_TIMEOUT,
                socket_timeout=HEALTH_CHECK_SECONDS,
                health_check_interval=HEALTH_CHECK_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
            pubsub = subscriber.pubsub()  # type: ignore[no-untyped-call]
            try:
                pubsub.subscribe(self.topic)
                while not self._stopped.is_set():
                    message = pubsub.get_message(timeout=RECONNECT_SECONDS)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        # From here on every change published reaches this process; what was
                        # kept while it was deaf is forgotten.
                        self.cache.clear()
                        self.listening = True
                    elif message["type"] == "message":
                        self.cache.forget(message["data"].decode())
            except (redis.RedisError, OSError) as exc:
                if self.listening:
                    log.warning(
                        "Public pages are served uncached until Redis answers again (%s: %s)",
                        type(exc).__name__,
                        exc,
                    )
                self.listening = False
                self._stopped.wait(RECONNECT_SECONDS)
            finally:
                self.listening = False
                pubsub.close()
                subscriber.close()


def _tell_other_processes(public_id: str) -> None:
    channel = pages.channel
    if channel is not None:
        channel.publish(public_id)


def configure(settings: Settings) -> None:
    """Sets the time to live and, when the queue is a Redis, shares invalidation through it."""
    pages.ttl = settings.page_cache_seconds
    url = settings.resolved_queue_url
    shared = url.startswith(REDIS_SCHEMES) and pages.ttl > 0
    pages.share(SharedInvalidation(pages, url, namespace=settings.queue_name) if shared else None)


pages = PageCache()
# A credential revoked, suspended or reinstated in this process is forgotten at its commit.
changes.subscribe(pages.forget)
# ... and, with a shared channel, in every other process of the instance.
changes.subscribe(_tell_other_processes)
