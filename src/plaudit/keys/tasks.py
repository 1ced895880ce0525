"""Jobs of the keys feature."""

from __future__ import annotations

import uuid

from plaudit import jobs
from plaudit.db import unit_of_work
from plaudit.keys import service as keys


@jobs.task(retries=5, retry_delay=5)
def provision_organization_keys(organization_id: str) -> None:
    """Create the organization's signing keys; a no-op when they exist (safe to run twice)."""
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        keys.provision(session, organization_id=uuid.UUID(organization_id), vault=rt.vault)
