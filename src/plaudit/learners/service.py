"""Find, create and update learners in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from plaudit.api.pagination import Page, PageParams, paginate
from plaudit.awards import service as awards
from plaudit.credentials.schemas import BadgeRecordOut, BadgeStatus, TemplateVersionOut
from plaudit.db import new_id
from plaudit.errors import not_found
from plaudit.images import service as images
from plaudit.learners.schemas import AwardLogOut, BadgeOut, LearnerBadgeOut, LearnerIn
from plaudit.models.award import Award, AwardLog, Credential, CredentialStatus
from plaudit.models.event import Event
from plaudit.models.learner import Learner
from plaudit.models.template import Template, TemplateVersion
from plaudit.public_urls import credential_url
from plaudit.rule_engine.history import parse_duration
from plaudit.templates import service as templates
from plaudit.templates.localize import parse_accept_language
from plaudit.templates.schemas import LocalizedOut


def upsert_many(
    session: Session, *, organization_id: uuid.UUID, learners: Iterable[LearnerIn]
) -> dict[str, Learner]:
    """Learners by key, locked for this transaction; new ones are created, known ones take the
    non-empty fields sent."""
    return upsert_and_tell(session, organization_id=organization_id, learners=learners)[0]


def upsert_and_tell(
    session: Session, *, organization_id: uuid.UUID, learners: Iterable[LearnerIn]
) -> tuple[dict[str, Learner], set[uuid.UUID]]:
    """``upsert_many``, and the ids of the learners it created: nothing can refer to those yet
    (a concurrent insert of the same learner waits for this transaction, then fails on the
    unique key), so their events, awards and holdings need not be read."""
    wanted: dict[str, LearnerIn] = {}
    for learner in learners:
        wanted[learner.key] = learner  # the latest mention wins
    # Lock the known learners, always in id order (so two workers cannot deadlock): processing
    # of one learner's events is serialised across workers, which keeps award counts and
    # ONCE checks exact. New learners collide on the unique key instead, and the batch retries.
    found = {
        row.external_id: row
        for row in session.scalars(
            select(Learner)
            .where(
                Learner.organization_id == organization_id, Learner.external_id.in_(list(wanted))
            )
            .order_by(Learner.id)
            .with_for_update()
        )
    }
    created: set[uuid.UUID] = set()
    for key, data in wanted.items():
        row = found.get(key)
        if row is None:
            row = Learner(id=new_id(), organization_id=organization_id, external_id=key)
            session.add(row)
            found[key] = row
            created.add(row.id)
        if data.email is not None:
            row.email = str(data.email).lower()
        for name in ("first_name", "last_name", "locale"):
            value = getattr(data, name)
            if value is not None:
                setattr(row, name, value)
    session.flush()
    return found, created


def query(
    *, organization_id: uuid.UUID, search: str | None = None, email: str | None = None
) -> Select[Learner]:
    stmt = select(Learner).where(Learner.organization_id == organization_id)
    if email:
        stmt = stmt.where(Learner.email == email.lower())
    if search:
        needle = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(
                Learner.external_id.ilike(needle),
                Learner.email.ilike(needle),
                Learner.first_name.ilike(needle),
                Learner.last_name.ilike(needle),
            )
        )
    return stmt


def get(session: Session, *, organization_id: uuid.UUID, learner_id: uuid.UUID) -> Learner:
    learner = session.scalar(
        select(Learner).where(Learner.id == learner_id, Learner.organization_id == organization_id)
    )
    if learner is None:
        raise not_found("learner", learner_id)
    return learner


def get_by_external_id(
    session: Session, *, organization_id: uuid.UUID, external_id: str
) -> Learner:
    learner = session.scalar(
        select(Learner).where(
            Learner.external_id == external_id, Learner.organization_id == organization_id
        )
    )
    if learner is None:
        raise not_found("learner", external_id)
    return learner


def badges(session: Session, learner: Learner) -> list[BadgeOut]:
    """What the learner earned: per template, how often, first and last time, and every
    assignment (the seed's per-learner aggregate), in the order first earned (the dashboard)."""
    stmt = awards.learner_awards_query(
        organization_id=learner.organization_id, learner_id=learner.id
    )
    return _described(session, list(session.scalars(stmt.order_by(Award.first_assigned_at))))


def badge_page(
    session: Session, learner: Learner, *, params: PageParams, base_url: str
) -> Page[BadgeOut]:
    """The same, a page at a time, the latest first earned first, each with its latest
    credential as a badge record (the API)."""
    stmt = awards.learner_awards_query(
        organization_id=learner.organization_id, learner_id=learner.id
    )
    rows, cursor = paginate(session, stmt, id_column=Award.id, params=params)
    described = _described(session, rows)
    latest = _latest_credentials(session, learner, [a.template_id for a in rows], base_url)
    items = [b.model_copy(update={"credential": latest.get(b.template_id)}) for b in described]
    return Page[BadgeOut](items=items, next_cursor=cursor)


def badge(
    session: Session,
    learner: Learner,
    *,
    template_id: uuid.UUID,
    lang: str | None,
    accept_language: str | None,
    base_url: str,
) -> LearnerBadgeOut:
    """One badge of the learner with the template's name, description and criteria in the
    language asked for (`lang`, then Accept-Language, then the template's own)."""
    award = session.scalar(
        awards.learner_awards_query(
            organization_id=learner.organization_id, learner_id=learner.id
        ).where(Award.template_id == template_id)
    )
    if award is None:
        raise not_found("badge of this learner for template", template_id)
    template = templates.get(
        session, organization_id=learner.organization_id, template_id=template_id
    )
    [described] = _described(session, [award])
    wanted = ([lang] if lang else []) + parse_accept_language(accept_language)
    return LearnerBadgeOut(
        **described.model_dump(exclude={"credential"}),
        credential=_latest_credentials(session, learner, [template_id], base_url).get(template_id),
        default_lang=template.default_language,
        langs=[template.default_language, *(t["lang"] for t in template.translations)],
        translation=LocalizedOut.model_validate(templates.localized(template, wanted=wanted)),
    )


def credentials_query(
    *,
    organization_id: uuid.UUID,
    learner_id: uuid.UUID | None = None,
    template_id: uuid.UUID | None = None,
    status: BadgeStatus | None = None,
    email: str | None = None,
    now: datetime | None = None,
) -> Select[Credential]:
    stmt = select(Credential).where(Credential.organization_id == organization_id)
    if learner_id is not None:
        stmt = stmt.where(Credential.learner_id == learner_id)
    if template_id is not None:
        stmt = stmt.where(Credential.template_id == template_id)
    if email:
        stmt = stmt.where(Credential.recipient_email == email.lower())
    moment = now or datetime.now(UTC)
    passed = and_(Credential.expires_at.is_not(None), Credential.expires_at <= moment)
    if status is BadgeStatus.EXPIRED:
        stmt = stmt.where(Credential.status == CredentialStatus.ACTIVE, passed)
    elif status is BadgeStatus.ACTIVE:
        stmt = stmt.where(Credential.status == CredentialStatus.ACTIVE, ~passed)
    elif status is not None:
        stmt = stmt.where(Credential.status == CredentialStatus(status.value))
    return stmt


def badge_records(
    session: Session, credentials: list[Credential], *, base_url: str
) -> list[BadgeRecordOut]:
    """Credentials as the seed's badge record: the version's images and details, the public
    page, and when the activity started if the credential or its event says so."""
    versions = {
        v.id: v
        for v in session.scalars(
            select(TemplateVersion).where(
                TemplateVersion.id.in_({c.template_version_id for c in credentials})
            )
        )
    }
    log_ids = [c.award_log_id for c in credentials if c.award_log_id is not None]
    events: dict[uuid.UUID, tuple[datetime, dict[str, Any]]] = {
        log_id: (occurred_at, data)
        for log_id, occurred_at, data in session.execute(
            select(AwardLog.id, Event.occurred_at, Event.data)
            .join(Event, Event.id == AwardLog.event_id)
            .where(AwardLog.id.in_(log_ids))
        )
    }
    records = []
    for credential in credentials:
        version = versions.get(credential.template_version_id)
        urls = images.urls(base_url, version.image_id if version else None) or {}
        started = credential.activity_started_at
        if started is None and credential.award_log_id in events:
            started = activity_start(*events[credential.award_log_id])
        record = BadgeRecordOut.model_validate(
            {
                **{
                    name: getattr(credential, name)
                    for name in BadgeRecordOut.model_fields
                    if hasattr(Credential, name)
                },
                "activity_started_at": started,
                "image_path": urls.get("standard"),
                "image_high_path": urls.get("high"),
                "image_thumbnail_path": urls.get("thumbnail"),
                "url": credential_url(base_url, credential.public_id),
                "badge_template_version": _version_out(version),
            }
        )
        records.append(record)
    return records


def activity_start(occurred_at: datetime, data: dict[str, Any]) -> datetime | None:
    """When the activity began, if the event says so: `data.started_at` (an ISO 8601 time),
    else `data.duration` (an ISO 8601 duration of weeks, days, hours, minutes and seconds)
    before the event's time."""
    started = data.get("started_at")
    if isinstance(started, str):
        try:
            moment = datetime.fromisoformat(started)
        except ValueError:
            moment = None
        if moment is not None:
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    duration = parse_duration(data.get("duration"))
    if duration is not None and duration.months == 0:
        return occurred_at - duration.delta
    return None


def _version_out(version: TemplateVersion | None) -> TemplateVersionOut | None:
    if version is None:
        return None
    return TemplateVersionOut(
        id=version.id,
        template_id=version.template_id,
        number=version.number,
        name=str(version.snapshot.get("name", "")),
        description=str(version.snapshot.get("description") or ""),
        created_at=version.created_at,
    )


def _latest_credentials(
    session: Session, learner: Learner, template_ids: list[uuid.UUID], base_url: str
) -> dict[uuid.UUID, BadgeRecordOut]:
    """Per template, the learner's most recent credential (ids are time-ordered)."""
    latest: dict[uuid.UUID, Credential] = {}
    for credential in session.scalars(
        credentials_query(organization_id=learner.organization_id, learner_id=learner.id)
        .where(Credential.template_id.in_(template_ids))
        .order_by(Credential.id)
    ):
        latest[credential.template_id] = credential
    records = badge_records(session, list(latest.values()), base_url=base_url)
    return {r.template_id: r for r in records}


def _described(session: Session, rows: list[Award]) -> list[BadgeOut]:
    names: dict[uuid.UUID, str] = dict(
        session.execute(
            select(Template.id, Template.name).where(Template.id.in_([a.template_id for a in rows]))
        ).all()
    )
    logs = awards.logs_for(session, award_ids=[a.id for a in rows])
    return [
        BadgeOut(
            template_id=a.template_id,
            template_name=names.get(a.template_id, ""),
            count=a.count,
            first_assigned_at=a.first_assigned_at,
            last_assigned_at=a.last_assigned_at,
            logs=[AwardLogOut.model_validate(log) for log in logs[a.id]],
        )
        for a in rows
    ]
