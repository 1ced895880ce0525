"""Encryption at rest: the instance master key seals private keys and stored secrets."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from plaudit.config import Settings
from plaudit.storage import private_dirs

log = logging.getLogger(__name__)

_NONCE_BYTES = 12
_FORMAT_V1 = b"\x01"


class MasterKeyError(RuntimeError):
    """The master key is missing or malformed; Plaudit cannot read or write secrets."""


@dataclass(frozen=True)
class Vault:
    key: bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:16]

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt; ``context`` (e.g. the row it belongs to) is authenticated, not stored."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self.key).encrypt(nonce, plaintext, context.encode())
        return _FORMAT_V1 + nonce + sealed

    def sign(self, message: bytes, *, purpose: str) -> bytes:
        """HMAC-SHA256 under a key derived from the master key for one purpose (e.g. the
        learners' wallet links), so a signature made for one use is worthless for another."""
        derived = hmac.new(self.key, b"plaudit:" + purpose.encode(), hashlib.sha256).digest()
        return hmac.new(derived, message, hashlib.sha256).digest()

    def open(self, blob: bytes, *, context: str) -> bytes:
        if blob[:1] != _FORMAT_V1:
            raise MasterKeyError("unknown sealed-secret format")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return AESGCM(self.key).decrypt(nonce, sealed, context.encode())


def _decode(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError(f"{origin} is not valid base64") from exc
    if len(key) != 32:
        raise MasterKeyError(f"{origin} must decode to 32 bytes, got {len(key)}")
    return key


def load_vault(settings: Settings) -> Vault:
    """The master key from PLAUDIT_MASTER_KEY or its file; created on first embedded run."""
    if settings.master_key:
        return Vault(_decode(settings.master_key, "PLAUDIT_MASTER_KEY"))
    path: Path = settings.resolved_master_key_file
    if path.exists():
        return Vault(_decode(path.read_text(), str(path)))
    if not settings.is_embedded:
        # Several machines share a PostgreSQL database; a key made up by one of them would
        # leave the others unable to read what it sealed.
        raise MasterKeyError(
            f"No master key: set PLAUDIT_MASTER_KEY or create {path} "
            "(plaudit keys master-key prints a new one)."
        )
    private_dirs(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(new_master_key() + "\n")
        log.warning("created a new master key at %s; back it up with the database", path)
    return Vault(_decode(path.read_text(), str(path)))


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def hash_secret(secret: str) -> str:
    """The stored form of a random secret we hand out (API keys, connector tokens).

    They are 256-bit random values: a fast hash is enough (no dictionary to guard against),
    and it keeps authentication to microseconds on every request."""
    return hashlib.sha256(secret.encode()).hexdigest()
