"""Numbered pages of a list (the dashboard's lists, where people jump to page 7): how many rows
in all, and one page of them, of a statement a feature's queries built and ordered."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

PER_PAGE = 25


@dataclass(frozen=True)
class Window:
    """The page asked for (1 is the first; past the last means the last) and its size."""

    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class NumberedPage(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


def numbered_page(
    session: Session, stmt: Select[*tuple[Any, ...]], window: Window, *, scalars: bool = True
) -> NumberedPage[Any]:
    """``stmt`` is already filtered to the organization and ordered; ``scalars`` gives its
    first column's values, else whole rows."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / window.per_page))
    page = min(max(window.page, 1), pages)
    limited = stmt.limit(window.per_page).offset((page - 1) * window.per_page)
    items: list[Any] = (
        list(session.scalars(limited).all()) if scalars else list(session.execute(limited).all())
    )
    return NumberedPage(items=items, page=page, pages=pages, total=total)
