"""The condition language: its operators, how many arguments each takes, and its error."""

from __future__ import annotations

from typing import Any, Final

# (fewest, most) arguments after JSON Logic's sugar: a non-list argument is a list of one.
ARITY: Final[dict[str, tuple[int, int | None]]] = {
    **dict.fromkeys(("==", "===", "!=", "!==", "in", "/", "%", "missing_some"), (2, 2)),
    **dict.fromkeys((">", ">=", "<", "<=", "substr", "reduce"), (2, 3)),
    **dict.fromkeys(("map", "filter", "all", "none", "some"), (2, 2)),
    **dict.fromkeys(("!", "!!", "log"), (1, 1)),
    **dict.fromkeys(("if", "?:", "and", "or", "max", "min", "*"), (1, None)),
    **dict.fromkeys(("missing", "+", "merge", "cat"), (0, None)),
    "var": (1, 2),
    "-": (1, 2),
}
HISTORY_OPERATORS: Final = frozenset(
    {"completed_all", "completed_any", "count", "best_score", "holds_badge"}
)
OPERATORS: Final = frozenset(ARITY) | HISTORY_OPERATORS

# The second argument of these runs once per list item, with the item as its data.
SCOPED: Final = frozenset({"map", "filter", "reduce", "all", "none", "some"})


class ConditionError(ValueError):
    """A condition Plaudit cannot run; ``pointer`` is a JSON Pointer to the offending part."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


def always(logic: Any) -> bool:
    """None and {} are the conditions that always pass."""
    return logic is None or (isinstance(logic, dict) and not logic)


def arguments(raw: Any, op_pointer: str) -> tuple[list[Any], list[str]]:
    """An operator's arguments as a list, and each one's JSON Pointer."""
    if isinstance(raw, list):
        return raw, [f"{op_pointer}/{index}" for index in range(len(raw))]
    return [raw], [op_pointer]


def child(pointer: str, key: str) -> str:
    return f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
