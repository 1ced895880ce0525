"""The trace's sentences as an administrator reads them: fields and comparisons in words, no
JSON pointer (the event page and the rule simulator)."""

from __future__ import annotations

import re
from typing import Final

# The trace keeps the engine's terms (variable paths, operators, JSON pointers into the
# condition); an administrator reads fields and comparisons in words, as the rule builder says
# them. Paths not named here read as "the event's “x” value".
FIELD_WORDS: Final = {
    "event.data.score": "the score",
    "event.data.max_score": "the maximum score",
    "event.data.passed": "passed",
    "event.data.duration": "the duration",
    "event.type": "the event type",
    "event.id": "the event's id",
    "event.source": "the event's source",
    "event.occurred_at": "when it happened",
    "entity.id": "the entity",
    "entity.type": "the entity type",
    "entity.title": "the entity's title",
    "learner.id": "the learner's id",
    "learner.email": "the learner's email",
    "learner.first_name": "the learner's first name",
    "learner.last_name": "the learner's last name",
    "learner.locale": "the learner's language",
}
_OPERATOR_WORDS: Final = {
    ">=": "at least",
    ">": "more than",
    "<=": "at most",
    "<": "less than",
    "===": "to be",
    "==": "to be",
    "!==": "not to be",
    "!=": "not to be",
}
_PATH = re.compile(r"(?<![\w.\"'“])((?:event|entity|learner)(?:\.[A-Za-z_]\w*)+)")
_NEEDS = re.compile(r"\bneeds (>=|<=|===|==|!==|!=|>|<) ")
_POINTER = re.compile(r" at (?:/\S*|the top):")


def _field(match: re.Match[str]) -> str:
    path = match[1]
    if path in FIELD_WORDS:
        return FIELD_WORDS[path]
    name = path.rsplit(".", 1)[1].replace("_", " ")
    owner = {"event": "the event's", "entity": "the entity's", "learner": "the learner's"}
    return f"{owner[path.split('.', 1)[0]]} “{name}” value"


def in_words(text: str) -> str:
    """A sentence of the trace with fields and comparisons in words and no JSON pointer:
    "event.data.score = 72, needs >= 80" -> "the score is 72, needs at least 80"."""
    text = _POINTER.sub(":", text)
    text = _PATH.sub(_field, text)
    text = _NEEDS.sub(lambda m: f"needs {_OPERATOR_WORDS[m[1]]} ", text)
    return text.replace(" = ", " is ")
