"""Grant and revoke within one transaction, for a whole batch of events at once.

An ``AwardBook`` loads what the batch's learners already hold, then records grants and
revocations in memory and in the session, so that later events of the same batch see the
effects of earlier ones (a ONCE rule does not award twice within a batch either). ``write``
returns what it issued and revoked; the use case that owns the transaction tells the world
(``plaudit.lifecycle.awarding.settle``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    delete,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from plaudit.db import Base, insert_rows, new_id, new_public_id, utcnow
from plaudit.models.award import Award, AwardGuard, AwardLog, Credential, CredentialStatus
from plaudit.models.learner import Learner
from plaudit.models.template import Template, TemplateStatus, TemplateVersion
from plaudit.templates.snapshot import Snapshot, snapshot_of


@dataclass(frozen=True)
class AwardableTemplate:
    template_id: uuid.UUID
    name: str
    version_id: uuid.UUID
    version: int
    snapshot: Snapshot


def awardable_templates(
    session: Session, *, organization_id: uuid.UUID, template_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, AwardableTemplate | str]:
    """Each template's current published version, or why it cannot be awarded."""
    ids = set(template_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Template, TemplateVersion)
        .outerjoin(
            TemplateVersion,
            (TemplateVersion.template_id == Template.id)
            & (TemplateVersion.number == Template.published_version),
        )
        .where(Template.organization_id == organization_id, Template.id.in_(ids))
    ).all()
    found: dict[uuid.UUID, AwardableTemplate | str] = dict.fromkeys(
        ids, "template does not exist (deleted?)"
    )
    for template, version in rows:
        if template.status is not TemplateStatus.PUBLISHED or version is None:
            found[template.id] = (
                f"template '{template.name}' is {template.status.value}, not published"
            )
        else:
            found[template.id] = AwardableTemplate(
                template.id, template.name, version.id, version.number, snapshot_of(version)
            )
    return found


@dataclass
class Grant:
    learner: Learner
    template: AwardableTemplate
    rule_id: uuid.UUID | None
    event_id: uuid.UUID | None
    occurred_at: datetime
    entity_type: str | None
    entity_id: str | None
    entity_title: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    backfill_id: uuid.UUID | None = None
    issued_at: datetime | None = None
    # Bulk issuance: an explicit expiry instead of the template's policy, and the row's key
    # (unique per organization, so that a row is never issued twice).
    expires_at: datetime | None = None
    issuance_key: str | None = None
    bulk_issuance_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Issued:
    """A credential a book issued, as the learner's email and the webhooks describe it."""

    credential_id: uuid.UUID
    public_id: str
    learner_id: uuid.UUID
    learner_external_id: str
    email: str | None
    template_id: uuid.UUID
    template_name: str
    issued_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Written:
    """What a book wrote: every new credential (to be signed), those still active at the end
    (to be announced: one revoked later in the same batch is told to nobody), and the stored
    credentials it revoked (to be announced and set in the status lists)."""

    organization_id: uuid.UUID
    created: list[uuid.UUID]
    issued: list[Issued]
    revoked: list[Credential]


