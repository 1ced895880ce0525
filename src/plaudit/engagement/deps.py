"""The app's engagement counter, for the routes that count (the app builds it: one per process)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from plaudit.engagement.counter import EngagementCounter


async def get_counter(request: Request) -> EngagementCounter:
    counter: EngagementCounter = request.app.state.engagement
    return counter


CounterDep = Annotated[EngagementCounter, Depends(get_counter)]
