"""The queries behind the overview's figures for one organization over a period of days.

Days are UTC days, as the engagement counts are. Each query is bounded by the organization and
the period (or returns a handful of rows), so the page costs the same for an organization with
ten credentials as for one with a million issued over the years.

Definitions shown on the page:
- issued: credentials Plaudit issued in the period, counted on the day it created them whatever
  issue date they carry (a CSV of last year's awards uploaded today counts today), imported ones
  left out (another issuer made them). The overview is about the program's activity: its claim
  and share rates are about the credentials sent out in the period, and a back-dated credential
  is sent when Plaudit issues it, not on the date it states;
- claimed: a credential issued in the period whose page was opened, one of whose files was
  downloaded, or that was taken into a wallet app, at least once. Plaudit keeps no visitor
  data, so a visit by the learner cannot be told from anyone else's: the learner's email link
  is how most credentials are first opened;
- share rate: LinkedIn "add to profile" and "share" clicks on the credentials issued in the
  period, per credential issued (it can pass 100% when people share more than once);
- claim rate: claimed / issued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from plaudit.analytics.periods import Period
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.delivery import Channel, MessageStatus, OutboxMessage
from plaudit.models.engagement import Engagement, EngagementCount
from plaudit.models.event import Event, EventOutcome
from plaudit.models.learner import Learner
from plaudit.models.rule import Rule, RuleStatus
from plaudit.models.template import Template, TemplateStatus

EXPIRY_HORIZON = timedelta(days=30)
TOP_TEMPLATES = 10
LATEST = 5

VIEW_KINDS = (Engagement.VIEW,)
DOWNLOAD_KINDS = tuple(kind for kind in Engagement if kind.value.startswith("download_"))
LINKEDIN_KINDS = (Engagement.LINKEDIN_ADD, Engagement.LINKEDIN_SHARE)
WALLET_KINDS = (Engagement.WALLET,)
# What counts as the credential being claimed (opened or saved), see the module docstring.
CLAIM_KINDS = (*VIEW_KINDS, *DOWNLOAD_KINDS, *WALLET_KINDS)
ENGAGEMENT_GROUPS: tuple[tuple[str, tuple[Engagement, ...]], ...] = (
    ("Views", VIEW_KINDS),
    ("Downloads", DOWNLOAD_KINDS),
    ("LinkedIn", LINKEDIN_KINDS),
    ("Verifications", (Engagement.VERIFICATION,)),
    ("Wallets", WALLET_KINDS),
)


def _utc_day(session: Session, column: Any) -> ColumnElement[Any]:
    """A timestamp's UTC day, as the engine can compute it."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    # SQLite stores UTC timestamps as ISO text: date() reads their first ten characters.
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _issued_in(organization_id: uuid.UUID, span: Period) -> list[ColumnElement[bool]]:
    """The credentials Plaudit issued in the period (see the module docstring): every figure
    about issuance and engagement uses this one definition (ix_credentials_org_created)."""
    return [
        Credential.organization_id == organization_id,
        Credential.created_at >= span.start,
        Credential.created_at < span.end,
        Credential.imported.is_(False),
    ]


# --- issuance ----------------------------------------------------------------------------


def issued_per_day(session: Session, organization_id: uuid.UUID, span: Period) -> list[int]:
    """Credentials issued on each day of the period (zeros included), oldest first."""
    day = _utc_day(session, Credential.created_at).label("day")
    rows = session.execute(
        select(day, func.count()).where(*_issued_in(organization_id, span)).group_by(day)
    ).all()
    counts = {_as_date(d): int(n) for d, n in rows}
    return [counts.get(d, 0) for d in span.dates]


@dataclass(frozen=True)
class TemplateCount:
    template_id: uuid.UUID | None  # None for "the others"
    name: str
    count: int


def issued_by_template(
    session: Session, organization_id: uuid.UUID, span: Period, *, top: int = TOP_TEMPLATES
) -> list[TemplateCount]:
    """The templates issued most in the period, then one line for all the others."""
    issued = func.count(Credential.id)
    rows = session.execute(
        select(Template.id, Template.name, issued)
        .join(Template, Template.id == Credential.template_id)
        .where(*_issued_in(organization_id, span))
        .group_by(Template.id, Template.name)
        .order_by(issued.desc(), Template.name, Template.id)
    ).all()
    counts = [TemplateCount(tid, name, int(n)) for tid, name, n in rows]
    if len(counts) <= top:
        return counts
    rest = counts[top:]
    label = "1 other template" if len(rest) == 1 else f"{len(rest)} other templates"
    others = TemplateCount(None, label, sum(c.count for c in rest))
    return [*counts[:top], others]


