"""Request bodies of credential status changes."""

from __future__ import annotations

from pydantic import Field

from plaudit.credentials.service import MAX_REASON
from plaudit.schemas import Input


class ReasonIn(Input):
    reason: str = Field(
        min_length=1, max_length=MAX_REASON, description="Why; shown to anyone who verifies it."
    )
