"""What the Open Badges API reads and writes for one learner: their credentials, and their
profile.

Credentials are the learner's credentials in the organization that Plaudit can hand out as Open
Badges 3.0: those it issued and signed (their Data Integrity JSON), and those it imported (the
document exactly as received: JSON, or a VC-JWT's compact JWS). A credential a client upserts
is stored as an import (plaudit.imports): verified, recorded with what the verification found,
never signed again by Plaudit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true
from sqlalchemy.orm import Session

from plaudit import safejson
from plaudit.imports import parse
from plaudit.imports import service as imports
from plaudit.imports.items import Format, Item
from plaudit.models.award import AwardGuard, Credential, CredentialStatus
from plaudit.models.learner import Learner
from plaudit.models.oauth import ObApiClient, ObApiProfile
from plaudit.models.organization import Organization
from plaudit.obapi import document
from plaudit.obapi.statusinfo import ObApiError
from plaudit.openbadges.credential import OB_V3

MAX_LIMIT: Final = 100
DEFAULT_LIMIT: Final = 50
PROFILE_CONTEXT: Final = [OB_V3]
# The key of an upserted credential's import details that names the client that sent it.
UPSERTED_BY: Final = "obapi_client"
# The profile properties the learner's own columns hold; every other one is kept as given.
# (`name` is theirs too: their given and family names, set through those.)
_OWN: Final = frozenset({"@context", "id", "type", "name", "givenName", "familyName", "email"})


# --- reading credentials ----------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialPage:
    credentials: list[dict[str, Any]]  # embedded proofs (or none)
    compact_jws: list[str]  # VC-JWTs
    total: int


def _open_badges(organization_id: uuid.UUID, learner_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The Open Badges credentials of one learner (None: of every learner) of the organization."""
    return and_(
        Credential.organization_id == organization_id,
        Credential.learner_id == learner_id if learner_id is not None else true(),
        or_(
            and_(Credential.imported.is_(False), Credential.signed_at.is_not(None)),
            and_(Credential.imported.is_(True), Credential.import_format == Format.OB3.value),
        ),
    )


def credentials(
    session: Session,
    *,
    organization_id: uuid.UUID,
    learner_id: uuid.UUID | None,
    limit: int,
    offset: int,
    since: datetime | None,
) -> CredentialPage:
    """One page of the learner's credentials (every learner's: None), in the order they came
    to Plaudit."""
    where = _open_badges(organization_id, learner_id)
    if since is not None:
        where = and_(where, Credential.emitted_at > since)
    total = session.scalar(select(func.count()).select_from(Credential).where(where)) or 0
    rows = session.execute(
        select(Credential.imported, Credential.document, Credential.imported_document)
        .where(where)
        .order_by(Credential.created_at, Credential.id)
        .limit(limit)
        .offset(offset)
    )
    found: list[dict[str, Any]] = []
    jws: list[str] = []
    for imported, signed, original in rows:
        held = original if imported else signed
        if isinstance(held, str):
            jws.append(held)
        elif isinstance(held, dict):
            found.append(held if imported else _proofs_as_a_list(held))
    return CredentialPage(credentials=found, compact_jws=jws, total=int(total))


def _proofs_as_a_list(signed: dict[str, Any]) -> dict[str, Any]:
    """Plaudit's signed credential with its one proof as a one-item list. The data model allows
    either (`Proof 0..* array-compacted`), and a proof is not part of what it signs, so both
    verify alike; but the API's published schema wants a list, and clients generated from it
    read nothing else. Imported credentials are served exactly as they came."""
    proof = signed.get("proof")
    return {**signed, "proof": [proof]} if isinstance(proof, dict) else signed


# --- upserting a credential -------------------------------------------------------------------


@dataclass(frozen=True)
class Upserted:
    created: bool  # False: it replaced one the learner held


def _same(a: str | None, b: str | None) -> bool:
    """1EdTech's credential equality compares ids after percent-decoding and trimming."""
    return unquote(a or "").strip() == unquote(b or "").strip()


