"""Email settings (admin scope), a test email, and the learners' unsubscribe link."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import EmailStr

from plaudit.api import API_PREFIX
from plaudit.api.deps import AdminPrincipal, RuntimeDep, SessionDep
from plaudit.api.idempotency import Idempotent
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.models.delivery import EmailSettings
from plaudit.notifications import service
from plaudit.notifications.schemas import EmailSettingsIn
from plaudit.schemas import Input, Output

router = APIRouter(prefix=f"{API_PREFIX}/email", tags=["email"], route_class=UnitOfWorkRoute)


class EmailSettingsOut(Output):
    enabled: bool
    smtp_host: str | None
    smtp_port: int | None
    smtp_security: str | None
    smtp_username: str | None
    has_smtp_password: bool
    from_address: str | None
    from_name: str | None
    reply_to: str | None
    admin_notifications: str
    admin_emails: list[str]
    topics_off: list[str]
    templates: dict[str, dict[str, str]]
    updated_at: datetime | None


class TestEmailIn(Input):
    to: EmailStr


class TestEmailOut(Output):
    message_id: uuid.UUID


def _out(row: EmailSettings | None) -> EmailSettingsOut:
    if row is None:
        return EmailSettingsOut(
            enabled=True,
            smtp_host=None,
            smtp_port=None,
            smtp_security=None,
            smtp_username=None,
            has_smtp_password=False,
            from_address=None,
            from_name=None,
            reply_to=None,
            admin_notifications="off",
            admin_emails=[],
            topics_off=[],
            templates={},
            updated_at=None,
        )
    return EmailSettingsOut(
        enabled=row.enabled,
        smtp_host=row.smtp_host,
        smtp_port=row.smtp_port,
        smtp_security=row.smtp_security,
        smtp_username=row.smtp_username,
        has_smtp_password=row.smtp_password_sealed is not None,
        from_address=row.from_address,
        from_name=row.from_name,
        reply_to=row.reply_to,
        admin_notifications=row.admin_notifications,
        admin_emails=list(row.admin_emails or []),
        topics_off=list(row.topics_off or []),
        templates=row.templates or {},
        updated_at=row.updated_at,
    )


@router.get("/settings", response_model=EmailSettingsOut, summary="Read email settings")
def read_settings(session: SessionDep, principal: AdminPrincipal) -> EmailSettingsOut:
    return _out(session.get(EmailSettings, principal.organization_id))


@router.put("/settings", response_model=EmailSettingsOut, summary="Replace email settings")
def put_settings(
    body: EmailSettingsIn, session: SessionDep, runtime: RuntimeDep, principal: AdminPrincipal
) -> EmailSettingsOut:
    row = service.save_settings(
        session, runtime.vault, organization_id=principal.organization_id, data=body
    )
    return _out(row)


@router.post(
    "/test",
    dependencies=[Idempotent],
    response_model=TestEmailOut,
    status_code=202,
    summary="Send a test email with these settings (see its result under deliveries)",
)
def test_email(body: TestEmailIn, session: SessionDep, principal: AdminPrincipal) -> TestEmailOut:
    message_id = service.send_test_email(
        session, organization_id=principal.organization_id, to=str(body.to)
    )
    return TestEmailOut(message_id=message_id)
