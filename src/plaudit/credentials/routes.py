"""Public routes: the issuer's DID document; the signed document a credential's id serves
(pages/document.py routes the id, since a browser gets the page there)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials import issuance
from plaudit.errors import Forbidden, NotFound
from plaudit.keys import service as keys
from plaudit.models.award import Credential
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.openbadges import multikey

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)

VC_MEDIA_TYPE = "application/vc+ld+json"


def document_response(
    session: SessionDep, runtime: RuntimeDep, public_id: str, format: str | None
) -> Response:
    """The signed document at a credential's id, in the format asked for or the issuer's."""
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
    # Every key that signs anything is listed (Ed25519 for Data Integrity proofs and EdDSA
    # VC-JWTs, RSA for RS256 VC-JWTs), under the id their proofs' verificationMethod and their
    # JWTs' kid name. Retired keys stay listed so that what they signed keeps verifying.
    signing_keys = session.scalars(
        select(SigningKey)
        .where(SigningKey.organization_id == organization.id)
        .order_by(SigningKey.created_at, SigningKey.id)
    ).all()
    methods = [_verification_method(did, key) for key in signing_keys]
    ids = [m["id"] for m in methods]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
            "https://w3id.org/security/jwk/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def _verification_method(did: str, key: SigningKey) -> dict[str, Any]:
    method = {"id": f"{did}#{key.id}", "controller": did}
    if key.algorithm is KeyAlgorithm.ED25519:
        # Multikey: what eddsa-rdfc-2022 and eddsa-jcs-2022 verifiers expect.
        raw = issuance.raw_public_key(key)
        return {
            **method,
            "type": "Multikey",
            "publicKeyMultibase": multikey.ed25519_public_multibase(raw),
        }
    jwk = {k: v for k, v in keys.public_jwk(key).items() if k in {"kty", "n", "e", "alg"}}
    return {**method, "type": "JsonWebKey", "publicKeyJwk": jwk}