@dataclass
class AwardBook:
    session: Session
    organization_id: uuid.UUID
    # Stored awards of these learners: id, count, first and last assigned (rows, not ORM
    # objects: what a grant changes is written by ``write`` in one UPDATE).
    awards: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]]
    guards: set[tuple[uuid.UUID, uuid.UUID]]
    held: dict[uuid.UUID, dict[str, int]]  # learner -> template id -> active credentials
    pending_logs: list[dict[str, Any]] = field(default_factory=list)
    pending_credentials: list[dict[str, Any]] = field(default_factory=list)
    # New guards and awards, inserted by ``write`` too (awards already stored are updated).
    pending_guards: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = field(default_factory=dict)
    pending_awards: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = field(default_factory=dict)
    changed_awards: set[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=set)
    _issued: dict[uuid.UUID, Issued] = field(default_factory=dict)
    _revoked: list[Credential] = field(default_factory=list)
    dry_run: bool = False  # it writes (see ``rules.apply.DryRunBook`` for one that does not)

    @classmethod
    def load(
        cls, session: Session, *, organization_id: uuid.UUID, learner_ids: Iterable[uuid.UUID]
    ) -> AwardBook:
        awards, guards, held = _standing(
            session, organization_id=organization_id, learner_ids=learner_ids, awards=True
        )
        return cls(session, organization_id, awards, guards, held)

    def holds(self, learner_id: uuid.UUID, template_id: uuid.UUID) -> bool:
        return (learner_id, template_id) in self.guards

    def grant(self, grant: Grant, *, once: bool) -> uuid.UUID:
        """Record one assignment: aggregate, immutable log, guard and credential.

        Returns the credential's id. New guard, award, log and credential rows wait in memory
        for ``write`` (one multi-row INSERT each per batch: ORM objects cost more than the
        database work here).
        """
        learner, template = grant.learner, grant.template
        key = (learner.id, template.template_id)
        # ``now`` is the issue date the credential states (a CSV row may carry last year's);
        # ``created`` is when Plaudit issued it, what the overview and the digest count.
        created = utcnow()
        now = grant.issued_at or created
        if key not in self.guards:
            # For a ONCE rule this insert is the claim: a concurrent claim fails on the primary
            # key and its whole transaction is retried, then sees the guard and skips.
            self.pending_guards[key] = {
                "learner_id": learner.id,
                "template_id": template.template_id,
                "organization_id": self.organization_id,
                "created_at": created,
            }
            self.guards.add(key)
        elif once:
            raise AssertionError("a ONCE grant for a held template must be skipped by the caller")
        award = self.awards.get(key)
        if award is not None:
            award["count"] += 1
            award["first_assigned_at"] = min(award["first_assigned_at"], grant.occurred_at)
            award["last_assigned_at"] = max(award["last_assigned_at"], grant.occurred_at)
            self.changed_awards.add(key)
            award_id = award["id"]
        else:
            row = self.pending_awards.get(key)
            if row is None:
                row = self.pending_awards[key] = {
                    "id": new_id(),
                    "organization_id": self.organization_id,
                    "learner_id": learner.id,
                    "template_id": template.template_id,
                    "count": 0,
                    "first_assigned_at": grant.occurred_at,
                    "last_assigned_at": grant.occurred_at,
                    "created_at": created,
                    "updated_at": created,
                }
            row["count"] += 1
            row["first_assigned_at"] = min(row["first_assigned_at"], grant.occurred_at)
            row["last_assigned_at"] = max(row["last_assigned_at"], grant.occurred_at)
            award_id = row["id"]
        log_id, credential_id = new_id(), new_id()
        self.pending_logs.append(
            {
                "id": log_id,
                "organization_id": self.organization_id,
                "award_id": award_id,
                "learner_id": learner.id,
                "template_id": template.template_id,
                "template_version": template.version,
                "rule_id": grant.rule_id,
                "event_id": grant.event_id,
                "source_entity_type": grant.entity_type,
                "source_entity_id": grant.entity_id,
                "backfill_id": grant.backfill_id,
                "assigned_at": grant.occurred_at,
                "created_at": created,
            }
        )
        self.pending_credentials.append(
            {
                "id": credential_id,
                "organization_id": self.organization_id,
                "public_id": new_public_id(),
                "learner_id": learner.id,
                "template_id": template.template_id,
                "template_version_id": template.version_id,
                "template_version": template.version,
                "award_log_id": log_id,
                "status": CredentialStatus.ACTIVE,
                "recipient_email": learner.email,
                "recipient_first_name": learner.first_name,
                "recipient_last_name": learner.last_name,
                "activity_title": grant.entity_title,
                "activity_started_at": None,
                "activity_ended_at": grant.occurred_at,
                "emitted_at": now,
                "expires_at": grant.expires_at or template.snapshot.expiry.ends(issued_at=now),
                "notes": None,
                "additional_details": {},
                "fields": grant.fields,
                "evidence": grant.evidence,
                "imported": False,
                "legacy_id": None,
                "revoked_at": None,
                "revoked_reason": None,
                "document": None,
                "signed_at": None,
                "issuance_key": grant.issuance_key,
                "bulk_issuance_id": grant.bulk_issuance_id,
                "created_at": created,
                "updated_at": created,
            }
        )
        self._issued[credential_id] = Issued(
            credential_id=credential_id,
            public_id=self.pending_credentials[-1]["public_id"],
            learner_id=learner.id,
            learner_external_id=learner.external_id,
            email=learner.email,
            template_id=template.template_id,
            template_name=template.name,
            issued_at=now,
            expires_at=self.pending_credentials[-1]["expires_at"],
        )
        counts = self.held[learner.id]
        counts[str(template.template_id)] = counts.get(str(template.template_id), 0) + 1
        return credential_id

    def revoke(
        self, *, learner_id: uuid.UUID, template_id: uuid.UUID, reason: str
    ) -> list[uuid.UUID]:
        """Revoke the learner's active credentials of a template; they may earn it again."""
        now = utcnow()
        revoked = []
        for row in self.pending_credentials:  # granted earlier in this same batch
            if (
                row["learner_id"] == learner_id
                and row["template_id"] == template_id
                and row["status"] is not CredentialStatus.REVOKED
            ):
                row.update(status=CredentialStatus.REVOKED, revoked_at=now, revoked_reason=reason)
                revoked.append(row["id"])
        stored = list(
            self.session.scalars(
                select(Credential).where(
                    Credential.organization_id == self.organization_id,
                    Credential.learner_id == learner_id,
                    Credential.template_id == template_id,
                    Credential.status != CredentialStatus.REVOKED,
                )
            )
        )
        for credential in stored:
            credential.status = CredentialStatus.REVOKED
            credential.revoked_at = now
            credential.revoked_reason = reason
            revoked.append(credential.id)
        self._revoked.extend(stored)
        self.session.execute(
            delete(AwardGuard).where(
                AwardGuard.learner_id == learner_id, AwardGuard.template_id == template_id
            )
        )
        self.pending_guards.pop((learner_id, template_id), None)
        self.guards.discard((learner_id, template_id))
        self.held[learner_id].pop(str(template_id), None)
        return revoked

    def write(self, before: Sequence[tuple[type[Base], list[dict[str, Any]]]] = ()) -> Written:
        """Insert the pending rows, after whatever they point at exists: the ORM's pending
        objects, and ``before``, rows the caller inserts with them (the events they judged)."""
        self.session.flush()
        if self.changed_awards:
            table = Award.metadata.tables[Award.__tablename__]
            now = utcnow()
            self.session.execute(
                update(table)
                .where(table.c.id == bindparam("award_id"))
                .values(
                    count=bindparam("new_count"),
                    first_assigned_at=bindparam("first"),
                    last_assigned_at=bindparam("last"),
                    updated_at=bindparam("now"),
                ),
                [
                    {
                        "award_id": award["id"],
                        "new_count": award["count"],
                        "first": award["first_assigned_at"],
                        "last": award["last_assigned_at"],
                        "now": now,
                    }
                    for award in (self.awards[key] for key in self.changed_awards)
                ],
            )
        insert_rows(
            self.session,
            [
                *before,
                (AwardGuard, list(self.pending_guards.values())),
                (Award, list(self.pending_awards.values())),
                (AwardLog, self.pending_logs),
                (Credential, self.pending_credentials),
            ],
        )
        written = Written(
            organization_id=self.organization_id,
            created=[row["id"] for row in self.pending_credentials],
            issued=[
                self._issued[row["id"]]
                for row in self.pending_credentials
                if row["status"] is CredentialStatus.ACTIVE
            ],
            revoked=self._revoked,
        )
        self.pending_logs, self.pending_credentials = [], []
        self.pending_guards, self.pending_awards = {}, {}
        self.changed_awards = set()
        self._issued, self._revoked = {}, []
        return written


