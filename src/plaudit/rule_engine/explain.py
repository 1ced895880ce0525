"""The trace's sentences: how a decision reads to an administrator ("score = 72, needs >= 80")."""

from __future__ import annotations

from typing import Any, Final

from plaudit.rule_engine import history
from plaudit.rule_engine.budget import size
from plaudit.rule_engine.language import HISTORY_OPERATORS, ConditionError
from plaudit.rule_engine.wording import fmt, names

_COMPARISONS: Final = frozenset({"==", "===", "!=", "!==", ">", ">=", "<", "<="})
# The operators whose every evaluation is a step of the trace (with the history operators,
# the quantifiers, and variables in a boolean position).
EXPLAINED: Final = _COMPARISONS | {"!", "!!", "in", "missing", "missing_some"}
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
# A variable's value is kept in the trace as is when at most this size, else as its summary.
_PREVIEW: Final = 64


def label_of(node: Any) -> str | None:
    """How an operand reads in a sentence: a variable's path or a history operator's phrase."""
    if not isinstance(node, dict) or len(node) != 1:
        return None
    ((op, raw),) = node.items()
    if op == "var":
        path = raw[0] if isinstance(raw, list) and raw else raw
        return var_label(path)
    if op in HISTORY_OPERATORS:
        try:
            return history.label(op, raw)
        except ConditionError:
            return None
    return None


def var_label(path: Any) -> str | None:
    if isinstance(path, str):
        return path or "the data"
    if isinstance(path, int) and not isinstance(path, bool):
        return str(path)
    return None


def state(label: str | None, value: Any) -> str:
    if label is None:
        return fmt(value)
    return f"{label} is missing" if value is None else f"{label} = {fmt(value)}"


def _operand(label: str | None, value: Any) -> str:
    return fmt(value) if label is None else f"{label} ({fmt(value)})"


def explain(op: str, args: list[Any], values: list[Any], result: Any) -> str:
    """One of the EXPLAINED operators: ``args`` as written, ``values`` as evaluated."""
    labels = [label_of(arg) for arg in args]
    if op in _COMPARISONS:
        return _explain_comparison(op, labels, values, result)
    if op in ("!", "!!"):
        wanted = "a false value" if op == "!" else "a true value"
        if labels[0] is not None:
            return f"{state(labels[0], values[0])}, needs {wanted}"
        return f"{'not ' if op == '!' else ''}{fmt(values[0])} is {fmt(result)}"
    if op == "in":
        needle, haystack = values
        if labels[0] is not None:
            return f"{state(labels[0], needle)}, needs to be in {_operand(labels[1], haystack)}"
        if labels[1] is not None:
            return f"{state(labels[1], haystack)}, needs to contain {fmt(needle)}"
        return f"{fmt(needle)} in {fmt(haystack)} is {fmt(result)}"
    if op == "missing":
        keys = values[0] if values and isinstance(values[0], list) else values
        return _explain_missing(keys, result)
    options = values[1] if isinstance(values[1], list) else [values[1]]
    needs = f"needs {fmt(values[0])} of {names(options)}"
    return f"{needs}; missing {names(result)}" if result else f"{needs}: enough present"


def _explain_comparison(op: str, labels: list[str | None], values: list[Any], result: Any) -> str:
    if len(values) == 3:
        low, middle, high = values
        if labels[1] is not None:
            return (
                f"{state(labels[1], middle)}, needs {_operand(labels[0], low)} {op}"
                f" {labels[1]} {op} {_operand(labels[2], high)}"
            )
        return f"{fmt(low)} {op} {fmt(middle)} {op} {fmt(high)} is {fmt(result)}"
    left, right, shown = 0, 1, op
    if labels[0] is None and labels[1] is not None:
        # Read "80 <= score" as "score >= 80": the variable always comes first.
        left, right, shown = 1, 0, _FLIPPED[op]
    if labels[left] is None:
        return f"{fmt(values[0])} {op} {fmt(values[1])} is {fmt(result)}"
    return (
        f"{state(labels[left], values[left])}, needs {shown}"
        f" {_operand(labels[right], values[right])}"
    )


def _explain_missing(keys: list[Any], result: Any) -> str:
    if result:
        return f"missing {names(result)}"
    return f"nothing missing of {names(keys)}" if keys else "nothing to check"


def explain_quantifier(op: str, label: str | None, items: Any, matches: int, total: int) -> str:
    subject = label or "the list"
    wanted = {"all": "all", "some": "at least one", "none": "none"}[op]
    if not isinstance(items, list):
        return f"{subject} is not a list, needs {wanted} of its items to match"
    return f"{subject}: {matches} of {total} items match, needs {wanted}"


def preview(value: Any) -> Any:
    """A value for the trace: itself when small, else how ``fmt`` summarises it."""
    if size(value, _PREVIEW) <= _PREVIEW:
        return value
    return fmt(value)
