"""xAPI 1.0.3 routes as standard clients call them: statements (POST, PUT) and /about."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from plaudit.api import API_PREFIX
from plaudit.api.deps import IssuePrincipal, SessionDep
from plaudit.api.problems import validation_errors
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import PlauditError
from plaudit.events.schemas import EventIn
from plaudit.events.xapi import NotAnEvent, StatementError, statement_to_event, statements_from_body
from plaudit.ingest import service

VERSION_HEADER = "X-Experience-API-Version"
VERSION = "1.0.3"
# Every 1.0.x version is one language (patches only clarify), and "1.0" means 1.0.0.
_ACCEPTED_VERSION = re.compile(r"1\.0(?:\.\d+)?")
ABOUT_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
MAX_STATEMENTS = 1000
_LRS_RESOURCES = (
    "activities",
    "activities/state",
    "activities/profile",
    "agents",
    "agents/profile",
)


class XapiBadRequest(PlauditError):
    # xAPI refuses every malformed request with 400 (Plaudit's own API says 422).
    status = 400
    slug = "xapi-bad-request"
    title = "The xAPI request was refused"


class NotAnLrs(PlauditError):
    status = 501
    slug = "not-an-lrs"
    title = "Plaudit is not a Learning Record Store"


class NoStatementQueries(NotAnLrs):
    # The statements resource exists (POST, PUT); only reading it does not: a 4xx, as xAPI
    # refuses, not the 501 of the resources Plaudit has none of.
    status = 405


class XapiRoute(UnitOfWorkRoute):
    """Every answer, errors included, carries the xAPI version header, and a request that does
    not validate is a 400, as xAPI requires; the body stays RFC 9457 problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                response = await _render(request, exc)
                if isinstance(exc, NoStatementQueries):
                    response.headers["Allow"] = "POST, PUT"
            if response.status_code == 422:
                response = _as_bad_request(response)
            response.headers[VERSION_HEADER] = VERSION
            return response

        return answer


async def _render(request: Request, exc: Exception) -> Response:
    """The app's own error handler for ``exc`` (the one that would run outside the route)."""
    for cls in type(exc).__mro__:
        render = request.app.exception_handlers.get(cls)
        if render is not None:
            response: Response = await render(request, exc)
            return response
    raise exc


def _as_bad_request(response: Response) -> Response:
    body = json.loads(bytes(response.body))
    body["status"] = 400
    headers = {
        k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
    }
    return JSONResponse(body, status_code=400, media_type=response.media_type, headers=headers)


def require_version(request: Request) -> None:
    version = request.headers.get(VERSION_HEADER)
    if version is None:
        raise XapiBadRequest(
            f"Send the header '{VERSION_HEADER}: {VERSION}': xAPI requires it on every request.",
            extra={"errors": [{"field": VERSION_HEADER, "reason": "is required", "in": "header"}]},
        )
    if not _ACCEPTED_VERSION.fullmatch(version.strip()):
        raise XapiBadRequest(
            f"xAPI version {version.strip()[:20]!r} is not supported: Plaudit speaks xAPI 1.0.x "
            f"(latest {VERSION}); send '{VERSION_HEADER}: {VERSION}'.",
            extra={
                "errors": [{"field": VERSION_HEADER, "reason": "unsupported", "in": "header"}],
                "supported": ABOUT_VERSIONS,
            },
        )


router = APIRouter(
    prefix=f"{API_PREFIX}/xapi",
    tags=["xapi"],
    route_class=XapiRoute,
)
VersionChecked = [Depends(require_version)]
REFUSED: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "A statement was refused (and with it its batch), or the "
        "X-Experience-API-Version header is missing or names a version other than 1.0.x"
    }
}


@router.get("/about", summary="The xAPI versions Plaudit speaks (no key needed)")
def about() -> dict[str, Any]:
    return {"version": ABOUT_VERSIONS}


@router.post(
    "/statements",
    dependencies=VersionChecked,
    response_model=list[str],
    responses=REFUSED,
    summary="Send xAPI 1.0.3 statements (one or an array); answers their ids, in order",
)
def post_statements(
    request: Request,
    session: SessionDep,
    principal: IssuePrincipal,
    body: Annotated[Any, Body()],
) -> list[str]:
    _no_parameters(request, accepted=())
    try:
        statements = statements_from_body(body)
    except StatementError as exc:
        raise _refused([(None, exc)], []) from None
    if len(statements) > MAX_STATEMENTS:
        raise XapiBadRequest(
            f"Send at most {MAX_STATEMENTS:,} statements per request.",
            extra={"errors": [{"field": "body", "reason": "too many statements"}]},
        )
    return _receive(session, principal.organization_id, [dict(s) for s in statements])


