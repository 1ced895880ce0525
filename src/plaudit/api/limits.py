"""Rate limits per client address for the endpoints anyone may call (verification, wallets'
token and credential endpoints, OAuth registration): PLAUDIT_VERIFY_RATE_LIMIT each, counted
per use, shared by every process of the instance when the queue is a Redis."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from plaudit.config import Settings
from plaudit.errors import RateLimited
from plaudit.ratelimit import RateLimiter


def per_address(bucket: str, refusal: str) -> Any:
    """A dependency for a route's ``dependencies=``: a refused request is answered 429 before
    its body is read or any work is done. Sync, so it runs in a worker thread: it may wait for
    Redis."""

    def check(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        settings: Settings = request.app.state.settings
        client = request.client.host if request.client else "unknown"
        if not limiter.allow(settings.verify_rate_limit, bucket, client):
            raise RateLimited(refusal)

    return Depends(check)
