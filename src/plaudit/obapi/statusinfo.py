"""Errors of the Open Badges API, answered as the OpenAPI document says: an Imsx_StatusInfo
body (never Plaudit's problem+json), with the code major and minor for the HTTP status."""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from plaudit.errors import PlauditError

# The system that produced the code minor (1EdTech's examples name the endpoint).
FIELD_NAME: Final = "TargetEndpoint"

# HTTP status -> (imsx_codeMajor, imsx_codeMinorFieldValue)
_CODES: Final[dict[int, tuple[str, str]]] = {
    400: ("failure", "invalid_data"),
    401: ("failure", "unauthorizedrequest"),
    403: ("failure", "forbidden"),
    404: ("failure", "not_found"),
    405: ("unsupported", "not_allowed"),
    406: ("failure", "not_acceptable"),
    413: ("failure", "invalid_data"),
    415: ("failure", "invalid_data"),
    421: ("failure", "misdirected_request"),
    422: ("failure", "invalid_data"),
    429: ("failure", "server_busy"),
    500: ("failure", "internal_server_error"),
    503: ("failure", "server_busy"),
}


class ObApiError(Exception):
    """A refusal on the API's paths, with the sentence the client's developer reads."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        code_minor: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.code_minor = code_minor
        self.headers = headers or {}


def body(status: int, description: str, *, code_minor: str | None = None) -> dict[str, Any]:
    major, minor = _CODES.get(status, ("failure", "unknown"))
    return {
        "imsx_codeMajor": major,
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": FIELD_NAME,
                    "imsx_codeMinorFieldValue": code_minor or minor,
                }
            ]
        },
    }


def response(error: ObApiError) -> JSONResponse:
    return JSONResponse(
        body(error.status, error.description, code_minor=error.code_minor),
        status_code=error.status,
        headers={"Cache-Control": "no-store", **error.headers},
    )


def from_exception(exc: Exception) -> ObApiError | None:
    """The refusal another part of Plaudit raised, said the API's way; None for a bug."""
    if isinstance(exc, ObApiError):
        return exc
    if isinstance(exc, PlauditError):
        return ObApiError(exc.status, exc.detail)
    if isinstance(exc, RequestValidationError):
        reasons = "; ".join(
            f"'{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}' {e.get('msg', '')}"
            for e in list(exc.errors())[:5]
        )
        query = any(e.get("loc", ("",))[0] == "query" for e in exc.errors())
        return ObApiError(
            400,
            f"The request is not valid: {reasons}.",
            code_minor="invalid_query_parameter" if query else "invalid_data",
        )
    if isinstance(exc, HTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "The request was refused."
        return ObApiError(exc.status_code, detail, headers=dict(exc.headers or {}))
    return None


def from_problem(status: int, content: bytes, headers: dict[str, str]) -> JSONResponse:
    """A problem+json answer made below the API's routes (a 503 after lost races), retold."""
    try:
        detail = str(json.loads(content).get("detail") or "")
    except (ValueError, AttributeError):
        detail = ""
    kept = {k: v for k, v in headers.items() if k.lower() in {"retry-after", "allow"}}
    return response(ObApiError(status, detail or "The request could not be served.", headers=kept))
