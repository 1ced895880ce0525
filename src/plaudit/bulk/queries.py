"""Read bulk issuances back for the dashboard: the history, and what a job issued."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.bulk import service as bulk
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance
from plaudit.models.template import Template


def history(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[BulkIssuance]:
    """The latest first."""
    stmt = bulk.query(organization_id=organization_id).order_by(
        BulkIssuance.created_at.desc(), BulkIssuance.id.desc()
    )
    return numbered_page(session, stmt, window)


def issued(session: Session, job: BulkIssuance, *, window: Window) -> NumberedPage[Any]:
    """The credentials a job issued, as rows of what their list shows (template_name too)."""
    stmt = (
        bulk.issued_query(job)
        .with_only_columns(
            Credential.id,
            Credential.learner_id,
            Credential.recipient_email,
            Credential.recipient_first_name,
            Credential.recipient_last_name,
            Credential.emitted_at,
            Credential.status,
            Credential.signed_at,
            Template.name.label("template_name"),
        )
        .join(Template, Template.id == Credential.template_id)
        .order_by(Credential.id)
    )
    return numbered_page(session, stmt, window, scalars=False)
