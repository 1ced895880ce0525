"""Demo data: an organization a new user can click through. Safe to load again.

It looks like a program that has been running for eight weeks: events and awards spread over
them (more of them lately), views, downloads and LinkedIn clicks on the credentials, a
certificate, one credential revoked, one expired and one about to expire, and events that
awarded nothing. Everything goes through the services (ingestion, the award loop, revocation);
only the clock is moved back afterwards, since the services stamp what they write with now.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plaudit.apikeys import service as apikeys
from plaudit.catalog import service as catalog
from plaudit.catalog.schemas import CatalogCopy
from plaudit.db import utcnow
from plaudit.events.schemas import EventIn
from plaudit.ingest import service as ingestion
from plaudit.lifecycle import status as lifecycle
from plaudit.models.apikey import ApiKey, Scope
from plaudit.models.award import AwardLog, Credential, CredentialStatus
from plaudit.models.engagement import Engagement, EngagementCount
from plaudit.models.event import Event
from plaudit.models.organization import Organization
from plaudit.models.rule import Rule
from plaudit.models.template import Template
from plaudit.models.user import Membership, Role
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.rules import service as rule_service
from plaudit.rules.schemas import RuleIn
from plaudit.storage import FileStore
from plaudit.templates import service as templates
from plaudit.users import service as users

DEMO_SLUG = "demo"
DEMO_EMAIL = "admin@demo.plaudit.local"
DEMO_KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoLogin:
    organization_name: str
    slug: str
    email: str
    password: str
    api_key: str


DEMO_CATALOG_KEYS = ("course-completer", "quiz-ace", "learning-path-completer", "certified-pro")


def _demo_templates(session: Session, files: FileStore, org: Organization) -> dict[str, str]:
    """A few published templates from the catalog, once; their ids by catalog key."""
    rows = session.scalars(select(Template).where(Template.organization_id == org.id)).all()
    if not rows:
        for key in DEMO_CATALOG_KEYS:
            template = catalog.copy(session, files, organization=org, key=key, data=CatalogCopy())
            templates.publish(session, template=template)
        rows = session.scalars(select(Template).where(Template.organization_id == org.id)).all()
    return {t.catalog_key: str(t.id) for t in rows if t.catalog_key}


COURSES = ["safety-101", "first-aid-102", "fire-drill-103"]
TITLES = {"safety-101": "Safety 101", "first-aid-102": "First Aid", "fire-drill-103": "Fire Drill"}
PEOPLE = [
    ("ada", "Ada", "Lovelace"),
    ("grace", "Grace", "Hopper"),
    ("alan", "Alan", "Turing"),
    ("katherine", "Katherine", "Johnson"),
    ("linus", "Linus", "Torvalds"),
    ("margaret", "Margaret", "Hamilton"),
    ("edsger", "Edsger", "Dijkstra"),
    ("barbara", "Barbara", "Liskov"),
    ("donald", "Donald", "Knuth"),
    ("frances", "Frances", "Allen"),
    ("john", "John", "Backus"),
    ("radia", "Radia", "Perlman"),
]
WEEKS = 8
REVOKED_REASON = "Issued in error: the course score was corrected after a regrade."


def _demo_rules(session: Session, org: Organization, ids: dict[str, str]) -> None:
    """Rules for the seeds' scenarios and a stream of events, so there are awards to look at."""
    count = select(func.count()).select_from(Rule).where(Rule.organization_id == org.id)
    if session.scalar(count) or not all(key in ids for key in DEMO_CATALOG_KEYS):
        return
    full_name = {"cat": [{"var": "learner.first_name"}, " ", {"var": "learner.last_name"}]}
    rules_data: list[dict[str, Any]] = [
        {
            "name": "Course completed with a score of 80 or more",
            "mode": "once",
            "trigger": {"event_types": ["course.completed"]},
            "condition": {">=": [{"var": "event.data.score"}, 80]},
            "actions": [{"type": "award", "template_id": ids["course-completer"]}],
        },
        {
            "name": "Quiz ace (every quiz at 90% or more)",
            "mode": "always",
            "trigger": {"event_types": ["quiz.submitted"]},
            "condition": {">=": [{"var": "event.data.score"}, 90]},
            "actions": [{"type": "award", "template_id": ids["quiz-ace"]}],
        },
        {
            "name": "Safety path: all three courses, in any order",
            "mode": "once",
            "trigger": {"event_types": ["course.completed"], "entity_ids": COURSES},
            "condition": {"completed_all": COURSES},
            "actions": [
                {"type": "award", "template_id": ids["learning-path-completer"]},
                {
                    "type": "issue_certificate",
                    "template_id": ids["certified-pro"],
                    "fields": {
                        "recipient_name": full_name,
                        "course_title": "Workplace Safety Path",
                        "completion_date": {"var": "event.occurred_at"},
                    },
                },
            ],
        },
    ]
    for data in rules_data:
        rule_service.create(
            session,
            organization_id=org.id,
            data=RuleIn.model_validate({**data, "status": "active"}),
        )
    now = utcnow()
    stream = _stream(now)
    items = [(i, EventIn.model_validate(e)) for i, e in enumerate(stream)]
    ingestion.ingest(session, organization_id=org.id, items=items)
    _back_date(session, org, {e["id"]: datetime.fromisoformat(e["occurred_at"]) for e in stream})
    _lifecycle(session, org, now=now)
    _engagement(session, org, now=now)


