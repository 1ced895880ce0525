"""JSON Logic as on jsonlogic.com, plus Plaudit's history operators: validate, evaluate, explain."""

from __future__ import annotations

import calendar
import difflib
import itertools
import math
import operator
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from plaudit.rules.facts import EventFacts, History, id_text

MAX_DEPTH: Final = 64
MAX_NODES: Final = 10_000
# The run-time budget of one evaluation (one rule's condition, or one certificate field, for one
# event). Every node evaluated costs one operation, and operators that read their values whole
# cost their size as well (see ``size``); cost.py estimates the same count at save time.
MAX_OPERATIONS: Final = 100_000
# A unit of size per this many characters of text: Python handles text in C, far faster than
# it evaluates a node.
TEXT_UNIT: Final = 64

# (fewest, most) arguments after JSON Logic's sugar: a non-list argument is a list of one.
_ARITY: Final[dict[str, tuple[int, int | None]]] = {
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
OPERATORS: Final = frozenset(_ARITY) | HISTORY_OPERATORS

_COMPARISONS: Final = frozenset({"==", "===", "!=", "!==", ">", ">=", "<", "<="})
_EXPLAINED: Final = _COMPARISONS | {"!", "!!", "in", "missing", "missing_some"}
# The second argument of these runs once per list item, with the item as its data.
_SCOPED: Final = frozenset({"map", "filter", "reduce", "all", "none", "some"})
# What an operator reads of its values, which its cost adds to the one operation it counts:
# all of every value (text is joined, lists copied, keys kept in the trace) ...
WALKED: Final = frozenset({"cat", "substr", "merge", "missing", "missing_some"})
# ... only the text of strings, which are read as numbers or compared as text ...
PARSED: Final = frozenset({">", ">=", "<", "<=", "+", "-", "*", "/", "%", "max", "min"})
# ... the text of strings, and lists and objects as far as they are equal (counted as compared).
EQUALITY: Final = frozenset({"==", "===", "!=", "!=="})
# 'in' reads all of a list it searches, or a text and the text of what it looks for; 'var' reads
# the text of its path; '!', '!!', 'log', the branching and the iterating operators read nothing.
_FLIPPED: Final = {
    "==": "==",
    "===": "===",
    "!=": "!=",
    "!==": "!==",
    ">": "<",
    ">=": "<=",
    "<": ">",
    "<=": ">=",
}
_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# Words people type for operators; difflib alone cannot get from 'grater' to '>'.
_ALIASES: Final = {
    word: op
    for op, words in {
        ">": "greater greater_than gt",
        ">=": "greater_or_equal gte ge",
        "<": "less less_than lt",
        "<=": "less_or_equal lte le",
        "==": "equal equals eq",
        "!=": "not_equal ne neq",
        "!": "not",
        "cat": "concat",
        "in": "contains",
        "+": "add sum plus",
        "-": "subtract minus",
        "*": "multiply times",
        "/": "divide",
        "%": "mod modulo",
        "if": "then else when",
    }.items()
    for word in words.split()
}

_ROOTS: Final = ("event", "learner", "entity")
_EVENT_KEYS: Final = ("id", "type", "occurred_at", "data", "source", "entity", "learner")
_BARE_EVENT_FIELDS: Final = ("id", "type", "occurred_at", "data", "source")
_LEARNER_FIELDS: Final = ("email", "first_name", "last_name", "locale")
_ENTITY_FIELDS: Final = ("title", "parents")
_COMPLETION_SUFFIXES: Final = (".completed", ".submitted", ".passed")

# JS numbers are doubles: integers beyond 2**53 are not exact there, and capping them keeps
# hostile products (10**300 * ...) from growing without bound.
_SAFE_INT: Final = 2**53
# Possessive, so that no part gives back what it matched: "\d+\.?\d*" backtracked quadratically
# on a long run of digits (16 KiB took 13 s), and even linear backtracking is slow there.
_NUMBER_TEXT: Final = re.compile(r"\s*+[+-]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][+-]?+\d++)?+\s*+")
_INTEGER_TEXT: Final = re.compile(r"[+-]?\d{1,15}")
_DURATION: Final = re.compile(
    r"P(?:(\d{1,4})Y)?(?:(\d{1,5})M)?(?:(\d{1,5})W)?(?:(\d{1,6})D)?"
    r"(?:T(?:(\d{1,7})H)?(?:(\d{1,9})M)?(?:(\d{1,10})S)?)?"
)
_ABSENT: Final = object()
# A variable's value is kept in the trace as is when at most this size, else as its summary.
_PREVIEW: Final = 64


class ConditionError(ValueError):
    """A condition Plaudit cannot run; ``pointer`` is a JSON Pointer to the offending part."""

    def __init__(self, message: str, pointer: str) -> None:
        super().__init__(message)
        self.message = message
        self.pointer = pointer


class TooCostly(Exception):
    """An evaluation stopped because it needed more than its budget of ``limit`` operations."""

    def __init__(self, limit: int, reason: str | None = None) -> None:
        self.limit = limit
        self.reason = reason or f"it needs more than {limit:,} operations"
        super().__init__(self.reason)


@dataclass(frozen=True)
class Step:
    """One decision in a trace: ``args`` are evaluated values, ``explain`` is for administrators."""

    pointer: str
    op: str
    args: tuple[Any, ...]
    result: Any
    explain: str


@dataclass(frozen=True)
class Outcome:
    """A condition's raw value and its trace.

    The steps are the comparisons, boolean leaves and history operators actually evaluated, in
    order; the per-item logic of map/filter/reduce/all/none/some is summarised, not traced.
    """

    value: Any
    passed: bool
    steps: tuple[Step, ...]
    operations: int = 0

    def summary(self) -> str:
        return "; ".join(step.explain for step in self.steps)


# --- public entry points -------------------------------------------------------------------


def validate(logic: Any) -> None:
    """Raise ConditionError unless ``logic`` is a condition Plaudit can run.

    None and {} mean "always". Variables must start with event., learner. or entity. (inside
    map/filter/reduce/all/none/some the item is the data, so any path goes there). Conditions
    deeper than MAX_DEPTH containers or with more than MAX_NODES values are refused before
    anything recurses into them.
    """
    _validate(logic, plain=False)


# Conditions validated recently, by identity. A stored rule's condition is the same object for
# every event of a batch, so it is checked once, not once per event. The object is kept in the
# cache so that its id cannot be reused by another while the entry exists.
_VALIDATED: OrderedDict[int, Any] = OrderedDict()
_VALIDATED_SIZE = 512


def _validate_once(logic: Any) -> None:
    key = id(logic)
    if _VALIDATED.get(key) is logic:
        return
    validate(logic)
    _VALIDATED[key] = logic
    if len(_VALIDATED) > _VALIDATED_SIZE:
        _VALIDATED.popitem(last=False)


def evaluate(
    logic: Any, *, event: EventFacts, history: History, budget: int = MAX_OPERATIONS
) -> Outcome:
    """Run a condition against the event's context and the learner's history, with a trace.

    Raises ConditionError when ``validate`` would, and TooCostly as soon as it has counted more
    than ``budget`` operations.
    """
    if _always(logic):
        return Outcome(True, True, ())
    _validate_once(logic)
    evaluator = _Evaluator(event, history, budget)
    value = evaluator.run(logic, event.context(), traced=True)
    return Outcome(
        value=value,
        passed=truthy(value),
        steps=tuple(evaluator.steps),
        operations=evaluator.operations,
    )


def compute(expr: Any, *, event: EventFacts, history: History, budget: int = MAX_OPERATIONS) -> Any:
    """The value of an expression (certificate field mappings); a scalar is its own value.

    The value is copied into the credential, so its size counts towards the budget.
    """
    if not isinstance(expr, dict | list):
        return expr
    _validate_once(expr)
    evaluator = _Evaluator(event, history, budget)
    value = evaluator.run(expr, event.context(), traced=False)
    evaluator.spend_size(value)
    if _deeper_than(value, MAX_DEPTH):
        raise TooCostly(budget, f"its value nests deeper than {MAX_DEPTH} levels")
    return value


def apply(logic: Any, data: Any = None, *, budget: int = MAX_OPERATIONS) -> Any:
    """Plain JSON Logic over any data: no variable-root rule and no history operators."""
    _validate(logic, plain=True)
    return _Evaluator(None, None, budget).run(logic, data, traced=False)


def size(value: Any, cap: int | None = None) -> int:
    """How much an operator reading ``value`` whole has to read: one per list item or object
    entry at any depth, plus one per TEXT_UNIT characters of each text.

    Counting stops once past ``cap``: lists that share their parts can be exponentially larger
    than the memory they hold, and must not be walked to the end.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) // TEXT_UNIT
        elif isinstance(item, list):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item)
            stack.extend(item.values())
        else:
            continue
        if cap is not None and total > cap:
            break
    return total


def text_size(value: Any) -> int:
    return len(value) // TEXT_UNIT if isinstance(value, str) else 0


def truthy(value: Any) -> bool:
    """jsonlogic.com truthiness: [] is false, "0" is true, {} is true (a JS object)."""
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, str | int | float | list):
        return bool(value)
    return True


def type_matches(pattern: str, event_type: str) -> bool:
    """An exact event type, '*' for any, or a suffix wildcard: 'course.*' matches 'course.x'."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def type_pattern_problem(pattern: Any) -> str | None:
    if not isinstance(pattern, str) or not pattern.strip():
        return "an event type must be a non-empty string"
    if any(char.isspace() for char in pattern):
        return f"event type {_quote(pattern)} contains spaces"
    if "*" in pattern and not (
        pattern == "*" or (pattern.endswith(".*") and pattern.count("*") == 1 and len(pattern) > 2)
    ):
        return f"bad wildcard in {_quote(pattern)}: '*' may only end a pattern, as in 'course.*'"
    return None


# --- validation ----------------------------------------------------------------------------


def _validate(logic: Any, *, plain: bool) -> None:
    _check_size(logic)
    if _always(logic):
        return
    # In plain mode every path is allowed, exactly as inside a map/filter body.
    _Validator(plain=plain).node(logic, "", scoped=plain)


def _always(logic: Any) -> bool:
    return logic is None or (isinstance(logic, dict) and not logic)


def _check_size(logic: Any) -> None:
    # Iterative on purpose: hostile input must not reach a recursive walk before it is measured.
    nodes = 1
    stack: list[tuple[Any, int]] = [(logic, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[Any] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise ConditionError(
                f"the condition is too large: it nests deeper than {MAX_DEPTH} levels", ""
            )
        nodes += len(children)
        if nodes > MAX_NODES:
            raise ConditionError(
                f"the condition is too large: it has more than {MAX_NODES} values", ""
            )
        stack.extend((child, depth + 1) for child in children)


class _Validator:
    def __init__(self, *, plain: bool) -> None:
        self.plain = plain

    def node(self, value: Any, pointer: str, *, scoped: bool) -> None:
        if isinstance(value, dict):
            self.operation(value, pointer, scoped=scoped)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.node(item, f"{pointer}/{index}", scoped=scoped)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConditionError("numbers must be finite", pointer)
        elif value is not None and not isinstance(value, str | int | float):
            raise ConditionError(f"unsupported value of type {type(value).__name__}", pointer)

    def operation(self, node: dict[Any, Any], pointer: str, *, scoped: bool) -> None:
        if len(node) != 1:
            raise ConditionError("an operation must have exactly one operator", pointer)
        ((op, raw),) = node.items()
        if not isinstance(op, str):
            raise ConditionError("an operator must be a string", pointer)
        op_pointer = _child(pointer, op)
        if op not in OPERATORS:
            raise ConditionError(_unknown_operator(op), op_pointer)
        if op in HISTORY_OPERATORS:
            if self.plain:
                raise ConditionError(
                    f"'{op}' reads a learner's history; use evaluate()", op_pointer
                )
            _HISTORY_PARSERS[op](raw, op_pointer)
            return
        args, pointers = _arguments(raw, op_pointer)
        fewest, most = _ARITY[op]
        if len(args) < fewest or (most is not None and len(args) > most):
            raise ConditionError(
                f"'{op}' takes {_arity_text(fewest, most)}, got {len(args)}", op_pointer
            )
        if op == "var":
            self.var(args, pointers, scoped=scoped)
            return
        if not scoped and op in ("missing", "missing_some"):
            _check_missing_keys(op, args, pointers)
        for index, (arg, arg_pointer) in enumerate(zip(args, pointers, strict=True)):
            self.node(arg, arg_pointer, scoped=scoped or (op in _SCOPED and index == 1))

    def var(self, args: list[Any], pointers: list[str], *, scoped: bool) -> None:
        path = args[0]
        if isinstance(path, bool) or not isinstance(path, str | int):
            raise ConditionError(
                "a variable path must be a string such as 'event.data.score'", pointers[0]
            )
        if not scoped:
            _check_path(path, pointers[0])
        if len(args) == 2:
            self.node(args[1], pointers[1], scoped=scoped)


def _check_missing_keys(op: str, args: list[Any], pointers: list[str]) -> None:
    keys, key_pointers = args, pointers
    if op == "missing_some":
        keys, key_pointers = [], []
        if isinstance(args[1], list):
            keys, key_pointers = args[1], [f"{pointers[1]}/{i}" for i in range(len(args[1]))]
    elif args and isinstance(args[0], list):
        keys, key_pointers = args[0], [f"{pointers[0]}/{i}" for i in range(len(args[0]))]
    for key, key_pointer in zip(keys, key_pointers, strict=True):
        if isinstance(key, str | int) and not isinstance(key, bool):
            _check_path(key, key_pointer)


def _check_path(path: str | int, pointer: str) -> None:
    text = str(path)
    if text == "":
        return
    segments = text.split(".")
    if "" in segments:
        raise ConditionError(f"variable {_quote(text)} has an empty segment", pointer)
    if segments[0] not in _ROOTS:
        raise ConditionError(
            f"unknown variable {_quote(text)}: paths start with event, learner or entity"
            f" (did you mean {_quote(_suggest_path(segments))}?)",
            pointer,
        )
    if segments[0] == "event" and len(segments) > 1 and segments[1] not in _EVENT_KEYS:
        raise ConditionError(
            f"unknown variable {_quote(text)}: event has {', '.join(_EVENT_KEYS)}"
            f" (did you mean {_quote(_suggest_path(segments))}?)",
            pointer,
        )


def _suggest_path(segments: list[str]) -> str:
    root, rest = segments[0], segments[1:]
    if root == "event":
        close = difflib.get_close_matches(rest[0], _EVENT_KEYS, n=1, cutoff=0.75)
        return ".".join(["event", close[0], *rest[1:]] if close else ["event", "data", *rest])
    close = difflib.get_close_matches(root, _ROOTS, n=1, cutoff=0.75)
    if close:
        fixed = [close[0], *rest]
        if close[0] == "event" and rest and rest[0] not in _EVENT_KEYS:
            return _suggest_path(fixed)
        return ".".join(fixed)
    text = ".".join(segments)
    if root in _BARE_EVENT_FIELDS:
        return f"event.{text}"
    if root in _LEARNER_FIELDS:
        return f"learner.{text}"
    if root in _ENTITY_FIELDS:
        return f"entity.{text}"
    return f"event.data.{text}"


def _unknown_operator(op: str) -> str:
    candidates = sorted(OPERATORS | _ALIASES.keys())
    close = difflib.get_close_matches(op.lower(), candidates, n=1, cutoff=0.6)
    if not close:
        return f"unknown operator {_quote(op)}"
    return (
        f"unknown operator {_quote(op)} (did you mean {_quote(_ALIASES.get(close[0], close[0]))}?)"
    )


def _arity_text(fewest: int, most: int | None) -> str:
    def plural(n: int) -> str:
        return f"{n} argument" if n == 1 else f"{n} arguments"

    if most is None:
        return f"at least {plural(fewest)}"
    if fewest == most:
        return plural(fewest)
    return f"{fewest} or {plural(most)}" if most == fewest + 1 else f"{fewest} to {plural(most)}"


def _arguments(raw: Any, op_pointer: str) -> tuple[list[Any], list[str]]:
    if isinstance(raw, list):
        return raw, [f"{op_pointer}/{index}" for index in range(len(raw))]
    return [raw], [op_pointer]


def _child(pointer: str, key: str) -> str:
    return f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"


# --- history operator arguments (literals, parsed the same way to validate and to run) -----


@dataclass(frozen=True)
class _Completion:
    entity_ids: tuple[str, ...]
    entity_type: str | None


@dataclass(frozen=True)
class _Duration:
    text: str
    months: int
    delta: timedelta


@dataclass(frozen=True)
class _CountSpec:
    types: tuple[str, ...]
    entity_type: str | None
    entity_ids: tuple[str, ...]
    within: _Duration | None


@dataclass(frozen=True)
class _ScoreSpec:
    entity_id: str
    percent: bool


def _parse_completion(raw: Any, pointer: str, op: str) -> _Completion:
    if isinstance(raw, list):
        return _Completion(_id_list(raw, pointer, op), None)
    if isinstance(raw, dict):
        _check_keys(raw, ("entity_ids", "entity_type"), op, pointer)
        if "entity_ids" not in raw:
            raise ConditionError(f"'{op}' needs entity_ids", pointer)
        entity_ids = _id_list(raw["entity_ids"], _child(pointer, "entity_ids"), op)
        return _Completion(entity_ids, _optional_text(raw, "entity_type", pointer))
    raise ConditionError(
        f"'{op}' takes a list of entity ids, or an object with entity_ids and entity_type", pointer
    )


def _parse_completed_all(raw: Any, pointer: str) -> _Completion:
    return _parse_completion(raw, pointer, "completed_all")


def _parse_completed_any(raw: Any, pointer: str) -> _Completion:
    return _parse_completion(raw, pointer, "completed_any")


def _parse_count(raw: Any, pointer: str) -> _CountSpec:
    if not isinstance(raw, dict):
        raise ConditionError(
            '\'count\' takes an object such as {"type": "mission.completed", "within": "P30D"}',
            pointer,
        )
    _check_keys(raw, ("entity_ids", "entity_type", "type", "within"), "count", pointer)
    types: tuple[str, ...] = ()
    raw_types = raw.get("type")
    type_pointer = _child(pointer, "type")
    if isinstance(raw_types, str):
        if problem := type_pattern_problem(raw_types):
            raise ConditionError(problem, type_pointer)
        types = (raw_types,)
    elif isinstance(raw_types, list):
        if not raw_types:
            raise ConditionError("'count' needs at least one event type in type", type_pointer)
        for index, pattern in enumerate(raw_types):
            if problem := type_pattern_problem(pattern):
                raise ConditionError(problem, f"{type_pointer}/{index}")
        types = tuple(dict.fromkeys(raw_types))
    elif raw_types is not None:
        raise ConditionError("type must be an event type or a list of them", type_pointer)
    entity_ids: tuple[str, ...] = ()
    if raw.get("entity_ids") is not None:
        entity_ids = _id_list(raw["entity_ids"], _child(pointer, "entity_ids"), "count")
    within = None
    if raw.get("within") is not None:
        within = _parse_duration(raw["within"])
        if within is None:
            raise ConditionError(
                f"{_fmt(raw['within'])} is not an ISO 8601 duration longer than zero,"
                " such as P30D, P1M, P1Y or PT12H",
                _child(pointer, "within"),
            )
    return _CountSpec(types, _optional_text(raw, "entity_type", pointer), entity_ids, within)


def _parse_best_score(raw: Any, pointer: str) -> _ScoreSpec:
    if isinstance(raw, str) and raw.strip():
        return _ScoreSpec(raw, percent=False)
    if isinstance(raw, dict):
        _check_keys(raw, ("entity_id", "percent"), "best_score", pointer)
        entity_id = _optional_text(raw, "entity_id", pointer)
        if entity_id is None:
            raise ConditionError("'best_score' needs an entity_id", pointer)
        percent = raw.get("percent", False)
        if not isinstance(percent, bool):
            raise ConditionError("percent must be true or false", _child(pointer, "percent"))
        return _ScoreSpec(entity_id, percent)
    raise ConditionError(
        "'best_score' takes an entity id, or an object with entity_id and percent", pointer
    )


def _parse_holds_badge(raw: Any, pointer: str) -> str:
    if isinstance(raw, str) and raw.strip():
        return raw
    raise ConditionError("'holds_badge' takes a template id", pointer)


_HISTORY_PARSERS: Final[dict[str, Callable[[Any, str], object]]] = {
    "completed_all": _parse_completed_all,
    "completed_any": _parse_completed_any,
    "count": _parse_count,
    "best_score": _parse_best_score,
    "holds_badge": _parse_holds_badge,
}


def _id_list(raw: Any, pointer: str, op: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ConditionError(f"'{op}' needs a list of entity ids", pointer)
    if not raw:
        raise ConditionError(f"'{op}' needs at least one entity id", pointer)
    for index, entity_id in enumerate(raw):
        if not isinstance(entity_id, str) or not entity_id.strip():
            raise ConditionError("an entity id must be a non-empty string", f"{pointer}/{index}")
    return tuple(dict.fromkeys(raw))


def _check_keys(raw: dict[Any, Any], allowed: tuple[str, ...], op: str, pointer: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConditionError(
                f"unknown key {_quote(str(key))} for '{op}' (allowed: {', '.join(allowed)})",
                _child(pointer, str(key)),
            )


def _optional_text(raw: dict[Any, Any], key: str, pointer: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConditionError(f"{key} must be a non-empty string", _child(pointer, key))
    return value


def _parse_duration(text: Any) -> _Duration | None:
    if not isinstance(text, str):
        return None
    match = _DURATION.fullmatch(text)
    if match is None or text.endswith("T"):
        return None
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    delta = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if years == months == 0 and not delta:
        return None
    return _Duration(text, years * 12 + months, delta)


def _window_start(now: datetime, within: _Duration) -> datetime | None:
    """Calendar arithmetic, so P1M before 31 March is 28/29 February; None means unbounded."""
    now = now.astimezone(UTC)
    year, month_index = divmod(now.year * 12 + now.month - 1 - within.months, 12)
    if year < 1:
        return None
    day = min(now.day, calendar.monthrange(year, month_index + 1)[1])
    try:
        return now.replace(year=year, month=month_index + 1, day=day) - within.delta
    except OverflowError:
        return None


# --- evaluation ----------------------------------------------------------------------------


Spend = Callable[[int], None]


class _Evaluator:
    def __init__(self, event: EventFacts | None, history: History | None, budget: int) -> None:
        self.event = event
        self.history = history
        self.budget = budget
        self.operations = 0
        self.steps: list[Step] = []
        self._events: tuple[EventFacts, ...] | None = None
        # A history operator's arguments are literals, so its value is the same all along:
        # inside a loop the history is read once, not once per item.
        self._history: dict[tuple[str, int], tuple[Any, str]] = {}

    def run(self, node: Any, data: Any, *, traced: bool) -> Any:
        try:
            return self.eval(node, data, "", traced=traced, boolean=traced)
        except RecursionError:
            # Only values built by 'reduce' nest this deep; the budget does not see depth.
            raise TooCostly(self.budget, "its values nest too deeply") from None

    def spend(self, amount: int) -> None:
        self.operations += amount
        if self.operations > self.budget:
            raise TooCostly(self.budget)

    def spend_size(self, value: Any) -> None:
        if isinstance(value, str | list | dict):
            self.spend(size(value, self.budget - self.operations))

    def eval(
        self, node: Any, data: Any, pointer: str, *, traced: bool, boolean: bool = False
    ) -> Any:
        """``boolean`` marks positions whose truth decides something (and/or operands, if tests).

        Pointers only serve the trace: untraced evaluation (loop bodies, field mappings) skips
        building them.
        """
        self.operations += 1
        if self.operations > self.budget:
            raise TooCostly(self.budget)
        if isinstance(node, list):
            if traced:
                return [
                    self.eval(item, data, f"{pointer}/{index}", traced=True)
                    for index, item in enumerate(node)
                ]
            return [self.eval(item, data, "", traced=False) for item in node]
        if not isinstance(node, dict) or len(node) != 1:
            return node
        ((op, raw),) = node.items()
        op_pointer = _child(pointer, op) if traced else ""
        if op in HISTORY_OPERATORS:
            return self.history_operator(op, raw, op_pointer, traced=traced)
        if traced:
            args, pointers = _arguments(raw, op_pointer)
        else:
            args = raw if isinstance(raw, list) else [raw]
            pointers = [""] * len(args)
        if op in ("if", "?:"):
            return self.branch(args, pointers, data, traced=traced, boolean=boolean)
        if op in ("and", "or"):
            return self.and_or(op, args, pointers, data, traced=traced)
        if op in _SCOPED:
            return self.scoped(op, op_pointer, args, pointers, data, traced=traced)
        values = [
            self.eval(arg, data, arg_pointer, traced=traced)
            for arg, arg_pointer in zip(args, pointers, strict=True)
        ]
        if op == "var":
            self.spend(text_size(values[0]))
            result = _var(values, data)
            if traced and boolean:
                explain = _state(_var_label(values[0]), result)
                self.record(op_pointer, op, values, _preview(result), explain)
            return result
        if op in WALKED:
            for value in values:
                self.spend_size(value)
        elif op in PARSED or op in EQUALITY:
            self.spend(sum(text_size(value) for value in values))
        if op == "missing":
            keys = values[0] if values and isinstance(values[0], list) else values
            result = _missing(keys, data)
        elif op == "missing_some":
            result = _missing_some(values[0], values[1], data)
        elif op in EQUALITY:
            result = _EQUALS[op](values[0], values[1], self.spend)
        elif op == "in":
            result = self.contains(values[0], values[1])
        else:
            result = _FUNCTIONS[op](values)
        if traced and op in _EXPLAINED:
            self.record(op_pointer, op, values, result, _explain(op, args, values, result))
        return result

    def contains(self, needle: Any, haystack: Any) -> bool:
        if isinstance(haystack, str):
            self.spend_size(needle)
            self.spend(text_size(haystack))
        elif isinstance(haystack, list):
            self.spend(len(haystack))
            return any(_strict_equal(needle, item, self.spend) for item in haystack)
        return _contains(needle, haystack)

    def record(self, pointer: str, op: str, args: Sequence[Any], result: Any, explain: str) -> None:
        self.steps.append(Step(pointer, op, tuple(args), result, explain))

    def branch(
        self, args: list[Any], pointers: list[str], data: Any, *, traced: bool, boolean: bool
    ) -> Any:
        index = 0
        while index + 1 < len(args):
            test = self.eval(args[index], data, pointers[index], traced=traced, boolean=True)
            if truthy(test):
                return self.eval(
                    args[index + 1], data, pointers[index + 1], traced=traced, boolean=boolean
                )
            index += 2
        if index < len(args):
            return self.eval(args[index], data, pointers[index], traced=traced, boolean=boolean)
        return None

    def and_or(
        self, op: str, args: list[Any], pointers: list[str], data: Any, *, traced: bool
    ) -> Any:
        # Like JS: the deciding operand is the result, and later operands are never evaluated.
        current: Any = None
        for arg, arg_pointer in zip(args, pointers, strict=True):
            current = self.eval(arg, data, arg_pointer, traced=traced, boolean=True)
            if truthy(current) == (op == "or"):
                return current
        return current

    def scoped(
        self,
        op: str,
        op_pointer: str,
        args: list[Any],
        pointers: list[str],
        data: Any,
        *,
        traced: bool,
    ) -> Any:
        items = self.eval(args[0], data, pointers[0], traced=traced)
        logic = args[1]

        # Per-item decisions are not traced: their paths name the item, not the event, and a
        # long list would bury the one line an administrator needs.
        def each(item: Any) -> Any:
            return self.eval(logic, item, "", traced=False)

        if op == "map":
            return [each(item) for item in items] if isinstance(items, list) else []
        if op == "filter":
            return [item for item in items if truthy(each(item))] if isinstance(items, list) else []
        if op == "reduce":
            accumulator = (
                self.eval(args[2], data, pointers[2], traced=traced) if len(args) > 2 else None
            )
            if not isinstance(items, list):
                return accumulator
            for item in items:
                scope = {"current": item, "accumulator": accumulator}
                accumulator = self.eval(logic, scope, "", traced=False)
            return accumulator
        total = len(items) if isinstance(items, list) else 0
        matches = sum(1 for item in items if truthy(each(item))) if total else 0
        if op == "all":
            result = total > 0 and matches == total
        elif op == "some":
            result = matches > 0
        else:
            result = matches == 0
        if traced:
            explain = _explain_quantifier(op, _label(args[0]), items, matches, total)
            self.record(op_pointer, op, [items], result, explain)
        return result

    def history_operator(self, op: str, raw: Any, pointer: str, *, traced: bool) -> Any:
        if self.event is None or self.history is None:
            raise ConditionError(f"'{op}' reads a learner's history; use evaluate()", pointer)
        known = self._history.get((op, id(raw)))
        if known is not None:
            result, explain = known
        else:
            if op != "holds_badge":
                # One operation per event read: a learner's history has no fixed length.
                self.spend(len(self.all_events()))
            result, explain = self.read_history(op, raw, pointer)
            self._history[(op, id(raw))] = (result, explain)
        if traced:
            self.record(pointer, op, [raw], result, explain)
        return result

    def read_history(self, op: str, raw: Any, pointer: str) -> tuple[Any, str]:
        assert self.history is not None
        if op in ("completed_all", "completed_any"):
            return self.completed(op, _parse_completion(raw, pointer, op))
        if op == "count":
            return self.count(_parse_count(raw, pointer))
        if op == "best_score":
            return self.best_score(_parse_best_score(raw, pointer))
        template_id = _parse_holds_badge(raw, pointer)
        held = self.history.held.get(template_id, 0) > 0
        return held, f"holds badge {template_id}: {'yes' if held else 'no'}"

    def all_events(self) -> tuple[EventFacts, ...]:
        """History plus the current event, once each: a redelivered event is not counted twice."""
        if self._events is None:
            assert self.event is not None and self.history is not None
            by_id = {event.id: event for event in (*self.history.events, self.event)}
            self._events = tuple(by_id.values())
        return self._events

    def completed(self, op: str, spec: _Completion) -> tuple[bool, str]:
        completed = {
            entity_id
            for event in self.all_events()
            if (entity_id := _completed_entity(event, spec.entity_type)) is not None
        }
        done = [entity_id for entity_id in spec.entity_ids if entity_id in completed]
        missing = [entity_id for entity_id in spec.entity_ids if entity_id not in completed]
        if op == "completed_any":
            if done:
                return True, f"completed {', '.join(done)}"
            return False, f"completed none of {', '.join(spec.entity_ids)}"
        explain = f"completed {len(done)} of {len(spec.entity_ids)}"
        if done:
            explain += f" ({', '.join(done)})"
        if missing:
            explain += f"; missing {', '.join(missing)}"
        return not missing, explain

    def count(self, spec: _CountSpec) -> tuple[int, str]:
        assert self.event is not None
        now = self.event.occurred_at
        start = _window_start(now, spec.within) if spec.within else None
        total = 0
        for event in self.all_events():
            if spec.types and not any(type_matches(p, event.type) for p in spec.types):
                continue
            if spec.entity_type is not None and event.entity.get("type") != spec.entity_type:
                continue
            if spec.entity_ids and id_text(event.entity.get("id")) not in spec.entity_ids:
                continue
            if spec.within is not None and not _in_window(event.occurred_at, start, now):
                continue
            total += 1
        return total, f"{_count_label(spec)} = {total}"

    def best_score(self, spec: _ScoreSpec) -> tuple[int | float | None, str]:
        best: int | float | None = None
        for event in self.all_events():
            if id_text(event.entity.get("id")) != spec.entity_id:
                continue
            score = _measure(event.data.get("score"))
            if score is None:
                continue
            if spec.percent:
                top = _measure(event.data.get("max_score"))
                if top is None or top <= 0:
                    continue
                score = _norm(100 * score / top)
            if score is not None and (best is None or score > best):
                best = score
        label = _score_label(spec)
        if best is None:
            return None, f"{label}: no score yet"
        return best, f"{label} = {_fmt(best)}"


def _in_window(moment: datetime, start: datetime | None, end: datetime) -> bool:
    return moment <= end and (start is None or moment > start)


def _measure(value: Any) -> int | float | None:
    """A score as reported: a finite JSON number (scores sent as text are not guessed at)."""
    if _is_number(value) and math.isfinite(value):
        return _norm(value)
    return None


def _completed_entity(event: EventFacts, entity_type: str | None) -> str | None:
    entity_id = id_text(event.entity.get("id"))
    if entity_id is None:
        return None
    if entity_type is not None and event.entity.get("type") != entity_type:
        return None
    if event.type.endswith(_COMPLETION_SUFFIXES) or event.data.get("passed") is True:
        return entity_id
    return None


# --- the standard operators ----------------------------------------------------------------


def _lookup(data: Any, path: Any) -> Any:
    if path is None or path == "":
        return data
    if isinstance(path, bool) or not isinstance(path, str | int | float):
        return _ABSENT
    current = data
    for segment in _js_text(path, null="").split("."):
        if isinstance(current, dict):
            if segment not in current:
                return _ABSENT
            current = current[segment]
        elif isinstance(current, list) and segment.isascii() and segment.isdigit():
            index = int(segment)
            if index >= len(current):
                return _ABSENT
            current = current[index]
        else:
            return _ABSENT
    return current


def _var(values: list[Any], data: Any) -> Any:
    # Unlike json-logic-js, a present null also takes the default: learner names may be null,
    # and {"var": ["learner.first_name", "Learner"]} should then read "Learner".
    found = _lookup(data, values[0])
    if found is _ABSENT or found is None:
        return values[1] if len(values) > 1 else None
    return found


def _missing(keys: Iterable[Any], data: Any) -> list[Any]:
    missing = []
    for key in keys:
        value = _lookup(data, key)
        if value is _ABSENT or value is None or value == "":
            missing.append(key)
    return missing


def _missing_some(need: Any, options: Any, data: Any) -> list[Any]:
    keys = options if isinstance(options, list) else [options]
    missing = _missing(keys, data)
    needed = _number(need)
    if needed is not None and len(keys) - len(missing) >= needed:
        return []
    return missing


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: int | str) -> float | None:
    try:
        result = float(value)
    except (OverflowError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _number(value: Any) -> int | float | None:
    """A JS number, or None where JS would give NaN (and for null: see _compare)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if abs(value) <= _SAFE_INT else _float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
        text = value.strip()
        return int(text) if _INTEGER_TEXT.fullmatch(text) else _float(text)
    return None


def _norm(value: int | float | None) -> int | float | None:
    """Integral results as ints (JS has one number type); overflow and NaN as None."""
    if value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) <= _SAFE_INT:
            return int(value)
        return value
    return value if abs(value) <= _SAFE_INT else _float(value)


def _arithmetic(
    values: list[Any], start: int | float | None, combine: Callable[[Any, Any], Any]
) -> Any:
    # A non-number operand (null included) gives None rather than JS's NaN or null-as-0, so a
    # missing score never silently becomes a zero.
    accumulator = start
    for value in values:
        number = _number(value)
        if number is None or accumulator is None:
            return None
        accumulator = _norm(combine(accumulator, number))
    return accumulator


def _add(values: list[Any]) -> Any:
    return _arithmetic(values, 0, operator.add)


def _multiply(values: list[Any]) -> Any:
    return _arithmetic(values[1:], _number(values[0]), operator.mul)


def _subtract(values: list[Any]) -> Any:
    if len(values) == 1:
        number = _number(values[0])
        return None if number is None else _norm(-number)
    return _arithmetic(values[1:], _number(values[0]), operator.sub)


def _divide(values: list[Any]) -> Any:
    dividend, divisor = _number(values[0]), _number(values[1])
    if dividend is None or divisor is None or divisor == 0:
        return None
    return _norm(dividend / divisor)


def _modulo(values: list[Any]) -> Any:
    dividend, divisor = _number(values[0]), _number(values[1])
    if dividend is None or divisor is None or divisor == 0:
        return None
    if isinstance(dividend, int) and isinstance(divisor, int):
        # JS keeps the sign of the dividend: -7 % 3 is -1, where Python says 2.
        remainder = abs(dividend) % abs(divisor)
        return -remainder if dividend < 0 else remainder
    return _norm(math.fmod(dividend, divisor))


def _extreme(values: list[Any], pick: Callable[[list[int | float]], int | float]) -> Any:
    numbers = [_number(value) for value in values]
    if not numbers:
        return None
    clean = [number for number in numbers if number is not None]
    return pick(clean) if len(clean) == len(numbers) else None


def _loose_number(value: Any) -> int | float | None:
    if isinstance(value, str) and not value.strip():
        return 0
    return _number(value)


def _loose_equal(left: Any, right: Any, spend: Spend | None = None) -> bool:
    """JS ==: numbers, numeric strings and booleans compare as numbers; null equals only null.

    Lists and objects compare by value (JS compares identity, which JSON cannot express).
    """
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return _strict_equal(left, right, spend)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    x, y = _loose_number(left), _loose_number(right)
    return x is not None and y is not None and x == y


def _strict_equal(left: Any, right: Any, spend: Spend | None = None) -> bool:
    """``spend`` is charged for the items compared: a list of equal halves built by 'reduce'
    compares for exponentially long while holding little memory."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        if spend is not None:
            spend(len(left))
        return all(_strict_equal(a, b, spend) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        if len(left) != len(right):
            return False
        if spend is not None:
            spend(len(left))
        return left.keys() == right.keys() and all(
            _strict_equal(v, right[k], spend) for k, v in left.items()
        )
    return left is None and right is None


_EQUALS: Final[dict[str, Callable[[Any, Any, Spend], bool]]] = {
    "==": _loose_equal,
    "===": _strict_equal,
    "!=": lambda left, right, spend: not _loose_equal(left, right, spend),
    "!==": lambda left, right, spend: not _strict_equal(left, right, spend),
}


def _compare(op: str, left: Any, right: Any) -> bool:
    """Two strings compare as text, anything else as numbers.

    A null or non-numeric side makes the comparison false, so a missing score passes neither
    ``>= 80`` nor ``< 50`` (JS would read null as 0).
    """
    if isinstance(left, str) and isinstance(right, str):
        return _ORDER[op](left, right)
    x, y = _number(left), _number(right)
    if x is None or y is None:
        return False
    return _ORDER[op](x, y)


def _chain(op: str, values: list[Any]) -> bool:
    # The three-argument form is "between": {"<": [0, x, 10]} is 0 < x and x < 10.
    return all(_compare(op, values[i], values[i + 1]) for i in range(len(values) - 1))


def _contains(needle: Any, haystack: Any) -> bool:
    """'in' over a text; the evaluator searches lists itself, counting the items it compares."""
    if isinstance(haystack, str):
        return needle is not None and _js_text(needle, null="") in haystack
    return False


def _merge(values: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for value in values:
        if isinstance(value, list):
            merged.extend(value)
        else:
            merged.append(value)
    return merged


def _integer(value: Any) -> int:
    number = _number(value)
    return 0 if number is None else math.trunc(number)


def _substr(values: list[Any]) -> str:
    """JS String.prototype.substr, plus json-logic's negative length (drop from the end)."""
    text = _js_text(values[0], null="null")
    start = _integer(values[1])
    if start < 0:
        start = max(len(text) + start, 0)
    rest = text[start:]
    if len(values) < 3:
        return rest
    length = _integer(values[2])
    return rest[: max(len(rest) + length, 0)] if length < 0 else rest[:length]


def _js_text(value: Any, *, null: str) -> str:
    """JS String(value); ``null`` is what null becomes (Array.join makes it "", String "null")."""
    if value is None:
        return null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return ",".join(_js_text(item, null="") for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


_FUNCTIONS: Final[dict[str, Callable[[list[Any]], Any]]] = {
    ">": lambda v: _chain(">", v),
    ">=": lambda v: _chain(">=", v),
    "<": lambda v: _chain("<", v),
    "<=": lambda v: _chain("<=", v),
    "!": lambda v: not truthy(v[0]),
    "!!": lambda v: truthy(v[0]),
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "%": _modulo,
    "max": lambda v: _extreme(v, max),
    "min": lambda v: _extreme(v, min),
    "merge": _merge,
    "cat": lambda v: "".join(_js_text(item, null="") for item in v),
    "substr": _substr,
    # Pure engine: log returns its argument and prints nothing.
    "log": lambda v: v[0],
}


# --- explanations --------------------------------------------------------------------------


def _label(node: Any) -> str | None:
    """How an operand reads in a sentence: a variable's path or a history operator's phrase."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    ((op, raw),) = node.items()
    if op == "var":
        path = raw[0] if isinstance(raw, list) and raw else raw
        return _var_label(path)
    if op in HISTORY_OPERATORS:
        try:
            return _history_label(op, raw)
        except ConditionError:
            return None
    return None


def _var_label(path: Any) -> str | None:
    if isinstance(path, str):
        return path or "the data"
    if isinstance(path, int) and not isinstance(path, bool):
        return str(path)
    return None


def _history_label(op: str, raw: Any) -> str:
    if op == "completed_all":
        return f"completed all of {', '.join(_parse_completion(raw, '', op).entity_ids)}"
    if op == "completed_any":
        return f"completed any of {', '.join(_parse_completion(raw, '', op).entity_ids)}"
    if op == "count":
        return _count_label(_parse_count(raw, ""))
    if op == "best_score":
        return _score_label(_parse_best_score(raw, ""))
    return f"holds badge {_parse_holds_badge(raw, '')}"


def _count_label(spec: _CountSpec) -> str:
    label = f"count of {' or '.join(spec.types) if spec.types else 'events'}"
    if spec.entity_type:
        label += f" for {spec.entity_type}"
    if spec.entity_ids:
        label += f" on {', '.join(spec.entity_ids)}"
    if spec.within:
        label += f" within {spec.within.text}"
    return label


def _score_label(spec: _ScoreSpec) -> str:
    return f"best score on {spec.entity_id}{' (%)' if spec.percent else ''}"


def _state(label: str | None, value: Any) -> str:
    if label is None:
        return _fmt(value)
    return f"{label} is missing" if value is None else f"{label} = {_fmt(value)}"


def _operand(label: str | None, value: Any) -> str:
    return _fmt(value) if label is None else f"{label} ({_fmt(value)})"


def _explain(op: str, args: list[Any], values: list[Any], result: Any) -> str:
    labels = [_label(arg) for arg in args]
    if op in _COMPARISONS:
        return _explain_comparison(op, labels, values, result)
    if op in ("!", "!!"):
        wanted = "a false value" if op == "!" else "a true value"
        if labels[0] is not None:
            return f"{_state(labels[0], values[0])}, needs {wanted}"
        return f"{'not ' if op == '!' else ''}{_fmt(values[0])} is {_fmt(result)}"
    if op == "in":
        needle, haystack = values
        if labels[0] is not None:
            return f"{_state(labels[0], needle)}, needs to be in {_operand(labels[1], haystack)}"
        if labels[1] is not None:
            return f"{_state(labels[1], haystack)}, needs to contain {_fmt(needle)}"
        return f"{_fmt(needle)} in {_fmt(haystack)} is {_fmt(result)}"
    if op == "missing":
        keys = values[0] if values and isinstance(values[0], list) else values
        return _explain_missing(keys, result)
    options = values[1] if isinstance(values[1], list) else [values[1]]
    needs = f"needs {_fmt(values[0])} of {_names(options)}"
    return f"{needs}; missing {_names(result)}" if result else f"{needs}: enough present"


def _explain_comparison(op: str, labels: list[str | None], values: list[Any], result: Any) -> str:
    if len(values) == 3:
        low, middle, high = values
        if labels[1] is not None:
            return (
                f"{_state(labels[1], middle)}, needs {_operand(labels[0], low)} {op}"
                f" {labels[1]} {op} {_operand(labels[2], high)}"
            )
        return f"{_fmt(low)} {op} {_fmt(middle)} {op} {_fmt(high)} is {_fmt(result)}"
    left, right, shown = 0, 1, op
    if labels[0] is None and labels[1] is not None:
        # Read "80 <= score" as "score >= 80": the variable always comes first.
        left, right, shown = 1, 0, _FLIPPED[op]
    if labels[left] is None:
        return f"{_fmt(values[0])} {op} {_fmt(values[1])} is {_fmt(result)}"
    return (
        f"{_state(labels[left], values[left])}, needs {shown}"
        f" {_operand(labels[right], values[right])}"
    )


def _explain_missing(keys: list[Any], result: Any) -> str:
    if result:
        return f"missing {_names(result)}"
    return f"nothing missing of {_names(keys)}" if keys else "nothing to check"


def _explain_quantifier(op: str, label: str | None, items: Any, matches: int, total: int) -> str:
    subject = label or "the list"
    wanted = {"all": "all", "some": "at least one", "none": "none"}[op]
    if not isinstance(items, list):
        return f"{subject} is not a list, needs {wanted} of its items to match"
    return f"{subject}: {matches} of {total} items match, needs {wanted}"


def _names(keys: Iterable[Any]) -> str:
    return ", ".join(key if isinstance(key, str) else _fmt(key) for key in keys)


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(value: Any, depth: int = 0) -> str:
    """A value as an administrator reads it: JSON words, single-quoted strings, short lists."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _clip(str(value))
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return _quote(_clip(value))
    if isinstance(value, list | dict):
        if depth >= 3:
            return "[…]" if isinstance(value, list) else "{…}"
        if isinstance(value, list):
            parts = [_fmt(item, depth + 1) for item in value[:8]]
        else:
            first = itertools.islice(value.items(), 8)
            parts = [f"{_quote(str(k))}: {_fmt(v, depth + 1)}" for k, v in first]
        if len(value) > 8:
            parts.append(f"… {len(value) - 8} more")
        joined = ", ".join(parts)
        return f"[{joined}]" if isinstance(value, list) else f"{{{joined}}}"
    return _clip(repr(value))


def _preview(value: Any) -> Any:
    """A value for the trace: itself when small, else how ``_fmt`` summarises it."""
    if size(value, _PREVIEW) <= _PREVIEW:
        return value
    return _fmt(value)


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth >= limit:
                return True
            children = item if isinstance(item, list) else item.values()
            stack.extend((child, depth + 1) for child in children)
    return False