def _read(body: dict[str, Any] | str) -> Item:
    if isinstance(body, dict):
        found = document.problems("AchievementCredential", body)
        if found:
            raise ObApiError(
                400, "The body is not an AchievementCredential: " + "; ".join(found) + "."
            )
    entry = parse.read_document(body, where="the request body")
    if isinstance(entry, parse.Problem):
        raise ObApiError(400, f"The credential cannot be read: {entry.reason}.")
    if entry.format is not Format.OB3:
        raise ObApiError(
            400, "This is an Open Badges 2.0 assertion; this API takes Open Badges 3.0 credentials."
        )
    return entry


def upsert(
    session: Session,
    *,
    organization: Organization,
    learner: Learner,
    client_id: uuid.UUID,
    body: dict[str, Any] | str,
    base_url: str,
) -> Upserted:
    """Store ``body`` for the learner: a new credential, or the one it equals replaced (same
    issuer and same credential id). Refused (403) when that id is held by another learner of
    the organization, or is a credential Plaudit issued to someone else. The client that sent
    it is recorded with the import (see ``upserted_by``)."""
    item = _read(body)
    issued_here = _issued_here(session, organization, item, base_url)
    if issued_here is not None:
        # Plaudit's own credential, sent back: it is the learner's already, or someone else's.
        if issued_here != learner.id:
            raise ObApiError(403, "This credential was issued here to someone else.")
        return Upserted(created=False)
    if not learner.email:
        raise ObApiError(
            403,
            "Plaudit stores a learner's credentials by their email address, and this learner "
            "has none: ask the organization to add it.",
        )
    existing = session.scalar(
        select(Credential).where(
            Credential.organization_id == organization.id,
            Credential.import_source == imports.OPENBADGES_SOURCE,
            Credential.legacy_id == item.legacy_id,
        )
    )
    if existing is not None:
        if existing.learner_id != learner.id:
            raise ObApiError(403, "A credential with this id is held by someone else here.")
        held_issuer = (existing.import_details or {}).get("issuer") or {}
        if not _same(held_issuer.get("id"), item.issuer.id if item.issuer else None):
            raise ObApiError(400, "You already hold a credential with this id from another issuer.")
        # Replaced as a whole: imported again from the new document, which sets everything
        # an import derives from it (dates, template, verification) the one way imports do.
        session.execute(delete(Credential).where(Credential.id == existing.id))
    guards_before = _guards_of_namesakes(session, organization.id, learner)
    result = imports.run(
        session,
        organization=organization,
        entries=[item],
        options=imports.Options(recipient_email=learner.email),
        base_url=base_url,
    )
    [outcome] = result.outcomes
    if outcome.status != "imported" or outcome.credential_id is None:
        raise ObApiError(400, f"The credential cannot be stored: {outcome.reason}.")
    _hold_for(session, learner, outcome.credential_id, guards_before)
    _record_client(session, outcome.credential_id, client_id)
    return Upserted(created=existing is None)


