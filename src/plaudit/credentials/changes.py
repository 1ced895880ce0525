"""Who wants to know when a credential's standing changed (revoked, suspended, reinstated, made
private or public): the faces that keep copies of it, such as the public page's cache, subscribe;
features announce, after their commit. Features thus never import a face."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from plaudit.db import after_commit

log = logging.getLogger(__name__)

Listener = Callable[[str], None]  # called with the credential's public id
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def changed(session: Session, public_id: str) -> None:
    """Tell every subscriber once ``session``'s transaction commits (never if it rolls back)."""

    def announce() -> None:
        for listener in list(_listeners):
            try:
                listener(public_id)
            except Exception:
                log.exception("a listener of credential changes failed")

    after_commit(session, announce)
