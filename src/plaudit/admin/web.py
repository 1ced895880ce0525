"""What every dashboard page shares: who is signed in, CSRF, flashes, rendering, paging.

Pages are GET routes that render; changes are POST forms that redirect (303) on success, or
render the form again with the messages beside the fields (422) and what the user typed.
Every POST carries the session's CSRF token and is refused if the browser says it came from
another site. Viewers can look at everything and change nothing.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.datastructures import FormData

from plaudit.admin import trace_words
from plaudit.api.deps import SessionDep
from plaudit.api.numbered import PER_PAGE, NumberedPage, Window
from plaudit.db import utcnow
from plaudit.errors import Forbidden, Unauthenticated
from plaudit.models.user import AdminSession, Role
from plaudit.users import signin

ADMIN = "/admin"
SESSION_COOKIE = "plaudit_admin"
FLASH_COOKIE = "plaudit_flash"
LOGIN_CSRF_COOKIE = "plaudit_login_csrf"
TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "connect-src 'self'; frame-src 'self'; object-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _tojson_attr(value: Any) -> Markup:
    """JSON for a data-* attribute (escaped as an attribute value)."""
    from markupsafe import escape

    return Markup(escape(json.dumps(value, ensure_ascii=False)))  # noqa: S704 (escaped)


env.filters["json_attr"] = _tojson_attr
env.filters["trace_words"] = trace_words.in_words


# --- who is signed in --------------------------------------------------------------------


@dataclass(frozen=True)
class OrgChoice:
    id: uuid.UUID
    name: str
    role: Role


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    email: str
    name: str | None


@dataclass(frozen=True)
class CurrentOrg:
    id: uuid.UUID
    name: str
    slug: str


@dataclass(frozen=True)
class Admin:
    """The signed-in person and the organization the dashboard shows (plain values, usable
    after the request's transaction ended, e.g. on an error page)."""

    user: Person
    organization: CurrentOrg
    role: Role
    organizations: tuple[OrgChoice, ...]
    csrf: str
    session_id: uuid.UUID

    @property
    def can_edit(self) -> bool:
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER

    @property
    def organization_id(self) -> uuid.UUID:
        return self.organization.id


class LoginRequired(Unauthenticated):
    """Raised by dashboard pages without a valid session; answered with the sign-in page."""

    def __init__(self) -> None:
        super().__init__("Sign in to use the dashboard.")


class NoOrganization(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Your account belongs to no organization. Ask an owner to invite you, or create "
            "one with 'plaudit org create'."
        )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _load(request: Request, session: SessionDep) -> tuple[Admin, AdminSession]:
    cached = getattr(request.state, "admin", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found = signin.signed_in(session, session_token(request), now=utcnow())
    if found is None:
        raise LoginRequired
    row, user, choices = found.session, found.user, found.memberships
    if not choices:
        raise NoOrganization
    current = next((c for c in choices if c[1].id == row.organization_id), choices[0])
    org = current[1]
    admin = Admin(
        user=Person(user.id, user.email, user.name),
        organization=CurrentOrg(org.id, org.name, org.slug),
        role=current[0].role,
        organizations=tuple(OrgChoice(o.id, o.name, m.role) for m, o in choices),
        csrf=row.csrf_token,
        session_id=row.id,
    )
    request.state.admin = (admin, row)
    return admin, row


def _viewer(request: Request, session: SessionDep) -> Admin:
    return _load(request, session)[0]


async def read_form(request: Request) -> FormData:
    if request.method != "POST":
        return FormData()
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def check_same_site(request: Request) -> None:
    """Browsers say where a request came from; a form posted from another site is refused."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden("This form was posted from another site; it was refused.")
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        expected = f"{request.url.scheme}://{request.url.netloc}"
        if origin.rstrip("/") != expected:
            raise Forbidden("This form was posted from another site; it was refused.")


def check_csrf(request: Request, form: FormData, expected: str) -> None:
    check_same_site(request)
    given = form.get("csrf_token")
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise Forbidden(
            "The form's security token is missing or out of date. Reload the page and try again."
        )


def _member(request: Request, session: SessionDep, form: FormDep) -> Admin:
    admin, row = _load(request, session)
    check_csrf(request, form, row.csrf_token)
    return admin


def _editor(request: Request, session: SessionDep, form: FormDep) -> Admin:
    admin = _member(request, session, form)
    if not admin.can_edit:
        raise Forbidden("Viewers can look at everything but change nothing; ask an owner.")
    return admin


def _owner(request: Request, session: SessionDep, form: FormDep) -> Admin:
    admin = _member(request, session, form)
    if not admin.is_owner:
        raise Forbidden("Only an owner of the organization can do this.")
    return admin


# GET pages: anyone signed in. POST forms: Member (CSRF only), Editor (owner or admin), Owner.
Viewer = Annotated[Admin, Depends(_viewer)]
Member = Annotated[Admin, Depends(_member)]
Editor = Annotated[Admin, Depends(_editor)]
Owner = Annotated[Admin, Depends(_owner)]


def admin_session_row(request: Request) -> AdminSession | None:
    cached = getattr(request.state, "admin", None)
    return cached[1] if cached else None


# --- forms -------------------------------------------------------------------------------


# --- rendering ---------------------------------------------------------------------------


def set_flash(response: Response, message: str, kind: str = "ok") -> None:
    response.set_cookie(
        FLASH_COOKIE,
        quote(json.dumps({"message": message[:500], "kind": kind})),
        path=ADMIN,
        httponly=True,
        samesite="lax",
        max_age=60,
    )


def _pop_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    from urllib.parse import unquote

    try:
        data = json.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {"message": str(data.get("message", "")), "kind": str(data.get("kind", "ok"))}


def redirect(url: str, *, flash: str | None = None, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, flash, kind)
    return response


def render(
    request: Request,
    admin: Admin | None,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    section: str = "",
) -> HTMLResponse:
    flash = _pop_flash(request)
    html = env.get_template(template).render(
        request=request,
        admin=admin,
        csrf=admin.csrf if admin else "",
        flash=flash,
        section=section,
        path=request.url.path,
        **(context or {}),
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path=ADMIN)
    return response


def error_page(request: Request, exc: Exception, status: int, title: str, detail: str) -> Response:
    """Errors under /admin as pages (problem+json stays for clients asking for JSON)."""
    if "application/json" in request.headers.get("accept", "") and "text/html" not in (
        request.headers.get("accept", "")
    ):
        return None  # type: ignore[return-value]
    if isinstance(exc, LoginRequired):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            target = ADMIN
        response = RedirectResponse(f"{ADMIN}/login?{urlencode({'next': target})}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=ADMIN)
        return response
    cached = getattr(request.state, "admin", None)
    admin = cached[0] if cached else None
    return render(
        request,
        admin,
        "admin/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


# --- lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paged:
    """One page of a list, with what the pager needs to link the others (same filters)."""

    items: list[Any]
    page: int
    pages: int
    total: int
    base_query: dict[str, str]
    param: str = "page"

    def url(self, page: int) -> str:
        query = {**self.base_query, self.param: str(page)}
        return "?" + urlencode({k: v for k, v in query.items() if v not in ("", None)})

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(request: Request, param: str = "page") -> int:
    raw = request.query_params.get(param, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def window(request: Request, *, param: str = "page", per_page: int = PER_PAGE) -> Window:
    """The page of a list the address asks for (``param`` names its query parameter: two
    lists on one page need two)."""
    return Window(page_number(request, param), per_page)


def paged(request: Request, found: NumberedPage[Any], *, param: str = "page") -> Paged:
    """A page a feature's query found, with the links to the others (same filters)."""
    base = {k: v for k, v in request.query_params.items() if k != param}
    return Paged(
        items=found.items,
        page=found.page,
        pages=found.pages,
        total=found.total,
        base_query=base,
        param=param,
    )


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
