"""An organization's rules and awardable templates, kept per process behind its rules version.

Loading them costs every event two queries and the parsing of every rule; they change seldom.
``organizations.rules_version`` changes (database triggers, migration 0024) whenever a rule, a
template or a template version does, whichever process or path changed it, so one cheap read in
the event's own transaction (``plaudit.organizations.versions.read``) says whether what this
process holds is still current.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plaudit.awards.service import AwardableTemplate, awardable_templates
from plaudit.models.rule import Rule
from plaudit.organizations import versions
from plaudit.rule_engine.engine import RuleSpec
from plaudit.rules import service as rule_service
from plaudit.rules.service import LoadedRule


@dataclass(frozen=True)
class Rulebook:
    """What the award loop judges an organization's events with (shared: never changed)."""

    rules: dict[str, LoadedRule]
    specs: list[RuleSpec]
    templates: dict[uuid.UUID, AwardableTemplate | str]


_books: versions.Kept[Rulebook] = versions.Kept()


def current(session: Session, *, organization_id: uuid.UUID, version: str | None) -> Rulebook:
    """The organization's active and paused rules and the templates they award, as of now;
    ``version``: its rules version, read in this transaction before this call."""
    book = _books.get(session, organization_id, version)
    if book is None:
        book = load(session, organization_id=organization_id)
        _books.put(session, organization_id, version, book)
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
