"""A credential's id: its public page for a browser, its signed document for everything else."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.openapi import media
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import routes as credentials
from plaudit.engagement.deps import TallyDep
from plaudit.pages.routes import cached_page, credential_page, wants_html

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)


@router.get(
    "/credentials/{public_id}",
    response_class=Response,
    responses={
        200: media(
            "The signed document (VC-JWT for format=vc-jwt), or for a browser the page",
            credentials.VC_MEDIA_TYPE,
            "application/vc+jwt",
            "text/html",
        )
    },
    summary="A credential's signed Open Badges 3.0 document",
)
async def credential_document(
    public_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
    format: Annotated[
        Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"] | None,
        Query(description="Proof format; default: the issuing organization's choice."),
    ] = None,
    lang: Annotated[str | None, Query(max_length=35, description="Page language")] = None,
) -> Response:
    """The credential's id dereferences to its verification page for a browser and to the
    signed document for everything else (or whenever `format` is given)."""
    if format is None and wants_html(request):
        # A page cached a moment ago is answered here, without a trip to a worker thread.
        cached = cached_page(request, tally, public_id=public_id, lang=lang)
        if cached is not None:
            return cached
        return await run_in_threadpool(
            credential_page,
            request,
            session,
            tally,
            public_id=public_id,
            lang=lang,
        )
    return await run_in_threadpool(
        credentials.document_response, session, runtime, public_id, format
    )
