"""A claim's secrets, derived from its id with the instance key: nothing to store, nothing to leak.

Each purpose gets its own derived key, so a token made for one (the interaction URL) is
worthless as another (the pre-authorized code)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from typing import Final

from plaudit.vault import Vault

INTERACTION: Final = "claim-interaction"
PRE_AUTHORIZED_CODE: Final = "claim-pre-authorized-code"
CHALLENGE: Final = "claim-challenge"
TX_CODE: Final = "claim-tx-code"
TX_CODE_DIGITS: Final = 6


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_for(vault: Vault, claim_id: uuid.UUID, *, purpose: str) -> str:
    mac = vault.sign(claim_id.bytes, purpose=purpose)[:18]
    return f"{_b64(claim_id.bytes)}.{_b64(mac)}"


def claim_of(vault: Vault, token: str, *, purpose: str) -> uuid.UUID | None:
    """The claim a token names, when the token is genuine for that purpose; else None."""
    ident, _, mac = token.partition(".")
    try:
        claim_id = uuid.UUID(bytes=_unb64(ident))
        given = _unb64(mac)
    except (ValueError, binascii.Error):
        return None
    expected = vault.sign(claim_id.bytes, purpose=purpose)[:18]
    return claim_id if hmac.compare_digest(given, expected) else None


def challenge(vault: Vault, claim_id: uuid.UUID) -> str:
    """The challenge a wallet's DID-authentication presentation must carry for this claim."""
    return _b64(vault.sign(claim_id.bytes, purpose=CHALLENGE)[:18])


def tx_code(vault: Vault, claim_id: uuid.UUID) -> str:
    """The transaction code (OpenID4VCI tx_code) the learner types into a wallet: 6 digits."""
    number = int.from_bytes(vault.sign(claim_id.bytes, purpose=TX_CODE)[:8], "big")
    return str(number % 10**TX_CODE_DIGITS).zfill(TX_CODE_DIGITS)


def digest(secret: str) -> str:
    """How a random secret (an access token, a nonce) is stored: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()
