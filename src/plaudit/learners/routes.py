"""HTTP routes of learners, their badges (with counts and logs) and credentials."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from sqlalchemy import select

from plaudit.api import API_PREFIX
from plaudit.api.deps import ReadPrincipal, RuntimeDep, SessionDep
from plaudit.api.pagination import Page, PageDep, PageParams, page_params, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.credentials.schemas import BadgeRecordOut, BadgeStatus
from plaudit.errors import not_found
from plaudit.learners import links
from plaudit.learners import service as learners
from plaudit.learners.schemas import BadgeOut, LearnerBadgeOut, LearnerOut, WalletLinkOut
from plaudit.models.award import Credential
from plaudit.models.learner import Learner
from plaudit.organizations.schemas import LanguageTag

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
    summary="What the learner earned: count, first and last time, the award log, the latest "
    "credential",
)
def badges(
    learner_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    page: PageDep,
) -> Page[BadgeOut]:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    return learners.badge_page(
        session, learner, params=page, base_url=runtime.settings.public_base_url
    )


@router.get(
    "/{learner_id}/badges/{template_id}",
    response_model=LearnerBadgeOut,
    summary="One badge of the learner, with the template's translation for ?lang= or "
    "Accept-Language",
)
def badge(
    learner_id: uuid.UUID,
    template_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    lang: Annotated[
        LanguageTag | None,
        Query(description="Preferred language; falls back to Accept-Language, then the default."),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> LearnerBadgeOut:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    return learners.badge(
        session,
        learner,
        template_id=template_id,
        lang=lang,
        accept_language=accept_language,
        base_url=runtime.settings.public_base_url,
    )


@router.get(
    "/{learner_id}/credentials",
    response_model=Page[BadgeRecordOut],
    summary="The learner's credentials",
)
def learner_credentials(
    learner_id: uuid.UUID,
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: BadgeStatus | None = None,
) -> Page[BadgeRecordOut]:
    learner = learners.get(
        session, organization_id=principal.organization_id, learner_id=learner_id
    )
    stmt = learners.credentials_query(
        organization_id=principal.organization_id, learner_id=learner.id, status=status
    )
    rows, cursor = paginate(session, stmt, id_column=Credential.id, params=page)
    records = learners.badge_records(session, rows, base_url=runtime.settings.public_base_url)
    return Page[BadgeRecordOut](items=records, next_cursor=cursor)


@credentials_router.get("", response_model=Page[BadgeRecordOut], summary="Search credentials")
def list_credentials(
    session: SessionDep,
    principal: ReadPrincipal,
    runtime: RuntimeDep,
    page: Annotated[PageParams, Depends(page_params)],
    template_id: uuid.UUID | None = None,
    status: Annotated[
        BadgeStatus | None,
        Query(description="`expired`: active credentials whose `expires_at` has passed."),
    ] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
) -> Page[BadgeRecordOut]:
    stmt = learners.credentials_query(
        organization_id=principal.organization_id,
        template_id=template_id,
        status=status,
        email=email,
    )
    rows, cursor = paginate(session, stmt, id_column=Credential.id, params=page)
    records = learners.badge_records(session, rows, base_url=runtime.settings.public_base_url)
    return Page[BadgeRecordOut](items=records, next_cursor=cursor)


@credentials_router.get(
    "/{credential_id}", response_model=BadgeRecordOut, summary="Read a credential"
)
def read_credential(
    credential_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, runtime: RuntimeDep
) -> BadgeRecordOut:
    credential = session.scalar(
        select(Credential).where(
            Credential.id == credential_id, Credential.organization_id == principal.organization_id
        )
    )
    if credential is None:
        raise not_found("credential", credential_id)
    [record] = learners.badge_records(
        session, [credential], base_url=runtime.settings.public_base_url
    )
    return record
