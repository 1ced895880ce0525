"""ORM models: the one layer every feature shares."""

from plaudit.models.apikey import ApiKey, Scope
from plaudit.models.idempotency import IdempotencyRecord
from plaudit.models.organization import Organization
from plaudit.models.signing_key import SigningKey
from plaudit.models.user import Membership, Role, User

__all__ = [
    "ApiKey",
    "IdempotencyRecord",
    "Membership",
    "Organization",
    "Role",
    "Scope",
    "SigningKey",
    "User",
]
