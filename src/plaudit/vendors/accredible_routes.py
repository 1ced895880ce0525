"""Accredible's API under /accredible/v1/ (the subset Open edX's badges app calls).

Open edX joins its ``ACCREDIBLE_API_BASE_URL`` with each path below (no trailing slashes, as
Accredible's). The API key names the organization: Accredible's paths carry none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import unit_of_work, utcnow
from plaudit.errors import InvalidInput
from plaudit.vendors import accredible, awarding
from plaudit.vendors.auth import AccredibleIssuer, AccredibleReader
from plaudit.vendors.routing import takes
from plaudit.vendors.schemas import AccredibleCredentialCreate, AccredibleCredentialUpdate

PREFIX = "/accredible/v1"

router = APIRouter(route_class=UnitOfWorkRoute, tags=["Accredible-shaped API"])


@router.get(
    f"{PREFIX}/issuer/all_groups",
    summary="Accredible: every group (published template)",
    dependencies=[takes("page", "page_size")],
)
def all_groups(
    runtime: RuntimeDep,
    principal: AccredibleReader,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
) -> dict[str, Any]:
    # Templates published since the last listing get their numbers in a transaction of their
    # own (this request's only reads, and is rolled back), which then lists them: a snapshot
    # taken before it committed would not show the new numbers.
    with unit_of_work(runtime.sessions) as writing:
        accredible.number_groups(writing, organization_id=principal.organization_id)
        listed = accredible.all_groups(writing, organization_id=principal.organization_id)
    if page > 1:
        listed["groups"] = []  # everything is on the first page
    listed["meta"]["current_page"] = page
    return listed


@router.get(
    f"{PREFIX}/designs/{{design_id}}",
    summary="Accredible: a group's design (its template's image)",
    dependencies=[takes()],
)
def read_design(
    design_id: int, session: SessionDep, runtime: RuntimeDep, principal: AccredibleReader
) -> dict[str, Any]:
    return accredible.design(
        session,
        organization_id=principal.organization_id,
        shown_number=design_id,
        base_url=runtime.settings.public_base_url,
    )


@router.post(
    f"{PREFIX}/credentials",
    summary="Accredible: create a credential (once per id, or per group, email and issued_on)",
    responses={409: {"description": "The template is not published, or needs fields"}},
    dependencies=[takes()],
)
def create_credential(
    body: AccredibleCredentialCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: AccredibleIssuer,
) -> dict[str, Any]:
    wanted = body.credential
    if not wanted.complete:
        raise InvalidInput(
            "Only complete achievements are issued; send complete: true (or leave it out).",
            extra={"errors": [{"field": "credential.complete", "reason": "must be true"}]},
        )
    organization_id = principal.organization_id
    template_id = accredible.target_of(
        session,
        organization_id=organization_id,
        kind=accredible.GROUP,
        shown_number=wanted.group_id,
        what="group",
    )
    credential, _new = awarding.issue(
        session,
        organization_id=organization_id,
        template_id=template_id,
        recipient=awarding.Recipient(
            email=str(wanted.recipient.email),
            first_name=wanted.recipient.name,
            last_name=None,
            external_id=wanted.recipient.id,
        ),
        issued_at=wanted.issued_on or utcnow(),
        expires_at=wanted.expired_on,
        key=accredible.issue_key(
            organization_id,
            template_id,
            str(wanted.recipient.email),
            wanted.issued_on,
            wanted.id,
        ),
        date_fields=("credential.issued_on", "credential.expired_on"),
    )
    return accredible.credential_out(
        session,
        credential,
        organization_id=organization_id,
        base_url=runtime.settings.public_base_url,
    )


@router.patch(
    f"{PREFIX}/credentials/{{credential_id}}",
    summary="Accredible: expire a credential now (revokes it)",
    dependencies=[takes()],
)
def update_credential(
    credential_id: int,
    body: AccredibleCredentialUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: AccredibleIssuer,
) -> dict[str, Any]:
    credential = accredible.expire(
        session,
        organization_id=principal.organization_id,
        shown_number=credential_id,
        expired_on=body.credential.expired_on,
    )
    return accredible.credential_out(
        session,
        credential,
        organization_id=principal.organization_id,
        base_url=runtime.settings.public_base_url,
    )
