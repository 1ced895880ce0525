"""What the settings pages share: their sub-navigation, rendering, and small form helpers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from plaudit.admin.forms import FormErrors
from plaudit.admin.web import ADMIN, Admin, parse_uuid, render
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.errors import NotFound

SETTINGS = f"{ADMIN}/settings"

# (key, label, path): the settings' own tabs, in the order people need them.
TABS = (
    ("profile", "Issuer profile", f"{SETTINGS}/profile"),
    ("keys", "Signing keys", f"{SETTINGS}/keys"),
    ("email", "Email", f"{SETTINGS}/email"),
    ("templates", "Email templates", f"{SETTINGS}/email/templates"),
    ("webhooks", "Webhooks", f"{SETTINGS}/webhooks"),
    ("connectors", "Connectors", f"{SETTINGS}/connectors"),
    ("api-keys", "API keys", f"{SETTINGS}/api-keys"),
    ("apps", "Connected apps", f"{SETTINGS}/apps"),
    ("members", "Members", f"{SETTINGS}/members"),
)


def sub_router() -> APIRouter:
    """A settings module's router (no prefix: settings_pages includes it under /admin)."""
    return APIRouter(include_in_schema=False, route_class=UnitOfWorkRoute)


def page(
    request: Request,
    admin: Admin,
    template: str,
    tab: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        admin,
        template,
        {"tabs": TABS, "tab": tab, "errors": FormErrors(), "form": {}, **(context or {})},
        status=status,
        section="settings",
    )


def uuid_or_404(value: str, kind: str) -> uuid.UUID:
    """A malformed id in a URL is a page that does not exist, like another organization's."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise NotFound(f"No {kind} with id '{value}' exists in this organization.")
    return parsed