# --- engagement --------------------------------------------------------------------------


@dataclass(frozen=True)
class Engaged:
    """Engagement with the credentials issued in the period (counted up to now)."""

    issued: int
    views: int
    downloads: int
    linkedin_add: int
    linkedin_share: int
    verifications: int
    claimed: int
    wallets: int = 0

    @property
    def linkedin(self) -> int:
        return self.linkedin_add + self.linkedin_share

    @property
    def share_rate(self) -> float | None:
        return self.linkedin / self.issued if self.issued else None

    @property
    def claim_rate(self) -> float | None:
        return self.claimed / self.issued if self.issued else None

    @property
    def views_per_credential(self) -> float | None:
        return self.views / self.issued if self.issued else None


def engagement(
    session: Session, organization_id: uuid.UUID, span: Period, *, issued: int
) -> Engaged:
    """Engagement with the ``issued`` credentials of the period (one join on the counts' key)."""
    cohort = (
        EngagementCount.organization_id == organization_id,
        EngagementCount.day >= span.first_day,  # nothing is viewed before it is issued
        *_issued_in(organization_id, span),
    )
    on = Credential.id == EngagementCount.credential_id
    totals: dict[str, int] = {
        kind: int(n or 0)
        for kind, n in session.execute(
            select(EngagementCount.kind, func.sum(EngagementCount.count))
            .join(Credential, on)
            .where(*cohort)
            .group_by(EngagementCount.kind)
        ).all()
    }
    claimed = session.scalar(
        select(func.count(func.distinct(EngagementCount.credential_id)))
        .join(Credential, on)
        .where(*cohort, EngagementCount.kind.in_([k.value for k in CLAIM_KINDS]))
    )
    return Engaged(
        issued=issued,
        views=sum(totals.get(k.value, 0) for k in VIEW_KINDS),
        downloads=sum(totals.get(k.value, 0) for k in DOWNLOAD_KINDS),
        linkedin_add=totals.get(Engagement.LINKEDIN_ADD.value, 0),
        linkedin_share=totals.get(Engagement.LINKEDIN_SHARE.value, 0),
        verifications=totals.get(Engagement.VERIFICATION.value, 0),
        claimed=int(claimed or 0),
        wallets=totals.get(Engagement.WALLET.value, 0),
    )


def engagement_per_day(
    session: Session, organization_id: uuid.UUID, span: Period
) -> dict[str, list[int]]:
    """Engagement with any of the organization's credentials, per day of the period, by group
    (views, downloads, LinkedIn, verifications)."""
    rows = session.execute(
        select(EngagementCount.day, EngagementCount.kind, func.sum(EngagementCount.count))
        .where(
            EngagementCount.organization_id == organization_id,
            EngagementCount.day >= span.first_day,
            EngagementCount.day <= span.last_day,
        )
        .group_by(EngagementCount.day, EngagementCount.kind)
    ).all()
    group_of = {kind.value: name for name, kinds in ENGAGEMENT_GROUPS for kind in kinds}
    index = {d: i for i, d in enumerate(span.dates)}
    series = {name: [0] * span.days for name, _ in ENGAGEMENT_GROUPS}
    for day, kind, n in rows:
        position = index.get(_as_date(day))
        if position is not None and kind in group_of:
            series[group_of[kind]][position] += int(n or 0)
    return series


# --- what needs attention ----------------------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    id: uuid.UUID
    recipient: str
    template: str
    expires_at: datetime | None  # never None here (filtered on it); typed as the column is


def expiring_soon(
    session: Session, organization_id: uuid.UUID, *, now: datetime, limit: int = LATEST
) -> tuple[int, list[Expiring]]:
    """Valid credentials that expire within the next 30 days: how many, and the first few."""
    where = (
        Credential.organization_id == organization_id,
        Credential.status == CredentialStatus.ACTIVE,
        Credential.expires_at > now,
        Credential.expires_at <= now + EXPIRY_HORIZON,
    )
    count = session.scalar(select(func.count()).select_from(Credential).where(*where)) or 0
    rows = session.execute(
        select(
            Credential.id,
            Credential.recipient_first_name,
            Credential.recipient_last_name,
            Credential.recipient_email,
            Template.name,
            Credential.expires_at,
        )
        .join(Template, Template.id == Credential.template_id)
        .where(*where)
        .order_by(Credential.expires_at, Credential.id)
        .limit(limit)
    ).all()
    items = [
        Expiring(
            id=cid,
            recipient=" ".join(p for p in (first, last) if p) or email or "—",
            template=name,
            expires_at=expires,
        )
        for cid, first, last, email, name, expires in rows
    ]
    return int(count), items


