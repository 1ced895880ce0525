"""Jobs of credentials: sign them once their award has committed."""

from __future__ import annotations

import uuid

from plaudit import jobs
from plaudit.credentials import issuance
from plaudit.db import unit_of_work


@jobs.task(retries=5, retry_delay=10)
def sign_credentials(credential_ids: list[str]) -> None:
    """Each credential in its own transaction: one failure does not hold back the others."""
    rt = jobs.runtime()
    for ident in credential_ids:
        with unit_of_work(rt.sessions) as session:
            issuance.sign(session, rt, credential_id=uuid.UUID(ident))
