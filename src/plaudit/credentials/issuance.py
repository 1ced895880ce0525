"""Sign awarded credentials as Open Badges 3.0 AchievementCredentials (eddsa-rdfc-2022)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from plaudit.credentials import status_lists
from plaudit.db import utcnow
from plaudit.keys import service as keys
from plaudit.models.award import Credential
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.models.status_list import StatusList, StatusPurpose
from plaudit.models.template import TemplateVersion
from plaudit.openbadges import credential as ob
from plaudit.openbadges import multikey, statuslist
from plaudit.openbadges.credential import iso
from plaudit.openbadges.fastpath import ShapeCache, sign_rdfc_fast
from plaudit.openbadges.jcs import sign_jcs
from plaudit.openbadges.jose import sign_vc_jwt
from plaudit.public_urls import credential_url
from plaudit.runtime import Runtime
from plaudit.templates.snapshot import snapshot_of

SHAPES = ShapeCache()


@dataclass(frozen=True)
class IssuerIdentity:
    """Who signs: did:web under the public HTTPS base URL, or did:key where there is none."""

    did: str
    verification_method: str
    key: SigningKey


def raw_public_key(key: SigningKey) -> bytes:
    x = str(key.public_jwk["x"])
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))


def organization_did(base_url: str, organization: Organization) -> str | None:
    if not base_url.startswith("https://"):
        return None
    return multikey.did_web(base_url, "orgs", organization.slug)


def identity(base_url: str, organization: Organization, key: SigningKey) -> IssuerIdentity:
    did = organization_did(base_url, organization)
    if did is not None:
        return IssuerIdentity(did, f"{did}#{key.id}", key)
    # did:key names the key itself: fine for a development instance, not rotatable.
    did = multikey.did_key(raw_public_key(key))
    return IssuerIdentity(did, multikey.did_key_verification_method(did), key)


def ed25519_key(session: Session, runtime: Runtime, organization_id: uuid.UUID) -> SigningKey:
    active = keys.provision(session, organization_id=organization_id, vault=runtime.vault)
    return next(k for k in active if k.algorithm is KeyAlgorithm.ED25519)


def build(
    base_url: str,
    *,
    organization: Organization,
    credential: Credential,
    version: TemplateVersion,
    issuer_id: str,
    statuses: Sequence[ob.StatusEntry] = (),
) -> dict[str, Any]:
    snapshot = snapshot_of(version)
    image_id = snapshot.image_id
    evidence = [_evidence(e) for e in credential.evidence]
    data = ob.CredentialData(
        id=credential_url(base_url, credential.public_id),
        issuer=ob.Issuer(
            id=issuer_id,
            name=organization.name,
            url=organization.url,
            email=organization.email,
            description=organization.description,
            image=organization.logo_url,
        ),
        achievement=ob.Achievement(
            id=f"{base_url}/achievements/{version.id}",
            name=snapshot.name,
            description=snapshot.description or snapshot.name,
            criteria_narrative=snapshot.criteria.narrative,
            criteria_url=snapshot.criteria.url,
            image=f"{base_url}/files/images/{image_id}/standard" if image_id else None,
            achievement_type=snapshot.achievement_type,
            alignments=[
                ob.Alignment(
                    name=a.name,
                    url=a.url,
                    framework=a.framework,
                    code=a.code,
                    description=a.description,
                )
                for a in snapshot.alignments
            ],
            tags=[t.name for t in snapshot.tags],
            language=snapshot.language,
        ),
        valid_from=credential.emitted_at,
        valid_until=credential.expires_at,
        recipient_email=credential.recipient_email,
        recipient_salt=credential.public_id,
        evidence=evidence,
        activity_end=credential.activity_ended_at,
        statuses=statuses,
    )
    return ob.build_credential(data)


def _evidence(entry: dict[str, Any]) -> ob.Evidence:
    if entry.get("type") == "url":
        # Given with the award (bulk issuance): a web address and what it shows.
        url = str(entry["id"]) if entry.get("id") else None
        return ob.Evidence(narrative=str(entry.get("narrative") or url or ""), id=url)
    # The event that earned it.
    return ob.Evidence(
        narrative=f"{entry.get('event_type', 'event')} at {entry.get('occurred_at', '')}",
        name=str(entry.get("id")) if entry.get("id") else None,
    )


def sign(session: Session, runtime: Runtime, *, credential_id: uuid.UUID) -> Credential | None:
    """Sign one credential; a no-op for one already signed (the job may run twice).

    The row is locked first: two jobs signing it at once would each allocate a status index,
    and the document the first committed would name an index no revocation ever sets."""
    credential = session.get(
        Credential, credential_id, with_for_update=True, populate_existing=True
    )
    if credential is None or credential.document is not None:
        return credential
    organization = session.get(Organization, credential.organization_id)
    version = session.scalar(
        select(TemplateVersion).where(TemplateVersion.id == credential.template_version_id)
    )
    if organization is None or version is None:
        return None
    base = runtime.settings.public_base_url
    if credential.status_index is None:
        credential.status_index = status_lists.allocate(session, organization_id=organization.id)
        # Revoked or suspended before it was signed (say, later in the same batch of events):
        # its bits are set now that it has an index.
        status_lists.apply(session, organization_id=organization.id, credentials=[credential])
    # Open Badges 3.0 allows one credentialStatus (0..1; its JSON Schema and 1EdTech's
    # validator reject an array), so the credential names its revocation entry only. The
    # suspension list is kept at the same index and published beside it; our verifier and
    # records report suspension, and an issuer format that allows two entries can name both.
    statuses = [
        ob.StatusEntry(
            status_lists.list_url(base, organization.slug, StatusPurpose.REVOCATION),
            credential.status_index,
            StatusPurpose.REVOCATION.value,
        )
    ]
    key = ed25519_key(session, runtime, organization.id)
    who = identity(base, organization, key)
    unsigned = build(
        base,
        organization=organization,
        credential=credential,
        version=version,
        issuer_id=who.did,
        statuses=statuses,
    )
    credential.document = _signed(runtime, who, unsigned)
    credential.signed_at = utcnow()
    session.flush()
    return credential


# Signing many at once (bulk issuance): the same documents as ``sign``, in three steps so that
# no write lock is held while signatures are computed (SQLite has one writer at a time, and
# PostgreSQL's signers would queue on the status lists' row lock):
# ``prepare_many`` (a short write), ``sign_many`` (reads, then CPU), ``store_many`` (a short
# write that never overwrites a document stored meanwhile). "Not signed yet" is read from
# signed_at: an unsigned document may be stored as JSON null rather than SQL NULL.


def prepare_many(
    session: Session, runtime: Runtime, *, credential_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Give the credentials not signed yet their status-list index (and their bits, if revoked
    or suspended already), and their organizations a key. Returns the organizations whose
    lists changed (to be re-signed)."""
    pending = list(
        session.scalars(
            select(Credential)
            .where(
                Credential.id.in_(credential_ids),
                Credential.signed_at.is_(None),
                Credential.imported.is_(False),
                Credential.status_index.is_(None),
            )
            .order_by(Credential.id)
            # A second job preparing the same credentials waits here, then finds them
            # prepared (PostgreSQL checks the conditions again): two indices for one credential
            # would leave its document naming one that no revocation sets.
            .with_for_update()
        )
    )
    by_org: dict[uuid.UUID, list[Credential]] = {}
    for credential in pending:
        by_org.setdefault(credential.organization_id, []).append(credential)
    changed = set()
    for organization_id in sorted(by_org):
        group = by_org[organization_id]
        keys.provision(session, organization_id=organization_id, vault=runtime.vault)
        indices = status_lists.allocate_many(
            session, organization_id=organization_id, count=len(group)
        )
        for credential, index in zip(group, indices, strict=True):
            credential.status_index = index
        if status_lists.apply(session, organization_id=organization_id, credentials=group):
            changed.add(organization_id)
    session.flush()
    return changed


