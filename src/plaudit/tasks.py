"""Every module that declares jobs, imported by the worker so it knows them all."""

from plaudit.api import tasks as api_tasks
from plaudit.bulk import tasks as bulk_tasks
from plaudit.delivery import tasks as delivery_tasks
from plaudit.keys import tasks as keys_tasks
from plaudit.notifications import tasks as notification_tasks

__all__ = ["api_tasks", "bulk_tasks", "delivery_tasks", "keys_tasks", "notification_tasks"]
