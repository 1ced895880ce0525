"""Standard Webhooks signatures (https://www.standardwebhooks.com/): pure functions.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``, the signature
``v1,`` + base64(HMAC-SHA256(secret, content)), the secret ``whsec_`` + base64(random bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 24
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A webhook's signature is missing, malformed, stale or wrong."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the secret is not whsec_ followed by base64") from exc


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id=message_id, timestamp=timestamp, body=body),
    }


def verify(secret: str, received: dict[str, str], body: bytes, *, now: int) -> None:
    """Check a received webhook; raises SignatureError. (For receivers and our tests.)"""
    lowered = {k.lower(): v for k, v in received.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise SignatureError(
            "webhook-id, webhook-timestamp and webhook-signature are required"
        ) from exc
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("the timestamp is too far from now")
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise SignatureError("no signature matches")
