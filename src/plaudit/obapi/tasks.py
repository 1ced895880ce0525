"""Jobs of the Open Badges API's consumer role: credentials pushed to the hosts learners
connected, each attempt a job; the recovery pass queues those whose next attempt is due (the
retries' backoff is their ``next_attempt_at``)."""

from __future__ import annotations

import uuid

from plaudit import jobs
from plaudit.db import unit_of_work
from plaudit.obapi import hosts
from plaudit.runtime import Runtime


@jobs.task(retries=0)
def push_credential(push_id: str) -> None:
    hosts.deliver(jobs.runtime(), uuid.UUID(push_id))


@jobs.recovery
def queue_due_pushes(runtime: Runtime) -> None:
    with unit_of_work(runtime.read_sessions) as session:
        due = hosts.due(session)
    for push_id in due:
        push_credential(str(push_id))
