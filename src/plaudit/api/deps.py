"""Dependencies every route uses: the request's session and the authenticated principal."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plaudit.api import API_PREFIX
from plaudit.db import unit_of_work, utcnow
from plaudit.errors import Forbidden, Unauthenticated
from plaudit.models.apikey import ApiKey, Scope
from plaudit.runtime import Runtime
from plaudit.vault import hash_secret

TOKEN_PREFIX = "plaudit_"  # noqa: S105 (a prefix, not a secret)
# Recording last use at most this often keeps read requests from writing on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> Session:
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise RuntimeError("route is not a UnitOfWorkRoute; it has no session")
    return session


# Dependencies that do no I/O are ``async def`` on purpose: FastAPI runs every sync
# dependency in a worker thread, and each hop costs more than the work itself.
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Principal:
    organization_id: uuid.UUID
    api_key_id: uuid.UUID
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        if Scope.ADMIN in self.scopes:
            return True
        if scope is Scope.READ and Scope.WRITE in self.scopes:
            return True
        return scope in self.scopes


def parse_token(token: str) -> tuple[str, str] | None:
    """``plaudit_<prefix>_<secret>`` -> (prefix, secret)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not prefix or not secret:
        return None
    return prefix, secret


def parse_basic(credentials: str) -> tuple[str, str] | None:
    """Basic ``base64(plaudit_<prefix>:<secret>)`` (or ``<prefix>:<secret>``) -> (prefix, secret).

    xAPI clients, authoring tools and LMSs take an LRS's key and secret as a username and a
    password: the API key token splits at its second underscore into the two."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, secret = decoded.partition(":")
    prefix = username.removeprefix(TOKEN_PREFIX)
    if not sep or not prefix or "_" in prefix or not secret:
        return None
    return prefix, secret


XAPI_PREFIX = f"{API_PREFIX}/xapi/"

# Declares the scheme in the OpenAPI document (and on each operation that needs a key);
# authenticate() reads the header itself, to answer each kind of bad key precisely.
API_KEY = HTTPBearer(
    scheme_name="ApiKey",
    bearerFormat="plaudit_<id>_<secret>",
    description="An API key of one organization, with scopes (docs/api.md).",
    auto_error=False,
)


def authenticate(
    request: Request,
    session: SessionDep,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(API_KEY)],
) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "basic" and token.strip():
        # Only where xAPI tools need it: a browser remembers Basic credentials and sends them
        # unasked, which the rest of the API has no reason to allow.
        if not request.url.path.startswith(XAPI_PREFIX):
            raise Unauthenticated(
                "Basic credentials are accepted only by the xAPI endpoint "
                f"({XAPI_PREFIX}); send 'Authorization: Bearer <key>'."
            )
        parsed = parse_basic(token.strip())
        if parsed is None:
            raise Unauthenticated(
                "The Basic credentials are malformed; the username is the key's "
                "'plaudit_<id>' and the password its '<secret>'."
            )
    elif scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send an API key as 'Authorization: Bearer <key>'.")
    else:
        parsed = parse_token(token.strip())
    return principal_of_key(request, session, parsed)


def principal_of_key(
    request: Request, session: Session, parsed: tuple[str, str] | None
) -> Principal:
    """The principal of an API key (prefix, secret) however it was sent; records its use, and
    remembers the principal on the request. Every scheme that carries a key ends here."""
    if parsed is None:
        raise Unauthenticated("The API key is malformed; keys look like 'plaudit_<id>_<secret>'.")
    prefix, secret = parsed
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(secret)):
        raise Unauthenticated("The API key is not valid.")
    if key.revoked_at is not None:
        raise Unauthenticated(
            f"The API key '{key.name}' was revoked at {key.revoked_at.isoformat()}."
        )
    if key.last_used_at is None or utcnow() - key.last_used_at > LAST_USED_RESOLUTION:
        # Recorded by the route after this request's transaction ends (see record_key_use):
        # a second writer inside the request would wait on the request's own SQLite lock.
        request.state.used_api_key = key.id
    principal = Principal(
        organization_id=key.organization_id,
        api_key_id=key.id,
        scopes=frozenset(Scope(s) for s in key.scopes),
    )
    request.state.principal = principal
    return principal


def record_key_use(runtime: Runtime, key_id: uuid.UUID) -> None:
    """Note that a key was used, in its own short transaction, at most once a minute."""
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .where(
                or_(
                    ApiKey.last_used_at.is_(None),
                    ApiKey.last_used_at < now - LAST_USED_RESOLUTION,
                )
            )
            .values(last_used_at=now)
        )


def ensure_scope(principal: Principal, scope: Scope) -> Principal:
    """``principal`` if its key carries ``scope`` (admin carries all, write carries read)."""
    if not principal.allows(scope):
        held = ", ".join(sorted(principal.scopes)) or "none"
        raise Forbidden(
            f"This API key lacks the '{scope.value}' scope (it has: {held}). "
            "Create a key with that scope."
        )
    return principal


def require(scope: Scope) -> object:
    """Dependency: the key must carry ``scope``."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        return ensure_scope(principal, scope)

    return Depends(check)


ReadPrincipal = Annotated[Principal, require(Scope.READ)]
WritePrincipal = Annotated[Principal, require(Scope.WRITE)]
IssuePrincipal = Annotated[Principal, require(Scope.ISSUE)]
AdminPrincipal = Annotated[Principal, require(Scope.ADMIN)]
