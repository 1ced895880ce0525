"""Dashboard: learners — search, and each learner's profile, badges with their award log,
credentials and event history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin.web import ADMIN, Viewer, paged, parse_uuid, render, window
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import utcnow
from plaudit.errors import not_found
from plaudit.events import queries as event_queries
from plaudit.learners import links
from plaudit.learners import queries as learner_queries
from plaudit.learners import service as learners

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)


@router.get("/learners")
def learner_list(request: Request, admin: Viewer, session: SessionDep, q: str = "") -> Response:
    q = q.strip()[:200]
    found = learner_queries.listing(
        session, organization_id=admin.organization_id, search=q or None, window=window(request)
    )
    return render(
        request,
        admin,
        "admin/learners_list.html",
        {"paged": paged(request, found), "q": q},
        section="learners",
    )


@router.get("/learners/{learner_id}")
def learner_detail(
    learner_id: str, request: Request, admin: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    ident = parse_uuid(learner_id)
    if ident is None:
        raise not_found("learner", learner_id)
    learner = learners.get(session, organization_id=admin.organization_id, learner_id=ident)
    credentials = paged(
        request,
        learner_queries.credentials_of(
            session,
            organization_id=admin.organization_id,
            learner_id=learner.id,
            window=window(request, param="credentials_page", per_page=10),
        ),
        param="credentials_page",
    )
    events = paged(
        request,
        event_queries.of_learner(
            session,
            organization_id=admin.organization_id,
            learner_id=learner.id,
            window=window(request, param="events_page", per_page=10),
        ),
        param="events_page",
    )
    return render(
        request,
        admin,
        "admin/learners_detail.html",
        {
            "learner": learner,
            "badges": learners.badges(session, learner),
            "credentials": credentials,
            "events": events,
            "now": utcnow(),
            "wallet_url": links.url(runtime.settings.public_base_url, runtime.vault, learner.id),
        },
        section="learners",
    )
