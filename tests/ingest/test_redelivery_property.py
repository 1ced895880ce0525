"""Property: redelivering events, in any interleaving, never changes the outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from plaudit.events.schemas import EventIn
from plaudit.ingest import service as ingestion
from plaudit.models.award import Credential
from plaudit.runtime import Runtime
from tests.fixtures.databases import rolled_back_session
from tests.fixtures.tenants import make_org

ACTIVITIES = ("a1", "a2", "a3")


def _event(n: int, activity: str) -> EventIn:
    return EventIn.model_validate(
        {
            "id": f"e-{n}",
            "type": "activity.completed",
            "occurred_at": (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
            "learner": {"id": "u"},
            "entity": {"type": "activity", "id": activity},
        }
    )


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.sampled_from(ACTIVITIES), min_size=1, max_size=6),
    redeliveries=st.lists(st.integers(min_value=0, max_value=5), max_size=6),
    batch=st.integers(min_value=1, max_value=4),
)
def test_redelivery_never_changes_the_outcome(
    runtime: Runtime, engine: Engine, picks: list[str], redeliveries: list[int], batch: int
) -> None:
    from plaudit.models.template import TemplateKind
    from plaudit.rules import service as rule_service
    from plaudit.rules.schemas import RuleIn
    from plaudit.templates import service as templates
    from plaudit.templates.schemas import TemplateCreate

    # Each example runs in one transaction rolled back at its end, so the next starts empty
    # (no wipe); each batch still ends as a unit of work does: committed (a savepoint released)
    # and with nothing loaded kept for the next.
    with rolled_back_session(engine) as session:
        org = make_org(session)
        template = templates.create(
            session, organization=org, data=TemplateCreate(kind=TemplateKind.BADGE, name="All")
        )
        template.image_id = None
        from plaudit.images import service as images
        from tests.fixtures.images import png_bytes

        image = images.store(session, runtime.files, organization_id=org.id, data=png_bytes())
        templates.set_image(session, template=template, image=image)
        templates.publish(session, template=template)
        rule_service.create(
            session,
            organization_id=org.id,
            data=RuleIn.model_validate(
                {
                    "name": "all",
                    "status": "active",
                    "mode": "always",
                    "trigger": {"event_types": ["activity.completed"]},
                    "condition": {"completed_all": list(ACTIVITIES)},
                    "actions": [{"type": "award", "template_id": str(template.id)}],
                }
            ),
        )
        org_id = org.id
        session.commit()
        session.expunge_all()

        events = [_event(n, a) for n, a in enumerate(picks)]
        deliveries = events + [events[i % len(events)] for i in redeliveries]
        for start in range(0, len(deliveries), batch):
            ingestion.ingest(
                session,
                organization_id=org_id,
                items=list(enumerate(deliveries[start : start + batch])),
            )
            session.commit()
            session.expunge_all()

        awarded = session.scalar(select(func.count()).select_from(Credential)) or 0

    # Expected from the events alone: each event after which all three are done awards once.
    done: set[str] = set()
    expected = 0
    for e in events:
        assert e.entity is not None
        done.add(e.entity.id)
        expected += done >= set(ACTIVITIES)
    assert awarded == expected
    assert uuid.UUID(str(org_id))
