"""Dashboard: rule pages."""

from __future__ import annotations

from fastapi import APIRouter

from plaudit.admin.web import ADMIN
from plaudit.api.routing import UnitOfWorkRoute

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)
