"""What an import reads, whatever its source: an Item per credential or row, or a Problem."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Format(StrEnum):
    CSV = "csv"
    OB2 = "ob2"
    OB3 = "ob3"


@dataclass(frozen=True)
class Achievement:
    """What the source says was achieved; `key` identifies it across imports."""

    key: str
    name: str
    description: str = ""
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    image_url: str | None = None


@dataclass(frozen=True)
class Issuer:
    id: str | None
    name: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Recipient:
    email: str | None = None
    # (identityHash, salt) pairs of hashed email identities: a given address is checked
    # against them, never recovered from them.
    hashes: tuple[tuple[str, str], ...] = ()
    # Any other identity the source names (a DID, a URL), for the report.
    other: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class Item:
    where: str
    format: Format
    legacy_id: str
    recipient: Recipient
    issued_at: datetime
    expires_at: datetime | None = None
    line: int | None = None
    # CSV: a template's id or name.
    template: str | None = None
    achievement: Achievement | None = None
    issuer: Issuer | None = None
    activity_title: str | None = None
    notes: str | None = None
    evidence: tuple[dict[str, str], ...] = ()
    # The document exactly as received (an object, or the compact JWS).
    original: dict[str, Any] | str | None = None
    # OB 3.0: what the verifier checks. Other formats carry why they cannot be checked.
    verifiable: dict[str, Any] | str | None = None
    unverifiable_because: str | None = None
    revoked_reason: str | None = None
    remarks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    where: str
    reason: str
    line: int | None = None
    column: str | None = None
    legacy_id: str | None = None


@dataclass
class Reading:
    entries: list[Item | Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def hashed_identity(address: str, salt: str) -> str:
    """Open Badges' hashed identity (2.0 and 3.0 alike): sha256 of the address and the salt."""
    return "sha256$" + hashlib.sha256((address + salt).encode("utf-8")).hexdigest()


def recipient_matches(recipient: Recipient, address: str) -> bool:
    """Whether `address` is the recipient the source names (in clear or hashed).

    Issuers hash the address as written or lower-cased; both are tried.
    """
    if recipient.email is not None and recipient.email.lower() == address.lower():
        return True
    for identity, salt in recipient.hashes:
        algorithm, _, _digest = identity.partition("$")
        if algorithm.lower() != "sha256":
            continue
        for form in {address, address.lower()}:
            if hashed_identity(form, salt).lower() == identity.lower():
                return True
    return False