@router.put(
    "/statements",
    dependencies=VersionChecked,
    status_code=204,
    response_class=Response,
    responses=REFUSED,
    summary="Send one xAPI statement under the id in ?statementId=",
)
def put_statement(
    request: Request,
    session: SessionDep,
    principal: IssuePrincipal,
    body: Annotated[Any, Body()],
) -> Response:
    _no_parameters(request, accepted=("statementId",))
    statement_id = request.query_params.get("statementId")
    if not statement_id:
        raise XapiBadRequest(
            "PUT /statements needs the statement's id as ?statementId=<uuid> (or POST it).",
            extra={"errors": [{"field": "statementId", "reason": "is required", "in": "query"}]},
        )
    if not isinstance(body, Mapping):
        raise XapiBadRequest(
            "PUT /statements takes one statement, a JSON object.",
            extra={"errors": [{"field": "body", "reason": "must be a statement object"}]},
        )
    statement = dict(body)
    if statement.setdefault("id", statement_id) != statement_id:
        raise XapiBadRequest(
            "The statement's id differs from ?statementId=; send the same id in both.",
            extra={"errors": [{"field": "id", "reason": "differs from statementId"}]},
        )
    _receive(session, principal.organization_id, [statement])
    return Response(status_code=204)


@router.get(
    "/statements",
    responses={405: {"description": "Always: Plaudit is not a Learning Record Store"}},
    summary="Not answered: Plaudit stores events, not an LRS's statements",
)
def get_statements() -> None:
    raise NoStatementQueries(
        "Plaudit receives xAPI statements to award credentials; it is not a Learning Record "
        "Store and does not answer statement queries. Query your LRS, or Plaudit's events "
        f"({API_PREFIX}/events).",
    )


def _not_an_lrs() -> None:
    raise NotAnLrs(
        "Plaudit receives xAPI statements (POST or PUT /statements) and answers /about; it is "
        "not a Learning Record Store and keeps no state, profiles, agents or activities."
    )


for _resource in _LRS_RESOURCES:
    router.add_api_route(
        f"/{_resource}", _not_an_lrs, methods=["GET", "PUT", "DELETE"], include_in_schema=False
    )


def _no_parameters(request: Request, *, accepted: tuple[str, ...]) -> None:
    # xAPI: a parameter the LRS does not recognise is a 400 (alternate request syntax included).
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        raise XapiBadRequest(
            f"Unknown query parameter {unknown[0]!r}: Plaudit's xAPI statements resource takes "
            + (f"only {', '.join(accepted)}." if accepted else "none on POST."),
            extra={
                "errors": [
                    {"field": name, "reason": "is not a parameter", "in": "query"}
                    for name in unknown
                ]
            },
        )


def _receive(
    session: Any, organization_id: uuid.UUID, statements: list[dict[str, Any]]
) -> list[str]:
    """Map every statement, store the events of those that credit someone, and answer their ids.

    xAPI takes a batch whole or not at all: one statement refused refuses them all, and nothing
    is stored (the route's unit of work rolls back)."""
    now = datetime.now(UTC)
    ids: list[str] = []
    events: list[tuple[int, EventIn]] = []
    refused: list[tuple[int | None, StatementError]] = []
    invalid: list[tuple[int, list[dict[str, str]]]] = []
    sent: dict[int, str] = {}
    for index, statement in enumerate(statements):
        # Kept with its event as the LRS client sent it (before an id is given to it).
        sent[index] = json.dumps(statement, ensure_ascii=False, default=str)
        # An LRS names a statement sent without an id; it is then new by definition.
        statement.setdefault("id", str(uuid.uuid4()))
        ident = statement["id"]
        ids.append(ident if isinstance(ident, str) else "")
        try:
            event = statement_to_event(statement, stored=now)
        except NotAnEvent:
            continue
        except StatementError as exc:
            refused.append((index, exc))
            continue
        try:
            events.append((index, EventIn.model_validate(event)))
        except ValidationError as exc:
            invalid.append((index, validation_errors(exc.errors())))
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if refused or invalid or repeated:
        raise _refused(refused, invalid, repeated=repeated, batch=len(statements) > 1)
    if events:
        service.ingest(
            session,
            organization_id=organization_id,
            items=events,
            documents={i: sent[i] for i, _ in events},
        )
    return ids


def _refused(
    refused: list[tuple[int | None, StatementError]],
    invalid: list[tuple[int, list[dict[str, str]]]],
    *,
    repeated: list[str] | None = None,
    batch: bool = False,
) -> XapiBadRequest:
    errors: list[dict[str, Any]] = []
    for index, exc in refused:
        errors.append({"index": index, "field": exc.field, "reason": exc.message})
    for index, found in invalid:
        errors.extend({"index": index, **error} for error in found)
    for ident in repeated or []:
        errors.append({"index": None, "field": "id", "reason": f"{ident} is sent more than once"})
    errors.sort(key=lambda e: -1 if e["index"] is None else e["index"])
    first = errors[0]
    where = "" if first["index"] is None or not batch else f"statement {first['index']}: "
    detail = f"Refused {where}{first['field']}: {first['reason']}."
    if batch:
        detail += " xAPI takes a batch whole, so none of its statements was stored."
    return XapiBadRequest(detail, extra={"errors": errors})
