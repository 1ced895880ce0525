"""Request shapes of email settings (the API's and the dashboard's)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import EmailStr, Field, StringConstraints

from plaudit.notifications import compose
from plaudit.schemas import Input

Topic = Literal[
    "credential.issued",
    "credential.expiring",
    "credential.expired",
    "credential.suspended",
    "credential.revoked",
    "credential.claim_reminder",
    "admin.digest",
    "webhook.disabled",
]


class EmailTemplate(Input):
    subject: Annotated[str, StringConstraints(max_length=2000)] | None = None
    text: Annotated[str, StringConstraints(max_length=compose.MAX_TEMPLATE)] | None = None
    html: Annotated[str, StringConstraints(max_length=compose.MAX_TEMPLATE)] | None = None


class EmailSettingsIn(Input):
    enabled: bool = True
    smtp_host: Annotated[str, StringConstraints(max_length=255)] | None = Field(
        default=None, description="Your own SMTP server; empty to use the instance's."
    )
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] | None = None
    smtp_username: Annotated[str, StringConstraints(max_length=255)] | None = None
    smtp_password: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        default=None,
        description="Write-only, stored encrypted. Omit to keep the stored one; '' removes it.",
    )
    from_address: EmailStr | None = None
    from_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    reply_to: EmailStr | None = None
    admin_notifications: Literal["off", "copy", "digest"] = "off"
    admin_emails: list[EmailStr] = Field(default_factory=list, max_length=20)
    topics_off: list[Topic] = Field(default_factory=list)
    templates: dict[Topic, EmailTemplate] = Field(
        default_factory=dict,
        description="Your own subject/text/html per topic: Jinja2, sandboxed "
        "(docs/notifications.md).",
    )