def sign_many(
    session: Session, runtime: Runtime, *, credential_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Signed documents of the prepared credentials not signed yet (nothing is written)."""
    credentials = list(
        session.scalars(
            select(Credential).where(
                Credential.id.in_(credential_ids),
                Credential.signed_at.is_(None),
                Credential.imported.is_(False),
                Credential.status_index.is_not(None),
            )
        )
    )
    versions = {
        v.id: v
        for v in session.scalars(
            select(TemplateVersion).where(
                TemplateVersion.id.in_({c.template_version_id for c in credentials})
            )
        )
    }
    base = runtime.settings.public_base_url
    signers: dict[uuid.UUID, tuple[Organization, IssuerIdentity, Ed25519PrivateKey] | None] = {}
    documents: dict[uuid.UUID, dict[str, Any]] = {}
    for credential in credentials:
        organization_id = credential.organization_id
        if organization_id not in signers:
            organization = session.get(Organization, organization_id)
            key = next(
                (
                    k
                    for k in keys.active_keys(session, organization_id=organization_id)
                    if k.algorithm is KeyAlgorithm.ED25519
                ),
                None,
            )
            if organization is None or key is None:
                signers[organization_id] = None
            else:
                private = keys.load_private_key(key, vault=runtime.vault)
                assert isinstance(private, Ed25519PrivateKey)
                signers[organization_id] = (
                    organization,
                    identity(base, organization, key),
                    private,
                )
        signer, version = signers[organization_id], versions.get(credential.template_version_id)
        if signer is None or version is None or credential.status_index is None:
            continue
        organization, who, private = signer
        statuses = [
            ob.StatusEntry(
                status_lists.list_url(base, organization.slug, StatusPurpose.REVOCATION),
                credential.status_index,
                StatusPurpose.REVOCATION.value,
            )
        ]
        unsigned = build(
            base,
            organization=organization,
            credential=credential,
            version=version,
            issuer_id=who.did,
            statuses=statuses,
        )
        documents[credential.id] = _signed(runtime, who, unsigned, private=private)
    return documents


def store_many(session: Session, *, documents: dict[uuid.UUID, dict[str, Any]]) -> None:
    if not documents:
        return
    table = Credential.__table__
    assert isinstance(table, Table)
    session.execute(
        table.update()
        .where(table.c.id == bindparam("credential_id"), table.c.signed_at.is_(None))
        .values(document=bindparam("signed"), signed_at=utcnow()),
        [{"credential_id": ident, "signed": doc} for ident, doc in documents.items()],
    )


def _signed(
    runtime: Runtime,
    who: IssuerIdentity,
    unsigned: dict[str, Any],
    *,
    private: Ed25519PrivateKey | None = None,
) -> dict[str, Any]:
    if private is None:
        loaded = keys.load_private_key(who.key, vault=runtime.vault)
        assert isinstance(loaded, Ed25519PrivateKey)
        private = loaded
    # Our credentials come in few shapes (one per template version, roughly): the fast path
    # compiles each once and proves it against the general path on its first document.
    return sign_rdfc_fast(
        SHAPES,
        unsigned,
        private_key=private,
        verification_method=who.verification_method,
        created=iso(utcnow()),
    )


def signed_status_list(
    session: Session, runtime: Runtime, *, organization: Organization, status_list: StatusList
) -> dict[str, Any]:
    """The list as a BitstringStatusListCredential, signed now with the organization's key."""
    base = runtime.settings.public_base_url
    who = identity(base, organization, ed25519_key(session, runtime, organization.id))
    unsigned = statuslist.build_status_list_credential(
        url=status_lists.list_url(base, organization.slug, status_list.purpose),
        issuer=who.did,
        purpose=status_list.purpose.value,
        encoded=statuslist.encode(status_list.bits),
        valid_from=status_list.updated_at,
    )
    return _signed(runtime, who, unsigned)


FORMATS = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "vc-jwt")


