"""The run-time budget of an evaluation: its limit, and what reading a value costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

# The run-time budget of one evaluation (one rule's condition, or one certificate field, for one
# event). Every node evaluated costs one operation, and operators that read their values whole
# cost their size as well (see ``size``); cost.py estimates the same count at save time.
MAX_OPERATIONS: Final = 100_000
# A unit of size per this many characters of text: Python handles text in C, far faster than
# it evaluates a node.
TEXT_UNIT: Final = 64

# What an operator reads of its values, which its cost adds to the one operation it counts:
# all of every value (text is joined, lists copied, keys kept in the trace) ...
WALKED: Final = frozenset({"cat", "substr", "merge", "missing", "missing_some"})
# ... only the text of strings, which are read as numbers or compared as text ...
PARSED: Final = frozenset({">", ">=", "<", "<=", "+", "-", "*", "/", "%", "max", "min"})
# ... the text of strings, and lists and objects as far as they are equal (counted as compared).
EQUALITY: Final = frozenset({"==", "===", "!=", "!=="})
# 'in' reads all of a list it searches, or a text and the text of what it looks for; 'var' reads
# the text of its path; '!', '!!', 'log', the branching and the iterating operators read nothing.

# Charges the budget this many operations (raising TooCostly once it is spent).
Spend = Callable[[int], None]


class TooCostly(Exception):
    """An evaluation stopped because it needed more than its budget of ``limit`` operations."""

    def __init__(self, limit: int, reason: str | None = None) -> None:
        self.limit = limit
        self.reason = reason or f"it needs more than {limit:,} operations"
        super().__init__(self.reason)


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
