"""Webhooks go out through the outbox (``delivery``): their handler is registered here, with
the other jobs' modules, in every process that runs jobs."""

from __future__ import annotations

from plaudit.delivery import engine
from plaudit.models.delivery import Channel
from plaudit.webhooks.delivery import WebhookHandler

engine.register(Channel.WEBHOOK, WebhookHandler())
