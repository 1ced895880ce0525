"""JSON Logic's standard operators, with JavaScript's meaning of values: truth, numbers, text."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any, Final

from plaudit.rule_engine.budget import Spend

# JS numbers are doubles: integers beyond 2**53 are not exact there, and capping them keeps
# hostile products (10**300 * ...) from growing without bound.
_SAFE_INT: Final = 2**53
# Possessive, so that no part gives back what it matched: "\d+\.?\d*" backtracked quadratically
# on a long run of digits (16 KiB took 13 s), and even linear backtracking is slow there.
_NUMBER_TEXT: Final = re.compile(r"\s*+[+-]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][+-]?+\d++)?+\s*+")
_INTEGER_TEXT: Final = re.compile(r"[+-]?\d{1,15}")
_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
ABSENT: Final = object()


def truthy(value: Any) -> bool:
    """jsonlogic.com truthiness: [] is false, "0" is true, {} is true (a JS object)."""
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    if isinstance(value, str | int | float | list):
        return bool(value)
    return True


def lookup(data: Any, path: Any) -> Any:
    """The value at a dotted path, or ABSENT."""
    if path is None or path == "":
        return data
    if isinstance(path, bool) or not isinstance(path, str | int | float):
        return ABSENT
    current = data
    for segment in js_text(path, null="").split("."):
        if isinstance(current, dict):
            if segment not in current:
                return ABSENT
            current = current[segment]
        elif isinstance(current, list) and segment.isascii() and segment.isdigit():
            index = int(segment)
            if index >= len(current):
                return ABSENT
            current = current[index]
        else:
            return ABSENT
    return current


def var(values: list[Any], data: Any) -> Any:
    # Unlike json-logic-js, a present null also takes the default: learner names may be null,
    # and {"var": ["learner.first_name", "Learner"]} should then read "Learner".
    found = lookup(data, values[0])
    if found is ABSENT or found is None:
        return values[1] if len(values) > 1 else None
    return found


def missing(keys: Iterable[Any], data: Any) -> list[Any]:
    absent = []
    for key in keys:
        value = lookup(data, key)
        if value is ABSENT or value is None or value == "":
            absent.append(key)
    return absent


def missing_some(need: Any, options: Any, data: Any) -> list[Any]:
    keys = options if isinstance(options, list) else [options]
    absent = missing(keys, data)
    needed = number(need)
    if needed is not None and len(keys) - len(absent) >= needed:
        return []
    return absent


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _float(value: int | str) -> float | None:
    try:
        result = float(value)
    except (OverflowError, ValueError):
        return None
    return result if math.isfinite(result) else None


def number(value: Any) -> int | float | None:
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


def norm(value: int | float | None) -> int | float | None:
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
        operand = number(value)
        if operand is None or accumulator is None:
            return None
        accumulator = norm(combine(accumulator, operand))
    return accumulator


def _add(values: list[Any]) -> Any:
    return _arithmetic(values, 0, operator.add)


def _multiply(values: list[Any]) -> Any:
    return _arithmetic(values[1:], number(values[0]), operator.mul)


def _subtract(values: list[Any]) -> Any:
    if len(values) == 1:
        operand = number(values[0])
        return None if operand is None else norm(-operand)
    return _arithmetic(values[1:], number(values[0]), operator.sub)


def _divide(values: list[Any]) -> Any:
    dividend, divisor = number(values[0]), number(values[1])
    if dividend is None or divisor is None or divisor == 0:
        return None
    return norm(dividend / divisor)


def _modulo(values: list[Any]) -> Any:
    dividend, divisor = number(values[0]), number(values[1])
    if dividend is None or divisor is None or divisor == 0:
        return None
    if isinstance(dividend, int) and isinstance(divisor, int):
        # JS keeps the sign of the dividend: -7 % 3 is -1, where Python says 2.
        remainder = abs(dividend) % abs(divisor)
        return -remainder if dividend < 0 else remainder
    return norm(math.fmod(dividend, divisor))


def _extreme(values: list[Any], pick: Callable[[list[int | float]], int | float]) -> Any:
    numbers = [number(value) for value in values]
    if not numbers:
        return None
    clean = [item for item in numbers if item is not None]
    return pick(clean) if len(clean) == len(numbers) else None


def _loose_number(value: Any) -> int | float | None:
    if isinstance(value, str) and not value.strip():
        return 0
    return number(value)


def loose_equal(left: Any, right: Any, spend: Spend | None = None) -> bool:
    """JS ==: numbers, numeric strings and booleans compare as numbers; null equals only null.

    Lists and objects compare by value (JS compares identity, which JSON cannot express).
    """
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return strict_equal(left, right, spend)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    x, y = _loose_number(left), _loose_number(right)
    return x is not None and y is not None and x == y


def strict_equal(left: Any, right: Any, spend: Spend | None = None) -> bool:
    """``spend`` is charged for the items compared: a list of equal halves built by 'reduce'
    compares for exponentially long while holding little memory."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        if spend is not None:
            spend(len(left))
        return all(strict_equal(a, b, spend) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        if len(left) != len(right):
            return False
        if spend is not None:
            spend(len(left))
        return left.keys() == right.keys() and all(
            strict_equal(v, right[k], spend) for k, v in left.items()
        )
    return left is None and right is None


EQUALS: Final[dict[str, Callable[[Any, Any, Spend], bool]]] = {
    "==": loose_equal,
    "===": strict_equal,
    "!=": lambda left, right, spend: not loose_equal(left, right, spend),
    "!==": lambda left, right, spend: not strict_equal(left, right, spend),
}


def _compare(op: str, left: Any, right: Any) -> bool:
    """Two strings compare as text, anything else as numbers.

    A null or non-numeric side makes the comparison false, so a missing score passes neither
    ``>= 80`` nor ``< 50`` (JS would read null as 0).
    """
    if isinstance(left, str) and isinstance(right, str):
        return _ORDER[op](left, right)
    x, y = number(left), number(right)
    if x is None or y is None:
        return False
    return _ORDER[op](x, y)


def _chain(op: str, values: list[Any]) -> bool:
    # The three-argument form is "between": {"<": [0, x, 10]} is 0 < x and x < 10.
    return all(_compare(op, values[i], values[i + 1]) for i in range(len(values) - 1))


def text_contains(needle: Any, haystack: Any) -> bool:
    """'in' over a text; the evaluator searches lists itself, counting the items it compares."""
    if isinstance(haystack, str):
        return needle is not None and js_text(needle, null="") in haystack
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
    result = number(value)
    return 0 if result is None else math.trunc(result)


def _substr(values: list[Any]) -> str:
    """JS String.prototype.substr, plus json-logic's negative length (drop from the end)."""
    text = js_text(values[0], null="null")
    start = _integer(values[1])
    if start < 0:
        start = max(len(text) + start, 0)
    rest = text[start:]
    if len(values) < 3:
        return rest
    length = _integer(values[2])
    return rest[: max(len(rest) + length, 0)] if length < 0 else rest[:length]


def js_text(value: Any, *, null: str) -> str:
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
        return ",".join(js_text(item, null="") for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


# The operators that take their evaluated arguments and nothing else.
FUNCTIONS: Final[dict[str, Callable[[list[Any]], Any]]] = {
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
    "cat": lambda v: "".join(js_text(item, null="") for item in v),
    "substr": _substr,
    # Pure engine: log returns its argument and prints nothing.
    "log": lambda v: v[0],
}
