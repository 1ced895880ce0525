"""Users, passwords and memberships."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from plaudit.errors import Conflict, InvalidInput, not_found
from plaudit.models.user import Membership, Role, User
from plaudit.users.passwords import MIN_LENGTH, hash_password, verify_password


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"The password must have at least {MIN_LENGTH} characters.",
            extra={"errors": [{"field": "password", "reason": f"is shorter than {MIN_LENGTH}"}]},
        )


def get_or_create_user(
    session: Session, *, email: str, name: str | None = None, password: str | None = None
) -> User:
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        if password is not None:
            check_password_strength(password)
        user = User(
            email=email,
            name=name,
            password_hash=hash_password(password) if password is not None else None,
        )
        session.add(user)
        session.flush()
    elif password is not None:
        set_password(session, user=user, password=password)
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    session.flush()


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def add_member(
    session: Session, *, organization_id: uuid.UUID, user: User, role: Role
) -> Membership:
    existing = session.get(Membership, (user.id, organization_id))
    if existing is not None:
        raise Conflict(f"{user.email} is already a member (role {existing.role.value}).")
    membership = Membership(user_id=user.id, organization_id=organization_id, role=role)
    session.add(membership)
    session.flush()
    return membership


def members_query(*, organization_id: uuid.UUID) -> Select[Membership, User]:
    return (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id)
    )


def get_member(
    session: Session, *, organization_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, User]:
    row = session.execute(
        members_query(organization_id=organization_id).where(User.id == user_id)
    ).first()
    if row is None:
        raise not_found("member", user_id)
    return row[0], row[1]


def _owners(session: Session, organization_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == organization_id, Membership.role == Role.OWNER)
        )
        or 0
    )


def change_role(
    session: Session, *, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> tuple[Membership, User]:
    membership, user = get_member(session, organization_id=organization_id, user_id=user_id)
    if (
        membership.role is Role.OWNER
        and role is not Role.OWNER
        and _owners(session, organization_id) == 1
    ):
        raise Conflict("This is the organization's last owner; make someone else owner first.")
    membership.role = role
    session.flush()
    return membership, user


def remove_member(session: Session, *, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    membership, _ = get_member(session, organization_id=organization_id, user_id=user_id)
    if membership.role is Role.OWNER and _owners(session, organization_id) == 1:
        raise Conflict("This is the organization's last owner; make someone else owner first.")
    session.delete(membership)
    session.flush()
