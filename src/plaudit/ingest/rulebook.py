"""An organization's rules and awardable templates, kept per process behind its rules version.

Loading them costs every event two queries and the parsing of every rule; they change seldom.
``organizations.rules_version`` changes (database triggers, migration 0024) whenever a rule, a
template or a template version does, whichever process or path changed it, so one cheap read in
the event's own transaction says whether what this process holds is still current. The version
is read before the rules: what is cached under it is never older than it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.awards.service import AwardableTemplate, awardable_templates
from plaudit.models.organization import Organization
from plaudit.models.rule import Rule
from plaudit.rule_engine.engine import RuleSpec
from plaudit.rules import service as rule_service
from plaudit.rules.service import LoadedRule

# Organizations whose rules one process keeps; the least recently used go first.
CAPACITY = 256


@dataclass(frozen=True)
class Rulebook:
    """What the award loop judges an organization's events with (shared: never changed)."""

    rules: dict[str, LoadedRule]
    specs: list[RuleSpec]
    templates: dict[uuid.UUID, AwardableTemplate | str]


_lock = threading.Lock()
_books: OrderedDict[tuple[str, uuid.UUID], tuple[str, Rulebook]] = OrderedDict()


def current(session: Session, *, organization_id: uuid.UUID) -> Rulebook:
    """The organization's active and paused rules and the templates they award, as of now."""
    version = session.scalar(
        select(Organization.rules_version).where(Organization.id == organization_id)
    )
    key = (_database(session), organization_id)
    with _lock:
        held = _books.get(key)
        if held is not None and held[0] == version:
            _books.move_to_end(key)
            return held[1]
    book = load(session, organization_id=organization_id)
    if version is not None:
        with _lock:
            _books[key] = (version, book)
            _books.move_to_end(key)
            while len(_books) > CAPACITY:
                _books.popitem(last=False)
    return book


def load(session: Session, *, organization_id: uuid.UUID) -> Rulebook:
    rules = {
        rule_id: LoadedRule.of(_unattached(loaded.row))
        for rule_id, loaded in rule_service.load_active(
            session, organization_id=organization_id
        ).items()
    }
    templates = awardable_templates(
        session,
        organization_id=organization_id,
        template_ids={a.template_id for r in rules.values() for a in r.actions},
    )
    return Rulebook(rules=rules, specs=[r.spec for r in rules.values()], templates=templates)


def _unattached(rule: Rule) -> Rule:
    """A copy of the rule that belongs to no session: the cache outlives the session that
    loaded it, whose rollback would expire its objects under other threads' feet."""
    return Rule(
        id=rule.id,
        organization_id=rule.organization_id,
        name=rule.name,
        description=rule.description,
        status=rule.status,
        priority=rule.priority,
        mode=rule.mode,
        trigger=rule.trigger,
        condition=rule.condition,
        actions=rule.actions,
    )


def _database(session: Session) -> str:
    # Organizations are keyed by id, and ids are unique, but one process may serve two
    # databases (the tests run SQLite and PostgreSQL side by side).
    return session.get_bind().engine.url.render_as_string(hide_password=True)
