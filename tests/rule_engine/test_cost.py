"""Rule cost: the save-time estimate and the run-time operation budget, on fixed vectors."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.events.schemas import MAX_DATA_BYTES, EventIn
from plaudit.rule_engine import cost
from plaudit.rule_engine.budget import MAX_OPERATIONS, TooCostly, size
from plaudit.rule_engine.engine import Mode, RuleSpec, Trigger, decide
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import compute, evaluate
from plaudit.rule_engine.language import ConditionError
from plaudit.rule_engine.validation import validate
from tests.fixtures.conditions import CONDITIONS, EVENT, HISTORY_FACTS

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
SCORE = {">=": [{"var": "event.data.score"}, 80]}
ANSWERED = {"some": [{"var": "event.data.answers"}, {"==": [{"var": "id"}, "q7"]}]}
# The two conditions of issue 15 that stalled an instance for minutes.
WIDE = {
    "all": [
        list(range(2000)),
        {"some": [list(range(2000)), {"==": [{"var": ""}, -1]}]},
    ]
}
CUBE = {
    "all": [
        list(range(150)),
        {"all": [list(range(150)), {"all": [list(range(150)), {"==": [{"var": ""}, 1]}]}]},
    ]
}


def make_event(**data: Any) -> EventFacts:
    return EventFacts(
        id="evt-1",
        type="course.completed",
        occurred_at=NOW,
        learner={"id": "l-1", "email": "ada@acme.test", "first_name": "Ada", "last_name": "B"},
        entity={"type": "course", "id": "c-1", "title": "One", "parents": []},
        data=data,
    )


def past(count: int) -> History:
    return History(
        events=tuple(
            EventFacts(
                id=f"past-{n}",
                type="lesson.completed",
                occurred_at=NOW - timedelta(minutes=n + 1),
                learner={"id": "l-1"},
                entity={"type": "lesson", "id": f"l-{n}"},
                data={},
            )
            for n in range(count)
        )
    )


def spec(rule_id: str, condition: Any) -> RuleSpec:
    return RuleSpec(
        id=rule_id,
        name=f"Rule {rule_id}",
        priority=100,
        mode=Mode.ALWAYS,
        trigger=Trigger(event_types=("course.completed",)),
        condition=condition,
        template_ids=("t-1",),
    )


# --- the estimate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        (None, 0),
        ({}, 0),
        (True, 1),
        # >= and its three operands; event.data.score may be up to 16 KiB of text (256 units).
        (SCORE, 4 + 256),
        # One node, and a scan of a history assumed to hold 1,000 events.
        ({"completed_all": ["a1", "a2"]}, 1 + 1000),
        # 'some' and its variable (3), then a 4-operation test for each of up to 8,192 items,
        # one of which may carry all the text of the event's data (256).
        (ANSWERED, 3 + 8192 * 4 + 256),
        ({"in": [{"var": "event.data.tag"}, ["a", "b", "c"]]}, 1 + 2 + 4 + 3),
        # 'some' over 2,000 numbers costs 1 + 2,001 + 2,000 x 4; 'all' repeats it 2,000 times.
        (WIDE, 1 + 2001 + 2000 * (1 + 2001 + 2000 * 4)),
        (CUBE, 1 + 151 + 150 * (1 + 151 + 150 * (1 + 151 + 150 * 4))),
    ],
)
def test_the_estimate_of_fixed_conditions(logic: Any, expected: int) -> None:
    assert cost.estimate(logic) == expected


def test_the_estimate_of_a_certificate_field_counts_the_value_it_keeps() -> None:
    whole = {"var": "event.data"}
    assert cost.estimate(whole) == 2
    assert cost.estimate(whole, result=True) == 2 + cost.DATA.items + cost.DATA.text


@pytest.mark.parametrize(
    ("logic", "pointer", "figure", "hint"),
    [
        (WIDE, "/all", "20,006,002", "'all' repeats its test for up to 2,000 items"),
        (CUBE, "/all/1/all", "16,942,952", "'all' repeats its test for up to 150 items"),
        (
            {
                "map": [
                    {"var": "event.data.xs"},
                    {"map": [list(range(10)), {"+": [{"var": ""}, 1]}]},
                ]
            },
            "/map",
            f"{3 + 8192 * 52:,}",
            "'map' repeats its expression for up to 8,192 items",
        ),
    ],
)
def test_a_costly_condition_is_refused_where_it_is_costly(
    logic: Any, pointer: str, figure: str, hint: str
) -> None:
    with pytest.raises(ConditionError) as refused:
        cost.check(logic)
    assert refused.value.pointer == pointer
    message = refused.value.message
    assert message.startswith(f"this condition may evaluate up to {figure}")
    assert "operations per event; the limit is 100,000" in message
    assert hint in message
    assert message.endswith("iterate over fewer items or nest fewer loops")


def test_conditions_within_the_limit_pass() -> None:
    accepted: list[Any] = [None, SCORE, ANSWERED, {"completed_all": ["a1"]}, {"count": {}}]
    for logic in accepted:
        cost.check(logic)
    # 1 + 9,001 + 9,000 x 3 operations.
    cost.check({"some": [list(range(9000)), {"!": {"var": ""}}]})
    # Loops nested over the same event data share its items: 8,192 at most in all.
    nested = {"map": [{"var": "event.data.xs"}, {"map": [{"var": ""}, {"+": [{"var": ""}, 1]}]}]}
    assert cost.estimate(nested) == 3 + 8191 * 3 + (3 + 8191 * 4 + 4 + 256)


def test_an_accumulator_that_grows_cannot_be_bounded() -> None:
    doubling = {
        "reduce": [
            list(range(40)),
            {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]},
            "x",
        ]
    }
    with pytest.raises(ConditionError) as refused:
        cost.check(doubling)
    assert refused.value.pointer == "/reduce"
    assert "grows with every item" in refused.value.message
    # A sum keeps its size: the accumulator stays a number.
    total = {
        "reduce": [{"var": "event.data.xs"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]
    }
    cost.check(total)


def test_history_operators_are_estimated_on_a_history_of_a_thousand_events() -> None:
    many = {"or": [{"==": [{"count": {"type": f"t{n}.completed"}}, 999]} for n in range(120)]}
    with pytest.raises(ConditionError) as refused:
        cost.check(many)
    assert refused.value.pointer == ""
    assert "history" in refused.value.message


# --- the bounds the estimate assumes hold for every event the API accepts ----------------------


def largest_events() -> Iterator[dict[str, Any]]:
    learner = {
        "id": "i" * 255,
        "email": f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 50}.org",
        "first_name": "f" * 200,
        "last_name": "l" * 200,
        "locale": "en-GB",
    }
    entity = {
        "type": "t" * 100,
        "id": "e" * 255,
        "title": "T" * 500,
        "parents": [{"type": "p" * 100, "id": "q" * 255} for _ in range(20)],
    }
    budget = MAX_DATA_BYTES - 20
    chain: Any = 0
    for _ in range(20):
        chain = [chain]
    shapes: list[dict[str, Any]] = [
        {"xs": [chain] * (budget // 43)},
        {"xs": [0] * (budget // 3)},
        {"xs": [[]] * (budget // 4)},
        {"xs": [{}] * (budget // 4)},
        {"s": "x" * budget},
        {"xs": ["y" * 63] * (budget // 67)},
        {f"k{n}": 0 for n in range(budget // 13)},
    ]
    for data in shapes:
        body = {
            "id": "x" * 200,
            "type": "course.completed",
            "occurred_at": NOW.isoformat(),
            "learner": learner,
            "entity": entity,
            "data": data,
            "source": "s" * 100,
        }
        yield json.loads(EventIn.model_validate(body).model_dump_json(exclude_none=True))


def test_the_estimates_bounds_hold_for_the_largest_events_the_api_accepts() -> None:
    assert cost.DATA_BYTES == MAX_DATA_BYTES
    for body in largest_events():
        facts = EventFacts(
            id=body["id"],
            type=body["type"],
            occurred_at=NOW,
            learner=body["learner"],
            entity=body["entity"],
            data=body["data"],
            source=body["source"],
        )
        context = facts.context()
        for value, bound in (
            (context["event"]["data"], cost.DATA),
            (context["entity"], cost.ENTITY),
            (context["learner"], cost.LEARNER),
            (context["event"], cost.EVENT),
            (context, cost.CONTEXT),
        ):
            assert size(value) <= bound.items + bound.text


# --- the run-time budget ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "facts", "history", "operations"),
    [
        (SCORE, make_event(score=85), History(), 4),
        (ANSWERED, make_event(answers=[{"id": "q1"}, {"id": "q7"}]), History(), 3 + 2 * 4),
        ({"completed_all": ["c-1"]}, make_event(), past(3), 1 + 4),
        ({"cat": ["x" * 640, "y"]}, make_event(), History(), 3 + 10),
    ],
)
def test_evaluation_counts_its_operations(
    logic: Any, facts: EventFacts, history: History, operations: int
) -> None:
    assert evaluate(logic, event=facts, history=history).operations == operations
    assert cost.estimate(logic) >= operations


def test_the_budget_stops_evaluation_at_the_operation_that_exceeds_it() -> None:
    facts = make_event(score=85)
    assert evaluate(SCORE, event=facts, history=History(), budget=4).passed
    with pytest.raises(TooCostly) as stopped:
        evaluate(SCORE, event=facts, history=History(), budget=3)
    assert stopped.value.limit == 3


def test_a_huge_list_in_the_event_data_exceeds_the_budget_and_only_that_rule_gives_up() -> None:
    costly = spec("costly", {"some": [{"var": "event.data.xs"}, {"==": [{"var": ""}, -1]}]})
    plain = spec("plain", SCORE)
    huge = make_event(score=90, xs=list(range(50_000)))
    with pytest.raises(TooCostly):
        evaluate(costly.condition, event=huge, history=History())
    stopped, fired = decide([costly, plain], event=huge, history=History())
    assert (stopped.rule_id, stopped.fires, stopped.condition) == ("costly", False, None)
    assert stopped.skipped_reason is not None
    assert stopped.skipped_reason.startswith("condition too costly to evaluate")
    assert f"{MAX_OPERATIONS:,} operations" in stopped.skipped_reason
    assert (fired.rule_id, fired.fires) == ("plain", True)
    # The same rule on an ordinary event is evaluated as usual.
    small = decide([costly], event=make_event(xs=[1, -1]), history=History())
    assert small[0].fires


def test_a_long_history_can_exceed_the_budget_of_a_condition_the_estimate_accepts() -> None:
    counts = {"or": [{"==": [{"count": {"type": f"t{n}.completed"}}, 999]} for n in range(60)]}
    cost.check(counts)
    assert not evaluate(counts, event=make_event(), history=past(100)).passed
    decision = decide([spec("counts", counts)], event=make_event(), history=past(2000))[0]
    assert decision.skipped_reason is not None
    assert decision.skipped_reason.startswith("condition too costly to evaluate")


def test_a_history_operator_in_a_loop_reads_the_history_once() -> None:
    looped = {"all": [list(range(500)), {"completed_any": ["l-1"]}]}
    outcome = evaluate(looped, event=make_event(), history=past(5000))
    assert outcome.passed
    assert outcome.operations == 1 + 501 + 500 + 5001


def test_values_that_double_are_stopped_before_they_exhaust_memory() -> None:
    doubling = {
        "reduce": [
            list(range(64)),
            {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]},
            "x" * 64,
        ]
    }
    with pytest.raises(TooCostly):
        evaluate(doubling, event=make_event(), history=History())
    # Lists that share their halves double without copying; comparing them is what costs.
    shared = {"reduce": [list(range(200)), [{"var": "accumulator"}, {"var": "accumulator"}], 0]}
    with pytest.raises(TooCostly):
        evaluate({"==": [shared, shared]}, event=make_event(), history=History())
    with pytest.raises(TooCostly):
        compute(shared, event=make_event(), history=History())


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_long_numeric_looking_string_is_read_in_linear_time() -> None:
    # The number pattern backtracked quadratically: 16 KiB of digits took 13 s to refuse.
    digits = make_event(level="1" * (MAX_DATA_BYTES - 20) + "x")
    with deadline(5):
        outcome = evaluate({">": [{"var": "event.data.level"}, 1]}, event=digits, history=History())
    assert not outcome.passed


# --- the estimate bounds the evaluation --------------------------------------------------------

LARGE_DATA = [
    {"score": 17, "items": [1, "2", None, [3]]},
    {"items": [n % 10 for n in range(5000)], "score": "7" * 60},
    {"items": [[n % 10, [n % 10]] for n in range(1500)]},
    {"items": ["z" * 200] * 60, "score": "9" * 3000},
    {"items": [{"id": str(n), "items": [n]} for n in range(400)]},
]


# Conditions that iterate: over the event's lists, literals and the items themselves.
PATHS = st.sampled_from(["", "0", "1", "id", "items", "current", "accumulator", "accumulator.0"])
LISTS = st.one_of(
    st.sampled_from(
        [
            {"var": "event.data.items"},
            {"var": "event.data"},
            {"var": "event"},
            {"var": ""},
            {"var": "entity.parents"},
        ]
    ),
    st.lists(st.integers(0, 9), max_size=30),
)
ITERATIONS = st.recursive(
    st.one_of(
        st.integers(-2, 9),
        st.text(max_size=3),
        st.builds(lambda path: {"var": path}, PATHS),
        LISTS,
    ),
    lambda inner: st.one_of(
        st.builds(
            lambda op, items, body: {op: [items, body]},
            st.sampled_from(["map", "filter", "all", "some", "none"]),
            st.one_of(LISTS, inner),
            inner,
        ),
        st.builds(
            lambda items, body, start: {"reduce": [items, body, start]},
            st.one_of(LISTS, inner),
            inner,
            inner,
        ),
        st.builds(
            lambda op, args: {op: args},
            st.sampled_from(
                ["==", "!==", "in", "cat", "merge", "substr", "+", "<", "if", "and", "or", "!!"]
            ),
            st.lists(inner, min_size=2, max_size=3),
        ),
        st.builds(lambda keys: {"missing": keys}, inner),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    logic=st.one_of(CONDITIONS, ITERATIONS),
    data=st.sampled_from(LARGE_DATA),
    result=st.booleans(),
)
def test_the_estimate_is_never_below_the_operations_counted(
    logic: Any, data: dict[str, Any], result: bool
) -> None:
    try:
        validate(logic)
    except ConditionError:
        return
    facts = EventFacts(
        id=EVENT.id,
        type=EVENT.type,
        occurred_at=EVENT.occurred_at,
        learner=EVENT.learner,
        entity=EVENT.entity,
        data=data,
    )
    assert len(json.dumps(data)) <= MAX_DATA_BYTES
    # Within a budget of exactly the estimate, evaluation never runs out.
    try:
        if result:
            compute(
                logic, event=facts, history=HISTORY_FACTS, budget=cost.estimate(logic, result=True)
            )
        else:
            outcome = evaluate(
                logic, event=facts, history=HISTORY_FACTS, budget=cost.estimate(logic)
            )
            assert outcome.operations <= cost.estimate(logic)
    except TooCostly as exc:
        if "nest" not in exc.reason:
            raise