def _key_of(session: Session, credential: Credential, method: str) -> SigningKey | None:
    """The organization's key that signed the stored document (it may have been rotated since)."""
    keys_ = session.scalars(
        select(SigningKey).where(
            SigningKey.organization_id == credential.organization_id,
            SigningKey.algorithm == KeyAlgorithm.ED25519,
        )
    ).all()
    fragment = method.partition("#")[2]
    for key in keys_:
        if fragment == str(key.id) or method.startswith(
            multikey.did_key(raw_public_key(key)) + "#"
        ):
            return key
    return None


def in_format(
    session: Session, runtime: Runtime, *, credential: Credential, proof_format: str
) -> dict[str, Any] | str:
    """The signed credential as eddsa-rdfc-2022 (stored), eddsa-jcs-2022 or a VC-JWT (EdDSA),
    signed by the same key and issuer as the stored document."""
    document = credential.document
    if document is None:
        raise ValueError("the credential is not signed yet")
    if proof_format == "eddsa-rdfc-2022":
        return document
    method = str(document["proof"]["verificationMethod"])
    key = _key_of(session, credential, method)
    if key is None:
        raise ValueError("the key that signed this credential is gone")
    private = keys.load_private_key(key, vault=runtime.vault)
    assert isinstance(private, Ed25519PrivateKey)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    if proof_format == "eddsa-jcs-2022":
        return sign_jcs(
            unsigned, private_key=private, verification_method=method, created=iso(utcnow())
        )
    return sign_vc_jwt(unsigned, private_key=private, kid=method, alg="EdDSA")


HOLDER_FORMATS = ("eddsa-rdfc-2022", "vc-jwt")


def holder_bound(
    session: Session,
    runtime: Runtime,
    *,
    credential: Credential,
    holder: str | None,
    proof_format: str = "eddsa-rdfc-2022",
) -> dict[str, Any] | str:
    """The signed credential for a wallet: `credentialSubject.id` set to the DID its holder
    proved (none proved: the credential as issued), everything else kept (its id, dates,
    status entry), so revoking or suspending the credential reaches every copy. Signed by the
    key that signed the stored document, as eddsa-rdfc-2022 or a VC-JWT (EdDSA)."""
    document = credential.document
    if document is None:
        raise ValueError("the credential is not signed yet")
    if holder is None:
        return in_format(session, runtime, credential=credential, proof_format=proof_format)
    method = str(document["proof"]["verificationMethod"])
    key = _key_of(session, credential, method)
    if key is None:
        raise ValueError("the key that signed this credential is gone")
    private = keys.load_private_key(key, vault=runtime.vault)
    assert isinstance(private, Ed25519PrivateKey)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["credentialSubject"] = {**document["credentialSubject"], "id": holder}
    if proof_format == "vc-jwt":
        return sign_vc_jwt(unsigned, private_key=private, kid=method, alg="EdDSA")
    return _signed(
        runtime,
        IssuerIdentity(str(document["issuer"]["id"]), method, key),
        unsigned,
        private=private,
    )
