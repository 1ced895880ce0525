"""The rule wizard: the common cases ("award this badge when a learner completes this course,
with a score of at least N…") as a short form that becomes an ordinary ``RuleIn``, saved by
the same service as the full editor's, which opens it afterwards like any other rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.datastructures import FormData

from plaudit.admin.forms import FormErrors, checked, parse, text, texts
from plaudit.admin.rule_form import TYPE_PATTERN
from plaudit.admin.rule_sentence import event_type_words
from plaudit.events.queries import SeenEntity
from plaudit.models.rule import RuleMode, RuleStatus
from plaudit.rule_engine.patterns import type_pattern_problem
from plaudit.rules.schemas import RuleIn

SCORE_FIELD: Final = "event.data.score"
# (value, the words after "Award the badge when a learner…")
KINDS: Final = [
    ("complete", "completes it (once per learner)"),
    ("score", "completes it with a score of at least…"),
    ("all", "completes all of the chosen ones, in any order"),
    ("every", "completes it, every time (a credential each time)"),
    ("fallback", "completes it, if no other rule applied"),
]
_MODES: Final = {"every": RuleMode.ALWAYS, "fallback": RuleMode.FALLBACK}


def blank() -> dict[str, Any]:
    return {
        "entities": [],
        "other_entity": "",
        "event_type": "",
        "kind": "complete",
        "min_score": "80",
        "template": "",
        "name": "",
        "active": True,
    }


def kept(form: FormData) -> dict[str, Any]:
    return {
        "entities": texts(form, "entity"),
        "other_entity": text(form, "other_entity"),
        "event_type": text(form, "event_type"),
        "kind": text(form, "kind") or "complete",
        "min_score": text(form, "min_score"),
        "template": text(form, "template"),
        "name": text(form, "name"),
        "active": checked(form, "active"),
    }


def entity_value(entity: SeenEntity) -> str:
    """A picked entity as the form posts it: "type:id" (an entity type has no colon)."""
    return f"{entity.type or ''}:{entity.id}"


def _entity(value: str) -> tuple[str | None, str]:
    kind, sep, ident = value.partition(":")
    return (kind or None, ident) if sep else (None, value)


@dataclass
class Wizard:
    data: RuleIn | None
    errors: FormErrors


def read(form: FormData, *, template_names: dict[str, str], titles: dict[str, str]) -> Wizard:
    """The wizard's answers as a rule; ``template_names`` are the badges it may award."""
    answers = kept(form)
    errors = FormErrors()
    picked = [_entity(v) for v in answers["entities"]]
    if answers["other_entity"]:
        picked += [(None, ident.strip()) for ident in answers["other_entity"].split(",")]
    picked = [(kind, ident) for kind, ident in picked if ident]
    ids = list(dict.fromkeys(ident for _, ident in picked))
    if not ids:
        errors.add("entity", "Choose the course (or other entity) the learner completes.")
    kinds = sorted({kind for kind, _ in picked if kind})
    entity_type = kinds[0] if len(kinds) == 1 else None

    # Unless chosen, completing is "<kind>.completed" for each kind of entity picked.
    event_types = (
        [answers["event_type"]]
        if answers["event_type"]
        else [f"{k}.completed" for k in kinds] or ["course.completed"]
    )
    for event_type in event_types:
        if type_pattern_problem(event_type) or not TYPE_PATTERN.fullmatch(event_type):
            errors.add(
                "event_type",
                f"“{event_type}” is not an event type: choose what counts as completing it"
                " from the list.",
            )

    kind = answers["kind"] if answers["kind"] in dict(KINDS) else "complete"
    condition: Any = None
    if kind == "score":
        try:
            minimum = float(answers["min_score"].replace(",", "."))
        except ValueError:
            errors.add("min_score", "Write the lowest passing score as a number, such as 80.")
        else:
            condition = {
                ">=": [{"var": SCORE_FIELD}, int(minimum) if minimum.is_integer() else minimum]
            }
    if kind == "all":
        if len(ids) < 2:
            errors.add("entity", "Choose at least two: the learner must complete all of them.")
        condition = {"completed_all": ids}

    template = answers["template"]
    if template not in template_names:
        errors.add("template", "Choose the badge to award (a published badge).")
    if errors:
        return Wizard(None, errors)

    name = answers["name"] or _name(template_names[template], ids, titles, kind, condition)
    data = {
        "name": name[:200],
        "status": (RuleStatus.ACTIVE if answers["active"] else RuleStatus.DRAFT).value,
        "mode": _MODES.get(kind, RuleMode.ONCE).value,
        "trigger": {
            "event_types": event_types,
            "entity_type": entity_type,
            "entity_ids": ids,
        },
        "condition": condition,
        "actions": [{"type": "award", "template_id": template}],
    }
    parsed, schema_errors = parse(
        RuleIn, data, aliases={"trigger": "entity", "actions": "template", "status": "active"}
    )
    errors.merge(schema_errors)
    return Wizard(None if errors else parsed, errors)


def _name(badge: str, ids: list[str], titles: dict[str, str], kind: str, condition: Any) -> str:
    what = " + ".join(titles.get(i, i) for i in ids[:3]) + (" …" if len(ids) > 3 else "")
    if kind == "score":
        extra = f", score ≥ {condition['>='][1]}"
    else:
        extra = {
            "all": ", all of them",
            "every": ", every time",
            "fallback": ", if nothing else applied",
        }.get(kind, "")
    return f"{badge} for {what}{extra}"


def type_choices(built_in: tuple[str, ...], received: list[str]) -> list[tuple[str, str]]:
    """The event types Plaudit knows and those the organization received, each once."""
    return [(t, f"{event_type_words(t)} ({t})") for t in sorted({*built_in, *received})]
