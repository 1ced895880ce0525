"""The Open Badges API's own HTML pages (consent, refusals, connecting a host): one Jinja2
environment for its templates, which share one page layout (templates/_page.html)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    auto_reload=False,
)


def render(name: str, **context: Any) -> str:
    return _env.get_template(name).render(**context)
