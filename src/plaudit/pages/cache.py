"""Rendered public pages, kept a few seconds: a shared link can bring thousands of visits a minute.

A hit costs no database work at all. Staleness is bounded by the time to live; in this process a
revocation, suspension or change of visibility forgets the credential's pages as soon as it
commits, so only other processes (several workers) can show the old state, for at most
TTL_SECONDS (PLAUDIT_PAGE_CACHE_SECONDS).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from plaudit.credentials import changes

TTL_SECONDS: Final = 10.0
MAX_ENTRIES: Final = 5_000


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

    def get(self, key: tuple[str, ...]) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires <= time.monotonic():
                del self._pages[key]
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
        if self.ttl <= 0:
            return
        page = CachedPage(body, organization_id, credential_id, time.monotonic() + self.ttl)
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_entries:
                self._pages.popitem(last=False)

    def forget(self, public_id: str) -> None:
        with self._lock:
            for key in [k for k in self._pages if k[0] == public_id]:
                del self._pages[key]


pages = PageCache()
# A credential revoked, suspended or reinstated in this process is forgotten at its commit.
changes.subscribe(pages.forget)
