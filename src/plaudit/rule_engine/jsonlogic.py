"""JSON Logic as on jsonlogic.com, plus Plaudit's history operators: evaluate, with a trace.

The language's parts are beside it: its operators and error (language), which conditions are
accepted (validation), the standard operators (operators), the history operators (history), the
trace's sentences (explain), and the run-time budget (budget).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from plaudit.rule_engine import history as history_operators
from plaudit.rule_engine.budget import (
    EQUALITY,
    MAX_OPERATIONS,
    PARSED,
    WALKED,
    TooCostly,
    size,
    text_size,
)
from plaudit.rule_engine.explain import (
    EXPLAINED,
    explain,
    explain_quantifier,
    label_of,
    preview,
    state,
    var_label,
)
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.language import (
    HISTORY_OPERATORS,
    SCOPED,
    ConditionError,
    always,
    arguments,
    child,
)
from plaudit.rule_engine.operators import (
    EQUALS,
    FUNCTIONS,
    missing,
    missing_some,
    strict_equal,
    text_contains,
    truthy,
    var,
)
from plaudit.rule_engine.validation import MAX_DEPTH, validate, validate_once, validate_plain

# rules.service reads a condition's errors through this module.
__all__ = ["ConditionError", "Outcome", "Step", "apply", "compute", "evaluate", "validate"]


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


def evaluate(
    logic: Any, *, event: EventFacts, history: History, budget: int = MAX_OPERATIONS
) -> Outcome:
    """Run a condition against the event's context and the learner's history, with a trace.

    Raises ConditionError when ``validate`` would, and TooCostly as soon as it has counted more
    than ``budget`` operations.
    """
    if always(logic):
        return Outcome(True, True, ())
    validate_once(logic)
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
    validate_once(expr)
    evaluator = _Evaluator(event, history, budget)
    value = evaluator.run(expr, event.context(), traced=False)
    evaluator.spend_size(value)
    if _deeper_than(value, MAX_DEPTH):
        raise TooCostly(budget, f"its value nests deeper than {MAX_DEPTH} levels")
    return value


def apply(logic: Any, data: Any = None, *, budget: int = MAX_OPERATIONS) -> Any:
    """Plain JSON Logic over any data: no variable-root rule and no history operators."""
    validate_plain(logic)
    return _Evaluator(None, None, budget).run(logic, data, traced=False)


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
        op_pointer = child(pointer, op) if traced else ""
        if op in HISTORY_OPERATORS:
            return self.history_operator(op, raw, op_pointer, traced=traced)
        if traced:
            args, pointers = arguments(raw, op_pointer)
        else:
            args = raw if isinstance(raw, list) else [raw]
            pointers = [""] * len(args)
        if op in ("if", "?:"):
            return self.branch(args, pointers, data, traced=traced, boolean=boolean)
        if op in ("and", "or"):
            return self.and_or(op, args, pointers, data, traced=traced)
        if op in SCOPED:
            return self.scoped(op, op_pointer, args, pointers, data, traced=traced)
        values = [
            self.eval(arg, data, arg_pointer, traced=traced)
            for arg, arg_pointer in zip(args, pointers, strict=True)
        ]
        if op == "var":
            self.spend(text_size(values[0]))
            result = var(values, data)
            if traced and boolean:
                explanation = state(var_label(values[0]), result)
                self.record(op_pointer, op, values, preview(result), explanation)
            return result
        if op in WALKED:
            for value in values:
                self.spend_size(value)
        elif op in PARSED or op in EQUALITY:
            self.spend(sum(text_size(value) for value in values))
        if op == "missing":
            keys = values[0] if values and isinstance(values[0], list) else values
            result = missing(keys, data)
        elif op == "missing_some":
            result = missing_some(values[0], values[1], data)
        elif op in EQUALITY:
            result = EQUALS[op](values[0], values[1], self.spend)
        elif op == "in":
            result = self.contains(values[0], values[1])
        else:
            result = FUNCTIONS[op](values)
        if traced and op in EXPLAINED:
            self.record(op_pointer, op, values, result, explain(op, args, values, result))
        return result

    def contains(self, needle: Any, haystack: Any) -> bool:
        if isinstance(haystack, str):
            self.spend_size(needle)
            self.spend(text_size(haystack))
        elif isinstance(haystack, list):
            self.spend(len(haystack))
            return any(strict_equal(needle, item, self.spend) for item in haystack)
        return text_contains(needle, haystack)

    def record(
        self, pointer: str, op: str, args: Sequence[Any], result: Any, explanation: str
    ) -> None:
        self.steps.append(Step(pointer, op, tuple(args), result, explanation))

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
            explanation = explain_quantifier(op, label_of(args[0]), items, matches, total)
            self.record(op_pointer, op, [items], result, explanation)
        return result

    def history_operator(self, op: str, raw: Any, pointer: str, *, traced: bool) -> Any:
        if self.event is None or self.history is None:
            raise ConditionError(f"'{op}' reads a learner's history; use evaluate()", pointer)
        known = self._history.get((op, id(raw)))
        if known is not None:
            result, explanation = known
        elif op == "holds_badge":
            result, explanation = history_operators.holds_badge(raw, pointer, self.history.held)
            self._history[(op, id(raw))] = (result, explanation)
        else:
            # One operation per event read: a learner's history has no fixed length.
            events = self.all_events()
            self.spend(len(events))
            result, explanation = history_operators.read(
                op, raw, pointer, events=events, now=self.event.occurred_at
            )
            self._history[(op, id(raw))] = (result, explanation)
        if traced:
            self.record(pointer, op, [raw], result, explanation)
        return result

    def all_events(self) -> tuple[EventFacts, ...]:
        """History plus the current event, once each: a redelivered event is not counted twice."""
        if self._events is None:
            assert self.event is not None and self.history is not None
            by_id = {event.id: event for event in (*self.history.events, self.event)}
            self._events = tuple(by_id.values())
        return self._events


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth >= limit:
                return True
            children = item if isinstance(item, list) else item.values()
            stack.extend((inner, depth + 1) for inner in children)
    return False
