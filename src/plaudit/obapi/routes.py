"""HTTP routes of the Open Badges 3.0 API (provider role), per organization, and its OAuth 2.0
endpoints. Mount `router`.

Under ``/orgs/{slug}/ims/ob/v3p0``: ``/discovery``, ``/credentials`` and ``/profile`` answer
errors as Imsx_StatusInfo (the OpenAPI document's shape); the OAuth endpoints under ``/oauth``
answer as OAuth does (RFC 6749 §5.2, RFC 7591 §3.2.2), and the authorization endpoint, which a
learner's browser opens, with pages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session

from plaudit import safejson
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.limits import per_address
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import PROBLEM_JSON, NotFound
from plaudit.models.learner import Learner
from plaudit.models.organization import Organization
from plaudit.obapi import consent, document, hosts_routes, oauth, scopes, service, statusinfo, urls
from plaudit.obapi.statusinfo import ObApiError
from plaudit.organizations import service as organizations
from plaudit.runtime import Runtime

log = logging.getLogger(__name__)

NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
JWS_TYPES: Final = frozenset({"text/plain", "application/jwt", "application/vc+jwt"})
JSON_TYPES: Final = frozenset({"application/json", "application/ld+json", "application/vc+ld+json"})
_JWS: Final = re.compile(r"[a-zA-Z0-9_-]+\.[a-zA-Z0-9_-]*\.[a-zA-Z0-9_-]+")


def _in_imsx(
    inner: Callable[[Request], Coroutine[Any, Any, Response]],
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """The route's handler, with every refusal (ours, Plaudit's, FastAPI's, a bug) answered as
    an Imsx_StatusInfo."""

    async def handle(request: Request) -> Response:
        try:
            response = await inner(request)
        except Exception as exc:
            error = statusinfo.from_exception(exc)
            if error is None:
                log.exception("unhandled error on %s", request.url.path)
                error = ObApiError(
                    500, "Something went wrong on our side; the request may be sent again."
                )
            return statusinfo.response(error)
        if response.headers.get("content-type", "").startswith(PROBLEM_JSON):
            # Answered below the route (a 503 after losing races to concurrent writes).
            return statusinfo.from_problem(
                response.status_code, bytes(response.body), dict(response.headers)
            )
        return response

    return handle


class ObApiRoute(UnitOfWorkRoute):
    """A unit of work per request (UnitOfWorkRoute), its refusals in Imsx_StatusInfo."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return _in_imsx(super().get_route_handler())


class _ImsxRoute(APIRoute):
    """Refusals in Imsx_StatusInfo, for a route that reads and writes nothing."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return _in_imsx(super().get_route_handler())


# The OAuth endpoints take requests from anyone: each address gets PLAUDIT_VERIFY_RATE_LIMIT of
# them, counted apart from other uses.
RATE_LIMIT = per_address("obapi", "Too many requests from this address; wait a few seconds.")


async def _read_body(request: Request) -> bytes:
    return await request.body()


BodyDep = Annotated[bytes, Depends(_read_body)]


def _public_uri(runtime: Runtime, request: Request) -> str:
    """The request's URL as clients see it (behind the proxy), which Authlib checks is https
    (or a loopback address)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{runtime.settings.public_base_url}{request.url.path}{query}"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# --- the API: discovery, credentials, profile ---------------------------------------------------

api = APIRouter(route_class=ObApiRoute, include_in_schema=False)


def _access(request: Request, session: Session, organization: Organization, scope: str) -> Learner:
    """The learner an access token speaks for, if it carries ``scope``."""
    return _learner_of(_grant(request, session, organization, scope))


def _learner_of(access: oauth.Access) -> Learner:
    if access.learner is None:
        # Unreachable by scope (an organization-wide token carries credential.readonly only);
        # stated, so that no learner's operation ever runs without its learner.
        raise ObApiError(403, "An organization-wide token reads credentials, and only that.")
    return access.learner


def _grant(
    request: Request, session: Session, organization: Organization, scope: str
) -> oauth.Access:
    """What an access token grants (its learner, its client), if it carries ``scope``."""
    try:
        access = oauth.authorize_request(session, organization, request.headers, scope)
    except oauth.OAuth2Error as error:
        challenge = oauth.www_authenticate(error, organization.slug, scope)
        status = 403 if error.error == "insufficient_scope" else 401
        described = {
            401: "Send a valid access token of this organization as 'Authorization: Bearer'; "
            "this one is missing, unknown, expired or revoked.",
            403: f"The access token does not carry the scope '{scope}'.",
        }
        raise ObApiError(
            status, described[status], headers={"WWW-Authenticate": challenge}
        ) from None
    return access


