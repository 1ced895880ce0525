"""Refusals made before the Open Badges API's routes run (by Plaudit's request middleware: a NUL
character in the URL, a body too large, the last-resort 500), retold as Imsx_StatusInfo: on the
API's paths a client reads the OpenAPI document's error shape, never problem+json."""

from __future__ import annotations

import re
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plaudit.errors import PROBLEM_JSON
from plaudit.obapi import statusinfo, urls

# The API's paths, but not its OAuth endpoints (which answer as OAuth does).
_API_PATH: Final = re.compile(r"^/orgs/[^/]+" + re.escape(urls.VERSION_PATH) + r"(/|$)")
_OAUTH_PATH: Final = re.compile(r"^/orgs/[^/]+" + re.escape(urls.VERSION_PATH) + r"/oauth(/|$)")


def _on_api(path: str) -> bool:
    return bool(_API_PATH.match(path)) and not _OAUTH_PATH.match(path)


class ImsxRefusals:
    """Outside Plaudit's request middleware: its problem+json answers on the API's paths become
    Imsx_StatusInfo (a 422 of a malformed URL is the API's 400, as FastAPI's validation is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _on_api(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        problem: Message | None = None
        chunks: list[bytes] = []

        async def retelling(message: Message) -> None:
            nonlocal problem
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").decode("latin-1").startswith(PROBLEM_JSON):
                    problem = message
                    return
            elif problem is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _retell(problem, b"".join(chunks), scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, retelling)


async def _retell(start: Message, body: bytes, scope: Scope, receive: Receive, send: Send) -> None:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start.get("headers", [])}
    status = 400 if start["status"] == 422 else int(start["status"])
    response = statusinfo.from_problem(status, body, headers)
    if "x-request-id" in headers:
        response.headers["x-request-id"] = headers["x-request-id"]
    await response(scope, receive, send)
