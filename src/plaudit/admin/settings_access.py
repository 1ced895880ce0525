"""Dashboard settings: who may use the organization. API keys (the token shown once), and
members: roles, removal (never the last owner), invitations by email, and withdrawing them."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from plaudit.admin.forms import FormErrors, errors_from, parse, text, texts, values
from plaudit.admin.settings_common import SETTINGS, page, sub_router, uuid_or_404
from plaudit.admin.web import Admin, Editor, FormDep, Viewer, paged, redirect, window
from plaudit.api.deps import SessionDep
from plaudit.apikeys import queries as apikey_queries
from plaudit.apikeys import service as apikeys
from plaudit.apikeys.schemas import ApiKeyCreate
from plaudit.db import utcnow
from plaudit.errors import Conflict
from plaudit.models.apikey import Scope
from plaudit.models.user import Role
from plaudit.users import invitations
from plaudit.users import queries as user_queries
from plaudit.users import service as users
from plaudit.users.schemas import MemberCreate

router = sub_router()
KEYS = f"{SETTINGS}/api-keys"
MEMBERS = f"{SETTINGS}/members"

SCOPE_HELP = {
    Scope.READ: "read everything",
    Scope.WRITE: "change templates, rules and learners (implies read)",
    Scope.ISSUE: "send events and issue credentials",
    Scope.ADMIN: "everything, keys and settings included",
}
ROLE_HELP = {
    Role.OWNER: "everything, and owners can never all leave",
    Role.ADMIN: "everything in the dashboard",
    Role.VIEWER: "looks at everything, changes nothing",
}
MAX_INVITATIONS_SHOWN = 100


# --- API keys ----------------------------------------------------------------------------


def _keys_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    found = apikey_queries.listing(
        session, organization_id=admin.organization_id, window=window(request)
    )
    return page(
        request,
        admin,
        "admin/settings_api_keys.html",
        "api-keys",
        {
            "paged": paged(request, found),
            "form": form if form is not None else {"scopes": [Scope.READ.value]},
            "errors": errors or FormErrors(),
            "scopes": [(s.value, SCOPE_HELP[s]) for s in Scope],
        },
        status=status,
    )


@router.get("/settings/api-keys")
def api_keys(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _keys_page(request, admin, session)


@router.post("/settings/api-keys")
def create_api_key(request: Request, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    body, errors = parse(
        ApiKeyCreate, {"name": text(form, "name"), "scopes": texts(form, "scopes")}
    )
    if not text(form, "name"):
        errors.fields["name"] = "Name the key after the system that will use it."
    if not texts(form, "scopes"):
        errors.fields["scopes"] = "Choose at least one scope."
    if errors or body is None:
        kept: dict[str, Any] = values(form)
        kept["scopes"] = texts(form, "scopes")
        return _keys_page(request, admin, session, form=kept, errors=errors, status=422)
    key, token = apikeys.create(
        session, organization_id=admin.organization_id, name=body.name, scopes=body.scopes
    )
    # Shown in this response only: the database keeps a hash of the secret.
    return page(
        request,
        admin,
        "admin/settings_secret.html",
        "api-keys",
        {
            "heading": f"API key “{key.name}” created",
            "what": f"Send it as 'Authorization: Bearer <key>'. Scopes: {', '.join(key.scopes)}.",
            "items": [("API key", token)],
            "back": KEYS,
            "back_label": "Back to the API keys",
        },
    )


@router.post("/settings/api-keys/{key_id}/revoke")
def revoke_api_key(key_id: str, admin: Editor, session: SessionDep) -> Response:
    key = apikeys.revoke(
        session, organization_id=admin.organization_id, key_id=uuid_or_404(key_id, "API key")
    )
    return redirect(
        KEYS, flash=f"The key “{key.name}” ({key.prefix}) is revoked; it stops working now."
    )


# --- members -----------------------------------------------------------------------------


def _members_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    *,
    form: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    found = user_queries.members(
        session, organization_id=admin.organization_id, window=window(request)
    )
    return page(
        request,
        admin,
        "admin/settings_members.html",
        "members",
        {
            "paged": paged(request, found),
            "invitations": invitations.pending(
                session,
                organization_id=admin.organization_id,
                now=utcnow(),
                limit=MAX_INVITATIONS_SHOWN,
            ),
            "max_invitations": MAX_INVITATIONS_SHOWN,
            "form": form if form is not None else {"role": Role.VIEWER.value},
            "errors": errors or FormErrors(),
            "roles": [(r.value, f"{r.value} — {ROLE_HELP[r]}") for r in Role],
        },
        status=status,
    )


@router.get("/settings/members")
def members(request: Request, admin: Viewer, session: SessionDep) -> Response:
    return _members_page(request, admin, session)


# Admins manage admins and viewers; only an owner makes, unmakes or removes an owner (an admin
# could otherwise make themselves owner and remove the others).
OWNERS_ONLY = "Only an owner can give or take away the owner role, or remove an owner."


@router.post("/settings/members/invite")
def invite_member(request: Request, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    body, errors = parse(MemberCreate, {"email": text(form, "email"), "role": text(form, "role")})
    if not text(form, "email"):
        errors.fields["email"] = "Enter the address to send the invitation to."
    if body is not None and body.role is Role.OWNER and not admin.is_owner:
        errors.add("role", OWNERS_ONLY)
    if body is not None and not errors:
        try:
            invitation = invitations.invite(
                session,
                organization_id=admin.organization_id,
                email=str(body.email),
                role=body.role,
                invited_by=admin.user.id,
                now=utcnow(),
            )
        except Conflict as exc:
            errors.add("email", exc.detail)
        else:
            return redirect(
                MEMBERS,
                flash=f"An invitation to join as {invitation.role.value} is on its way to "
                f"{invitation.email}; it works for 7 days.",
            )
    return _members_page(request, admin, session, form=values(form), errors=errors, status=422)


def _role(value: str) -> Role | None:
    return next((r for r in Role if r.value == value), None)


@router.post("/settings/members/{user_id}/role")
def change_role(user_id: str, admin: Editor, form: FormDep, session: SessionDep) -> Response:
    ident = uuid_or_404(user_id, "member")
    role = _role(text(form, "role"))
    if role is None:
        return redirect(MEMBERS, flash="Choose owner, admin or viewer.", kind="error")
    current, _ = users.get_member(session, organization_id=admin.organization_id, user_id=ident)
    if Role.OWNER in (role, current.role) and not admin.is_owner:
        return redirect(MEMBERS, flash=OWNERS_ONLY, kind="error")
    try:
        _, user = users.change_role(
            session, organization_id=admin.organization_id, user_id=ident, role=role
        )
    except Conflict as exc:
        return redirect(MEMBERS, flash=exc.detail, kind="error")
    return redirect(MEMBERS, flash=f"{user.email} is now {role.value}.")


@router.post("/settings/members/{user_id}/remove")
def remove_member(user_id: str, admin: Editor, session: SessionDep) -> Response:
    ident = uuid_or_404(user_id, "member")
    membership, user = users.get_member(
        session, organization_id=admin.organization_id, user_id=ident
    )
    if membership.role is Role.OWNER and not admin.is_owner:
        return redirect(MEMBERS, flash=OWNERS_ONLY, kind="error")
    email = user.email
    try:
        users.remove_member(session, organization_id=admin.organization_id, user_id=ident)
    except Conflict as exc:
        return redirect(MEMBERS, flash=errors_from(exc).general or exc.detail, kind="error")
    return redirect(MEMBERS, flash=f"{email} is no longer a member.")


@router.post("/settings/invitations/{invitation_id}/withdraw")
def withdraw_invitation(invitation_id: str, admin: Editor, session: SessionDep) -> Response:
    try:
        invitation = invitations.withdraw(
            session,
            organization_id=admin.organization_id,
            invitation_id=uuid_or_404(invitation_id, "invitation"),
            now=utcnow(),
        )
    except Conflict as exc:
        return redirect(MEMBERS, flash=exc.detail, kind="error")
    return redirect(
        MEMBERS,
        flash=f"The invitation to {invitation.email} is withdrawn; its link no longer works.",
    )
