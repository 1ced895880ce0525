"""Housekeeping jobs of the API layer."""

from __future__ import annotations

import logging
from datetime import timedelta

from huey import crontab

from plaudit import jobs
from plaudit.api import idempotency
from plaudit.db import unit_of_work

log = logging.getLogger(__name__)


@jobs.periodic(crontab(minute="17"))
def purge_idempotency_records() -> None:
    """Forget stored responses older than PLAUDIT_IDEMPOTENCY_TTL_HOURS (hourly)."""
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        removed = idempotency.purge_expired(
            session, ttl=timedelta(hours=rt.settings.idempotency_ttl_hours)
        )
    log.info("purged %d idempotency records", removed)
