"""The public page cache keeps no page that a change may have made stale."""

from __future__ import annotations

import socket
import uuid

from plaudit.pages.cache import PageCache, SharedInvalidation

KEY = ("pub-1", "", "en")
IDS = {"organization_id": uuid.uuid4(), "credential_id": uuid.uuid4()}


def test_a_page_rendered_across_a_change_is_not_kept() -> None:
    cache = PageCache(ttl=60)
    assert cache.get(KEY) is None  # a miss: the page is rendered from the database...
    cache.forget("pub-1")  # ... while the credential is revoked and the change announced
    cache.put(KEY, b"valid", **IDS)
    assert cache.get(KEY) is None
    cache.put(KEY, b"revoked", **IDS)  # rendered after the change
    page = cache.get(KEY)
    assert page is not None
    assert page.body == b"revoked"


def test_forget_drops_every_language_of_the_credential_only() -> None:
    cache = PageCache(ttl=60)
    keys = [("pub-1", "", "en"), ("pub-1", "fr", ""), ("pub-2", "", "en")]
    for key in keys:
        assert cache.get(key) is None
        cache.put(key, b"page", **IDS)
    cache.forget("pub-1")
    assert [cache.get(key) is not None for key in keys] == [False, False, True]


def test_a_process_deaf_to_the_instance_channel_serves_no_cached_page() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        cache = PageCache(ttl=60)
        cache.share(SharedInvalidation(cache, url, namespace="deaf"))
        try:
            assert not cache.usable
            assert cache.get(KEY) is None
            cache.put(KEY, b"valid", **IDS)
            assert cache.get(KEY) is None
        finally:
            cache.share(None)
    assert cache.get(KEY) is None
    cache.put(KEY, b"valid", **IDS)
    assert cache.get(KEY) is not None