@dataclass(frozen=True)
class FailedDelivery:
    id: uuid.UUID
    channel: Channel
    topic: str
    recipient: str
    status: str  # "failed" or "retrying"
    attempts: int
    last_error: str | None
    credential_id: uuid.UUID | None
    endpoint_id: uuid.UUID | None
    when: datetime


def failed_deliveries(
    session: Session, organization_id: uuid.UUID, span: Period, *, limit: int = LATEST
) -> tuple[int, list[FailedDelivery]]:
    """Emails and webhooks that gave up in the period, and those retrying after a failure now."""
    where = (
        OutboxMessage.organization_id == organization_id,
        or_(
            and_(
                OutboxMessage.status == MessageStatus.FAILED,
                OutboxMessage.updated_at >= span.start,
            ),
            and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.attempts > 0),
        ),
    )
    count = session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0
    rows = session.scalars(
        select(OutboxMessage)
        .where(*where)
        .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id)
        .limit(limit)
    ).all()
    items = [
        FailedDelivery(
            id=m.id,
            channel=m.channel,
            topic=m.topic,
            recipient=m.recipient,
            status="failed" if m.status is MessageStatus.FAILED else "retrying",
            attempts=m.attempts,
            last_error=m.last_error,
            credential_id=m.credential_id,
            endpoint_id=m.endpoint_id,
            when=m.updated_at,
        )
        for m in rows
    ]
    return int(count), items


@dataclass(frozen=True)
class Unawarded:
    id: uuid.UUID
    type: str
    outcome: EventOutcome
    learner: str
    entity: str | None
    received_at: datetime


def events_without_award(
    session: Session, organization_id: uuid.UUID, span: Period, *, limit: int = LATEST
) -> tuple[int, list[Unawarded]]:
    """Events received in the period that awarded nothing (no rule matched, or none gave)."""
    where = (
        Event.organization_id == organization_id,
        Event.outcome != EventOutcome.AWARDED,
        Event.received_at >= span.start,
        Event.received_at < span.end,
    )
    count = session.scalar(select(func.count()).select_from(Event).where(*where)) or 0
    rows = session.execute(
        select(
            Event.id,
            Event.type,
            Event.outcome,
            Learner.external_id,
            Event.entity_title,
            Event.entity_id,
            Event.received_at,
        )
        .join(Learner, Learner.id == Event.learner_id)
        .where(*where)
        .order_by(Event.received_at.desc(), Event.id)
        .limit(limit)
    ).all()
    items = [
        Unawarded(eid, etype, outcome, learner, title or entity_id, received)
        for eid, etype, outcome, learner, title, entity_id, received in rows
    ]
    return int(count), items


# --- the program's size ------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    templates_published: int
    templates: int
    rules_active: int
    rules: int
    learners: int
    valid: int
    expired: int
    suspended: int
    revoked: int


def totals(session: Session, organization_id: uuid.UUID, *, now: datetime) -> Totals:
    templates = session.execute(
        select(
            func.count(),
            func.count(case((Template.status == TemplateStatus.PUBLISHED, 1))),
        ).where(Template.organization_id == organization_id)
    ).one()
    rules = session.execute(
        select(func.count(), func.count(case((Rule.status == RuleStatus.ACTIVE, 1)))).where(
            Rule.organization_id == organization_id
        )
    ).one()
    learners = session.scalar(
        select(func.count()).select_from(Learner).where(Learner.organization_id == organization_id)
    )
    active = Credential.status == CredentialStatus.ACTIVE
    lapsed = and_(Credential.expires_at.is_not(None), Credential.expires_at <= now)
    credentials = session.execute(
        select(
            func.count(case((and_(active, ~lapsed), 1))),
            func.count(case((and_(active, lapsed), 1))),
            func.count(case((Credential.status == CredentialStatus.SUSPENDED, 1))),
            func.count(case((Credential.status == CredentialStatus.REVOKED, 1))),
        ).where(Credential.organization_id == organization_id)
    ).one()
    return Totals(
        templates_published=int(templates[1]),
        templates=int(templates[0]),
        rules_active=int(rules[1]),
        rules=int(rules[0]),
        learners=int(learners or 0),
        valid=int(credentials[0]),
        expired=int(credentials[1]),
        suspended=int(credentials[2]),
        revoked=int(credentials[3]),
    )
