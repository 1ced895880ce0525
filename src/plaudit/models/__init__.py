"""ORM models: the one layer every feature shares."""

from plaudit.models.apikey import ApiKey, Scope
from plaudit.models.idempotency import IdempotencyRecord
from plaudit.models.image import Image
from plaudit.models.organization import Organization
from plaudit.models.signing_key import SigningKey
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateOrigin,
    TemplateStatus,
    TemplateTag,
    TemplateVersion,
)
from plaudit.models.user import Membership, Role, User

__all__ = [
    "ApiKey",
    "IdempotencyRecord",
    "Image",
    "Membership",
    "Organization",
    "Role",
    "Scope",
    "SigningKey",
    "Template",
    "TemplateKind",
    "TemplateOrigin",
    "TemplateStatus",
    "TemplateTag",
    "TemplateVersion",
    "User",
]