@api.get(urls.API + "/discovery")
def discovery(slug: str, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    organization = organizations.get_by_slug(session, slug)
    base = runtime.settings.public_base_url
    return JSONResponse(
        document.service_description(organization, urls.of(base, slug), base_url=base),
        headers={"Cache-Control": "public, max-age=300"},
    )


def _whole_number(request: Request, name: str, *, minimum: int) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,9}", value) or int(value) < minimum:
        raise ObApiError(
            400,
            f"'{name}' must be a whole number of at least {minimum}.",
            code_minor="invalid_query_parameter",
        )
    return int(value)


def _since(request: Request) -> datetime | None:
    value = request.query_params.get("since")
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise ObApiError(
            400,
            "'since' must be a date-time such as 2024-01-31T12:00:00Z.",
            code_minor="invalid_query_parameter",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _links(base: str, *, limit: int, offset: int, total: int, since: str | None) -> str:
    """RFC 8288 links to the first, last, previous and next pages (the API's §6.4 Paging)."""

    def page(at: int) -> str:
        query = {"limit": limit, "offset": at, **({"since": since} if since else {})}
        return f"<{base}?{urlencode(query)}>"

    last = ((total - 1) // limit) * limit if total else 0
    relations = [f'{page(0)}; rel="first"', f'{page(last)}; rel="last"']
    if offset + limit < total:
        relations.insert(0, f'{page(offset + limit)}; rel="next"')
    if offset > 0:
        relations.append(f'{page(max(offset - limit, 0))}; rel="prev"')
    return ", ".join(relations)


@api.get(urls.API + "/credentials")
def get_credentials(
    slug: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    organization = organizations.get_by_slug(session, slug)
    # An organization-wide client's token reads every learner's credentials.
    learner = _grant(request, session, organization, scopes.CREDENTIAL_READ).learner
    limit = min(_whole_number(request, "limit", minimum=1) or service.DEFAULT_LIMIT, 100)
    offset = _whole_number(request, "offset", minimum=0) or 0
    found = service.credentials(
        session,
        organization_id=organization.id,
        learner_id=learner.id if learner is not None else None,
        limit=limit,
        offset=offset,
        since=_since(request),
    )
    base = urls.of(runtime.settings.public_base_url, slug).credentials
    return JSONResponse(
        {"credential": found.credentials, "compactJwsString": found.compact_jws},
        headers={
            "X-Total-Count": str(found.total),
            "Link": _links(
                base,
                limit=limit,
                offset=offset,
                total=found.total,
                since=request.query_params.get("since"),
            ),
            **NO_STORE,
        },
    )


def _credential_body(request: Request, body: bytes) -> dict[str, Any] | str:
    media_type = _media_type(request)
    try:
        text = body.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ObApiError(400, "The body is not UTF-8 text.") from None
    if media_type in JWS_TYPES:
        if not _JWS.fullmatch(text):
            raise ObApiError(400, "A text/plain body must be a compact JWS (a VC-JWT).")
        return text
    if media_type in JSON_TYPES:
        try:
            parsed = safejson.parse(text)
        except ValueError as exc:  # not JSON, or JSON no database can store (UnsafeJson)
            raise ObApiError(400, f"The body is not usable JSON: {exc}.") from None
        if not isinstance(parsed, dict):
            raise ObApiError(400, "The body must be a JSON object, an AchievementCredential.")
        return parsed
    raise ObApiError(
        415,
        "Send the credential as application/json (or application/vc+ld+json), or as a compact "
        "JWS in text/plain.",
    )


@api.post(urls.API + "/credentials")
def upsert_credential(
    slug: str, request: Request, body: BodyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    organization = organizations.get_by_slug(session, slug)
    access = _grant(request, session, organization, scopes.CREDENTIAL_UPSERT)
    credential = _credential_body(request, body)
    upserted = service.upsert(
        session,
        organization=organization,
        learner=_learner_of(access),
        client_id=access.client_id,
        body=credential,
        base_url=runtime.settings.public_base_url,
    )
    status = 201 if upserted.created else 200
    # "The response body MUST be the AchievementCredential in the request."
    if isinstance(credential, str):
        return Response(credential, status_code=status, media_type="text/plain", headers=NO_STORE)
    return JSONResponse(credential, status_code=status, headers=NO_STORE)


@api.get(urls.API + "/profile")
def get_profile(slug: str, request: Request, session: SessionDep) -> JSONResponse:
    organization = organizations.get_by_slug(session, slug)
    learner = _access(request, session, organization, scopes.PROFILE_READ)
    return JSONResponse(service.profile(session, learner), headers=NO_STORE)


@api.put(urls.API + "/profile")
def put_profile(slug: str, request: Request, body: BodyDep, session: SessionDep) -> JSONResponse:
    organization = organizations.get_by_slug(session, slug)
    learner = _access(request, session, organization, scopes.PROFILE_UPDATE)
    if _media_type(request) not in JSON_TYPES:
        raise ObApiError(415, "Send the profile as application/json.")
    try:
        parsed = safejson.parse(body)
    except ValueError as exc:
        raise ObApiError(400, f"The body is not usable JSON: {exc}.") from None
    return JSONResponse(service.put_profile(session, learner, parsed), headers=NO_STORE)


# --- OAuth 2.0 ----------------------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=NO_STORE
    )


def _organization(session: Session, slug: str) -> Organization | None:
    try:
        return organizations.get_by_slug(session, slug)
    except NotFound:
        return None


def _form(request: Request, body: bytes) -> dict[str, list[str]] | JSONResponse:
    """A token or revocation request's form; each parameter at most once (RFC 6749 §3.2)."""
    if _media_type(request) != "application/x-www-form-urlencoded":
        return _oauth_error(
            400, "invalid_request", "Send the request as application/x-www-form-urlencoded."
        )
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "The form is not readable.")
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        return _oauth_error(400, "invalid_request", f"Repeated: {', '.join(repeated)}.")
    if any("\x00" in name or "\x00" in values[0] for name, values in parsed.items()):
        return _oauth_error(400, "invalid_request", "The form holds a NUL character.")
    return parsed


def _oauth_request(
    runtime: Runtime, request: Request, params: dict[str, list[str]]
) -> oauth.OAuthRequest | JSONResponse:
    try:
        return oauth.OAuthRequest(
            request.method, _public_uri(runtime, request), request.headers, params
        )
    except oauth.OAuth2Error as error:  # insecure_transport: Plaudit's address is plain http
        return _oauth_error(400, error.error, error.description or "Use https.")


auth = APIRouter(route_class=UnitOfWorkRoute, include_in_schema=False)


@auth.post(urls.OAUTH + "/register", status_code=201, dependencies=[RATE_LIMIT])
def register(
    slug: str, request: Request, body: BodyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Dynamic client registration (RFC 7591), open to any client (1EdTech §7.1.1)."""
    organization = _organization(session, slug)
    if organization is None:
        return _oauth_error(404, "invalid_request", f"No organization '{slug}' is here.")
    try:
        data = safejson.parse(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data:
        return _oauth_error(
            400, "invalid_client_metadata", "Send the client's metadata as a JSON object."
        )
    server = oauth.Server(session, organization)
    response: Response = server.create_endpoint_response(
        "client_registration",
        oauth.JsonBody(_public_uri(runtime, request), request.headers, data),
    )
    return response


def _authorization_refused(
    server: oauth.Server, request: oauth.OAuthRequest, error: oauth.OAuth2Error
) -> Response:
    """Back to the client when its redirect URI is known good; else a page for the learner."""
    if error.redirect_uri:
        refused: Response = server.handle_error_response(request, error)
        return refused
    return consent.refused_page(error.error, error.description or "The request is not valid.")


def _authorization_params(request: Request) -> tuple[dict[str, list[str]], str]:
    """The authorization request's parameters (its query), and the wallet link given with it."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    wallet = params.pop("wallet", [""])[0]
    return params, wallet


def _consent(
    server: oauth.Server,
    grant: Any,
    params: dict[str, list[str]],
    runtime: Runtime,
    *,
    learner: Learner | None,
    wallet: str,
    error: str | None = None,
) -> Response:
    organization = server.organization
    action = urls.of(runtime.settings.public_base_url, organization.slug).authorize
    return consent.consent_page(
        client=grant.request.client.row,
        organization=organization,
        scope=grant.request.scope,
        action=f"{action}?{urlencode(params, doseq=True)}",
        redirect_uri=grant.redirect_uri,
        learner=learner,
        wallet=wallet,
        error=error,
        status=400 if error else 200,
    )


@auth.get(urls.OAUTH + "/authorize")
def authorize(slug: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The consent page: who the learner is (their wallet link) and what the client asks."""
    organization = _organization(session, slug)
    if organization is None:
        return consent.refused_page(
            "invalid_request", f"No organization '{slug}' is here.", status=404
        )
    params, wallet = _authorization_params(request)
    oauth_request = _oauth_request(runtime, request, params)
    if isinstance(oauth_request, JSONResponse):
        return consent.refused_page("insecure_transport", "This server is not reached by https.")
    server = oauth.Server(session, organization)
    try:
        grant = server.get_consent_grant(oauth_request)
    except oauth.OAuth2Error as error:
        return _authorization_refused(server, oauth_request, error)
    learner = consent.learner_of(session, runtime.vault, organization, wallet) if wallet else None
    problem = None
    if wallet and learner is None:
        problem = f"This is not the link to a wallet page of {organization.name}: paste yours."
    return _consent(server, grant, params, runtime, learner=learner, wallet=wallet, error=problem)


@auth.post(urls.OAUTH + "/authorize", dependencies=[RATE_LIMIT])
def decide(
    slug: str, request: Request, body: BodyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The learner's answer: allowed, a code goes to the client's redirect URI; denied,
    access_denied does."""
    organization = _organization(session, slug)
    if organization is None:
        return consent.refused_page(
            "invalid_request", f"No organization '{slug}' is here.", status=404
        )
    params, _ = _authorization_params(request)
    oauth_request = _oauth_request(runtime, request, params)
    if isinstance(oauth_request, JSONResponse):
        return consent.refused_page("insecure_transport", "This server is not reached by https.")
    server = oauth.Server(session, organization)
    try:
        grant = server.get_consent_grant(oauth_request)
    except oauth.OAuth2Error as error:
        return _authorization_refused(server, oauth_request, error)
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    wallet = form.get("wallet", [""])[0]
    if form.get("decision", [""])[0] != "allow":
        denied: Response = server.create_authorization_response(
            oauth_request, grant_user=None, grant=grant
        )
        return denied
    learner = consent.learner_of(session, runtime.vault, organization, wallet)
    if learner is None:
        problem = f"This is not the link to a wallet page of {organization.name}: paste yours."
        return _consent(server, grant, params, runtime, learner=None, wallet=wallet, error=problem)
    allowed: Response = server.create_authorization_response(
        oauth_request, grant_user=learner, grant=grant
    )
    return allowed


@auth.post(urls.OAUTH + "/revoke", dependencies=[RATE_LIMIT])
def revoke(
    slug: str, request: Request, body: BodyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Token revocation (RFC 7009): the token's whole grant ends."""
    organization = _organization(session, slug)
    if organization is None:
        return _oauth_error(404, "invalid_request", f"No organization '{slug}' is here.")
    form = _form(request, body)
    if isinstance(form, JSONResponse):
        return form
    oauth_request = _oauth_request(runtime, request, form)
    if isinstance(oauth_request, JSONResponse):
        return oauth_request
    response: Response = oauth.Server(session, organization).create_endpoint_response(
        "revocation", oauth_request
    )
    return response


# The token endpoint runs its own transaction. A refused exchange writes nothing (its code or
# refresh token stays as it was), except one thing the refusal must leave behind: when a code
# or a refresh token is presented a second time, every token of its grant is revoked, and that
# is committed although the answer is an error (UnitOfWorkRoute would roll it back).
_own_transaction = APIRouter(include_in_schema=False)


@_own_transaction.post(urls.OAUTH + "/token", dependencies=[RATE_LIMIT])
def token(slug: str, request: Request, body: BodyDep, runtime: RuntimeDep) -> Response:
    form = _form(request, body)
    if isinstance(form, JSONResponse):
        return form
    oauth_request = _oauth_request(runtime, request, form)
    if isinstance(oauth_request, JSONResponse):
        return oauth_request
    with runtime.request_sessions() as session:
        organization = _organization(session, slug)
        if organization is None:
            return _oauth_error(404, "invalid_request", f"No organization '{slug}' is here.")
        server = oauth.Server(session, organization)
        response: Response = server.create_token_response(oauth_request)
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        if server.compromised_grants:
            for grant_id in sorted(server.compromised_grants):
                oauth.revoke_grant(session, grant_id)
            session.commit()
            log.warning("a code or refresh token was replayed: revoked its grant")
    return response


# --- everything else under the API's path -------------------------------------------------------

_rest = APIRouter(route_class=_ImsxRoute, include_in_schema=False)
_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@_rest.api_route(urls.API + "/{rest:path}", methods=_METHODS)
def elsewhere(request: Request) -> Response:
    """405 (with Allow) for a method a path of the API does not take, 404 for any other path:
    in Imsx_StatusInfo, not in Plaudit's problem+json."""
    path = request.scope["path"]
    allowed = sorted(
        {
            method
            for route in iter_route_contexts(request.app.routes)
            if getattr(route, "endpoint", None) is not elsewhere
            and route.methods
            and (regex := getattr(route, "path_regex", None)) is not None
            and regex.match(path)
            for method in route.methods
        }
    )
    if allowed:
        raise ObApiError(
            405,
            f"{request.method} is not allowed here; use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
    raise ObApiError(404, f"There is nothing at {path}.")


router = APIRouter()
router.include_router(hosts_routes.router)
router.include_router(auth)
router.include_router(_own_transaction)
router.include_router(api)
router.include_router(_rest)

__all__ = ["router"]
