"""Dashboard: learners — search, and each learner's profile, badges with their award log,
credentials and event history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from plaudit.admin.web import ADMIN, Viewer, paginate, parse_uuid, render
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import utcnow
from plaudit.errors import not_found
from plaudit.learners import links
from plaudit.learners import service as learners
from plaudit.models.award import Credential
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.template import Template

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)


@router.get("/learners")
def learner_list(request: Request, admin: Viewer, session: SessionDep, q: str = "") -> Response:
    q = q.strip()[:200]
    stmt = learners.query(organization_id=admin.organization_id, search=q or None).order_by(
        Learner.created_at.desc(), Learner.id.desc()
    )
    paged = paginate(session, request, stmt)
    return render(
        request, admin, "admin/learners_list.html", {"paged": paged, "q": q}, section="learners"
    )


@router.get("/learners/{learner_id}")
def learner_detail(
    learner_id: str, request: Request, admin: Viewer, session: SessionDep, runtime: RuntimeDep
) -> Response:
    ident = parse_uuid(learner_id)
    if ident is None:
        raise not_found("learner", learner_id)
    learner = learners.get(session, organization_id=admin.organization_id, learner_id=ident)
    credentials = paginate(
        session,
        request,
        select(Credential, Template.name)
        .join(Template, Template.id == Credential.template_id)
        .where(
            Credential.organization_id == admin.organization_id,
            Credential.learner_id == learner.id,
        )
        .order_by(Credential.emitted_at.desc(), Credential.id.desc()),
        scalars=False,
        param="credentials_page",
        per_page=10,
    )
    events = paginate(
        session,
        request,
        select(Event)
        .where(Event.organization_id == admin.organization_id, Event.learner_id == learner.id)
        .order_by(Event.occurred_at.desc(), Event.id.desc()),
        param="events_page",
        per_page=10,
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
