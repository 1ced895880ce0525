"""The rules an event is judged by are cached per process, and never outlive a change.

A change made anywhere (another request, another process, SQL by hand) changes the
organization's rules version through the database's triggers; the next event reads it and
judges by the rules as changed. A change that was rolled back leaves nothing behind.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, update

from plaudit.events.schemas import EventIn
from plaudit.ingest import service as ingestion
from plaudit.models.organization import Organization
from plaudit.models.rule import Rule
from plaudit.runtime import Runtime
from tests.fixtures.scenario import event as learning_event
from tests.fixtures.scenario import rule, send
from tests.fixtures.templates import act, create, published, with_image
from tests.fixtures.tenants import Tenant, make_tenant


def _scored_rule(client: TestClient, tenant: Tenant, template: str, *, at_least: int) -> str:
    made = rule(
        client,
        tenant,
        name="Good score",
        mode="always",
        trigger={"event_types": ["course.completed"]},
        condition={">=": [{"var": "event.data.score"}, at_least]},
        actions=[{"type": "award", "template_id": template}],
    )
    return str(made["id"])


def _awarded(result: dict[str, Any]) -> int:
    return sum(award["action"] == "awarded" for award in result["awards"])


@contextmanager
def _rule_reads(engine: Engine) -> Iterator[list[str]]:
    """The SELECTs on the rules table the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM rules" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_rules_are_read_once_until_they_change(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = make_tenant(runtime)
    template = published(client, tenant, name="Scorer")
    rule_id = _scored_rule(client, tenant, template, at_least=50)
    with _rule_reads(engine) as reads:
        assert _awarded(send(client, tenant, learning_event("e1", "course.completed", score=60)))
        first = len(reads)
        assert _awarded(send(client, tenant, learning_event("e2", "course.completed", score=61)))
        assert first >= 1 and len(reads) == first  # the second event used what the first read
        response = client.patch(
            f"/api/v1/rules/{rule_id}",
            json={"condition": {">=": [{"var": "event.data.score"}, 90]}},
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
        reads.clear()
        result = send(client, tenant, learning_event("e3", "course.completed", score=62))
        assert len(reads) >= 1
    assert not _awarded(result)  # judged by the changed condition


def test_a_rule_changed_by_another_process_is_seen_by_the_next_event(
    client: TestClient, runtime: Runtime, engine: Engine
) -> None:
    tenant = make_tenant(runtime)
    template = published(client, tenant, name="Scorer")
    rule_id = _scored_rule(client, tenant, template, at_least=50)
    assert _awarded(send(client, tenant, learning_event("e1", "course.completed", score=70)))
    # Another process, straight to the database: no hook of this one runs.
    script = (
        "import sys, uuid\n"
        "from sqlalchemy import update\n"
        "from plaudit.db import create_db_engine\n"
        "from plaudit.models.rule import Rule\n"
        "engine = create_db_engine(sys.argv[1])\n"
        "with engine.begin() as conn:\n"
        "    conn.execute(update(Rule).where(Rule.id == uuid.UUID(sys.argv[2]))"
        ".values(condition={'>=': [{'var': 'event.data.score'}, 90]}))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, engine.url.render_as_string(hide_password=False), rule_id],
        check=True,
        timeout=60,
    )
    result = send(client, tenant, learning_event("e2", "course.completed", score=70))
    assert not _awarded(result)
    assert _awarded(send(client, tenant, learning_event("e3", "course.completed", score=95)))


def test_publishing_and_archiving_a_template_are_seen_by_the_next_event(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    draft = create(client, tenant, name="Not yet", translations=[], tags=[])
    with_image(client, tenant, draft["id"])
    _scored_rule(client, tenant, draft["id"], at_least=0)

    def outcome(ident: str) -> str:
        result = send(client, tenant, learning_event(ident, "course.completed", score=10))
        trace = client.get(f"/api/v1/events/{ident}", headers=tenant.headers).json()["trace"]
        assert _awarded(result) == (trace[0]["actions"][0]["result"] == "awarded")
        return str(trace[0]["actions"][0]["outcome"])

    assert "not published" in outcome("e1")
    assert act(client, tenant, draft["id"], "publish").status_code == 200
    assert outcome("e2") == "awarded"
    assert act(client, tenant, draft["id"], "archive").status_code == 200
    assert "archived, not published" in outcome("e3")
    assert act(client, tenant, draft["id"], "unarchive").status_code == 200  # a draft again
    assert "draft, not published" in outcome("e4")
    assert act(client, tenant, draft["id"], "publish").status_code == 200
    assert outcome("e5") == "awarded"


def test_a_change_rolled_back_leaves_no_rules_behind(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    template = published(client, tenant, name="Scorer")
    rule_id = _scored_rule(client, tenant, template, at_least=50)
    assert _awarded(send(client, tenant, learning_event("e1", "course.completed", score=70)))
    with runtime.sessions() as session:
        before = session.scalar(
            select(Organization.rules_version).where(Organization.id == tenant.id)
        )
        session.execute(
            update(Rule)
            .where(Rule.id == uuid.UUID(rule_id))
            .values(condition={">=": [{"var": "event.data.score"}, 90]})
        )
        # Judged, and cached, by the uncommitted rule; then rolled back.
        item = EventIn.model_validate(learning_event("x1", "course.completed", score=70))
        [result] = ingestion.ingest(session, organization_id=tenant.id, items=[(0, item)])
        assert not result.awards
        session.rollback()
        after = session.scalar(
            select(Organization.rules_version).where(Organization.id == tenant.id)
        )
        assert after == before
    # A committed change after it: a counter would now repeat the rolled-back version.
    response = client.patch(
        f"/api/v1/rules/{rule_id}", json={"name": "Still 50"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    assert _awarded(send(client, tenant, learning_event("e2", "course.completed", score=70)))
