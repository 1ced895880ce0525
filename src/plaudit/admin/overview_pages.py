"""Dashboard: the overview (how the program is doing at a glance)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin.web import ADMIN, Viewer, render
from plaudit.api.routing import UnitOfWorkRoute

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)


@router.get("")
@router.get("/")
def overview(request: Request, admin: Viewer) -> Response:
    return render(request, admin, "admin/overview.html", section="overview")
