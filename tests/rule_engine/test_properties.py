"""Properties: order-independence, determinism, and no stray exceptions on hostile conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import evaluate
from plaudit.rule_engine.language import ConditionError
from plaudit.rule_engine.operators import truthy
from plaudit.rule_engine.validation import validate
from tests.fixtures.conditions import ARBITRARY_JSON, CONDITIONS, EVENT, HISTORY_FACTS

SETTINGS = settings(max_examples=200, deadline=None)
ENTITY_IDS = ("a", "b", "c", "d")
EVENT_TYPES = ("activity.completed", "activity.started", "quiz.passed", "mission.completed")
BASE = datetime(2025, 1, 1, tzinfo=UTC)


def make_event(index: int, entity_id: str, event_type: str, minutes: int) -> EventFacts:
    return EventFacts(
        id=f"evt-{index}",
        type=event_type,
        occurred_at=BASE + timedelta(minutes=minutes),
        learner={"id": "l-1"},
        entity={"type": "activity", "id": entity_id},
        data={},
    )


@st.composite
def event_lists(draw: st.DrawFn) -> list[EventFacts]:
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ENTITY_IDS),
                st.sampled_from(EVENT_TYPES),
                st.integers(min_value=0, max_value=60 * 24 * 90),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return [make_event(i, entity, kind, minutes) for i, (entity, kind, minutes) in enumerate(specs)]


def final_outcome(logic: Any, events: list[EventFacts]) -> Any:
    """Evaluate after the last event, the earlier ones being the history."""
    *earlier, last = events
    return evaluate(logic, event=last, history=History(events=tuple(earlier)))


@SETTINGS
@given(
    events=event_lists(),
    targets=st.lists(st.sampled_from(ENTITY_IDS), min_size=1, max_size=4, unique=True),
    data=st.data(),
)
def test_completed_all_does_not_depend_on_order(
    events: list[EventFacts], targets: list[str], data: st.DataObject
) -> None:
    logic = {"completed_all": targets}
    completed = {
        str(event.entity["id"])
        for event in events
        if event.type.endswith((".completed", ".passed"))
    }
    expected = set(targets) <= completed
    for _ in range(3):
        shuffled = data.draw(st.permutations(events))
        assert final_outcome(logic, shuffled).passed is expected


@SETTINGS
@given(events=event_lists(), event_type=st.sampled_from(EVENT_TYPES), data=st.data())
def test_count_without_window_counts_every_match(
    events: list[EventFacts], event_type: str, data: st.DataObject
) -> None:
    logic = {"count": {"type": event_type}}
    expected = sum(1 for event in events if event.type == event_type)
    shuffled = data.draw(st.permutations(events))
    assert final_outcome(logic, shuffled).value == expected


@SETTINGS
@given(logic=ARBITRARY_JSON)
def test_validate_raises_only_condition_errors(logic: Any) -> None:
    error: ConditionError | None = None
    try:
        validate(logic)
    except ConditionError as exc:
        error = exc
    if error is None:
        check_evaluates(logic)
    else:
        assert error.pointer == "" or error.pointer.startswith("/")


@SETTINGS
@given(logic=CONDITIONS)
def test_evaluate_never_raises_on_valid_conditions(logic: Any) -> None:
    try:
        validate(logic)
    except ConditionError:
        return
    check_evaluates(logic)


def check_evaluates(logic: Any) -> None:
    first = evaluate(logic, event=EVENT, history=HISTORY_FACTS)
    assert first.passed is truthy(first.value)
    assert all(isinstance(step.explain, str) and step.explain for step in first.steps)
    # Determinism: the same facts give the same outcome, trace included.
    assert evaluate(logic, event=EVENT, history=HISTORY_FACTS) == first