def _stream(now: datetime) -> list[dict[str, Any]]:
    """Eight weeks of events, oldest first, more of them in the last weeks. The same every run
    (a fixed seed; ids by learner and course), so a repeat is acknowledged and adds nothing."""
    rng = random.Random(20)  # noqa: S311 (made-up data, not a secret)
    stream: list[dict[str, Any]] = []
    for n, (key, first, last) in enumerate(PEOPLE):
        learner = {
            "id": key,
            "email": f"{key}@academy.example.org",
            "first_name": first,
            "last_name": last,
        }
        # The square favours small values: more learners started lately than long ago.
        started = WEEKS * 7 * rng.random() ** 2 + 3
        for k, course in enumerate(COURSES[: 1 + n % 3]):
            ago = started * (1 - k * rng.uniform(0.2, 0.45))  # the next course, days later
            when = now - timedelta(days=ago, hours=rng.uniform(1, 9))
            stream.append(
                {
                    "id": f"demo-{key}-{course}",
                    "type": "course.completed",
                    "occurred_at": when.isoformat(),
                    "learner": learner,
                    "entity": {"type": "course", "id": course, "title": TITLES[course]},
                    "data": {"score": 70 + (n * 7 + k * 11) % 30, "max_score": 100},
                }
            )
        for q in range(1 + n % 2):
            when = now - timedelta(days=started * rng.uniform(0.1, 0.9), hours=rng.uniform(1, 9))
            stream.append(
                {
                    "id": f"demo-{key}-quiz" + (f"-{q + 1}" if q else ""),
                    "type": "quiz.submitted",
                    "occurred_at": when.isoformat(),
                    "learner": learner,
                    "entity": {"type": "quiz", "id": "safety-quiz", "title": "Safety quiz"},
                    "data": {"score": 78 + (n * 5 + q * 7) % 22, "max_score": 100},
                }
            )
    return sorted(stream, key=lambda e: str(e["occurred_at"]))


def _back_date(session: Session, org: Organization, occurred: dict[str, datetime]) -> None:
    """Move what the events made to when they happened: the event arrived a few seconds after
    it occurred and its credentials were issued then, with their expiry moved as much."""
    events = session.execute(
        select(Event.id, Event.external_id).where(
            Event.organization_id == org.id, Event.external_id.in_(list(occurred))
        )
    ).all()
    for event_id, external_id in events:
        received = occurred[external_id] + timedelta(seconds=4)
        session.execute(update(Event).where(Event.id == event_id).values(received_at=received))
        logs = list(session.scalars(select(AwardLog.id).where(AwardLog.event_id == event_id)))
        if not logs:
            continue
        session.execute(update(AwardLog).where(AwardLog.id.in_(logs)).values(created_at=received))
        for credential in session.scalars(
            select(Credential).where(Credential.award_log_id.in_(logs))
        ):
            shift = credential.created_at - received
            credential.created_at = credential.updated_at = credential.emitted_at = received
            if credential.expires_at is not None:
                credential.expires_at -= shift
    session.flush()


