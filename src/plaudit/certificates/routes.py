"""HTTP routes of certificates: a template's PDF preview."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.certificates import service as certificates
from plaudit.errors import InvalidInput
from plaudit.models.template import TemplateKind
from plaudit.templates import service as templates
from plaudit.templates.routes import LangQuery

router = APIRouter(
    prefix=f"{API_PREFIX}/templates", tags=["templates"], route_class=UnitOfWorkRoute
)


@router.get(
    "/{template_id}/certificate-preview",
    summary="The certificate PDF of the working copy, with sample values",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def certificate_preview(
    template_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    lang: LangQuery = None,
) -> Response:
    template = templates.get(
        session, organization_id=principal.organization_id, template_id=template_id
    )
    if template.kind is not TemplateKind.CERTIFICATE:
        raise InvalidInput("Only certificate templates have a PDF; this one is a badge.")
    pdf = certificates.preview(session, runtime, template=template, lang=lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="certificate-preview.pdf"'},
    )
