"""The request bodies of the vendors' APIs, field for field as their clients send them.

Unknown fields are refused (422), as everywhere in Plaudit: a field this subset does not serve
would otherwise be silently dropped.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints

from plaudit.credentials.service import MAX_REASON
from plaudit.learners.schemas import Ident
from plaudit.schemas import Input
from plaudit.vendors.dates import WRITTEN_AS, VendorDateTime


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# A person's name part, as Plaudit stores it; an empty one is no name.
Name = Annotated[
    Annotated[str, StringConstraints(max_length=200)] | None, BeforeValidator(_blank_is_none)
]


class CredlyBadgeIn(Input):
    """``POST /organizations/{id}/badges/`` (Credly's "Issue a Badge"; Open edX's
    ``CredlyBadgeData``)."""

    recipient_email: EmailStr
    badge_template_id: uuid.UUID
    issued_at: VendorDateTime = Field(description=f"When it was earned: {WRITTEN_AS}.")
    issued_to_first_name: Name = None
    issued_to_last_name: Name = None
    expires_at: VendorDateTime | None = Field(
        default=None, description="Instead of the template's expiry policy."
    )
    issuer_earner_id: Ident | None = Field(
        default=None, description="Your id for the person: the learner's id in Plaudit."
    )


class CredlyRevokeIn(Input):
    """``PUT /organizations/{id}/badges/{id}/revoke/``: the reason shows on the public page."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=MAX_REASON)]


class AccredibleRecipientIn(Input):
    # Kept whole as the learner's first name: a full name is not split by guessing.
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    email: EmailStr
    id: Ident | None = Field(default=None, description="Your id for the person.")


class AccredibleCredentialIn(Input):
    recipient: AccredibleRecipientIn
    group_id: int = Field(ge=1, le=2**31 - 1)
    name: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="Ignored: a credential states its template's published name."
    )
    description: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        default=None, description="Ignored, as name is."
    )
    issued_on: VendorDateTime | None = Field(
        default=None, description=f"When it was earned (default: now): {WRITTEN_AS}."
    )
    expired_on: VendorDateTime | None = None
    complete: bool = Field(default=True, description="Only complete achievements are issued.")
    id: Ident | None = Field(
        default=None, description="Your id for this credential: the same id issues once."
    )


class AccredibleCredentialCreate(Input):
    """``POST /v1/credentials`` (Open edX's ``AccredibleBadgeData``)."""

    credential: AccredibleCredentialIn


class AccredibleExpiryIn(Input):
    expired_on: VendorDateTime


class AccredibleCredentialUpdate(Input):
    """``PATCH /v1/credentials/{id}``: only ``expired_on`` (now or past), which ends the
    credential (Open edX's ``AccredibleExpireBadgeData``, its revocation)."""

    credential: AccredibleExpiryIn
