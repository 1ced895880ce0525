"""Emailed links for people who run the dashboard: password resets and invitations.

Nothing secret is stored: a link is an id plus an HMAC under a key derived from the master key.
A reset link also binds the password hash it was made for, so it works once (setting the
password changes the hash) and never after an expiry; an invitation link names its row, whose
state (accepted, revoked, expired) decides.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

from plaudit.vault import Vault

RESET_PURPOSE = "password-reset"
INVITATION_PURPOSE = "invitation"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _reset_mac(vault: Vault, user_id: uuid.UUID, expires: int, password_hash: str | None) -> bytes:
    message = b"|".join([user_id.bytes, str(expires).encode(), (password_hash or "").encode()])
    return vault.sign(message, purpose=RESET_PURPOSE)[:16]


def reset_token(
    vault: Vault, *, user_id: uuid.UUID, expires: datetime, password_hash: str | None
) -> str:
    stamp = int(expires.timestamp())
    mac = _reset_mac(vault, user_id, stamp, password_hash)
    return f"{_b64(user_id.bytes)}.{stamp}.{_b64(mac)}"


def reset_user(token: str) -> tuple[uuid.UUID, datetime] | None:
    """The user and expiry a reset token claims (not yet checked: see ``reset_valid``)."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    try:
        user_id = uuid.UUID(bytes=_unb64(parts[0]))
        expires = datetime.fromtimestamp(int(parts[1]), UTC)
    except (ValueError, binascii.Error, OverflowError, OSError):
        return None
    return user_id, expires


def reset_valid(vault: Vault, token: str, *, password_hash: str | None, now: datetime) -> bool:
    claimed = reset_user(token)
    if claimed is None:
        return False
    user_id, expires = claimed
    if expires <= now:
        return False
    try:
        given = _unb64(token.split(".")[2])
    except (ValueError, binascii.Error):
        return False
    expected = _reset_mac(vault, user_id, int(expires.timestamp()), password_hash)
    return hmac.compare_digest(given, expected)


def password_fingerprint(password_hash: str | None) -> str:
    """Names a password without revealing it: a pending reset email is dropped if it changed."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def invitation_token(vault: Vault, invitation_id: uuid.UUID) -> str:
    mac = vault.sign(invitation_id.bytes, purpose=INVITATION_PURPOSE)[:16]
    return f"{_b64(invitation_id.bytes)}.{_b64(mac)}"


def invitation_of(vault: Vault, token: str) -> uuid.UUID | None:
    ident, _, mac = token.partition(".")
    try:
        invitation_id = uuid.UUID(bytes=_unb64(ident))
        given = _unb64(mac)
    except (ValueError, binascii.Error):
        return None
    expected = vault.sign(invitation_id.bytes, purpose=INVITATION_PURPOSE)[:16]
    return invitation_id if hmac.compare_digest(given, expected) else None
