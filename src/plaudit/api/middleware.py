"""ASGI middleware: request ids, access logs, metrics, body limits, and the last-resort 500."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaudit import safejson
from plaudit.errors import PROBLEM_BASE, PROBLEM_JSON
from plaudit.logs import request_id_var

log = logging.getLogger("plaudit.http")

REQUESTS = Counter("plaudit_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "plaudit_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


def _problem(
    status: int, slug: str, title: str, detail: str, request_id: str, **extra: Any
) -> list[Message]:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + slug,
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": request_id,
            **extra,
        }
    ).encode()
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        },
        {"type": "http.response.body", "body": body},
    ]


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing lets it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            detail=f"The request body is larger than the {limit:,} bytes this endpoint accepts.",
        )


class RequestContextMiddleware:
    """Outermost layer: gives each request an id, limits its body, logs and measures it, and
    turns any unexpected exception into a problem+json 500 that carries the id (never a trace)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = (
            self.max_upload_bytes
            if content_type.startswith("multipart/") or content_type == "text/csv"
            else self.max_body_bytes
        )
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            if (nul := _nul_in_url(scope)) is not None:
                # No engine can store or even compare a NUL character (PostgreSQL refuses it in
                # any text parameter): refused here, for every route alike.
                field, where = nul
                reason = safejson.NUL_VALUE
                for message in _problem(
                    422,
                    "validation-error",
                    "Your request has invalid fields",
                    f"Fix these fields and try again: '{field}' {reason}.",
                    request_id,
                    errors=[{"field": field, "reason": reason, "in": where}],
                ):
                    await send_wrapper(message)
                return
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            await self.app(scope, receive_wrapper, send_wrapper)
        except Exception as exc:  # the last resort: whatever escaped every handler
            too_large = _caused_by(exc, BodyTooLarge)
            if too_large:
                messages = _problem(
                    413,
                    "payload-too-large",
                    "Request body too large",
                    f"The request body is larger than the {limit:,} bytes this endpoint accepts.",
                    request_id,
                )
            else:
                log.exception("unhandled error", extra={"path": scope.get("path")})
                messages = _problem(
                    500,
                    "internal",
                    "Internal error",
                    "Something went wrong on our side. Quote the request id if you report it.",
                    request_id,
                )
            if not response_started:
                for message in messages:
                    await send_wrapper(message)
        finally:
            route = _route_template(scope)
            elapsed = time.perf_counter() - started
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(scope["method"], route).observe(elapsed)
            log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope.get("path"),
                status,
                elapsed * 1000,
                extra={
                    "method": scope["method"],
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


def _nul_in_url(scope: Scope) -> tuple[str, str] | None:
    """(field, "path" or "query") of the first NUL character in the URL, if any."""
    if "\x00" in scope.get("path", ""):
        return "path", "path"
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                return safejson.dotted([name]), "query"
        return "query", "query"
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        if isinstance(current, BaseExceptionGroup):
            return any(_caused_by(e, kind) for e in current.exceptions)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _route_template(scope: MutableMapping[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