def _issued(session: Session, org: Organization) -> list[Credential]:
    return list(
        session.scalars(
            select(Credential)
            .where(Credential.organization_id == org.id)
            .order_by(Credential.created_at, Credential.id)
        )
    )


def _lifecycle(session: Session, org: Organization, *, now: datetime) -> None:
    """The states a real program has: the oldest credential was valid for 30 days and has
    expired, a recent one expires in 12 days, and one was revoked after a regrade."""
    credentials = [c for c in _issued(session, org) if c.status is CredentialStatus.ACTIVE]
    if len(credentials) < 3:
        return
    oldest, revoked, expiring = credentials[0], credentials[len(credentials) // 2], credentials[-1]
    oldest.expires_at = oldest.emitted_at + timedelta(days=30)
    expiring.expires_at = now + timedelta(days=12)
    session.flush()
    lifecycle.revoke(
        session, organization_id=org.id, credential_id=revoked.id, reason=REVOKED_REASON
    )


def _engagement(session: Session, org: Organization, *, now: datetime) -> None:
    """Counts per day as the public pages record them: views in the days after a credential
    is issued, and for some of them downloads, LinkedIn clicks, verifications, a wallet."""
    rng = random.Random(21)  # noqa: S311 (made-up data, not a secret)
    today = now.date()
    counts: Counter[tuple[uuid.UUID, Any, str]] = Counter()
    for n, credential in enumerate(_issued(session, org)):
        issued = credential.created_at.date()
        for _ in range(rng.randint(1, 5)):
            day = min(today, issued + timedelta(days=int(rng.expovariate(0.3))))
            counts[(credential.id, day, Engagement.VIEW.value)] += rng.randint(1, 3)
        extras = (
            (Engagement.DOWNLOAD_PNG, 0.5),
            (Engagement.DOWNLOAD_PDF, 0.2),
            (Engagement.LINKEDIN_ADD, 0.4),
            (Engagement.LINKEDIN_SHARE, 0.25),
            (Engagement.VERIFICATION, 0.3),
            (Engagement.WALLET, 0.15 if n % 2 else 0.0),
        )
        for kind, chance in extras:
            if rng.random() < chance:
                day = min(today, issued + timedelta(days=rng.randint(0, 6)))
                counts[(credential.id, day, kind.value)] += 1
    session.add_all(
        EngagementCount(
            organization_id=org.id, credential_id=credential_id, day=day, kind=kind, count=count
        )
        for (credential_id, day, kind), count in sorted(counts.items(), key=str)
    )
    session.flush()


def load_demo(session: Session, files: FileStore) -> DemoLogin:
    org = session.scalar(select(Organization).where(Organization.slug == DEMO_SLUG))
    if org is None:
        org = organizations.create(
            session,
            data=OrganizationCreate(
                name="Plaudit Academy",
                slug=DEMO_SLUG,
                url="https://academy.example.org",
                email="badges@academy.example.org",
                description="A demo academy that recognises its learners with verifiable badges.",
            ),
        )
    _demo_rules(session, org, _demo_templates(session, files, org))
    # Every run prints a fresh login and key; the previous demo key stops working.
    password = secrets.token_urlsafe(12)
    user = users.get_or_create_user(session, email=DEMO_EMAIL, name="Demo Admin", password=password)
    if session.get(Membership, (user.id, org.id)) is None:
        users.add_member(session, organization_id=org.id, user=user, role=Role.OWNER)
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.organization_id == org.id,
            ApiKey.name == DEMO_KEY_NAME,
            ApiKey.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    _key, token = apikeys.create(
        session, organization_id=org.id, name=DEMO_KEY_NAME, scopes=[Scope.ADMIN]
    )
    return DemoLogin(org.name, org.slug, user.email, password, token)
