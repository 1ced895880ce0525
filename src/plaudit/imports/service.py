"""Import credentials issued elsewhere: each item recorded once, verified where it can be.

What an import does, and why (docs/imports.md is the user's view):

- Each item becomes a `Credential` with `imported` true and its legacy id. The original document
  is kept exactly as received in `imported_document`; `document` stays None, because everything
  that reads `document` takes it for a credential we signed: the signing job, the other proof
  formats (re-signed with our key), baked downloads and status lists. So an imported credential
  is never signed by us, has no index in our status lists and offers no downloads; its pages
  say it was imported and by whom it was issued.
- Idempotent: (organization, import_source, legacy_id) is unique. Open Badges documents share
  the source "openbadges", since their ids (URLs, urn:uuid) are the issuer's and global: the
  same credential sent as JSON and then baked in a PNG is found again. A CSV's legacy ids are
  only unique within the export they come from, so its source is "csv:<label>" (label given
  by the caller, default "csv"). Importing again reports "duplicate" and writes nothing.
- Templates: `template_id` maps every item; a CSV row names a template of the organization
  (id or name; published or archived, as long as it was published once). Otherwise there is
  one template per source achievement, found by the achievement's id (kept in the template's
  metadata) or created, archived, with one frozen version: pages can show it, but no rule can
  award it, as that would sign another issuer's achievement with our key. Unarchive it and
  give it an image to issue it yourself.
- Verification: OB 3.0 goes through our verifier (which, as always, may fetch the issuer's
  did:web key or status list); the result is recorded and a failure does not refuse the item.
  OB 2.0 (hosted or signed) needs the issuer's server, which imports never call, and a CSV row
  carries no proof: both are recorded as unverified, with why.
- Rules: an active imported credential is held, as any credential is (rule conditions already
  count active credentials), and its ONCE guard is set: a ONCE rule does not award the template
  again to someone who holds it from the old system, which is what importing history means.
  No Award or AwardLog rows: those record our rules' own assignments (counts, analytics).
- No emails and no webhooks: importing history is not an award.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from pydantic import ValidationError
from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session

from plaudit.db import new_id, new_public_id, utcnow
from plaudit.errors import InvalidInput
from plaudit.imports.items import Achievement, Format, Item, Problem, recipient_matches
from plaudit.learners import service as learners
from plaudit.learners.schemas import LearnerIn
from plaudit.models.award import AwardGuard, Credential, CredentialStatus
from plaudit.models.learner import Learner
from plaudit.models.organization import Organization
from plaudit.models.template import (
    Template,
    TemplateKind,
    TemplateStatus,
    TemplateVersion,
)
from plaudit.openbadges.report import Report, Verdict
from plaudit.templates import service as templates
from plaudit.templates.schemas import Criteria, TemplateCreate
from plaudit.verification import service as verification

OPENBADGES_SOURCE: Final = "openbadges"
DEFAULT_CSV_SOURCE: Final = "csv"
# Where a created template records the achievement it stands for.
ACHIEVEMENT_KEY: Final = "imported_achievement"
_CHUNK: Final = 500


@dataclass(frozen=True)
class Options:
    template_id: uuid.UUID | None = None
    # Whose documents these are, when they name their recipient by a hash or not by email.
    recipient_email: str | None = None
    source: str | None = None


@dataclass
class Outcome:
    where: str
    status: str  # imported, duplicate or invalid
    reason: str | None = None
    format: str | None = None
    line: int | None = None
    column: str | None = None
    legacy_id: str | None = None
    credential_id: uuid.UUID | None = None
    public_id: str | None = None
    template_id: uuid.UUID | None = None
    verified: bool | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Result:
    outcomes: list[Outcome]
    templates_created: list[Template]


@dataclass
class _Ready:
    """An item that passed every check, waiting to be written."""

    outcome: Outcome
    item: Item
    source: str
    email: str
    version: TemplateVersion | None = None


def _invalid(problem: Problem) -> Outcome:
    return Outcome(
        where=problem.where,
        status="invalid",
        reason=problem.reason,
        line=problem.line,
        column=problem.column,
        legacy_id=problem.legacy_id,
    )


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def source_of(item: Item, options: Options) -> str:
    if item.format is Format.CSV:
        return f"csv:{options.source or DEFAULT_CSV_SOURCE}"
    return OPENBADGES_SOURCE


def _recipient(item: Item, given: str | None) -> tuple[str | None, str | None]:
    """(address, None), or (None, why there is none)."""
    recipient = item.recipient
    if item.format is Format.CSV:
        return recipient.email, None
    if given is not None:
        if recipient.email is None and not recipient.hashes:
            return given, None  # the document names no email: the caller says whose it is
        if recipient_matches(recipient, given):
            return given, None
        return None, "recipient_email does not match the recipient the credential names"
    if recipient.email is not None:
        return recipient.email, None
    if recipient.hashes:
        return None, (
            "the recipient's email is hashed: send recipient_email to say whose credential "
            "this is (it is checked against the hash)"
        )
    if recipient.other:
        return (
            None,
            f"the recipient is named only as '{recipient.other[:200]}': send recipient_email",
        )
    return None, "the credential names no recipient: send recipient_email"


def _given_template(
    session: Session, organization_id: uuid.UUID, template_id: uuid.UUID | None
) -> TemplateVersion | None:
    if template_id is None:
        return None
    template = session.scalar(
        select(Template).where(
            Template.id == template_id, Template.organization_id == organization_id
        )
    )
    if template is None:
        raise InvalidInput(
            f"No template with id '{template_id}' exists in this organization.",
            extra={"errors": [{"field": "template_id", "reason": "unknown template"}]},
        )
    version = templates.latest_version(session, template)
    if version is None:
        raise InvalidInput(
            f"Template '{template.name}' was never published; publish it first.",
            extra={"errors": [{"field": "template_id", "reason": "never published"}]},
        )
    return version


class _Templates:
    """Template versions by CSV reference or by achievement, looked up once per import."""

    def __init__(self, session: Session, organization: Organization) -> None:
        self.session, self.organization = session, organization
        self.by_ref: dict[str, TemplateVersion | str] = {}
        self.by_achievement: dict[str, TemplateVersion] = {}
        self.created: list[Template] = []

    def named(self, ref: str) -> TemplateVersion | str:
        """The template a CSV names by id or name, or why there is none."""
        if ref in self.by_ref:
            return self.by_ref[ref]
        stmt = select(Template).where(Template.organization_id == self.organization.id)
        try:
            found = list(self.session.scalars(stmt.where(Template.id == uuid.UUID(ref))))
        except ValueError:
            found = list(
                self.session.scalars(
                    stmt.where(func.lower(Template.name) == ref.lower()).order_by(Template.id)
                )
            )
        answer: TemplateVersion | str
        if not found:
            answer = f"no template is named '{ref}'"
        elif len(found) > 1:
            answer = f"{len(found)} templates are named '{ref}'; give its id instead"
        else:
            version = templates.latest_version(self.session, found[0])
            answer = version or f"template '{found[0].name}' was never published"
        self.by_ref[ref] = answer
        return answer

    def for_achievement(self, achievement: Achievement, item: Item) -> TemplateVersion:
        known = self.by_achievement.get(achievement.key)
        if known is not None:
            return known
        template = self.session.scalar(
            select(Template)
            .where(
                Template.organization_id == self.organization.id,
                Template.metadata_[ACHIEVEMENT_KEY].as_string() == achievement.key,
            )
            .order_by(Template.created_at, Template.id)
            .limit(1)
        )
        version = templates.latest_version(self.session, template) if template else None
        if version is None:
            version = self._create(achievement, item)
        self.by_achievement[achievement.key] = version
        return version

    def _create(self, achievement: Achievement, item: Item) -> TemplateVersion:
        issuer = item.issuer
        metadata = {
            ACHIEVEMENT_KEY: achievement.key,
            "imported_issuer": issuer.id if issuer else None,
            "imported_issuer_name": issuer.name if issuer else None,
            "imported_image_url": achievement.image_url,
        }
        try:
            criteria = Criteria(
                narrative=achievement.criteria_narrative,
                url=achievement.criteria_url,
            )
        except ValidationError:
            criteria = Criteria(narrative=achievement.criteria_narrative)
        template = templates.create(
            self.session,
            organization=self.organization,
            data=TemplateCreate(
                kind=TemplateKind.BADGE,
                name=achievement.name,
                description=achievement.description,
                criteria=criteria,
                metadata={k: v for k, v in metadata.items() if v},
            ),
        )
        # Frozen once and archived: enough for pages to show it, out of reach of the rules
        # (only published templates are awarded), and no image is required as for publishing.
        now = utcnow()
        version = TemplateVersion(
            organization_id=self.organization.id,
            template_id=template.id,
            number=1,
            snapshot=templates.snapshot(template),
            image_id=None,
        )
        self.session.add(version)
        template.published_version = 1
        template.has_unpublished_changes = False
        template.status = TemplateStatus.ARCHIVED
        template.published_at = now
        template.archived_at = now
        self.session.flush()
        self.created.append(template)
        return version


def _verification(item: Item, report: Report | None, now: datetime) -> dict[str, Any]:
    if report is None:
        return {
            "verified": False,
            "outcome": "Not verified",
            "reason": item.unverifiable_because,
            "checked_at": now.isoformat(),
            "checks": [],
        }
    failed = [c for c in report.checks if c.verdict is Verdict.FAILED]
    return {
        "verified": report.valid,
        "outcome": report.outcome,
        "reason": "; ".join(f"{c.name}: {c.message}" for c in failed) or None,
        "checked_at": now.isoformat(),
        "checks": [
            {"name": c.name, "verdict": c.verdict.value, "message": c.message}
            for c in report.checks
        ],
    }


def _existing(
    session: Session, organization_id: uuid.UUID, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], tuple[uuid.UUID, str]]:
    found: dict[tuple[str, str], tuple[uuid.UUID, str]] = {}
    for chunk in _chunks(keys):
        rows = session.execute(
            select(
                Credential.import_source, Credential.legacy_id, Credential.id, Credential.public_id
            ).where(
                Credential.organization_id == organization_id,
                tuple_(Credential.import_source, Credential.legacy_id).in_(list(chunk)),
            )
        )
        for source, legacy_id, ident, public_id in rows:
            if source is not None and legacy_id is not None:
                found[(source, legacy_id)] = (ident, public_id)
    return found


def _issued_here(
    session: Session, organization_id: uuid.UUID, base_url: str, item: Item
) -> str | None:
    """The public id of our own credential that this document is, in this organization."""
    prefix = f"{base_url}/credentials/"
    if item.format is not Format.OB3 or not item.legacy_id.startswith(prefix):
        return None
    return session.scalar(
        select(Credential.public_id).where(
            Credential.organization_id == organization_id,
            Credential.public_id == item.legacy_id.removeprefix(prefix),
            Credential.imported.is_(False),
        )
    )


def _learners(
    session: Session, organization_id: uuid.UUID, ready: Sequence[_Ready]
) -> dict[str, Learner]:
    """The learner of each address: one already known by that email (preferring the one
    created for it, 'email:<address>'), else a new one."""
    people = {r.email: r.item.recipient for r in ready}
    found: dict[str, Learner] = {}
    for chunk in _chunks(sorted(people)):
        for learner in session.scalars(
            select(Learner)
            .where(Learner.organization_id == organization_id, Learner.email.in_(list(chunk)))
            .order_by(Learner.created_at, Learner.id)
        ):
            assert learner.email is not None
            current = found.get(learner.email)
            if current is None or learner.external_id == f"email:{learner.email}":
                found[learner.email] = learner
    missing = [
        LearnerIn(
            email=address,
            first_name=people[address].first_name,
            last_name=people[address].last_name,
        )
        for address in sorted(people)
        if address not in found
    ]
    if missing:
        created = learners.upsert_many(session, organization_id=organization_id, learners=missing)
        for learner in created.values():
            assert learner.email is not None
            found[learner.email] = learner
    return found


def _screen(
    entries: Sequence[Item | Problem], options: Options
) -> tuple[list[Outcome], list[_Ready]]:
    """An outcome for every entry, in order; the items whose recipient is known go on."""
    outcomes: list[Outcome] = []
    candidates: list[_Ready] = []
    for entry in entries:
        if isinstance(entry, Problem):
            outcomes.append(_invalid(entry))
            continue
        outcome = Outcome(
            where=entry.where,
            status="invalid",
            format=entry.format.value,
            line=entry.line,
            legacy_id=entry.legacy_id,
            notes=list(entry.remarks),
        )
        outcomes.append(outcome)
        address, why = _recipient(entry, options.recipient_email)
        if address is None:
            outcome.reason = why
            continue
        candidates.append(_Ready(outcome, entry, source_of(entry, options), address.lower()))
    return outcomes, candidates


def _deduplicate(
    session: Session, organization_id: uuid.UUID, base_url: str, candidates: Sequence[_Ready]
) -> list[_Ready]:
    """Those neither imported before, nor seen earlier in this import, nor issued here."""
    existing = _existing(
        session, organization_id, sorted({(c.source, c.item.legacy_id) for c in candidates})
    )
    seen: dict[tuple[str, str], str] = {}
    fresh: list[_Ready] = []
    for candidate in candidates:
        key = (candidate.source, candidate.item.legacy_id)
        outcome = candidate.outcome
        if key in existing:
            outcome.status = "duplicate"
            outcome.credential_id, outcome.public_id = existing[key]
            outcome.reason = f"already imported (credential {outcome.public_id})"
        elif key in seen:
            outcome.status = "duplicate"
            outcome.reason = f"the same legacy id as {seen[key]}, in this import"
        elif (own := _issued_here(session, organization_id, base_url, candidate.item)) is not None:
            outcome.status = "duplicate"
            outcome.public_id = own
            outcome.reason = f"issued here: this is our credential {own}"
        else:
            seen[key] = candidate.item.where
            fresh.append(candidate)
    return fresh


def _place(
    candidates: Sequence[_Ready], given: TemplateVersion | None, lookup: _Templates
) -> list[_Ready]:
    """Those with a template version to be issued from (set on each)."""
    placed: list[_Ready] = []
    for candidate in candidates:
        item, outcome = candidate.item, candidate.outcome
        if given is not None:
            candidate.version = given
        elif item.format is Format.CSV:
            found = (
                lookup.named(item.template)
                if item.template
                else "is required (or send template_id)"
            )
            if isinstance(found, str):
                outcome.reason = f"line {item.line}, column 'template': {found}"
                outcome.column = "template"
                continue
            candidate.version = found
        elif item.achievement is not None:
            candidate.version = lookup.for_achievement(item.achievement, item)
        else:
            outcome.reason = "the credential names no achievement: send template_id"
            continue
        placed.append(candidate)
    return placed


def _row(
    organization_id: uuid.UUID,
    candidate: _Ready,
    learner: Learner,
    checked: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The credential's columns, for one multi-row INSERT (as AwardBook.write does)."""
    item, version = candidate.item, candidate.version
    assert version is not None
    issuer = item.issuer
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "public_id": new_public_id(),
        "learner_id": learner.id,
        "template_id": version.template_id,
        "template_version_id": version.id,
        "template_version": version.number,
        "award_log_id": None,
        "status": CredentialStatus.REVOKED if item.revoked_reason else CredentialStatus.ACTIVE,
        "recipient_email": candidate.email,
        # The names as issued, else as we know the learner.
        "recipient_first_name": item.recipient.first_name or learner.first_name,
        "recipient_last_name": item.recipient.last_name
        if item.recipient.first_name
        else learner.last_name,
        "activity_title": item.activity_title,
        "activity_started_at": None,
        "activity_ended_at": None,
        "emitted_at": item.issued_at,
        "expires_at": item.expires_at,
        "notes": item.notes,
        "additional_details": {},
        "fields": {},
        "evidence": [dict(e) for e in item.evidence],
        "private": False,
        "imported": True,
        "legacy_id": item.legacy_id,
        "revoked_at": now if item.revoked_reason else None,
        "revoked_reason": item.revoked_reason,
        "status_index": None,
        "document": None,
        "signed_at": None,
        "import_source": candidate.source,
        "import_format": item.format.value,
        "imported_document": item.original,
        "import_details": {
            "issuer": {"id": issuer.id, "name": issuer.name, "url": issuer.url} if issuer else None,
            "verification": checked,
            "notes": list(item.remarks),
        },
        "created_at": now,
        "updated_at": now,
    }


