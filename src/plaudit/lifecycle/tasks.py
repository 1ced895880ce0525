"""Jobs of a credential's life: expiry reminders and notices (hourly)."""

from __future__ import annotations

import logging

from huey import crontab

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.lifecycle import expiry

log = logging.getLogger(__name__)


@jobs.periodic(crontab(minute="7"))
def expiry_notices() -> None:
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        sent = expiry.send_expiry_notices(session, now=utcnow())
    log.info("expiry notices recorded: %s", sent)