def holdings(
    session: Session, *, organization_id: uuid.UUID, learner_ids: Iterable[uuid.UUID]
) -> tuple[set[tuple[uuid.UUID, uuid.UUID]], dict[uuid.UUID, dict[str, int]]]:
    """What the learners hold: the ONCE guards (learner, template), and how many active
    credentials of each template."""
    _, guards, held = _standing(
        session, organization_id=organization_id, learner_ids=learner_ids, awards=False
    )
    return guards, held


_AWARD, _GUARD, _HELD = 0, 1, 2


def _standing(
    session: Session,
    *,
    organization_id: uuid.UUID,
    learner_ids: Iterable[uuid.UUID],
    awards: bool,
) -> tuple[
    dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]],
    set[tuple[uuid.UUID, uuid.UUID]],
    dict[uuid.UUID, dict[str, int]],
]:
    """The learners' stored awards (if asked), guards and active credential counts, in one
    round trip (three queries, one UNION ALL: a single event's latency is mostly round trips)."""
    ids = list(set(learner_ids))
    stored: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
    guards: set[tuple[uuid.UUID, uuid.UUID]] = set()
    held: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if not ids:
        return stored, guards, held
    guard_rows = select(
        literal(_GUARD, Integer),
        AwardGuard.learner_id,
        AwardGuard.template_id,
        literal(0, Integer),
        null(),
        null(),
        null(),
    ).where(AwardGuard.learner_id.in_(ids))
    held_rows = (
        select(
            literal(_HELD, Integer),
            Credential.learner_id,
            Credential.template_id,
            func.count(),
            null(),
            null(),
            null(),
        )
        .where(
            Credential.organization_id == organization_id,
            Credential.learner_id.in_(ids),
            Credential.status == CredentialStatus.ACTIVE,
        )
        .group_by(Credential.learner_id, Credential.template_id)
    )
    # The awards first: the union's columns take their types (uuid, aware datetimes) from them.
    award_rows = select(
        literal(_AWARD, Integer),
        Award.learner_id,
        Award.template_id,
        Award.count,
        Award.id,
        Award.first_assigned_at,
        Award.last_assigned_at,
    ).where(Award.learner_id.in_(ids))
    query = (
        union_all(award_rows, guard_rows, held_rows) if awards else union_all(guard_rows, held_rows)
    )
    for kind, learner_id, template_id, count, award_id, first, last in session.execute(query):
        if kind == _AWARD:
            stored[(learner_id, template_id)] = {
                "id": award_id,
                "count": count,
                "first_assigned_at": first,
                "last_assigned_at": last,
            }
        elif kind == _GUARD:
            guards.add((learner_id, template_id))
        else:
            held[learner_id][str(template_id)] = count
    return stored, guards, held


def learner_awards_query(*, organization_id: uuid.UUID, learner_id: uuid.UUID) -> Select[Award]:
    return select(Award).where(
        Award.organization_id == organization_id, Award.learner_id == learner_id
    )


def logs_for(
    session: Session, *, award_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[AwardLog]]:
    logs: dict[uuid.UUID, list[AwardLog]] = defaultdict(list)
    ids = list(award_ids)
    if ids:
        for log in session.scalars(
            select(AwardLog).where(AwardLog.award_id.in_(ids)).order_by(AwardLog.assigned_at)
        ):
            logs[log.award_id].append(log)
    return logs
