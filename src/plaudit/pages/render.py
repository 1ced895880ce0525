"""Jinja2 for the public pages: autoescaped, with the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from plaudit.templates.localize import direction
from plaudit.templates.words import messages

STATIC_DIR = Path(__file__).parent / "static"

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    auto_reload=False,
)

# Every asset is ours; images may come from an issuer's own logo address.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def page(
    name: str, context: dict[str, Any], *, status: int = 200, cache: str = "no-cache"
) -> HTMLResponse:
    html = _env.get_template(name).render(**context)
    return html_response(html.encode("utf-8"), status=status, cache=cache)


def html_response(body: bytes, *, status: int = 200, cache: str = "no-cache") -> HTMLResponse:
    headers = {**SECURITY_HEADERS, "Cache-Control": cache, "Vary": "Accept, Accept-Language"}
    return HTMLResponse(body, status_code=status, headers=headers)


def message(
    *,
    lang: str,
    state: str,
    title_key: str,
    detail_key: str | None,
    status: int,
    form_action: str | None = None,
) -> HTMLResponse:
    t = messages(lang)
    return page(
        "message.html",
        {
            "lang": lang,
            "dir": direction(lang),
            "t": t,
            "state": state,
            "title": t[title_key],
            "detail": t[detail_key] if detail_key else None,
            "form_action": form_action,
        },
        status=status,
    )
