"""Demo data: an organization a new user can click through. Safe to load again."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plaudit.apikeys import service as apikeys
from plaudit.catalog import service as catalog
from plaudit.catalog.schemas import CatalogCopy
from plaudit.db import utcnow
from plaudit.events.schemas import EventIn
from plaudit.ingest import service as ingestion
from plaudit.models.apikey import ApiKey, Scope
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
]


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
    start = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    stream: list[dict[str, Any]] = []
    for n, (key, first, last) in enumerate(PEOPLE):
        learner = {
            "id": key,
            "email": f"{key}@academy.example.org",
            "first_name": first,
            "last_name": last,
        }
        for k, course in enumerate(COURSES[: 1 + n % 3]):
            stream.append(
                {
                    "id": f"demo-{key}-{course}",
                    "type": "course.completed",
                    "occurred_at": (start + timedelta(days=n, hours=k)).isoformat(),
                    "learner": learner,
                    "entity": {"type": "course", "id": course, "title": TITLES[course]},
                    "data": {"score": 70 + (n * 7 + k * 11) % 30, "max_score": 100},
                }
            )
        stream.append(
            {
                "id": f"demo-{key}-quiz",
                "type": "quiz.submitted",
                "occurred_at": (start + timedelta(days=n, hours=5)).isoformat(),
                "learner": learner,
                "entity": {"type": "quiz", "id": "safety-quiz", "title": "Safety quiz"},
                "data": {"score": 80 + n * 3, "max_score": 100},
            }
        )
    items = [(i, EventIn.model_validate(e)) for i, e in enumerate(stream)]
    ingestion.ingest(session, organization_id=org.id, items=items)


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
