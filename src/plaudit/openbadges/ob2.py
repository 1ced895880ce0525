"""Open Badges 2.0 documents for older backpacks: hosted Assertion, BadgeClass and Issuer profile.

Pure functions of plain values. OB 2.0 hosted verification fetches the assertion at its `id`,
which Plaudit serves (see pages.routes), so a baked OB 2.0 image stays checkable and shows a
revocation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

CONTEXT: Final = "https://w3id.org/openbadges/v2"


def hashed_email(email: str, salt: str) -> str:
    """OB 2.0's hashed identity: sha256 of the lower-cased address followed by the salt."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class IssuerData:
    id: str
    name: str
    url: str
    email: str | None = None
    description: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class BadgeData:
    id: str
    name: str
    description: str
    image: str | None
    criteria_url: str
    criteria_narrative: str | None
    issuer_id: str
    tags: list[str] = field(default_factory=list)
    alignments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AssertionData:
    id: str
    badge_id: str
    recipient_email: str
    salt: str
    issued_on: datetime
    expires: datetime | None = None
    image: str | None = None
    evidence_url: str | None = None
    revoked: bool = False
    revocation_reason: str | None = None


def _drop_none(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None}


def issuer(data: IssuerData) -> dict[str, Any]:
    return _drop_none(
        {
            "@context": CONTEXT,
            "type": "Issuer",
            "id": data.id,
            "name": data.name,
            "url": data.url,
            "email": data.email,
            "description": data.description,
            "image": data.image,
        }
    )


def badge_class(data: BadgeData) -> dict[str, Any]:
    criteria = _drop_none({"id": data.criteria_url, "narrative": data.criteria_narrative})
    alignment = [
        _drop_none(
            {
                "targetName": a.get("name"),
                "targetUrl": a.get("url"),
                "targetDescription": a.get("description"),
                "targetFramework": a.get("framework"),
                "targetCode": a.get("code"),
            }
        )
        for a in data.alignments
    ]
    return _drop_none(
        {
            "@context": CONTEXT,
            "type": "BadgeClass",
            "id": data.id,
            "name": data.name,
            "description": data.description,
            "image": data.image,
            "criteria": criteria,
            "issuer": data.issuer_id,
            "tags": data.tags or None,
            "alignment": alignment or None,
        }
    )


def assertion(data: AssertionData) -> dict[str, Any]:
    return _drop_none(
        {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": data.id,
            "recipient": {
                "type": "email",
                "hashed": True,
                "salt": data.salt,
                "identity": hashed_email(data.recipient_email, data.salt),
            },
            "badge": data.badge_id,
            "issuedOn": _iso(data.issued_on),
            "expires": _iso(data.expires) if data.expires else None,
            "image": data.image,
            "evidence": data.evidence_url,
            "verification": {"type": "HostedBadge"},
            "revoked": True if data.revoked else None,
            "revocationReason": data.revocation_reason if data.revoked else None,
        }
    )