def run(
    session: Session,
    *,
    organization: Organization,
    entries: Sequence[Item | Problem],
    options: Options,
    base_url: str,
) -> Result:
    """Import what was read; one outcome per entry, in order."""
    # Imports of one organization take turns (FOR NO KEY UPDATE does not hold back the
    # ordinary inserts that reference the organization): two of them would otherwise both
    # create the same achievement's template or learner.
    session.execute(
        select(Organization.id)
        .where(Organization.id == organization.id)
        .with_for_update(key_share=True)
    )
    now = utcnow()
    given = _given_template(session, organization.id, options.template_id)
    lookup = _Templates(session, organization)
    outcomes, candidates = _screen(entries, options)
    fresh = _deduplicate(session, organization.id, base_url, candidates)
    placed = _place(fresh, given, lookup)
    if not placed:
        return Result(outcomes, lookup.created)
    people = _learners(session, organization.id, placed)
    rows: list[dict[str, Any]] = []
    held: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for candidate in placed:
        item, outcome = candidate.item, candidate.outcome
        report = (
            verification.verify(session, base_url=base_url, data=item.verifiable)
            if item.verifiable is not None
            else None
        )
        checked = _verification(item, report, now)
        row = _row(organization.id, candidate, people[candidate.email], checked, now)
        rows.append(row)
        if row["status"] is CredentialStatus.ACTIVE:
            held.add((row["learner_id"], row["template_id"]))
        outcome.status = "imported"
        outcome.reason = None if checked["verified"] else f"not verified: {checked['reason']}"
        outcome.credential_id, outcome.public_id = row["id"], row["public_id"]
        outcome.template_id = row["template_id"]
        outcome.verified = bool(checked["verified"])
    session.execute(insert(Credential), rows)
    _guard(session, organization.id, held)
    session.flush()
    return Result(outcomes, lookup.created)


def _guard(
    session: Session, organization_id: uuid.UUID, held: set[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """Set the ONCE guard of each (learner, template) now held, where it is not set yet."""
    pairs = sorted(held)
    present: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for chunk in _chunks(pairs):
        rows = session.execute(
            select(AwardGuard.learner_id, AwardGuard.template_id).where(
                tuple_(AwardGuard.learner_id, AwardGuard.template_id).in_(list(chunk))
            )
        )
        present.update((learner_id, template_id) for learner_id, template_id in rows)
    session.add_all(
        AwardGuard(learner_id=learner_id, template_id=template_id, organization_id=organization_id)
        for learner_id, template_id in pairs
        if (learner_id, template_id) not in present
    )
