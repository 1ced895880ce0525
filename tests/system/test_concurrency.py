"""Exactly-once effect: several processes on overlapping event streams never award twice."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.models.award import AwardLog, Credential
from plaudit.models.event import Event
from plaudit.runtime import Runtime
from tests.fixtures.scenario import event, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import make_tenant

LEARNERS = 12
PROCESSES = 4


@pytest.mark.slow
def test_overlapping_streams_in_several_processes_award_exactly_once(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    tenant = make_tenant(runtime)
    certificate = published(client, tenant, name="All three", kind="certificate")
    repeat = published(client, tenant, name="Every task")
    rule(
        client,
        tenant,
        name="Any order",
        mode="once",
        trigger={"event_types": ["activity.completed"]},
        condition={"completed_all": ["a1", "a2", "a3"]},
        actions=[
            {
                "type": "issue_certificate",
                "template_id": certificate,
                "fields": {"recipient_name": {"var": "learner.first_name"}},
            }
        ],
    )
    rule(
        client,
        tenant,
        name="Tasks",
        mode="always",
        trigger={"event_types": ["task.completed"]},
        actions=[{"type": "award", "template_id": repeat}],
    )

    stream: list[dict[str, Any]] = []
    for n in range(LEARNERS):
        learner = f"learner-{n}"
        for minute, activity in enumerate(
            ("a1", "a2", "a3", "a1")
        ):  # a1 twice: two distinct events
            stream.append(
                event(
                    f"{learner}-{activity}-{minute}",
                    "activity.completed",
                    learner=learner,
                    entity=("activity", activity),
                    minutes=minute,
                )
            )
        for task in range(2):
            stream.append(
                event(
                    f"{learner}-task-{task}",
                    "task.completed",
                    learner=learner,
                    entity=("task", f"t{task}"),
                    minutes=10 + task,
                )
            )

    workers = []
    for index in range(PROCESSES):
        shuffled = stream[:]
        random.Random(index).shuffle(
            shuffled
        )  # every process delivers every event, in its own order
        path = tmp_path / f"stream-{index}.json"
        path.write_text(json.dumps(shuffled))
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.fixtures.concurrency_worker",
                    runtime.settings.resolved_database_url,
                    str(tenant.id),
                    str(path),
                    "7",
                ],
                env={k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors

    with runtime.sessions() as session:

        def count(model: Any, *where: Any) -> int:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

        assert count(Event) == len(stream)
        import uuid

        assert count(Credential, Credential.template_id == uuid.UUID(certificate)) == LEARNERS
        assert count(Credential, Credential.template_id == uuid.UUID(repeat)) == LEARNERS * 2
        assert count(AwardLog) == LEARNERS * 3
