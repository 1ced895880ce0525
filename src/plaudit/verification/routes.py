"""POST /api/v1/verify: public, rate-limited verification of a credential."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.limits import per_address
from plaudit.api.openapi import RATE_LIMITED
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.engagement.deps import Tally, TallyDep
from plaudit.models.award import Credential
from plaudit.models.engagement import Engagement
from plaudit.openbadges.report import Report
from plaudit.schemas import Input, Output
from plaudit.verification import service as verification

router = APIRouter(
    prefix=f"{API_PREFIX}/verify", tags=["verification"], route_class=UnitOfWorkRoute
)

MAX_FILE = 5 * 1024 * 1024


class VerifyIn(Input):
    credential: dict[str, Any] | str | None = Field(
        default=None, description="A credential as JSON, or a VC-JWT string."
    )
    url: str | None = Field(default=None, max_length=2048, description="A credential URL of ours.")

    @model_validator(mode="after")
    def _one(self) -> VerifyIn:
        if (self.credential is None) == (self.url is None):
            raise ValueError("send exactly one of 'credential' or 'url'")
        return self


class CheckOut(Output):
    name: str
    verdict: str
    message: str


class VerifyOut(Output):
    valid: bool
    outcome: str = Field(description="Valid, Warning or Invalid")
    checks: list[CheckOut]
    credential: dict[str, Any] | None


def _out(report: Report) -> VerifyOut:
    return VerifyOut(
        valid=report.valid,
        outcome=report.outcome,
        checks=[
            CheckOut(name=c.name, verdict=c.verdict.value, message=c.message) for c in report.checks
        ],
        credential=report.credential,
    )


def _count(session: Session, tally: Tally, report: Report) -> None:
    """A verification of one of our credentials counts towards its engagement."""
    prefix = f"{tally.runtime.settings.public_base_url}/credentials/"
    ident = str((report.credential or {}).get("id", ""))
    if not ident.startswith(prefix) or "\x00" in ident:  # no stored id holds a NUL
        return
    row = session.execute(
        select(Credential.id, Credential.organization_id).where(
            Credential.public_id == ident.removeprefix(prefix)
        )
    ).one_or_none()
    if row is not None:
        tally.count(
            organization_id=row.organization_id,
            credential_id=row.id,
            kind=Engagement.VERIFICATION,
        )


# Verification needs no account and costs milliseconds of CPU: each client address gets
# PLAUDIT_VERIFY_RATE_LIMIT.
RATE_LIMIT = per_address("verify", "Too many verifications from this address; wait a few seconds.")


@router.post(
    "",
    response_model=VerifyOut,
    responses=RATE_LIMITED,
    dependencies=[RATE_LIMIT],
    summary="Verify a credential (JSON, VC-JWT, or one of our URLs)",
)
def verify(
    body: VerifyIn,
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
) -> VerifyOut:
    base = runtime.settings.public_base_url
    if body.url is not None:
        report = verification.by_url(session, base_url=base, url=body.url)
    else:
        assert body.credential is not None
        report = verification.verify(session, base_url=base, data=body.credential)
    _count(session, tally, report)
    return _out(report)


@router.post(
    "/file",
    response_model=VerifyOut,
    responses=RATE_LIMITED,
    dependencies=[RATE_LIMIT],
    summary="Verify a file: JSON, JWT, a baked PNG/SVG or a PDF certificate",
)
async def verify_file(
    file: Annotated[UploadFile, File()],
    session: SessionDep,
    runtime: RuntimeDep,
    tally: TallyDep,
) -> VerifyOut:
    data = await file.read(MAX_FILE + 1)
    base = runtime.settings.public_base_url
    report = await run_in_threadpool(verification.verify, session, base_url=base, data=data)
    await run_in_threadpool(_count, session, tally, report)
    return _out(report)
