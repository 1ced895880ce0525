"""Verify a credential with our own keys and records, and other issuers' published keys."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.certificates import pdf
from plaudit.config import get_settings
from plaudit.credentials import issuance
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.models.status_list import StatusList, StatusPurpose
from plaudit.openbadges import multikey, statuslist
from plaudit.openbadges import verify as ob_verify
from plaudit.openbadges.dataintegrity import ProofError
from plaudit.openbadges.fastpath import verify_rdfc
from plaudit.openbadges.rdfc import CanonicalizationError
from plaudit.openbadges.report import Check, Report, Verdict
from plaudit.verification import fetch

# Other issuers' documents, shared by every request of this process.
_remote_keys = fetch.KeyCache()
# Status lists change when a credential is revoked: keep them only briefly.
_remote_lists = fetch.KeyCache(ttl_seconds=60)


def _can_match(text: str) -> bool:
    """Whether a value read from a credential could be stored at all: no stored value holds a
    NUL character, and PostgreSQL refuses one even in a query's parameter."""
    return "\x00" not in text


def _own_key(
    session: Session, base_url: str, method: str
) -> Ed25519PublicKey | RSAPublicKey | None:
    """A did:web verification method of one of our organizations: '<did>#<key id>'.

    Retired keys resolve too (no status filter, on purpose): rotation must not invalidate
    what a key signed while it was active.
    """
    if not base_url.startswith("https://"):
        return None
    did, _, fragment = method.partition("#")
    prefix = multikey.did_web(base_url, "orgs") + ":"
    if not did.startswith(prefix):
        return None
    slug = did.removeprefix(prefix)
    if not _can_match(slug):
        return None
    try:
        key_id = uuid.UUID(fragment)
    except ValueError:
        return None
    key = session.scalar(
        select(SigningKey)
        .join(Organization, Organization.id == SigningKey.organization_id)
        .where(Organization.slug == slug, SigningKey.id == key_id)
    )
    if key is None:
        return None
    if key.algorithm is KeyAlgorithm.RSA:
        # RS256 VC-JWTs name their key the same way (kid = '<did>#<key id>').
        return jwt.PyJWK(key.public_jwk, algorithm="RS256").key  # type: ignore[no-any-return]
    return Ed25519PublicKey.from_public_bytes(issuance.raw_public_key(key))


def resolver(session: Session, base_url: str) -> ob_verify.KeyResolver:
    def resolve(method: str) -> Ed25519PublicKey | RSAPublicKey | None:
        return (
            _own_key(session, base_url, method)
            or ob_verify.offline_key(method)
            or fetch.resolve_remote_key(
                method,
                cache=_remote_keys,
                allow_private=get_settings().verify_allow_private_networks,
            )
        )

    return resolve


def _remote_status(
    session: Session, base_url: str, entry: Mapping[str, Any], url: str
) -> str | None:
    """Another issuer's Bitstring Status List: fetched safely, its signature checked."""
    allow_private = get_settings().verify_allow_private_networks
    document = _remote_lists.get(url)
    if document is None:
        try:
            document = fetch.fetch_json(url, max_bytes=2_000_000, allow_private=allow_private)
        except fetch.FetchError as exc:
            message = f"the status list {url} could not be fetched: {exc}"
            raise ob_verify.StatusUnavailable(message) from exc
        _remote_lists.put(url, document)
    if not isinstance(document, dict) or not isinstance(document.get("proof"), dict):
        raise ob_verify.StatusUnavailable(f"{url} is not a signed status list credential")
    key = resolver(session, base_url)(str(document["proof"].get("verificationMethod", "")))
    try:
        trusted = isinstance(key, Ed25519PublicKey) and verify_rdfc(document, public_key=key)
    except (ProofError, CanonicalizationError):
        trusted = False
    if not trusted:
        raise ob_verify.StatusUnavailable(f"the signature of the status list {url} does not verify")
    subject = document.get("credentialSubject") or {}
    try:
        bits = statuslist.decode(str(subject.get("encodedList", "")))
        set_ = statuslist.get(bits, int(entry.get("statusListIndex", "")))
    except (ValueError, IndexError) as exc:
        raise ob_verify.StatusUnavailable(f"the status list {url} cannot be read: {exc}") from exc
    if not set_:
        return None
    purpose = str(entry.get("statusPurpose") or subject.get("statusPurpose") or "revocation")
    return "suspended" if purpose == "suspension" else "revoked"


