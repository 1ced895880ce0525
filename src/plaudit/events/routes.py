"""HTTP routes of learning events: search, and each event's trace. (Receiving them:
``plaudit.ingest.routes``.)"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, SessionDep
from plaudit.api.pagination import Page, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.events import queries
from plaudit.events.schemas import EventDetail, EventOut
from plaudit.models.event import Event, EventOutcome

router = APIRouter(prefix=f"{API_PREFIX}/events", tags=["events"], route_class=UnitOfWorkRoute)


@router.get("", response_model=Page[EventOut], summary="Search events")
def search(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    learner: Annotated[
        str | None, Query(max_length=255, description="The learner's id or email.")
    ] = None,
    type: Annotated[str | None, Query(max_length=100)] = None,
    outcome: EventOutcome | None = None,
    entity_id: Annotated[str | None, Query(max_length=255)] = None,
) -> Page[EventOut]:
    stmt = queries.search(
        session,
        organization_id=principal.organization_id,
        learner=learner,
        type=type,
        outcome=outcome,
        entity_id=entity_id,
    )
    rows, cursor = paginate(session, stmt, id_column=Event.id, params=page)
    return Page[EventOut](items=[queries.to_out(r) for r in rows], next_cursor=cursor)


@router.get(
    "/{event_id}",
    response_model=EventDetail,
    summary="An event and the trace of every rule decision",
)
def read(event_id: str, session: SessionDep, principal: ReadPrincipal) -> EventDetail:
    event = queries.get(session, organization_id=principal.organization_id, external_id=event_id)
    return EventDetail(**queries.to_out(event).model_dump(), trace=event.trace)
