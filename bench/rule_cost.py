"""Benchmark: how long the costliest conditions the save-time estimate accepts take to run.

Each case is a condition estimated just under the limit (100,000 operations), evaluated on the
largest event the API accepts; the figure to watch is the slowest, and microseconds per counted
operation should stay of the same order across kinds of work. Not part of the tests' pass/fail.
Run: make bench   (or .venv/bin/python bench/rule_cost.py)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from plaudit.rule_engine import cost
from plaudit.rule_engine.budget import MAX_OPERATIONS, TooCostly
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import evaluate

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def event(**data: Any) -> EventFacts:
    return EventFacts(
        id="e",
        type="course.completed",
        occurred_at=NOW,
        learner={"id": "l-1"},
        entity={"type": "course", "id": "c-1"},
        data=data,
    )


def history(count: int) -> History:
    return History(
        events=tuple(
            EventFacts(
                id=f"h-{n}",
                type="lesson.completed",
                occurred_at=NOW - timedelta(minutes=n + 1),
                learner={"id": "l-1"},
                entity={"type": "lesson", "id": f"l-{n}"},
                data={"score": n % 100},
            )
            for n in range(count)
        )
    )


def largest(make: Callable[[int], Any]) -> Any:
    """The condition ``make(n)`` with the largest n whose estimate is within the limit."""
    low, high = 1, 1
    while cost.estimate(make(high)) <= MAX_OPERATIONS:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if cost.estimate(make(middle)) <= MAX_OPERATIONS:
            low = middle
        else:
            high = middle
    return make(low)


BODY = {"and": [{"!=": [{"var": ""}, 100 + n]} for n in range(2)]}
CASES: list[tuple[str, Callable[[int], Any], EventFacts, History]] = [
    (
        "nested loops over literals",
        lambda n: {"all": [list(range(n)), {"some": [list(range(n)), {"==": [{"var": ""}, -1]}]}]},
        event(),
        History(),
    ),
    (
        "a loop over a list of 5,461 numbers from the event",
        lambda n: {"some": [{"var": "event.data.xs"}, {"and": [BODY] * n}]},
        event(xs=[0] * 5461),
        History(),
    ),
    (
        "numbers read from 16 KiB of digits",
        lambda n: {"or": [{">": [{"var": "event.data.s"}, k]} for k in range(n)]},
        event(s="1" * 16_300 + "x"),
        History(),
    ),
    (
        "lists of 2,730 items compared to their last",
        lambda n: {"or": [{"==": [{"var": "event.data.xs"}, {"var": "event.data.ys"}]}] * n},
        event(xs=[0] * 2730, ys=[0] * 2729 + [1]),
        History(),
    ),
    (
        "a list of 5,461 numbers joined as text",
        lambda n: {"or": [{"!": {"cat": [{"var": "event.data.xs"}, k]}} for k in range(n)]},
        event(xs=[0] * 5461),
        History(),
    ),
    (
        "2,300 keys from the event looked up",
        lambda n: {"or": [{"!": {"missing": {"var": "event.data.keys"}}}] * n},
        event(keys=["a.b"] * 2300),
        History(),
    ),
    (
        "history operators over 1,000 events",
        lambda n: {"or": [{"==": [{"count": {"type": f"t{k}.completed"}}, -1]} for k in range(n)]},
        event(),
        history(999),
    ),
]


def timed(logic: Any, facts: EventFacts, past: History) -> tuple[float, int]:
    best, operations = float("inf"), 0
    for _ in range(5):
        start = time.perf_counter()
        try:
            operations = evaluate(logic, event=facts, history=past).operations
        except TooCostly:
            operations = MAX_OPERATIONS
        best = min(best, time.perf_counter() - start)
    return best, operations


def main() -> None:
    print(f"{'case':52} {'estimate':>9} {'counted':>9} {'ms':>7} {'us/op':>6}")
    slowest = 0.0
    for name, make, facts, past in CASES:
        logic = largest(make)
        seconds, operations = timed(logic, facts, past)
        slowest = max(slowest, seconds)
        print(
            f"{name:52} {cost.estimate(logic):>9,} {operations:>9,} {seconds * 1000:>7.1f}"
            f" {seconds / operations * 1e6:>6.2f}"
        )
    # A condition stored before the limit existed, stopped by the budget on a long list.
    stored = {"some": [{"var": "event.data.xs"}, {"and": [BODY] * 8}]}
    seconds, _ = timed(stored, event(xs=[0] * 5461), History())
    name = "stopped by the budget (a rule stored before)"
    print(f"{name:52} {'':>9} {'100,000+':>9} {seconds * 1000:>7.1f}")
    print(f"slowest condition accepted: {slowest * 1000:.0f} ms per event")


if __name__ == "__main__":
    main()
