"""HTTP routes of learners, their badges (with counts and logs) and credentials."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, RuntimeDep, SessionDep
from plaudit.api.pagination import Page, PageDep, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials.schemas import CredentialOut
from plaudit.errors import not_found
from plaudit.learners import links
from plaudit.learners import service as learners
from plaudit.learners.schemas import BadgeOut, LearnerOut, WalletLinkOut
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.learner import Learner

router = APIRouter(prefix=f"{API_PREFIX}/learners", tags=["learners"], route_class=UnitOfWorkRoute)
credentials_router = APIRouter(
    prefix=f"{API_PREFIX}/credentials", tags=["credentials"], route_class=UnitOfWorkRoute
)


@router.get("", response_model=Page[LearnerOut], summary="List learners")
def list_learners(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=200)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Page[LearnerOut]:
    stmt = learners.query(organization_id=principal.organization_id, search=q, email=email)
    rows, cursor = paginate(session, stmt, id_column=Learner.id, params=page)
    return Page[LearnerOut](items=[LearnerOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/{learner_id}", response_model=LearnerOut, summary="Read a learner")
def read(learner_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal) -> object:
    return learners.get(session, organization_id=principal.organization_id, learner_id=learner_id)


@router.get(
    "/{learner_id}/wallet-link",
    response_model=WalletLinkOut,
    summary="The signed link to the learner's wallet page (give it only to the learner)",
)
def wallet_link(
    learner_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, runtime: RuntimeDep
) -> WalletLinkOut:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    return WalletLinkOut(url=links.url(runtime.settings.public_base_url, runtime.vault, learner.id))


@router.get(
    "/{learner_id}/badges",
    response_model=Page[BadgeOut],
    summary="What the learner earned: count, first and last time, and the award log",
)
def badges(
    learner_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, page: PageDep
) -> Page[BadgeOut]:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    return learners.badge_page(session, learner, params=page)


@router.get(
    "/{learner_id}/credentials",
    response_model=Page[CredentialOut],
    summary="The learner's credentials",
)
def learner_credentials(
    learner_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[CredentialOut]:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    stmt = select(Credential).where(Credential.learner_id == learner.id)
    rows, cursor = paginate(session, stmt, id_column=Credential.id, params=page)
    return Page[CredentialOut](
        items=[CredentialOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@credentials_router.get("", response_model=Page[CredentialOut], summary="Search credentials")
def list_credentials(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    template_id: uuid.UUID | None = None,
    status: CredentialStatus | None = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Page[CredentialOut]:
    stmt = select(Credential).where(Credential.organization_id == principal.organization_id)
    if template_id is not None:
        stmt = stmt.where(Credential.template_id == template_id)
    if status is not None:
        stmt = stmt.where(Credential.status == status)
    if email:
        stmt = stmt.where(Credential.recipient_email == email.lower())
    rows, cursor = paginate(session, stmt, id_column=Credential.id, params=page)
    return Page[CredentialOut](
        items=[CredentialOut.model_validate(r) for r in rows], next_cursor=cursor
    )


@credentials_router.get(
    "/{credential_id}", response_model=CredentialOut, summary="Read a credential"
)
def read_credential(
    credential_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> object:
    credential = session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.organization_id == principal.organization_id
        )
    )
    if credential is None:
        raise not_found("credential", credential_id)
    return credential
