"""The seed scenarios as pure decisions: triggers, conditions, fallback and paused rules."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plaudit.rule_engine.engine import (
    Mode,
    RuleDecision,
    RuleSpec,
    Trigger,
    decide,
    match_trigger,
    once_blocked,
    validate_trigger,
)
from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.language import ConditionError

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count()


def make_event(
    entity_id: str | None,
    *,
    type: str = "course.completed",
    entity_type: str = "course",
    parents: tuple[str, ...] = (),
    at: datetime = START,
    **data: Any,
) -> EventFacts:
    entity: dict[str, Any] = {}
    if entity_id is not None:
        entity = {
            "type": entity_type,
            "id": entity_id,
            "title": entity_id.upper(),
            "parents": [{"type": "path", "id": parent} for parent in parents],
        }
    return EventFacts(
        id=f"evt-{next(_ids)}",
        type=type,
        occurred_at=at,
        learner={"id": "l-1", "email": "ada@acme.test", "first_name": "Ada", "last_name": None},
        entity=entity,
        data=data,
        source="lms",
    )


def rule(
    rule_id: str,
    *types: str,
    condition: Any = None,
    mode: Mode = Mode.ALWAYS,
    priority: int = 100,
    entity_type: str | None = None,
    entity_ids: tuple[str, ...] = (),
    templates: tuple[str, ...] = ("t-1",),
    active: bool = True,
) -> RuleSpec:
    return RuleSpec(
        id=rule_id,
        name=f"Rule {rule_id}",
        priority=priority,
        mode=mode,
        trigger=Trigger(event_types=types, entity_type=entity_type, entity_ids=entity_ids),
        condition=condition,
        template_ids=templates,
        active=active,
    )


def only(decisions: list[RuleDecision]) -> RuleDecision:
    assert len(decisions) == 1
    return decisions[0]


# (1) a course with a pass mark


def test_course_completion_with_a_minimum_score() -> None:
    course = rule(
        "course",
        "course.completed",
        entity_ids=("c-1",),
        condition={">=": [{"var": "event.data.score"}, 80]},
    )
    low = only(decide([course], event=make_event("c-1", score=75), history=History()))
    assert low.trigger_matched
    assert low.trigger_reason == "type course.completed matches; entity c-1 matches"
    assert not low.fires
    assert low.condition is not None
    assert low.condition.summary() == "event.data.score = 75, needs >= 80"
    assert low.skipped_reason is None

    high = only(decide([course], event=make_event("c-1", score=85), history=History()))
    assert high.fires
    assert high.condition is not None
    assert high.condition.summary() == "event.data.score = 85, needs >= 80"

    other = only(decide([course], event=make_event("c-9", score=99), history=History()))
    assert not other.trigger_matched
    assert other.trigger_reason == "entity c-9 is not one of c-1"
    assert other.condition is None
    assert not other.fires


# (2) three activities in any order


@pytest.mark.parametrize("order", list(itertools.permutations(["a1", "a2", "a3"])))
def test_three_activities_in_any_order(order: tuple[str, ...]) -> None:
    all_three = rule(
        "activities",
        "activity.completed",
        entity_ids=("a1", "a2", "a3"),
        condition={"completed_all": {"entity_ids": ["a1", "a2", "a3"], "entity_type": "activity"}},
    )
    history: list[EventFacts] = []
    fired = []
    for step, activity in enumerate(order):
        event = make_event(
            activity,
            type="activity.completed",
            entity_type="activity",
            at=START + timedelta(hours=step),
        )
        decision = only(decide([all_three], event=event, history=History(events=tuple(history))))
        fired.append(decision.fires)
        history.append(event)
    assert fired == [False, False, True]


def test_two_of_three_explains_what_is_missing() -> None:
    all_three = rule("activities", "activity.*", condition={"completed_all": ["a1", "a2", "a3"]})
    earlier = make_event("a3", type="activity.completed", entity_type="activity")
    event = make_event("a1", type="activity.completed", entity_type="activity")
    decision = only(decide([all_three], event=event, history=History(events=(earlier,))))
    assert not decision.fires
    assert decision.condition is not None
    assert decision.condition.summary() == "completed 2 of 3 (a1, a3); missing a2"


# (3) a learning path: courses name the path as their parent


def test_learning_path_completion_matches_through_parents() -> None:
    path = rule(
        "path",
        "course.completed",
        entity_type="course",
        entity_ids=("lp-1",),
        condition={"completed_all": ["c-1", "c-2"]},
    )
    first = make_event("c-1", parents=("lp-1",))
    decision = only(decide([path], event=first, history=History()))
    assert decision.trigger_matched
    assert decision.trigger_reason == (
        "type course.completed matches; entity type course matches; entity c-1 is inside lp-1"
    )
    assert not decision.fires

    second = make_event("c-2", parents=("lp-1",), at=START + timedelta(days=3))
    assert only(decide([path], event=second, history=History(events=(first,)))).fires

    elsewhere = make_event("c-3", parents=("lp-2",))
    outside = only(decide([path], event=elsewhere, history=History(events=(first,))))
    assert not outside.trigger_matched
    assert outside.trigger_reason == "entity c-3 is not one of lp-1 (nor are its parents lp-2)"


# (4) a fallback rule


def test_fallback_fires_only_when_no_other_rule_fired() -> None:
    honours = rule(
        "honours",
        "course.completed",
        priority=10,
        condition={">=": [{"var": "event.data.score"}, 90]},
        templates=("t-honours",),
    )
    participation = rule(
        "participation", "course.completed", mode=Mode.FALLBACK, priority=1, templates=("t-part",)
    )
    rules = [participation, honours]

    top = decide(rules, event=make_event("c-1", score=95), history=History())
    assert [(d.rule_id, d.fires) for d in top] == [("honours", True), ("participation", False)]
    assert top[1].skipped_reason == "fallback: rule Rule honours already applied to this event"
    assert top[1].condition is None

    average = decide(rules, event=make_event("c-1", score=70), history=History())
    assert [(d.rule_id, d.fires) for d in average] == [("honours", False), ("participation", True)]
    assert average[1].skipped_reason is None


def test_rules_run_by_priority_then_id() -> None:
    rules = [
        rule("b", "x.y", priority=2),
        rule("c", "x.y", priority=1),
        rule("a", "x.y", priority=2),
    ]
    decisions = decide(rules, event=make_event(None, type="x.y"), history=History())
    assert [d.rule_id for d in decisions] == ["c", "a", "b"]
    assert all(d.fires for d in decisions)


# (5) a paused rule


def test_inactive_rule_never_fires() -> None:
    paused = rule("paused", "course.completed", active=False)
    decision = only(decide([paused], event=make_event("c-1"), history=History()))
    assert decision.trigger_matched
    assert not decision.fires
    assert decision.condition is None
    assert decision.skipped_reason == "rule is not active"


def test_inactive_rules_do_not_block_the_fallback() -> None:
    rules = [rule("paused", "course.completed", active=False), rule("f", "*", mode=Mode.FALLBACK)]
    decisions = decide(rules, event=make_event("c-1"), history=History())
    assert [d.fires for d in decisions] == [False, True]


# (6) a wildcard trigger


def test_wildcard_trigger() -> None:
    any_course = Trigger(event_types=("course.*",))
    assert match_trigger(any_course, make_event("c-1")) == (
        True,
        "type course.completed matches course.*",
    )
    assert match_trigger(any_course, make_event("c-1", type="course.started"))[0]
    lesson = make_event("l-1", type="lesson.completed")
    assert match_trigger(any_course, lesson) == (
        False,
        "type lesson.completed is not one of course.*",
    )
    exact = Trigger(event_types=("course.completed",))
    assert match_trigger(exact, make_event("c-1")) == (True, "type course.completed matches")
    assert match_trigger(exact, lesson) == (
        False,
        "type lesson.completed is not one of course.completed",
    )


def test_trigger_entity_checks() -> None:
    typed = Trigger(event_types=("*",), entity_type="quiz")
    assert match_trigger(typed, make_event("c-1")) == (False, "entity type course is not quiz")
    assert match_trigger(typed, make_event(None)) == (False, "entity type none is not quiz")
    listed = Trigger(event_types=("*",), entity_ids=("c-1", "c-2"))
    assert match_trigger(listed, make_event("c-9")) == (False, "entity c-9 is not one of c-1, c-2")
    assert not match_trigger(listed, make_event(None))[0]


# (7) a monthly mission: three missions within 30 days


def test_count_within_thirty_days() -> None:
    monthly = rule(
        "monthly",
        "mission.completed",
        condition={">=": [{"count": {"type": "mission.completed", "within": "P30D"}}, 3]},
    )

    def mission(day: int) -> EventFacts:
        return make_event(
            f"m-{day}",
            type="mission.completed",
            entity_type="mission",
            at=START + timedelta(days=day),
        )

    spread = (mission(0), mission(20))
    late = only(decide([monthly], event=mission(40), history=History(events=spread)))
    assert not late.fires
    assert late.condition is not None
    assert late.condition.steps[0].explain == "count of mission.completed within P30D = 2"

    close = (mission(0), mission(20), mission(25))
    assert only(decide([monthly], event=mission(29), history=History(events=close))).fires


# (8) stacking: a badge for holding another


def test_stacking_rule_needs_the_lower_badge() -> None:
    stack = rule(
        "gold",
        "course.completed",
        condition={"and": [{"holds_badge": "t-silver"}, {"completed_any": ["c-1", "c-2"]}]},
        templates=("t-gold",),
    )
    event = make_event("c-2")
    without = only(decide([stack], event=event, history=History()))
    assert not without.fires
    assert without.condition is not None
    assert without.condition.summary() == "holds badge t-silver: no"

    holding = History(held={"t-silver": 1})
    with_silver = only(decide([stack], event=event, history=holding))
    assert with_silver.fires
    assert with_silver.condition is not None
    assert with_silver.condition.summary() == "holds badge t-silver: yes; completed c-2"


# ONCE bookkeeping, invalid conditions, trigger validation


def test_once_blocked() -> None:
    once = rule("once", "course.completed", mode=Mode.ONCE, templates=("t-1", "t-2"))
    assert once_blocked(once, History(held={"t-1": 1})) is None
    assert once_blocked(once, History(held={"t-1": 1, "t-2": 3})) == "already holds t-1, t-2"
    always = rule("always", "course.completed", templates=("t-1",))
    assert once_blocked(always, History(held={"t-1": 1})) is None


def test_an_invalid_condition_does_not_sink_the_other_rules() -> None:
    broken = rule("broken", "course.completed", condition={"grater": [1, 2]})
    good = rule("good", "course.completed")
    decisions = decide([broken, good], event=make_event("c-1"), history=History())
    assert [d.fires for d in decisions] == [False, True]
    assert decisions[0].skipped_reason == (
        "condition is invalid at /grater: unknown operator 'grater' (did you mean '>'?)"
    )


@pytest.mark.parametrize(
    ("trigger", "pointer"),
    [
        (Trigger(event_types=()), "/trigger/event_types"),
        (Trigger(event_types=("course.completed", "")), "/trigger/event_types/1"),
        (Trigger(event_types=("course*",)), "/trigger/event_types/0"),
        (Trigger(event_types=("*.completed",)), "/trigger/event_types/0"),
        (Trigger(event_types=("course completed",)), "/trigger/event_types/0"),
        (Trigger(event_types=("x.y",), entity_type=" "), "/trigger/entity_type"),
        (Trigger(event_types=("x.y",), entity_ids=("c-1", "")), "/trigger/entity_ids/1"),
    ],
)
def test_validate_trigger(trigger: Trigger, pointer: str) -> None:
    with pytest.raises(ConditionError) as caught:
        validate_trigger(trigger)
    assert caught.value.pointer == pointer


def test_valid_triggers() -> None:
    validate_trigger(Trigger(event_types=("course.*", "quiz.submitted", "*")))
    validate_trigger(Trigger(event_types=("x.y",), entity_type="course", entity_ids=("c-1",)))
