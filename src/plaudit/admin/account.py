"""Dashboard pages for signing in and out, resetting a password, accepting an invitation and
switching organization."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from plaudit.admin.forms import FormErrors, errors_from, text
from plaudit.admin.web import (
    ADMIN,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    FormDep,
    Member,
    admin_session_row,
    check_same_site,
    parse_uuid,
    redirect,
    render,
    session_token,
)
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import unit_of_work, utcnow
from plaudit.errors import Forbidden, PlauditError
from plaudit.runtime import Runtime
from plaudit.users import invitations, signin
from plaudit.users.passwords import MIN_LENGTH

# Sign-in, resets and invitations run their own transaction (a failed sign-in is counted even
# though the request fails) and never touch the request's session; signed-in forms use it.
router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def _safe_next(value: str | None) -> str:
    """Only a path inside the dashboard: never an address elsewhere."""
    if value and value.startswith(ADMIN) and not value.startswith("//") and "\\" not in value:
        return value
    return f"{ADMIN}/"


def _login_page(
    request: Request,
    *,
    email: str = "",
    next_url: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        None,
        "admin/login.html",
        {
            "email": email,
            "next": _safe_next(next_url),
            "errors": errors or FormErrors(),
            "login_csrf": token,
        },
        status=status,
    )
    runtime: Runtime = request.app.state.runtime
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path=ADMIN,
        httponly=True,
        samesite="strict",
        secure=_secure(runtime),
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "") -> Response:
    return _login_page(request, next_url=next)


def _check_login_csrf(request: Request, form: FormDep) -> None:
    check_same_site(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    given = form.get("csrf_token")
    if not cookie or not isinstance(given, str) or not secrets.compare_digest(cookie, given):
        raise Forbidden(
            "The sign-in form's security token is missing or out of date. Reload the page."
        )


LoginCsrf = Annotated[None, Depends(_check_login_csrf)]


@router.post("/login")
def login(request: Request, form: FormDep, runtime: RuntimeDep, _csrf: LoginCsrf) -> Response:
    email, password = text(form, "email"), form.get("password")
    next_url = text(form, "next")
    errors = FormErrors()
    if not email:
        errors.add("email", "Enter your email address.")
    if not isinstance(password, str) or not password:
        errors.add("password", "Enter your password.")
    if errors:
        return _login_page(request, email=email, next_url=next_url, errors=errors, status=422)
    assert isinstance(password, str)
    now = utcnow()
    # Its own transaction: a failed attempt is counted even though the request fails.
    with unit_of_work(runtime.sessions) as session:
        result = signin.sign_in(session, email=email, password=password, now=now)
        token = signin.open_session(session, user=result.user, now=now) if result.user else None
    if token is None:
        if result.locked_until is not None:
            errors.add(
                "",
                "Too many failed sign-ins: this account is locked until "
                f"{result.locked_until:%H:%M} UTC. Wait, or reset your password.",
            )
        else:
            errors.add("", "That email and password do not match an account.")
        return _login_page(request, email=email, next_url=next_url, errors=errors, status=422)
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=ADMIN,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=ADMIN)
    return response


@router.post("/logout")
def logout(request: Request, admin: Member, session: SessionDep) -> Response:
    del admin
    signin.close_session(session, session_token(request))
    response = redirect(f"{ADMIN}/login", flash="You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path=ADMIN)
    return response


@router.post("/switch")
def switch(request: Request, admin: Member, form: FormDep, session: SessionDep) -> Response:
    target = parse_uuid(text(form, "organization_id"))
    choice = next((o for o in admin.organizations if o.id == target), None)
    row = admin_session_row(request)
    if choice is None or row is None:
        raise Forbidden("You are not a member of that organization.")
    signin.switch_organization(session, row, choice.id)
    return redirect(f"{ADMIN}/", flash=f"Now showing {choice.name}.")


# --- password reset ----------------------------------------------------------------------


@router.get("/password/forgot")
def forgot_form(request: Request) -> Response:
    return _forgot_page(request)


def _forgot_page(
    request: Request, *, email: str = "", errors: FormErrors | None = None, status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        None,
        "admin/forgot.html",
        {"email": email, "errors": errors or FormErrors(), "login_csrf": token},
        status=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path=ADMIN, httponly=True, samesite="strict")
    return response


@router.post("/password/forgot")
def forgot(request: Request, form: FormDep, runtime: RuntimeDep, _csrf: LoginCsrf) -> Response:
    email = text(form, "email")
    if "@" not in email:
        errors = FormErrors()
        errors.add("email", "Enter the email address you sign in with.")
        return _forgot_page(request, email=email, errors=errors, status=422)
    with unit_of_work(runtime.sessions) as session:
        signin.request_reset(session, email=email, now=utcnow())
    # The same answer whether or not the address has an account.
    return redirect(
        f"{ADMIN}/login",
        flash=f"If {email} has an account, a link to choose a new password is on its way.",
    )


def _reset_page(
    request: Request, token: str, *, errors: FormErrors | None = None, status: int = 200
) -> Response:
    login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        None,
        "admin/reset.html",
        {
            "token": token,
            "errors": errors or FormErrors(),
            "login_csrf": login_csrf,
            "min_length": MIN_LENGTH,
        },
        status=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, login_csrf, path=ADMIN, httponly=True, samesite="strict")
    return response


@router.get("/password/reset/{token}")
def reset_form(request: Request, token: str) -> Response:
    return _reset_page(request, token)


@router.post("/password/reset/{token}")
def reset(
    request: Request, token: str, form: FormDep, runtime: RuntimeDep, _csrf: LoginCsrf
) -> Response:
    password, again = form.get("password"), form.get("password_again")
    errors = FormErrors()
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        errors.add("password", f"Choose a password of at least {MIN_LENGTH} characters.")
    elif password != again:
        errors.add("password_again", "The two passwords differ.")
    if errors:
        return _reset_page(request, token, errors=errors, status=422)
    assert isinstance(password, str)
    try:
        with unit_of_work(runtime.sessions) as session:
            signin.reset_password(
                session, runtime.vault, token=token, password=password, now=utcnow()
            )
    except PlauditError as exc:
        errors.add("", exc.detail)
        return _reset_page(request, token, errors=errors, status=422)
    return redirect(f"{ADMIN}/login", flash="Your password is changed; sign in with it.")


# --- invitations -------------------------------------------------------------------------


def _invitation_page(
    request: Request,
    runtime: Runtime,
    token: str,
    *,
    name: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    with unit_of_work(runtime.read_sessions) as session:
        invitation = invitations.open_invitation(session, runtime.vault, token, now=utcnow())
        if invitation is None:
            return render(
                request,
                None,
                "admin/error.html",
                {
                    "status": 404,
                    "title": "This invitation cannot be used",
                    "detail": "It has expired, was withdrawn or was already accepted. "
                    "Ask the person who invited you for a new one.",
                },
                status=404,
            )
        offer = invitations.offer(session, invitation)
        context = {
            "token": token,
            "email": offer.email,
            "role": offer.role.value,
            "organization": offer.organization,
            "has_account": offer.has_account,
            "name": name,
            "errors": errors or FormErrors(),
            "min_length": MIN_LENGTH,
        }
    login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context["login_csrf"] = login_csrf
    response = render(request, None, "admin/invitation.html", context, status=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, login_csrf, path=ADMIN, httponly=True, samesite="strict")
    return response


@router.get("/invitations/{token}")
def invitation_form(request: Request, token: str, runtime: RuntimeDep) -> Response:
    return _invitation_page(request, runtime, token)


@router.post("/invitations/{token}")
def accept(
    request: Request, token: str, form: FormDep, runtime: RuntimeDep, _csrf: LoginCsrf
) -> Response:
    name, password = text(form, "name"), form.get("password")
    errors = FormErrors()
    if not isinstance(password, str) or not password:
        errors.add("password", "Enter a password.")
    if errors:
        return _invitation_page(request, runtime, token, name=name, errors=errors, status=422)
    assert isinstance(password, str)
    now = utcnow()
    try:
        with unit_of_work(runtime.sessions) as session:
            invitation = invitations.open_invitation(session, runtime.vault, token, now=now)
            if invitation is None:
                return _invitation_page(request, runtime, token)
            organization_id = invitation.organization_id
            user = invitations.accept_invitation(
                session, invitation, name=name or None, password=password, now=now
            )
            session_token_value = signin.open_session(
                session, user=user, now=now, organization_id=organization_id
            )
    except PlauditError as exc:
        return _invitation_page(
            request, runtime, token, name=name, errors=errors_from(exc), status=422
        )
    response = redirect(f"{ADMIN}/", flash="Welcome! You have joined the organization.")
    response.set_cookie(
        SESSION_COOKIE,
        session_token_value,
        path=ADMIN,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        max_age=int(signin.SESSION_LIFETIME.total_seconds()),
    )
    return response
