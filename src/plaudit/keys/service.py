"""Provision, rotate, list and load the signing keys of an organization."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plaudit.db import new_id, utcnow
from plaudit.errors import not_found
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, KeyStatus, SigningKey
from plaudit.openbadges import multikey
from plaudit.vault import Vault

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64url(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _generate(algorithm: KeyAlgorithm) -> tuple[PrivateKey, dict[str, Any]]:
    if algorithm is KeyAlgorithm.ED25519:
        ed_key = ed25519.Ed25519PrivateKey.generate()
        raw = ed_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return ed_key, {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = rsa_key.public_key().public_numbers()
    return rsa_key, {"kty": "RSA", "n": _int_b64url(numbers.n), "e": _int_b64url(numbers.e)}


def _context(organization_id: uuid.UUID, key_id: uuid.UUID) -> str:
    return f"signing-key:{organization_id}:{key_id}"


def active_keys(session: Session, *, organization_id: uuid.UUID) -> list[SigningKey]:
    return list(
        session.scalars(
            select(SigningKey)
            .where(
                SigningKey.organization_id == organization_id,
                SigningKey.status == KeyStatus.ACTIVE,
            )
            .order_by(SigningKey.algorithm)
        )
    )


def _new_key(*, organization_id: uuid.UUID, vault: Vault, algorithm: KeyAlgorithm) -> SigningKey:
    private, jwk = _generate(algorithm)
    key_id = new_id()
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(
        id=key_id,
        organization_id=organization_id,
        algorithm=algorithm,
        status=KeyStatus.ACTIVE,
        public_jwk={**jwk, "kid": str(key_id)},
        private_key_encrypted=vault.seal(der, context=_context(organization_id, key_id)),
        master_key_id=vault.key_id,
    )


def provision(session: Session, *, organization_id: uuid.UUID, vault: Vault) -> list[SigningKey]:
    """Make sure the organization has one active key per algorithm. Safe to run concurrently."""
    have = {key.algorithm for key in active_keys(session, organization_id=organization_id)}
    for algorithm in KeyAlgorithm:
        if algorithm in have:
            continue
        key = _new_key(organization_id=organization_id, vault=vault, algorithm=algorithm)
        try:
            with session.begin_nested():
                session.add(key)
        except IntegrityError:
            # Another worker provisioned this algorithm between our read and our write.
            pass
    return active_keys(session, organization_id=organization_id)


def rotate(
    session: Session, *, organization_id: uuid.UUID, vault: Vault, algorithm: KeyAlgorithm
) -> SigningKey:
    """Retire the active key of `algorithm` and make a new one that signs from now on.

    The retired key stays stored: the DID document and the JWKS keep publishing it, so what it
    signed keeps verifying. A concurrent rotation loses on the one-active-key index (409).
    """
    current = session.scalar(
        select(SigningKey)
        .where(
            SigningKey.organization_id == organization_id,
            SigningKey.algorithm == algorithm,
            SigningKey.status == KeyStatus.ACTIVE,
        )
        .with_for_update()
    )
    if current is not None:
        current.status = KeyStatus.RETIRED
        current.retired_at = utcnow()
        # Flushed first: the partial unique index admits one active key at a time.
        session.flush()
    key = _new_key(organization_id=organization_id, vault=vault, algorithm=algorithm)
    session.add(key)
    session.flush()
    return key


def all_keys(session: Session, *, organization_id: uuid.UUID) -> list[SigningKey]:
    """Active and retired keys, oldest first."""
    return list(
        session.scalars(
            select(SigningKey)
            .where(SigningKey.organization_id == organization_id)
            .order_by(SigningKey.created_at, SigningKey.id)
        )
    )


def verification_method(base_url: str, *, organization_slug: str, key: SigningKey) -> str | None:
    """The DID URL that names the key, which is also the `kid` of what it signs as a JWT: in
    its issuer's did:web document ('<did>#<key id>'), or, without an https base URL, the
    did:key of an Ed25519 key ('did:key:z6Mk…#z6Mk…'). None for an RSA key without https: it
    signs nothing there (RS256 needs a did:web issuer)."""
    if base_url.startswith("https://"):
        return f"{multikey.did_web(base_url, 'orgs', organization_slug)}#{key.id}"
    if key.algorithm is KeyAlgorithm.ED25519:
        did = multikey.did_key(multikey.ed25519_from_jwk(key.public_jwk))
        return multikey.did_key_verification_method(did)
    return None


def published_jwks(
    session: Session, *, organization_slug: str, base_url: str
) -> list[dict[str, Any]]:
    """The public keys an issuer publishes, by its organization's slug, each with the `kid` its
    JWTs carry (its verification method; see verification_method). Retired
    keys stay published so that what they signed keeps verifying."""
    organization_id = session.scalar(
        select(Organization.id).where(Organization.slug == organization_slug)
    )
    if organization_id is None:
        raise not_found("organization", organization_slug)
    return [
        public_jwk(k, kid=verification_method(base_url, organization_slug=organization_slug, key=k))
        for k in all_keys(session, organization_id=organization_id)
    ]


JWS_ALGORITHMS = {KeyAlgorithm.ED25519: "EdDSA", KeyAlgorithm.RSA: "RS256"}
# Belt and braces: only these members may leave, whatever a future row might hold.
_PUBLIC_MEMBERS = frozenset({"kty", "crv", "x", "n", "e"})


def public_jwk(key: SigningKey, *, kid: str | None = None) -> dict[str, Any]:
    """The key's public JWK as a JWKS publishes it (`kid` the key id unless given); the stored
    JWK never holds private parts."""
    public = {name: value for name, value in key.public_jwk.items() if name in _PUBLIC_MEMBERS}
    return {
        **public,
        "kid": kid or str(key.id),
        "alg": JWS_ALGORITHMS[key.algorithm],
        "use": "sig",
    }


def load_private_key(key: SigningKey, *, vault: Vault) -> PrivateKey:
    der = vault.open(key.private_key_encrypted, context=_context(key.organization_id, key.id))
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise TypeError(f"unexpected key type {type(private).__name__}")
    return private
