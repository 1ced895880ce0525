"""What the vendors' routes share: refusing query parameters they do not serve."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request

from plaudit.api.routing import refuse_unknown_query_parameters


def takes(*names: str) -> Any:
    """A route dependency: outside /api/v1 nothing refuses unknown query parameters, so these
    routes do it themselves, as Plaudit's API does (a parameter not served is a mistake, and
    answering as if it were absent would return something else than was asked)."""
    accepted = frozenset(names)

    async def check(request: Request) -> None:
        refuse_unknown_query_parameters(request, accepted)

    return Depends(check)