def _record_client(session: Session, credential_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """The import's source stays "openbadges" (what finds the credential again, however it
    comes back); who sent it goes with the import's details, its name as it was then (a client
    may be deleted, its credentials stay)."""
    credential = session.get(Credential, credential_id)
    client = session.get(ObApiClient, client_id)
    assert credential is not None and client is not None
    credential.import_details = {
        **(credential.import_details or {}),
        UPSERTED_BY: {"client_id": str(client.id), "name": client.name},
    }
    session.flush()


def upserted_by(credential: Credential) -> str | None:
    """The name of the client that upserted this credential through the API, if one did."""
    found = (credential.import_details or {}).get(UPSERTED_BY)
    return str(found["name"]) if isinstance(found, dict) and found.get("name") else None


def _issued_here(
    session: Session, organization: Organization, item: Item, base_url: str
) -> uuid.UUID | None:
    """The learner holding the credential Plaudit issued in this organization that the document
    is (its id is that credential's public page), if it is one."""
    prefix = f"{base_url}/credentials/"
    if not item.legacy_id.startswith(prefix):
        return None
    return session.scalar(
        select(Credential.learner_id).where(
            Credential.organization_id == organization.id,
            Credential.public_id == item.legacy_id.removeprefix(prefix),
            Credential.imported.is_(False),
        )
    )


def _guards_of_namesakes(
    session: Session, organization_id: uuid.UUID, learner: Learner
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The ONCE guards held by the learners who share this learner's email (see _hold_for)."""
    namesakes = select(Learner.id).where(
        Learner.organization_id == organization_id, Learner.email == learner.email
    )
    rows = session.execute(
        select(AwardGuard.learner_id, AwardGuard.template_id).where(
            AwardGuard.learner_id.in_(namesakes)
        )
    )
    return {(learner_id, template_id) for learner_id, template_id in rows}


def _hold_for(
    session: Session,
    learner: Learner,
    credential_id: uuid.UUID,
    guards_before: set[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    """Imports give a credential to the learner its email names, preferring the one created for
    that email: when two learners of the organization share the address, that may be another
    one than the learner who consented. The credential is theirs: it moves to them, and so
    does the ONCE guard the import set."""
    credential = session.get(Credential, credential_id)
    assert credential is not None
    holder = credential.learner_id
    if holder == learner.id:
        return
    credential.learner_id = learner.id
    template_id = credential.template_id
    if (holder, template_id) not in guards_before:
        session.execute(
            delete(AwardGuard).where(
                AwardGuard.learner_id == holder, AwardGuard.template_id == template_id
            )
        )
    if credential.status is CredentialStatus.ACTIVE and (
        session.get(AwardGuard, (learner.id, template_id)) is None
    ):
        session.add(
            AwardGuard(
                learner_id=learner.id,
                template_id=template_id,
                organization_id=learner.organization_id,
            )
        )
    session.flush()


# --- the profile ------------------------------------------------------------------------------


def profile_id(learner: Learner) -> str:
    return f"urn:uuid:{learner.id}"


def profile(session: Session, learner: Learner) -> dict[str, Any]:
    """The learner as an Open Badges Profile: their names and email, and what their clients
    put that Plaudit has no column for."""
    kept = session.get(ObApiProfile, learner.id)
    extra = dict(kept.properties) if kept is not None else {}
    names = _full_name(learner)
    answer: dict[str, Any] = {
        "@context": PROFILE_CONTEXT,
        "id": profile_id(learner),
        "type": ["Profile"],
    }
    if names:
        answer["name"] = names
    answer.update(extra)
    own = {"givenName": learner.first_name, "familyName": learner.last_name, "email": learner.email}
    answer.update({k: v for k, v in own.items() if v})
    return answer


def put_profile(session: Session, learner: Learner, body: Any) -> dict[str, Any]:
    """Replace the learner's profile with ``body``, a Profile. Its id must be the learner's
    (GET /profile says it), and its email the learner's own: Plaudit knows the learner by that
    address, which only the organization changes. givenName and familyName set the learner's
    names when present (`name` is made of them); every other property replaces what was kept
    before."""
    if not isinstance(body, dict):
        raise ObApiError(400, "Send the profile as a JSON object.")
    found = document.problems("Profile", body)
    if found:
        raise ObApiError(400, "The body is not a Profile: " + "; ".join(found) + ".")
    if body["id"] != profile_id(learner):
        raise ObApiError(400, f"This learner's profile id is '{profile_id(learner)}'.")
    if "Profile" not in body["type"]:
        raise ObApiError(400, "A profile's type must include 'Profile'.")
    email = body.get("email")
    if email is not None and (not learner.email or str(email).lower() != learner.email.lower()):
        raise ObApiError(
            400, "The email address cannot be changed here; ask the organization to change it."
        )
    names = {key: body.get(key) for key in ("givenName", "familyName")}
    for key, value in names.items():
        if value is not None and (not isinstance(value, str) or len(value.strip()) > 200):
            raise ObApiError(400, f"'{key}' must be a name of at most 200 characters.")
    if flaws := safejson.flaws(body):
        raise ObApiError(400, str(safejson.UnsafeJson(flaws)))
    if isinstance(names["givenName"], str):
        learner.first_name = names["givenName"].strip() or None
    if isinstance(names["familyName"], str):
        learner.last_name = names["familyName"].strip() or None
    extra = {k: v for k, v in body.items() if k not in _OWN}
    kept = session.get(ObApiProfile, learner.id)
    if kept is None:
        session.add(
            ObApiProfile(
                learner_id=learner.id, organization_id=learner.organization_id, properties=extra
            )
        )
    else:
        kept.properties = extra
    session.flush()
    return profile(session, learner)


def _full_name(learner: Learner) -> str:
    return " ".join(p for p in (learner.first_name, learner.last_name) if p)
