"""Dashboard settings: connected apps. The Open Badges API's clients registered with the
organization, the learners who let each in, and revoking that access."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from plaudit.admin.settings_common import SETTINGS, page, sub_router, uuid_or_404
from plaudit.admin.web import Admin, Editor, Viewer, paged, redirect, window
from plaudit.api.deps import SessionDep
from plaudit.errors import NotFound
from plaudit.models.oauth import ObApiClient
from plaudit.obapi import oauth
from plaudit.obapi import queries as obapi_queries

router = sub_router()
BASE = f"{SETTINGS}/apps"


@router.get("/settings/apps")
def connected_apps(request: Request, admin: Viewer, session: SessionDep) -> Response:
    found = paged(
        request,
        obapi_queries.clients(
            session, organization_id=admin.organization_id, window=window(request)
        ),
    )
    return page(
        request,
        admin,
        "admin/settings_apps.html",
        "apps",
        {
            "paged": found,
            "consents": obapi_queries.consents(
                session,
                organization_id=admin.organization_id,
                client_ids=[c.id for c in found.items],
            ),
        },
    )


def _client(session: SessionDep, admin: Admin, client_id: str) -> ObApiClient:
    found = obapi_queries.client(
        session,
        organization_id=admin.organization_id,
        client_id=uuid_or_404(client_id, "connected app"),
    )
    if found is None:
        raise NotFound(f"No connected app with id '{client_id}' exists in this organization.")
    return found


@router.post("/settings/apps/{client_id}/revoke")
def revoke_app(client_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    oauth.revoke_consent(session, organization_id=admin.organization_id, client_id=client.id)
    return redirect(
        BASE,
        flash=f"“{client.name}” no longer has access to any learner's record; it stops working "
        "now. It stays registered: a learner may let it in again.",
    )


@router.post("/settings/apps/{client_id}/learners/{learner_id}/revoke")
def revoke_learner(client_id: str, learner_id: str, admin: Editor, session: SessionDep) -> Response:
    client = _client(session, admin, client_id)
    oauth.revoke_consent(
        session,
        organization_id=admin.organization_id,
        client_id=client.id,
        learner_id=uuid_or_404(learner_id, "learner"),
    )
    return redirect(BASE, flash=f"“{client.name}” no longer has access to this learner's record.")
