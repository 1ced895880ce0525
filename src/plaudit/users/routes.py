"""HTTP routes of an organization's members."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, ReadPrincipal, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.pagination import Page, PageParams, decode_cursor, encode_cursor, page_params
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.models.user import Membership, User
from plaudit.users import service as users
from plaudit.users.schemas import MemberCreate, MemberOut, MemberUpdate

router = APIRouter(prefix=f"{API_PREFIX}/members", tags=["members"], route_class=UnitOfWorkRoute)


def _out(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        has_password=user.password_hash is not None,
        created_at=membership.created_at,
    )


@router.get("", response_model=Page[MemberOut], summary="List members")
def list_members(
    session: SessionDep,
    principal: ReadPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[MemberOut]:
    stmt = users.members_query(organization_id=principal.organization_id)
    if page.cursor:
        stmt = stmt.where(User.id < decode_cursor(page.cursor))
    rows = session.execute(stmt.order_by(User.id.desc()).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = encode_cursor(rows[-1][1].id) if more else None
    return Page[MemberOut](items=[_out(m, u) for m, u in rows], next_cursor=cursor)


@router.post(
    "",
    response_model=MemberOut,
    status_code=201,
    summary="Add a member (creates the user if new; they set a password later)",
    dependencies=[Idempotent],
)
def add(body: MemberCreate, session: SessionDep, principal: AdminPrincipal) -> MemberOut:
    user = users.get_or_create_user(session, email=body.email, name=body.name)
    membership = users.add_member(
        session, organization_id=principal.organization_id, user=user, role=body.role
    )
    return _out(membership, user)


@router.patch("/{user_id}", response_model=MemberOut, summary="Change a member's role")
def change_role(
    user_id: uuid.UUID, body: MemberUpdate, session: SessionDep, principal: AdminPrincipal
) -> MemberOut:
    membership, user = users.change_role(
        session, organization_id=principal.organization_id, user_id=user_id, role=body.role
    )
    return _out(membership, user)


@router.delete("/{user_id}", status_code=204, summary="Remove a member")
def remove(user_id: uuid.UUID, session: SessionDep, principal: AdminPrincipal) -> Response:
    users.remove_member(session, organization_id=principal.organization_id, user_id=user_id)
    return Response(status_code=204)