def status_checker(session: Session, base_url: str) -> ob_verify.StatusChecker:
    """Reads our own lists straight from the database; fetches other issuers' lists."""
    prefix = f"{base_url}/status/"

    def check(entry: Mapping[str, Any]) -> str | None:
        url = str(entry.get("statusListCredential", ""))
        if not url.startswith(prefix):
            return _remote_status(session, base_url, entry, url)
        slug, _, purpose = url.removeprefix(prefix).partition("/")
        found = None
        if purpose in {p.value for p in StatusPurpose} and _can_match(slug):
            found = session.scalar(
                select(StatusList)
                .join(Organization, Organization.id == StatusList.organization_id)
                .where(Organization.slug == slug, StatusList.purpose == StatusPurpose(purpose))
            )
        if found is None:
            raise ob_verify.StatusUnavailable(f"there is no status list at {url}")
        try:
            set_ = statuslist.get(found.bits, int(entry.get("statusListIndex", "")))
        except (ValueError, IndexError) as exc:
            raise ob_verify.StatusUnavailable(f"the status list index is invalid: {exc}") from exc
        if not set_:
            return None
        return "revoked" if found.purpose is StatusPurpose.REVOCATION else "suspended"

    return check


def _own_record(session: Session, base_url: str, credential: Mapping[str, Any]) -> Check | None:
    """For a credential this instance issued, its current standing from our records."""
    ident = str(credential.get("id", ""))
    prefix = f"{base_url}/credentials/"
    if not ident.startswith(prefix):
        return None
    if not _can_match(ident):
        return Check("status", Verdict.FAILED, "The issuer has no record of this credential.")
    record = session.scalar(
        select(Credential).where(Credential.public_id == ident.removeprefix(prefix))
    )
    if record is None:
        return Check("status", Verdict.FAILED, "The issuer has no record of this credential.")
    if record.status is CredentialStatus.REVOKED:
        return Check("status", Verdict.FAILED, f"revoked by the issuer: {record.revoked_reason}")
    if record.status is CredentialStatus.SUSPENDED:
        why = f": {record.revoked_reason}" if record.revoked_reason else ""
        return Check("status", Verdict.FAILED, f"suspended by the issuer{why}")
    return Check("status", Verdict.PASSED, "The issuer's records show it is in good standing.")


def verify(session: Session, *, base_url: str, data: Mapping[str, Any] | str | bytes) -> Report:
    if isinstance(data, bytes) and data.startswith(b"%PDF-"):
        # A certificate carries its signed credential as an attached file.
        try:
            data = pdf.extract_credential(data)
        except pdf.PdfCredentialError as exc:
            return Report(checks=(Check("format", Verdict.FAILED, str(exc)),), credential=None)
    report = ob_verify.verify(
        data,
        resolve_key=resolver(session, base_url),
        check_status=status_checker(session, base_url),
    )
    if report.credential is None:
        return report
    # Our records also know why, and cover credentials signed before they had a status entry;
    # they agree with our lists, which are set from the same status.
    own = _own_record(session, base_url, report.credential)
    if own is None:
        return report
    checks = (*(c for c in report.checks if c.name != "status"), own)
    return Report(checks=checks, credential=report.credential)


def by_url(session: Session, *, base_url: str, url: str) -> Report:
    """Only our own URLs: fetching arbitrary URLs is not done here."""
    prefix = f"{base_url}/credentials/"
    record = None
    if url.startswith(prefix):
        record = session.scalar(
            select(Credential).where(Credential.public_id == url.removeprefix(prefix))
        )
    if record is None or record.document is None:
        return Report(
            checks=(
                Check(
                    "format",
                    Verdict.FAILED,
                    "This is not the address of a signed credential issued here; send the "
                    "credential itself instead.",
                ),
            ),
            credential=None,
        )
    return verify(session, base_url=base_url, data=record.document)
