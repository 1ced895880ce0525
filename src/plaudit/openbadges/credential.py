"""Build Open Badges 3.0 AchievementCredentials (W3C VC Data Model 2.0) from plain values."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
OB_SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"


def iso(moment: datetime) -> str:
    """XSD dateTime in UTC with a Z, to the second (what verifiers compare)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hashed_email(email: str, salt: str) -> str:
    """OB 3.0 IdentityObject hash: 'sha256$' + hex(sha256(lower-cased email + salt))."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


@dataclass(frozen=True)
class Issuer:
    id: str  # did:web / did:key / https URL
    name: str
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class Alignment:
    name: str
    url: str
    framework: str | None = None
    code: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Achievement:
    id: str  # the template version's public URL
    name: str
    description: str
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    image: str | None = None
    achievement_type: str = "Badge"
    alignments: Sequence[Alignment] = ()
    tags: Sequence[str] = ()
    language: str | None = None


@dataclass(frozen=True)
class Evidence:
    narrative: str
    name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class StatusEntry:
    list_url: str  # the BitstringStatusListCredential's URL
    index: int
    purpose: str = "revocation"


@dataclass(frozen=True)
class CredentialData:
    id: str
    issuer: Issuer
    achievement: Achievement
    valid_from: datetime
    recipient_email: str | None = None
    recipient_salt: str | None = None
    valid_until: datetime | None = None
    name: str | None = None
    evidence: Sequence[Evidence] = ()
    statuses: Sequence[StatusEntry] = ()
    activity_end: datetime | None = None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def achievement_json(achievement: Achievement) -> dict[str, Any]:
    criteria = _drop_none(
        {"id": achievement.criteria_url, "narrative": achievement.criteria_narrative}
    )
    if not criteria:
        criteria = {"narrative": achievement.description}
    return _drop_none(
        {
            "id": achievement.id,
            "type": ["Achievement"],
            "name": achievement.name,
            "description": achievement.description,
            "criteria": criteria,
            "image": {"id": achievement.image, "type": "Image"} if achievement.image else None,
            "achievementType": achievement.achievement_type,
            "alignment": [
                _drop_none(
                    {
                        "type": ["Alignment"],
                        "targetName": a.name,
                        "targetUrl": a.url,
                        "targetFramework": a.framework,
                        "targetCode": a.code,
                        "targetDescription": a.description,
                    }
                )
                for a in achievement.alignments
            ],
            "tag": list(achievement.tags),
            "inLanguage": achievement.language,
        }
    )


def issuer_json(issuer: Issuer) -> dict[str, Any]:
    return _drop_none(
        {
            "id": issuer.id,
            "type": ["Profile"],
            "name": issuer.name,
            "url": issuer.url,
            "email": issuer.email,
            "description": issuer.description,
            "image": {"id": issuer.image, "type": "Image"} if issuer.image else None,
        }
    )


def build_credential(data: CredentialData) -> dict[str, Any]:
    """The unsigned credential. Keys appear in a fixed order so that equal inputs give equal
    documents (the signing cache relies on it)."""
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if data.recipient_email and data.recipient_salt:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": hashed_email(data.recipient_email, data.recipient_salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": data.recipient_salt,
            }
        ]
    if data.activity_end is not None:
        subject["activityEndDate"] = iso(data.activity_end)
    subject["achievement"] = achievement_json(data.achievement)
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3],
        "id": data.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": data.name or data.achievement.name,
        "issuer": issuer_json(data.issuer),
        "validFrom": iso(data.valid_from),
    }
    if data.valid_until is not None:
        credential["validUntil"] = iso(data.valid_until)
    credential["credentialSubject"] = subject
    if data.evidence:
        credential["evidence"] = [
            _drop_none({"id": e.id, "type": ["Evidence"], "name": e.name, "narrative": e.narrative})
            for e in data.evidence
        ]
    if data.statuses:
        entries = [
            {
                "id": f"{s.list_url}#{s.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": s.purpose,
                "statusListIndex": str(s.index),
                "statusListCredential": s.list_url,
            }
            for s in data.statuses
        ]
        credential["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    # No credentialSchema: its type (1EdTechJsonSchemaValidator2019) is not defined by the
    # contexts, so JSON-LD would drop it and a strict Data Integrity signer refuses it.
    return credential
