"""Render every error as RFC 9457 application/problem+json."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException

from plaudit import safejson, schemas
from plaudit.errors import PROBLEM_BASE, PROBLEM_JSON, PlauditError

log = logging.getLogger(__name__)

_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    500: ("internal", "Internal error"),
}


# Paths whose errors a person reads in a browser (the dashboard): prefix -> page renderer.
# A renderer returns None to fall back to problem+json.
HtmlErrorPage = Callable[[Request, Exception, int, str, str], Response | None]
HTML_PAGES: dict[str, HtmlErrorPage] = {}


def _html_page(
    request: Request, exc: Exception, status: int, title: str, detail: str
) -> Response | None:
    path = request.url.path
    for prefix, render in HTML_PAGES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return render(request, exc, status, title, detail)
    return None


def problem_response(
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(error: Any, *, located: bool = False) -> str:
    """Where the error is: its location (without the leading body/query/path/header of a
    request's errors, which "in" gives), and for a value that cannot be stored, the path to it
    inside the field (plaudit.schemas.unstorable)."""
    loc = tuple(error.get("loc", ()))
    inner = (error.get("ctx") or {}).get("path", ())
    return safejson.dotted((*(loc[1:] if located else loc), *inner))


def _reason(error: dict[str, Any]) -> str:
    return schemas.reason(error)


async def _plaudit_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PlauditError)
    if (page := _html_page(request, exc, exc.status, exc.title, exc.detail)) is not None:
        return page
    problem = exc.problem()
    status = problem.pop("status")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    slug = problem.pop("type").removeprefix(PROBLEM_BASE)
    return problem_response(
        status,
        slug=slug,
        title=problem.pop("title"),
        detail=problem.pop("detail"),
        request=request,
        headers=headers,
        **problem,
    )


def validation_errors(errors: Any) -> list[dict[str, str]]:
    """Pydantic errors as [{"field", "reason"}] (also used for per-item batch results)."""
    return [{"field": _field(e), "reason": _reason(dict(e))} for e in errors]


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    summary_html = "; ".join(f"'{_field(e, located=True)}' {_reason(dict(e))}" for e in errors[:5])
    detail_html = f"Fix these fields and try again: {summary_html}."
    if (page := _html_page(request, exc, 422, "Invalid input", detail_html)) is not None:
        return page
    if any(e.get("type") == "json_invalid" for e in errors):
        first = errors[0]
        position = first.get("loc", ("body", 0))[-1]
        reason = first.get("ctx", {}).get("error", "malformed JSON")
        return problem_response(
            400,
            slug="malformed-json",
            title="The request body is not valid JSON",
            detail=f"The body could not be parsed as JSON: {reason} at character {position}.",
            request=request,
        )
    if any(e["loc"][:1] == ("path",) for e in errors):
        # PATCH /rules/simulate reached PATCH /rules/{rule_id}: the path names a resource of its
        # own, which does not take this method.
        allowed = _allowed_methods(request)
        if allowed and request.method not in allowed:
            return _method_not_allowed(request, allowed)
    fields = [
        {"field": _field(e, located=True), "reason": _reason(dict(e)), "in": e["loc"][0]}
        for e in errors
    ]
    summary = "; ".join(f"'{f['field']}' {f['reason']}" for f in fields[:5])
    return problem_response(
        422,
        slug="validation-error",
        title="Your request has invalid fields",
        detail=f"Fix these fields and try again: {summary}.",
        request=request,
        errors=fields,
    )


async def _unstorable(request: Request, exc: Exception) -> Response:
    """Values no engine can store (plaudit.safejson), found in a body read outside a schema."""
    assert isinstance(exc, safejson.UnsafeJson)
    errors = [
        {"type": "unstorable_value", "loc": ("body", *f.path), "msg": f.reason, "input": None}
        for f in exc.flaws
    ]
    return await _validation_error(request, RequestValidationError(errors))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, RecursionError):
        # FastAPI's JSON parsing gave up on a body nested deeper than Python recurses.
        too_deep = safejson.UnsafeJson([safejson.Flaw((), safejson.TOO_DEEP)])
        return await _unstorable(request, too_deep)
    slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}."
        if (page := _html_page(request, exc, 404, title, detail)) is not None:
            return page
        detail += " See /docs for the API."
    if exc.status_code == 405:
        # Starlette names only the methods of the first route matching the path; a path has one
        # route per method (GET, PATCH, DELETE /rules/{id}), and Allow must name them all.
        return _method_not_allowed(request, _allowed_methods(request))
    if (page := _html_page(request, exc, exc.status_code, title, detail)) is not None:
        return page
    return problem_response(
        exc.status_code,
        slug=slug,
        title=title,
        detail=detail,
        request=request,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _allowed_methods(request: Request) -> set[str]:
    """Every method of the resource the path names. Where a literal path and a parameterised one
    both match (/rules/simulate and /rules/{rule_id}), the literal one is the resource."""
    path = request.scope["path"]
    matching: list[tuple[str, set[str]]] = []
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.path and route.methods and regex is not None and regex.match(path):
            matching.append((route.path, route.methods))
    if not matching:
        return set()
    resource = min((template for template, _ in matching), key=lambda t: t.count("{"))
    return {method for template, methods in matching if template == resource for method in methods}


def _method_not_allowed(request: Request, allowed: set[str]) -> Response:
    return problem_response(
        405,
        slug="method-not-allowed",
        title="Method not allowed",
        detail=f"{request.method} is not allowed on {request.url.path}.",
        request=request,
        headers={"Allow": ", ".join(sorted(allowed))},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(PlauditError, _plaudit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(safejson.UnsafeJson, _unstorable)
