"""The templates' lifecycle is followed here (Credly-shaped webhooks), in every process that runs
jobs or serves requests: both import every feature's ``tasks`` module (``jobs.import_tasks``)."""

from __future__ import annotations

from plaudit.templates import service as templates
from plaudit.vendors import credly_webhooks

templates.on_lifecycle(credly_webhooks.announce)
