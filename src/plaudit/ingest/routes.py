"""HTTP routes that receive learning events: one or a batch (xAPI statements: xapi_routes.py)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, SessionDep
from plaudit.api.problems import validation_errors
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.events.schemas import BatchIn, BatchOut, EventIn, EventResult
from plaudit.ingest import service

router = APIRouter(prefix=f"{API_PREFIX}/events", tags=["events"], route_class=UnitOfWorkRoute)


async def _posted(request: Request) -> str:
    # The body FastAPI has read already (and parsed as EventIn), as the sender wrote it.
    return (await request.body()).decode("utf-8", errors="replace")


PostedBody = Annotated[str, Depends(_posted)]
# One encoder for a batch's items (json.dumps would build one per item: a third of the time).
_AS_SENT = json.JSONEncoder(ensure_ascii=False, check_circular=False)


@router.post(
    "",
    response_model=EventResult,
    status_code=201,
    responses={
        200: {"model": EventResult, "description": "A duplicate: this id was received before"}
    },
    summary="Send one learning event",
)
def send(
    body: EventIn,
    posted: PostedBody,
    session: SessionDep,
    principal: IssuePrincipal,
) -> Response:
    [result] = service.ingest(
        session,
        organization_id=principal.organization_id,
        items=[(0, body)],
        documents={0: posted},
        retry_here=False,  # the route runs again a request that lost a race
    )
    # Its JSON written here, in the route's thread: returned as a model, it would be validated
    # again, in another thread (a tenth of a millisecond, on every event).
    return Response(
        content=result.model_dump_json(),
        status_code=201 if result.status == "processed" else 200,
        media_type="application/json",
    )


def _batch(session: Any, organization_id: Any, raw: list[Any]) -> BatchOut:
    valid: list[tuple[int, EventIn]] = []
    invalid: dict[int, EventResult] = {}
    for index, item in enumerate(raw):
        try:
            valid.append((index, EventIn.model_validate(item)))
        except ValidationError as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            invalid[index] = EventResult(
                index=index,
                id=ident if isinstance(ident, str) else None,
                status="invalid",
                errors=validation_errors(exc.errors()),
            )
    processed = (
        {
            r.index: r
            for r in service.ingest(
                session,
                organization_id=organization_id,
                items=valid,
                # Each item as sent, its keys in the sender's order (the batch's own
                # whitespace is not kept: the page pretty-prints it anyway).
                documents={i: _AS_SENT.encode(raw[i]) for i, _ in valid},
            )
        }
        if valid
        else {}
    )
    results = [invalid.get(i) or processed[i] for i in range(len(raw))]
    return BatchOut(
        processed=sum(r.status == "processed" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        invalid=len(invalid),
        awarded=sum(len(r.awards) for r in results),
        results=results,
    )


@router.post(
    "/batch",
    response_model=BatchOut,
    summary="Send up to 1,000 events; each item gets its own result",
)
def send_batch(body: BatchIn, session: SessionDep, principal: IssuePrincipal) -> BatchOut:
    return _batch(session, principal.organization_id, body.events)
