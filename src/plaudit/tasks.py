"""Every module that declares jobs, imported by the worker so it knows them all."""

from plaudit.api import tasks as api_tasks
from plaudit.keys import tasks as keys_tasks

__all__ = ["api_tasks", "keys_tasks"]
