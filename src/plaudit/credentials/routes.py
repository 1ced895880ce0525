"""Public routes: a credential's signed document and the issuer's DID document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.openapi import media
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import issuance
from plaudit.engagement.deps import CounterDep
from plaudit.errors import Forbidden, NotFound
from plaudit.models.award import Credential
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.openbadges import multikey
from plaudit.pages.routes import cached_page, credential_page, wants_html

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)

VC_MEDIA_TYPE = "application/vc+ld+json"


@router.get(
    "/credentials/{public_id}",
    response_class=Response,
    responses={
        200: media(
            "The signed document (VC-JWT for format=vc-jwt), or for a browser the page",
            VC_MEDIA_TYPE,
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
    background: BackgroundTasks,
    counter: CounterDep,
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
        cached = cached_page(request, runtime, background, counter, public_id=public_id, lang=lang)
        if cached is not None:
            return cached
        return await run_in_threadpool(
            credential_page,
            request,
            session,
            runtime,
            background,
            counter,
            public_id=public_id,
            lang=lang,
        )
    return await run_in_threadpool(_document, session, runtime, public_id, format)


def _document(
    session: SessionDep, runtime: RuntimeDep, public_id: str, format: str | None
) -> Response:
    credential = session.scalar(select(Credential).where(Credential.public_id == public_id))
    if credential is None:
        raise NotFound("There is no credential at this address.")
    if credential.private:
        raise Forbidden(
            "Its owner made this credential private; a copy of it still verifies on its own."
        )
    if credential.imported:
        # Not ours to re-sign: the original, exactly as it was imported.
        original = credential.imported_document
        if original is None or format is not None:
            raise NotFound(
                "This credential was issued elsewhere and imported here; "
                "only its original document is kept, in its original format."
            )
        if isinstance(original, str):
            return Response(original, media_type="application/vc+jwt")
        return JSONResponse(original, media_type=VC_MEDIA_TYPE)
    if credential.document is None:
        raise NotFound("This credential is being signed; try again in a moment.")
    organization = session.get(Organization, credential.organization_id)
    chosen = format or (organization.default_proof_format if organization else "eddsa-rdfc-2022")
    signed = issuance.in_format(session, runtime, credential=credential, proof_format=chosen)
    if isinstance(signed, str):
        return Response(signed, media_type="application/vc+jwt")
    return JSONResponse(signed, media_type=VC_MEDIA_TYPE)


@router.get("/orgs/{slug}/did.json", summary="The issuer's DID document (did:web)")
def did_document(slug: str, session: SessionDep, runtime: RuntimeDep) -> dict[str, Any]:
    organization = session.scalar(select(Organization).where(Organization.slug == slug))
    did = (
        issuance.organization_did(runtime.settings.public_base_url, organization)
        if organization is not None
        else None
    )
    if organization is None or did is None:
        raise NotFound("No did:web document here (it needs an https PLAUDIT_PUBLIC_BASE_URL).")
    # Retired keys stay listed so that credentials they signed keep verifying after rotation.
    keys = session.scalars(
        select(SigningKey)
        .where(
            SigningKey.organization_id == organization.id,
            SigningKey.algorithm == KeyAlgorithm.ED25519,
        )
        .order_by(SigningKey.created_at)
    ).all()
    methods = [
        {
            "id": f"{did}#{key.id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey.ed25519_public_multibase(issuance.raw_public_key(key)),
        }
        for key in keys
    ]
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
