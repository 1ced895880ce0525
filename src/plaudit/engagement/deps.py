"""Counting engagement from a request: the app's counter (one per process, built by the app),
flushed after the response when a flush is due."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from plaudit.api.deps import RuntimeDep
from plaudit.engagement.counter import EngagementCounter
from plaudit.models.engagement import Engagement
from plaudit.runtime import Runtime


@dataclass(frozen=True)
class Tally:
    counter: EngagementCounter
    runtime: Runtime
    background: BackgroundTasks

    def count(
        self, *, organization_id: uuid.UUID, credential_id: uuid.UUID, kind: Engagement
    ) -> None:
        if self.counter.record(
            organization_id=organization_id, credential_id=credential_id, kind=kind
        ):
            self.background.add_task(self.counter.flush, self.runtime.sessions)


async def get_tally(request: Request, runtime: RuntimeDep, background: BackgroundTasks) -> Tally:
    counter: EngagementCounter = request.app.state.engagement
    return Tally(counter, runtime, background)


TallyDep = Annotated[Tally, Depends(get_tally)]
