"""Which conditions Plaudit accepts, and the errors, with suggestions, for those it refuses."""

from __future__ import annotations

import difflib
import math
from collections import OrderedDict
from typing import Any, Final

from plaudit.rule_engine.history import PARSERS
from plaudit.rule_engine.language import (
    ARITY,
    HISTORY_OPERATORS,
    OPERATORS,
    SCOPED,
    ConditionError,
    always,
    arguments,
    child,
)
from plaudit.rule_engine.wording import quote

MAX_DEPTH: Final = 64
MAX_NODES: Final = 10_000

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


def validate(logic: Any) -> None:
    """Raise ConditionError unless ``logic`` is a condition Plaudit can run.

    None and {} mean "always". Variables must start with event., learner. or entity. (inside
    map/filter/reduce/all/none/some the item is the data, so any path goes there). Conditions
    deeper than MAX_DEPTH containers or with more than MAX_NODES values are refused before
    anything recurses into them.
    """
    _validate(logic, plain=False)


def validate_plain(logic: Any) -> None:
    """Like ``validate``, for plain JSON Logic: any variable path, and no history operators."""
    _validate(logic, plain=True)


# Conditions validated recently, by identity. A stored rule's condition is the same object for
# every event of a batch, so it is checked once, not once per event. The object is kept in the
# cache so that its id cannot be reused by another while the entry exists.
_VALIDATED: OrderedDict[int, Any] = OrderedDict()
_VALIDATED_SIZE = 512


def validate_once(logic: Any) -> None:
    """``validate``, skipped for a condition validated recently (the same object)."""
    key = id(logic)
    if _VALIDATED.get(key) is logic:
        return
    validate(logic)
    _VALIDATED[key] = logic
    if len(_VALIDATED) > _VALIDATED_SIZE:
        _VALIDATED.popitem(last=False)


def _validate(logic: Any, *, plain: bool) -> None:
    _check_size(logic)
    if always(logic):
        return
    # In plain mode every path is allowed, exactly as inside a map/filter body.
    _Validator(plain=plain).node(logic, "", scoped=plain)


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
        stack.extend((item, depth + 1) for item in children)


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
        op_pointer = child(pointer, op)
        if op not in OPERATORS:
            raise ConditionError(_unknown_operator(op), op_pointer)
        if op in HISTORY_OPERATORS:
            if self.plain:
                raise ConditionError(
                    f"'{op}' reads a learner's history; use evaluate()", op_pointer
                )
            PARSERS[op](raw, op_pointer)
            return
        args, pointers = arguments(raw, op_pointer)
        fewest, most = ARITY[op]
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
            self.node(arg, arg_pointer, scoped=scoped or (op in SCOPED and index == 1))

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
        raise ConditionError(f"variable {quote(text)} has an empty segment", pointer)
    if segments[0] not in _ROOTS:
        raise ConditionError(
            f"unknown variable {quote(text)}: paths start with event, learner or entity"
            f" (did you mean {quote(_suggest_path(segments))}?)",
            pointer,
        )
    if segments[0] == "event" and len(segments) > 1 and segments[1] not in _EVENT_KEYS:
        raise ConditionError(
            f"unknown variable {quote(text)}: event has {', '.join(_EVENT_KEYS)}"
            f" (did you mean {quote(_suggest_path(segments))}?)",
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
        return f"unknown operator {quote(op)}"
    return f"unknown operator {quote(op)} (did you mean {quote(_ALIASES.get(close[0], close[0]))}?)"


def _arity_text(fewest: int, most: int | None) -> str:
    def plural(n: int) -> str:
        return f"{n} argument" if n == 1 else f"{n} arguments"

    if most is None:
        return f"at least {plural(fewest)}"
    if fewest == most:
        return plural(fewest)
    return f"{fewest} or {plural(most)}" if most == fewest + 1 else f"{fewest} to {plural(most)}"
