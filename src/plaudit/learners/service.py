"""Find, create and update learners in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from plaudit.api.pagination import Page, PageParams, paginate
from plaudit.awards import service as awards
from plaudit.errors import not_found
from plaudit.learners.schemas import AwardLogOut, BadgeOut, LearnerIn
from plaudit.models.award import Award
from plaudit.models.learner import Learner
from plaudit.models.template import Template


def upsert_many(
    session: Session, *, organization_id: uuid.UUID, learners: Iterable[LearnerIn]
) -> dict[str, Learner]:
    """Learners by key, locked for this transaction; new ones are created, known ones take the
    non-empty fields sent."""
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
    for key, data in wanted.items():
        row = found.get(key)
        if row is None:
            row = Learner(organization_id=organization_id, external_id=key)
            session.add(row)
            found[key] = row
        if data.email is not None:
            row.email = str(data.email).lower()
        for name in ("first_name", "last_name", "locale"):
            value = getattr(data, name)
            if value is not None:
                setattr(row, name, value)
    session.flush()
    return found


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


def badge_page(session: Session, learner: Learner, *, params: PageParams) -> Page[BadgeOut]:
    """The same, a page at a time, the latest first earned first (the API)."""
    stmt = awards.learner_awards_query(
        organization_id=learner.organization_id, learner_id=learner.id
    )
    rows, cursor = paginate(session, stmt, id_column=Award.id, params=params)
    return Page[BadgeOut](items=_described(session, rows), next_cursor=cursor)


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
