"""A learner's signed links: the wallet, reached from their award emails, and unsubscribing."""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid

from plaudit.vault import Vault

_PURPOSE = "wallet-link"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_for(vault: Vault, learner_id: uuid.UUID, *, purpose: str = _PURPOSE) -> str:
    """Unguessable and unforgeable without the master key; no expiry (it lives in emails).
    A token made for one purpose (the wallet, unsubscribing) is worthless for another."""
    mac = vault.sign(learner_id.bytes, purpose=purpose)[:16]
    return f"{_b64(learner_id.bytes)}.{_b64(mac)}"


def learner_of(vault: Vault, token: str, *, purpose: str = _PURPOSE) -> uuid.UUID | None:
    ident, _, mac = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(ident + "=" * (-len(ident) % 4))
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        learner_id = uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error):
        return None
    expected = vault.sign(learner_id.bytes, purpose=purpose)[:16]
    return learner_id if hmac.compare_digest(given, expected) else None


def url(base_url: str, vault: Vault, learner_id: uuid.UUID) -> str:
    return f"{base_url}/wallet/{token_for(vault, learner_id)}"
