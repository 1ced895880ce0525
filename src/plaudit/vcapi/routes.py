"""The W3C VC API endpoints (https://w3c-ccg.github.io/vc-api/): issue, verify, verify a VP."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from plaudit.api.deps import IssuePrincipal, RuntimeDep, SessionDep
from plaudit.api.openapi import RATE_LIMITED
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.schemas import Input
from plaudit.vcapi import service as vcapi
from plaudit.verification.routes import RATE_LIMIT

router = APIRouter(tags=["vc api"], route_class=UnitOfWorkRoute)


class _Options(BaseModel):
    # The VC API lets options grow; ones we do not use are ignored rather than refused.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class IssueOptionsIn(_Options):
    proof_format: Literal["eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt"] = Field(
        default="eddsa-rdfc-2022", alias="proofFormat"
    )
    created: str | None = Field(default=None, description="The proof's created dateTime.")
    alg: Literal["EdDSA", "RS256"] | None = Field(
        default=None, description="For vc-jwt: EdDSA (default) or RS256."
    )


class IssueIn(Input):
    credential: dict[str, Any] = Field(description="An unsigned VC 2.0 credential.")
    options: IssueOptionsIn = Field(default_factory=IssueOptionsIn)


class IssueOut(BaseModel):
    verifiableCredential: dict[str, Any] = Field(  # the VC API's name
        description="The signed credential; for proofFormat vc-jwt, an "
        "EnvelopedVerifiableCredential whose id is data:application/vc+jwt,<the VC-JWT>."
    )


class VerifyOptionsIn(_Options):
    challenge: str | None = Field(
        default=None,
        description="The challenge the presentation's proof must carry (presentations only).",
    )
    domain: str | None = Field(
        default=None,
        description="The domain the presentation's proof must be bound to (presentations only).",
    )
    checks: list[str] | None = Field(
        default=None,
        description="The optional checks to make: any of schema, validity, status (all when "
        "absent). The data model and the proofs are always checked.",
    )

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or ()) - vcapi.KNOWN_CHECKS)
        if unknown:
            known = ", ".join(sorted(vcapi.KNOWN_CHECKS))
            raise ValueError(f"unknown check {unknown[0]!r}: the checks are {known}")
        return value

    def requested(self) -> frozenset[str] | None:
        return None if self.checks is None else frozenset(self.checks)


class VerifyCredentialIn(Input):
    verifiableCredential: dict[str, Any] | str = Field(  # the VC API's name
        description="The credential: an object with its proofs, or an "
        "EnvelopedVerifiableCredential holding a VC-JWT. A string is refused (not a map)."
    )
    options: VerifyOptionsIn = Field(default_factory=VerifyOptionsIn)


class VerifyPresentationIn(Input):
    verifiablePresentation: dict[str, Any]  # the VC API's name
    options: VerifyOptionsIn = Field(default_factory=VerifyOptionsIn)


class VerificationResult(BaseModel):
    verified: bool
    checks: list[str] = Field(description="The checks that passed.")
    warnings: list[dict[str, str]] = Field(description="Problem details of warnings.")
    errors: list[dict[str, str]] = Field(description="Problem details of failed checks.")


def _answer(result: vcapi.Result) -> JSONResponse:
    return JSONResponse(result.body(), status_code=200 if result.verified else 400)


@router.post(
    "/credentials/issue",
    response_model=IssueOut,
    status_code=201,
    summary="Sign a credential with the organization's key (VC API)",
)
def issue(
    body: IssueIn, session: SessionDep, runtime: RuntimeDep, principal: IssuePrincipal
) -> IssueOut:
    # Writes nothing (keys exist already, or are provisioned idempotently): safe to retry.
    signed = vcapi.issue(
        session,
        runtime,
        organization_id=principal.organization_id,
        credential=body.credential,
        options=vcapi.IssueOptions(
            proof_format=body.options.proof_format,
            created=body.options.created,
            alg=body.options.alg,
        ),
    )
    return IssueOut(verifiableCredential=signed)


@router.post(
    "/credentials/verify",
    response_model=VerificationResult,
    responses={400: {"model": VerificationResult, "description": "Not verified"}, **RATE_LIMITED},
    dependencies=[RATE_LIMIT],
    summary="Verify a credential (VC API)",
)
def verify_credential(
    body: VerifyCredentialIn, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    result = vcapi.verify_credential(
        session,
        base_url=runtime.settings.public_base_url,
        credential=body.verifiableCredential,
        checks=body.options.requested(),
    )
    return _answer(result)


@router.post(
    "/presentations/verify",
    response_model=VerificationResult,
    responses={400: {"model": VerificationResult, "description": "Not verified"}, **RATE_LIMITED},
    dependencies=[RATE_LIMIT],
    summary="Verify a presentation and every credential in it (VC API)",
)
def verify_presentation(
    body: VerifyPresentationIn, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    result = vcapi.verify_presentation(
        session,
        base_url=runtime.settings.public_base_url,
        presentation=body.verifiablePresentation,
        challenge=body.options.challenge,
        domain=body.options.domain,
        checks=body.options.requested(),
    )
    return _answer(result)
