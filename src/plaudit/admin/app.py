"""Mount the dashboard on the application: its pages, its static files, its error pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from plaudit.admin import (
    account,
    bulk_pages,
    credential_pages,
    event_pages,
    learner_pages,
    overview_pages,
    rule_backfill_pages,
    rule_pages,
    settings_pages,
    template_pages,
)
from plaudit.admin.web import ADMIN, STATIC_DIR, error_page
from plaudit.api import problems

ROUTERS: tuple[APIRouter, ...] = (
    account.router,
    overview_pages.router,
    template_pages.router,
    rule_pages.router,
    rule_backfill_pages.router,
    event_pages.router,
    learner_pages.router,
    credential_pages.router,
    bulk_pages.router,
    settings_pages.router,
)


def install(app: FastAPI) -> None:
    problems.HTML_PAGES[ADMIN] = error_page
    app.mount(f"{ADMIN}/static", StaticFiles(directory=STATIC_DIR), name="admin-static")
    for router in ROUTERS:
        app.include_router(router)
