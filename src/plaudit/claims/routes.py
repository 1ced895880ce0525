"""The claims API: offer a credential to a wallet from an LMS or a script, list the offers and
what wallets did with them, and withdraw one that was not taken."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, ReadPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageDep, paginate
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.claims import links, queries, tokens
from plaudit.claims import service as claims
from plaudit.claims.schemas import ClaimOut
from plaudit.credentials import queries as credential_queries
from plaudit.errors import Conflict, not_found
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.claim import Claim
from plaudit.runtime import Runtime

router = APIRouter(tags=["credentials"], route_class=UnitOfWorkRoute)
PATH = f"{API_PREFIX}/credentials/{{credential_id}}/claims"


def _credential(
    session: Session, organization_id: uuid.UUID, credential_id: uuid.UUID
) -> Credential:
    credential = credential_queries.find(
        session, organization_id=organization_id, credential_id=credential_id
    )
    if credential is None:
        raise not_found("credential", credential_id)
    return credential


def out(runtime: Runtime, claim: Claim) -> ClaimOut:
    base, vault = runtime.settings.public_base_url, runtime.vault
    return ClaimOut(
        id=claim.id,
        credential_id=claim.credential_id,
        status=claim.status,
        expires_at=claim.expires_at,
        interaction_url=links.interaction_url(base, vault, claim),
        offer_uri=links.offer_uri(base, vault, claim),
        offer_link=links.offer_link(base, vault, claim),
        lcw_link=links.lcw_link(base, vault, claim),
        tx_code=tokens.tx_code(vault, claim.id) if claim.tx_code_required else None,
        claimed_at=claim.claimed_at,
        protocol=claim.protocol,
        wallet=claim.wallet,
        holder=claim.holder,
        notice=claim.notice,
        noticed_at=claim.noticed_at,
        created_at=claim.created_at,
    )


@router.post(
    PATH,
    response_model=ClaimOut,
    status_code=201,
    summary="Offer the credential to a wallet: its open claim, or a new one",
    dependencies=[Idempotent],
)
def offer(
    credential_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, principal: IssuePrincipal
) -> ClaimOut:
    credential = _credential(session, principal.organization_id, credential_id)
    if credential.status is not CredentialStatus.ACTIVE:
        raise Conflict(
            f"The credential is {credential.status.value}: only an active credential can be "
            "offered to a wallet."
        )
    claim = claims.current_claim(session, runtime.settings, credential=credential)
    return out(runtime, claim)


@router.get(PATH, response_model=Page[ClaimOut], summary="The credential's wallet offers")
def list_claims(
    credential_id: uuid.UUID,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: ReadPrincipal,
    page: PageDep,
) -> Page[ClaimOut]:
    credential = _credential(session, principal.organization_id, credential_id)
    rows, cursor = paginate(
        session, queries.of_credential_query(credential.id), id_column=Claim.id, params=page
    )
    return Page(items=[out(runtime, claim) for claim in rows], next_cursor=cursor)


@router.post(
    f"{PATH}/{{claim_id}}/withdraw",
    response_model=ClaimOut,
    summary="Withdraw an offer no wallet has taken yet",
    dependencies=[Idempotent],
)
def withdraw(
    credential_id: uuid.UUID,
    claim_id: uuid.UUID,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: IssuePrincipal,
) -> ClaimOut:
    credential = _credential(session, principal.organization_id, credential_id)
    claim = queries.find(session, credential_id=credential.id, claim_id=claim_id)
    if claim is None:
        raise not_found("claim", claim_id)
    claims.withdraw(session, claim)
    return out(runtime, claim)
