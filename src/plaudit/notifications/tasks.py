"""Jobs of notifications: the admins' digests (daily); emails
go out through the outbox (``delivery``), with the handler registered here."""

from __future__ import annotations

import logging

from huey import crontab

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine
from plaudit.models.delivery import Channel
from plaudit.notifications import reminders
from plaudit.notifications.delivery import EmailHandler

log = logging.getLogger(__name__)

engine.register(Channel.EMAIL, EmailHandler())


@jobs.periodic(crontab(hour="6", minute="3"))
def admin_digests() -> None:
    rt = jobs.runtime()
    with unit_of_work(rt.sessions) as session:
        count = reminders.send_digests(session, now=utcnow())
    log.info("digests recorded for %d organizations", count)
