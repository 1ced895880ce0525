"""The save-time estimate of a condition's cost, in the operations the evaluator counts.

The estimate is an upper bound of ``Outcome.operations`` for every event the API accepts,
computed by evaluating the condition over sizes instead of values: a literal has its own size,
a variable the largest size the event can hold there (derived from the API's limits below), and
an iterating operator costs its list's items times its test. Two things are not known at save
time and are left to the run-time budget: the length of a learner's history (assumed to be
HISTORY_EVENTS) and stored events larger than the API now accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from plaudit.rule_engine.budget import EQUALITY, MAX_OPERATIONS, PARSED, TEXT_UNIT, WALKED, size
from plaudit.rule_engine.language import HISTORY_OPERATORS, ConditionError, child


@dataclass(frozen=True)
class Size:
    """Upper bounds of a value's size as ``budget.size`` counts it, in two parts: list items
    and object entries at any depth, and units of text."""

    items: int
    text: int

    def __add__(self, other: Size) -> Size:
        return Size(self.items + other.items, self.text + other.text)

    def __or__(self, other: Size) -> Size:
        return Size(max(self.items, other.items), max(self.text, other.text))

    def times(self, count: int) -> Size:
        return Size(self.items * count, self.text * count)

    @property
    def total(self) -> int:
        return self.items + self.text


ZERO: Final = Size(0, 0)

# The largest event the API accepts (events.schemas; a test keeps these in step with it).
DATA_BYTES: Final = 16_384  # events.schemas.MAX_DATA_BYTES, measured as json.dumps writes it
# There every item or entry takes at least two bytes (", " after it, or "[]" around it in a
# list of one), and text at least its length.
DATA: Final = Size(DATA_BYTES // 2, DATA_BYTES // TEXT_UNIT)
# type (100 characters), id (255), title (500), and up to 20 parents with a type and an id.
ENTITY: Final = Size(4 + 20 * 3, 1 + 3 + 7 + 20 * (1 + 3))
# id (255), email (320), first_name and last_name (200 each), locale (35).
LEARNER: Final = Size(5, 3 + 5 + 3 + 3)
# id (200), type (100), occurred_at, source (100); event.data, event.entity, event.learner.
FIELD: Final = Size(0, 3)
EVENT: Final = Size(7, 3 + 1 + 0 + 1) + DATA + ENTITY + LEARNER
CONTEXT: Final = Size(3, 0) + EVENT + ENTITY + LEARNER
# History operators count one operation per stored event they read; the estimate assumes this
# many (the run-time budget counts the real number).
HISTORY_EVENTS: Final = 1_000
# The size given to a 'reduce' accumulator that may grow with every item: past any limit.
_GROWS: Final = MAX_OPERATIONS + 1
# Abstract evaluations before the estimate gives up (nested loops over unknown lists).
_MAX_STEPS: Final = 200_000

_CONTEXT_FIELDS: Final = {"data": DATA, "entity": ENTITY, "learner": LEARNER}
_TESTS: Final = frozenset({"all", "some", "none", "filter"})
_UNKNOWN: Final = object()

# How a variable's data is bounded: the event's context; one list item; or the current item
# and the accumulator of a 'reduce'. Tuples of ints, so that estimates can be memoised by them.
Scope = tuple[Any, ...]
_TOP: Final[Scope] = ("context",)


def estimate(logic: Any, *, result: bool = False) -> int:
    """The most operations evaluating ``logic`` may count for one event (a valid condition).

    With ``result``, as a certificate field: its value is copied into the credential and counts.
    """
    return _Estimator().total(logic, result=result)


def check(logic: Any, *, result: bool = False) -> None:
    """Raise ConditionError, with the position that costs too much, if the estimate is over the
    run-time budget of MAX_OPERATIONS."""
    estimator = _Estimator()
    total = estimator.total(logic, result=result)
    if total > MAX_OPERATIONS:
        pointer, reason = estimator.reason(total)
        raise ConditionError(reason, pointer)


@dataclass
class _Costly:
    depth: int
    pointer: str
    hint: str


class _Estimator:
    def __init__(self) -> None:
        self.memo: dict[tuple[int, Scope], tuple[int, Size]] = {}
        # The history operators read; each reads the history once however often it runs.
        self.history: set[tuple[str, int]] = set()
        self.costly: _Costly | None = None
        self.growing: str | None = None
        self.result_size: Size = ZERO
        self.steps = 0

    def total(self, logic: Any, *, result: bool) -> int:
        if logic is None or (isinstance(logic, dict) and not logic):
            return 0
        if result and not isinstance(logic, dict | list):
            return 0
        cost, bound = self.node(logic, _TOP, "", 0)
        self.result_size = bound if result else ZERO
        return cost + len(self.history) * HISTORY_EVENTS + self.result_size.total

    def reason(self, total: int) -> tuple[str, str]:
        if self.growing is not None:
            return self.growing, (
                "this condition's cost has no bound: 'reduce' builds a value that grows with"
                " every item; use map or filter, or keep a number as the accumulator"
            )
        head = (
            f"this condition may evaluate up to {total:,} operations per event;"
            f" the limit is {MAX_OPERATIONS:,}"
        )
        if self.costly is not None:
            return self.costly.pointer, f"{head}: {self.costly.hint}"
        if self.history:
            return "", (
                f"{head}: it reads the learner's history {len(self.history)} times, each"
                f" counting one operation per event (estimated at {HISTORY_EVENTS:,});"
                " use fewer history operators"
            )
        return "", (
            f"{head}: its value may hold {self.result_size.total:,} items and units of text;"
            " keep a smaller part of the event"
        )

    def note(self, cost: int, pointer: str, depth: int, hint: str) -> None:
        # Children are estimated before their parents: the deepest part over the limit is the
        # one to change.
        if cost > MAX_OPERATIONS and (self.costly is None or depth > self.costly.depth):
            self.costly = _Costly(depth, pointer, hint)

    def node(self, node: Any, scope: Scope, pointer: str, depth: int) -> tuple[int, Size]:
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise ConditionError(
                "the condition is too complex to estimate its cost: nest fewer loops", pointer
            )
        if isinstance(node, list):
            cost, sizes = self.elements(node, scope, pointer, depth)
            return cost, _list_size(sizes)
        if not isinstance(node, dict) or len(node) != 1:
            return 1, _literal(node)
        key = (id(node), scope)
        known = self.memo.get(key)
        if known is None:
            ((op, raw),) = node.items()
            known = self.operation(op, raw, scope, child(pointer, op), depth)
            self.memo[key] = known
        return known

    def elements(
        self, node: list[Any], scope: Scope, pointer: str, depth: int
    ) -> tuple[int, list[Size]]:
        cost, sizes = 1, []
        for index, item in enumerate(node):
            item_cost, item_size = self.node(item, scope, f"{pointer}/{index}", depth + 1)
            cost += item_cost
            sizes.append(item_size)
        self.note(cost, pointer, depth, "this list has too many costly parts; split the rule")
        return cost, sizes

    def operation(
        self, op: str, raw: Any, scope: Scope, pointer: str, depth: int
    ) -> tuple[int, Size]:
        if op in HISTORY_OPERATORS:
            if op != "holds_badge":
                self.history.add((op, id(raw)))
            return 1, ZERO
        args = raw if isinstance(raw, list) else [raw]
        pointers = (
            [f"{pointer}/{index}" for index in range(len(args))]
            if isinstance(raw, list)
            else [pointer]
        )
        if op in ("map", "filter", "reduce", "all", "none", "some"):
            return self.loop(op, args, pointers, scope, pointer, depth)
        estimated = [
            self.node(arg, scope, arg_pointer, depth + 1)
            for arg, arg_pointer in zip(args, pointers, strict=True)
        ]
        cost = 1 + sum(item_cost for item_cost, _ in estimated)
        sizes = [bound for _, bound in estimated]
        cost += _charge(op, args, sizes)
        self.note(
            cost,
            pointer,
            depth,
            f"'{op}' and its arguments may take {cost:,} operations; use fewer or smaller values",
        )
        return cost, self.result(op, args, sizes, scope)

    def result(self, op: str, args: list[Any], sizes: list[Size], scope: Scope) -> Size:
        if op in ("if", "?:"):
            # The value of one branch: the odd positions, and a final 'else'.
            branches = sizes[1::2] + (sizes[-1:] if len(sizes) % 2 else [])
            return _join(branches)
        if op in ("and", "or"):
            return _join(sizes)
        if op == "var":
            path = args[0] if not isinstance(args[0], dict | list) else _UNKNOWN
            found = _lookup(scope, path)
            return found | sizes[1] if len(sizes) > 1 else found
        if op == "cat":
            return Size(0, sum(bound.total + 1 for bound in sizes))
        if op == "substr":
            return Size(0, sizes[0].total)
        if op in ("merge", "missing", "missing_some"):
            return Size(sum(bound.items + 1 for bound in sizes), sum(b.text for b in sizes))
        if op == "log":
            return sizes[0]
        return ZERO

    def loop(
        self,
        op: str,
        args: list[Any],
        pointers: list[str],
        scope: Scope,
        pointer: str,
        depth: int,
    ) -> tuple[int, Size]:
        # A literal list's items are known one by one; of any other list only its size is
        # known, and with the tests' costs growing with their item, the most its items can cost
        # is all but one of them empty and one holding the whole list.
        items: list[Size] | None = None
        if isinstance(args[0], list):
            list_cost, items = self.elements(args[0], scope, pointers[0], depth + 1)
            list_bound = _list_size(items)
        else:
            list_cost, list_bound = self.node(args[0], scope, pointers[0], depth + 1)
        cost = 1 + list_cost
        accumulator = ZERO
        if op == "reduce" and len(args) > 2:
            start_cost, accumulator = self.node(args[2], scope, pointers[2], depth + 1)
            cost += start_cost
        body, body_pointer = args[1], pointers[1]
        if op == "reduce":
            largest = _join(items) if items is not None else list_bound
            accumulator = self.accumulator(body, body_pointer, largest, accumulator, pointer, depth)

        def each(item: Size) -> tuple[int, Size]:
            if op == "reduce":
                inner: Scope = (
                    "reduce",
                    item.items,
                    item.text,
                    accumulator.items,
                    accumulator.text,
                )
            else:
                inner = ("item", item.items, item.text)
            return self.node(body, inner, body_pointer, depth + 1)

        if items is not None:
            runs = [each(item) for item in items]
            count = len(items)
            loop_cost = sum(run_cost for run_cost, _ in runs)
            worst = max((run_cost for run_cost, _ in runs), default=0)
            produced = _sum(bound for _, bound in runs)
        elif list_bound.items == 0:
            count = loop_cost = worst = 0
            produced = ZERO
        else:
            count = list_bound.items
            (empty_cost, empty), (whole_cost, whole) = each(ZERO), each(list_bound)
            loop_cost = (count - 1) * empty_cost + whole_cost
            worst = max(empty_cost, whole_cost)
            produced = empty.times(count - 1) + whole
        cost += loop_cost
        what = "its test" if op in _TESTS else "its expression"
        self.note(
            cost,
            pointer,
            depth,
            f"'{op}' repeats {what} for up to {count:,} items, at up to {worst:,} operations"
            " each; iterate over fewer items or nest fewer loops",
        )
        if op == "map":
            return cost, Size(count, 0) + produced
        if op == "filter":
            return cost, list_bound
        if op == "reduce":
            return cost, accumulator
        return cost, ZERO

    def accumulator(
        self, body: Any, pointer: str, item: Size, start: Size, at: str, depth: int
    ) -> Size:
        """A bound no step of the 'reduce' exceeds, if one of a few tries is kept by a step."""
        bound = start
        for _ in range(3):
            scope = ("reduce", item.items, item.text, bound.items, bound.text)
            _, grown = self.node(body, scope, pointer, depth + 1)
            if grown.items <= bound.items and grown.text <= bound.text:
                return bound
            bound = bound | grown
        if self.growing is None:
            self.growing = at
        return Size(_GROWS, _GROWS)


def _charge(op: str, args: list[Any], sizes: list[Size]) -> int:
    """What the evaluator adds for what the operator reads (see budget's tables)."""
    if op in WALKED:
        return sum(bound.total for bound in sizes)
    if op in PARSED:
        return sum(bound.text for bound in sizes)
    if op in EQUALITY:
        left, right = sizes
        return min(left.items, right.items) + left.text + right.text
    if op == "in":
        needle, haystack = sizes
        if isinstance(args[1], list):
            return haystack.items
        return max(needle.total + haystack.text, haystack.items)
    if op == "var":
        return sizes[0].text
    return 0


def _lookup(scope: Scope, path: Any) -> Size:
    if scope[0] == "item":
        return Size(scope[1], scope[2])
    if scope[0] == "reduce":
        current, accumulator = Size(scope[1], scope[2]), Size(scope[3], scope[4])
        if not isinstance(path, str) or path == "":
            return Size(2, 0) + current + accumulator
        root = path.split(".", 1)[0]
        return {"current": current, "accumulator": accumulator}.get(root, ZERO)
    if not isinstance(path, str) or path == "":
        return CONTEXT
    root, _, rest = path.partition(".")
    if root == "learner":
        return LEARNER
    if root == "entity":
        return ENTITY
    if root != "event":
        return CONTEXT
    if not rest:
        return EVENT
    return _CONTEXT_FIELDS.get(rest.split(".", 1)[0], FIELD)


def _literal(value: Any) -> Size:
    if isinstance(value, str):
        return Size(0, len(value) // TEXT_UNIT)
    if isinstance(value, dict):
        return Size(size(value), 0)
    return ZERO


def _list_size(items: list[Size]) -> Size:
    return Size(len(items), 0) + _sum(items)


def _sum(sizes: Any) -> Size:
    total = ZERO
    for bound in sizes:
        total = total + bound
    return total


def _join(sizes: list[Size]) -> Size:
    joined = ZERO
    for bound in sizes:
        joined = joined | bound
    return joined
