"""The OpenAPI document: every operation's errors, described as the problem+json they are."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from plaudit.errors import PROBLEM_JSON

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_WRITES = {"post", "put", "patch", "delete"}

PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; every error is one (docs/api.md).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What happened and what to do about it."},
        "instance": {"type": "string", "description": "The path of the request."},
        "request_id": {"type": "string", "description": "Also in the X-Request-ID header."},
        "errors": {
            "type": "array",
            "description": "What is invalid (422): each field, or for a bulk file each line "
            "(line, column, code, message).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "description": "Dotted path, e.g. data.score."},
                    "reason": {"type": "string"},
                    "in": {"type": "string", "description": "body, query, path or header"},
                },
            },
        },
    },
}

DESCRIPTIONS = {
    "400": "The body cannot be read (not JSON, or a broken upload)",
    "401": "No API key, or one that is malformed, unknown or revoked",
    "403": "The API key lacks the scope this operation needs",
    "404": "Nothing with this id exists in the key's organization",
    "409": "The change contradicts the current state",
    "413": "The body is larger than this endpoint accepts",
    "415": "The body's media type is not one this endpoint reads",
    "422": "Invalid fields, each named in `errors`",
    "429": "Too many requests from this address; wait a few seconds",
    "503": "Busy with concurrent changes, nothing written: send it again after Retry-After "
    "(or, from /readyz, the database is unavailable)",
    "default": "Any other error",
}

RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}

# For a route's ``responses=``: the errors FastAPI cannot infer from its signature.
RATE_LIMITED: dict[int | str, dict[str, Any]] = {429: {"description": DESCRIPTIONS["429"]}}


def media(description: str, *media_types: str) -> dict[str, Any]:
    """A response that is not JSON (an image, a signed document, a page), for ``responses=``."""
    return {"description": description, "content": {m: {} for m in media_types}}


def _codes(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The errors every operation of this shape can answer (more may be declared by a route)."""
    parameters = operation.get("parameters", [])
    codes = set()
    if parameters or operation.get("requestBody"):
        codes.add("422")
    if operation.get("requestBody"):
        codes |= {"400", "413"}
    if operation.get("security"):
        codes |= {"401", "403"}
    if any(p.get("in") == "path" for p in parameters):
        codes.add("404")
    if method in _WRITES and path.startswith("/api/"):
        codes.add("409")
    if method in _WRITES:
        codes.add("503")  # a race lost three times (plaudit.api.routing)
    return codes


def _as_problem(code: str, response: dict[str, Any]) -> None:
    """problem+json beside what a route declares itself (the VC API's 400 is a verification
    result), instead of FastAPI's 422 shape."""
    content = response.setdefault("content", {})
    fastapi_422 = {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    if content.get("application/json") == fastapi_422:
        del content["application/json"]
        response["description"] = ""
    content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if not response.get("description"):
        response["description"] = DESCRIPTIONS.get(code, "An error")


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Give every operation its error responses with the Problem schema, and a default."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _codes(path, method, operation) | {"default"}:
                responses.setdefault(code, {})
            if "503" in responses:
                responses["503"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
            for code, response in responses.items():
                if code == "default" or code >= "400":
                    _as_problem(code, response)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    # FastAPI's own shapes for 422, which Plaudit never answers with (kept if a schema of ours
    # happens to be called ValidationError and is used).
    schemas.pop("HTTPValidationError", None)
    if '"#/components/schemas/ValidationError"' not in json.dumps(document):
        schemas.pop("ValidationError", None)
    return document


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi
    described: dict[str, Any] | None = None

    def document() -> dict[str, Any]:
        nonlocal described
        if described is None:
            described = describe_errors(copy.deepcopy(generate()))
            app.openapi_schema = described
        return described

    app.openapi = document  # type: ignore[method-assign]
