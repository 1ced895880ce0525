"""Jobs of a credential's life: expiry reminders and notices, wallet reminders (hourly)."""

from __future__ import annotations

import logging

from huey import crontab

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.lifecycle import expiry, wallet_reminders

log = logging.getLogger(__name__)

# A run settles at most this many batches; a larger backlog goes on at the next run.
WALLET_REMINDER_BATCHES = 20


@jobs.periodic(crontab(minute="7"))
def expiry_notices() -> None:
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        sent = expiry.send_expiry_notices(session, now=utcnow())
    log.info("expiry notices recorded: %s", sent)


@jobs.periodic(crontab(minute="37"))
def wallet_reminder_emails() -> None:
    rt = jobs.runtime()
    settled = 0
    for _ in range(WALLET_REMINDER_BATCHES):
        # One transaction per batch: each commits (and its emails go out) before the next.
        with unit_of_work(rt.sessions) as session:
            batch = wallet_reminders.send_wallet_reminders(session, rt.settings, now=utcnow())
        settled += batch
        if batch < wallet_reminders.BATCH:
            break
    log.info("wallet reminders settled: %d", settled)
