"""HTTP to another Open Badges host, through the SSRF guard (plaudit.outbound): one request,
no redirects followed, a deadline on the whole exchange and a cap on what is read."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlencode

from plaudit import outbound

USER_AGENT: Final = "Plaudit-OpenBadges/1"
MAX_BYTES: Final = 2_000_000

RemoteError = outbound.OutboundError


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    content_type: str
    body: bytes

    @property
    def summary(self) -> str:
        """The status line and, for a refusal, what the host said about it (its
        Imsx_StatusInfo description or OAuth error), short."""
        said = ""
        if self.status >= 400:
            found = self.json()
            if isinstance(found, dict):
                said = str(
                    found.get("imsx_description")
                    or found.get("error_description")
                    or found.get("error")
                    or ""
                )
        return f"{self.status} {self.reason}" + (f": {said[:300]}" if said else "")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None


def basic(client_id: str, secret: str) -> str:
    """client_secret_basic (RFC 6749 §2.3.1: each part form-encoded first)."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def call(
    method: str,
    url: str,
    *,
    allow_private: bool,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 15.0,
) -> Answer:
    """One exchange with ``url``; RemoteError when it cannot be made (refused address, network,
    too slow, too large)."""
    reply = outbound.exchange(
        method,
        url,
        deadline=time.monotonic() + timeout,
        allow_private=allow_private,
        max_bytes=MAX_BYTES,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        body=body,
        verb="sent to",
    )
    return Answer(
        reply.status,
        reply.reason,
        reply.header("Content-Type").split(";")[0].strip().lower(),
        reply.body,
    )


def get_json(url: str, *, allow_private: bool) -> Answer:
    return call("GET", url, allow_private=allow_private)


def post_json(
    url: str, document: Any, *, allow_private: bool, headers: dict[str, str] | None = None
) -> Answer:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return call(
        "POST",
        url,
        allow_private=allow_private,
        body=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def post_form(
    url: str, form: dict[str, str], *, allow_private: bool, headers: dict[str, str] | None = None
) -> Answer:
    return call(
        "POST",
        url,
        allow_private=allow_private,
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )
