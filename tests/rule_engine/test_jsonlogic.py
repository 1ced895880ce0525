"""JSON Logic: jsonlogic.com cases, history operators, explanations and validation errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plaudit.rule_engine.facts import EventFacts, History
from plaudit.rule_engine.jsonlogic import Outcome, apply, compute, evaluate
from plaudit.rule_engine.language import OPERATORS, ConditionError
from plaudit.rule_engine.validation import MAX_NODES, validate

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def make_event(
    entity_id: str | None = "c-1",
    *,
    type: str = "course.completed",
    entity_type: str = "course",
    at: datetime = NOW,
    event_id: str | None = None,
    **data: Any,
) -> EventFacts:
    entity = {} if entity_id is None else {"type": entity_type, "id": entity_id, "parents": []}
    return EventFacts(
        id=event_id or f"{type}:{entity_id}:{at.isoformat()}",
        type=type,
        occurred_at=at,
        learner={"id": "l-1", "email": "ada@acme.test", "first_name": "Ada", "last_name": "Byron"},
        entity=entity,
        data=data,
    )


# (logic, data, expected): the cases of jsonlogic.com's operations page and test suite.
STANDARD: list[tuple[Any, Any, Any]] = [
    # equality, loose and strict
    ({"==": [1, 1]}, None, True),
    ({"==": [1, "1"]}, None, True),
    ({"==": [0, False]}, None, True),
    ({"==": ["", 0]}, None, True),
    ({"==": ["0", False]}, None, True),
    ({"==": [True, "1"]}, None, True),
    ({"==": [1, 2]}, None, False),
    ({"==": ["abc", 0]}, None, False),
    ({"==": [None, None]}, None, True),
    ({"==": [None, False]}, None, False),
    ({"===": [1, 1]}, None, True),
    ({"===": [1, 1.0]}, None, True),
    ({"===": [1, "1"]}, None, False),
    ({"===": [1, True]}, None, False),
    ({"!=": [1, 2]}, None, True),
    ({"!=": [1, "1"]}, None, False),
    ({"!==": [1, 2]}, None, True),
    ({"!==": [1, "1"]}, None, True),
    ({"!==": [1, 1]}, None, False),
    # ordering, including the between form
    ({">": [2, 1]}, None, True),
    ({">": [1, 1]}, None, False),
    ({">": ["2", 1]}, None, True),
    ({">=": [1, 1]}, None, True),
    ({">=": [1, 2]}, None, False),
    ({"<": [1, 2]}, None, True),
    ({"<": [2, 1]}, None, False),
    ({"<": ["a", "b"]}, None, True),
    ({"<": [1, 2, 3]}, None, True),
    ({"<": [1, 1, 3]}, None, False),
    ({"<": [1, 4, 3]}, None, False),
    ({"<=": [1, 1]}, None, True),
    ({"<=": [1, 1, 3]}, None, True),
    ({"<=": [1, 4, 3]}, None, False),
    ({">=": [None, 80]}, None, False),
    ({"<": [None, 80]}, None, False),
    # negation and truthiness
    ({"!": [True]}, None, False),
    ({"!": False}, None, True),
    ({"!": [[]]}, None, True),
    ({"!": [0]}, None, True),
    ({"!": ["0"]}, None, False),
    ({"!!": [[]]}, None, False),
    ({"!!": [[0]]}, None, True),
    ({"!!": ["0"]}, None, True),
    ({"!!": [""]}, None, False),
    ({"!!": [0]}, None, False),
    ({"!!": [-1]}, None, True),
    ({"!!": [None]}, None, False),
    # and / or return the deciding operand
    ({"or": [True, False]}, None, True),
    ({"or": [False, "a"]}, None, "a"),
    ({"or": [False, 0, "a"]}, None, "a"),
    ({"or": [False, 0]}, None, 0),
    ({"and": [True, False]}, None, False),
    ({"and": [True, "a", 3]}, None, 3),
    ({"and": [True, "", 3]}, None, ""),
    ({"and": [False]}, None, False),
    # if, chained if, ?:
    ({"if": [True, "yes", "no"]}, None, "yes"),
    ({"if": [False, "yes", "no"]}, None, "no"),
    ({"if": [[], "yes", "no"]}, None, "no"),
    ({"if": [[1], "yes", "no"]}, None, "yes"),
    ({"if": ["0", "yes", "no"]}, None, "yes"),
    ({"if": [False, 1, False, 2, 3]}, None, 3),
    ({"if": [False, 1, True, 2, 3]}, None, 2),
    ({"if": [False, 1]}, None, None),
    ({"if": [True]}, None, True),
    ({"?:": [True, 1, 2]}, None, 1),
    (
        {
            "if": [
                {"<": [{"var": "temp"}, 0]},
                "freezing",
                {"<": [{"var": "temp"}, 100]},
                "liquid",
                "gas",
            ]
        },
        {"temp": 55},
        "liquid",
    ),
    # var: paths, indexes, defaults, the whole data
    ({"var": ["a"]}, {"a": 1, "b": 2}, 1),
    ({"var": "a"}, {"a": 1}, 1),
    ({"var": ["z", 26]}, {"a": 1}, 26),
    ({"var": "z"}, {"a": 1}, None),
    ({"var": "champ.name"}, {"champ": {"name": "Fezzig"}}, "Fezzig"),
    ({"var": 1}, ["apple", "banana"], "banana"),
    ({"var": "1"}, ["apple", "banana"], "banana"),
    ({"var": "a.1"}, {"a": ["x", "y"]}, "y"),
    ({"var": "a.5"}, {"a": ["x", "y"]}, None),
    ({"var": ""}, {"a": 1}, {"a": 1}),
    ({"var": ["a", "fallback"]}, {"a": None}, "fallback"),
    # missing, missing_some
    ({"missing": ["a", "b"]}, {"a": "apple", "c": "carrot"}, ["b"]),
    ({"missing": ["a", "b"]}, {"a": "apple", "b": "banana"}, []),
    ({"missing": ["a"]}, {"a": ""}, ["a"]),
    ({"missing": "a"}, {}, ["a"]),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr", "term"], []]}]}},
        {"financing": True},
        ["vin", "apr", "term"],
    ),
    ({"missing_some": [1, ["a", "b", "c"]]}, {"a": "apple"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple"}, ["b", "c"]),
    # arithmetic
    ({"max": [1, 2, 3]}, None, 3),
    ({"min": [1, 2, 3]}, None, 1),
    ({"max": ["7", 2]}, None, 7),
    ({"+": [4, 2]}, None, 6),
    ({"+": [2, 2, 2, 2, 2]}, None, 10),
    ({"+": "3.14"}, None, 3.14),
    ({"+": []}, None, 0),
    ({"+": ["1", 1]}, None, 2),
    ({"+": [1, None]}, None, None),
    ({"-": [4, 2]}, None, 2),
    ({"-": 2}, None, -2),
    ({"-": [-2]}, None, 2),
    ({"*": [4, 2]}, None, 8),
    ({"*": [2, 2, 2, 2, 2]}, None, 32),
    ({"*": ["2", 1.5]}, None, 3),
    ({"/": [4, 2]}, None, 2),
    ({"/": [1, 4]}, None, 0.25),
    ({"/": [1, 0]}, None, None),
    ({"%": [101, 2]}, None, 1),
    ({"%": [-7, 3]}, None, -1),
    ({"%": [1, 0]}, None, None),
    # map, filter, reduce, all, none, some
    ({"map": [{"var": "integers"}, {"*": [{"var": ""}, 2]}]}, {"integers": [1, 2, 3]}, [2, 4, 6]),
    ({"map": [{"var": "absent"}, {"*": [{"var": ""}, 2]}]}, {}, []),
    (
        {"filter": [{"var": "integers"}, {"%": [{"var": ""}, 2]}]},
        {"integers": [1, 2, 3, 4, 5]},
        [1, 3, 5],
    ),
    (
        {"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        {"integers": [1, 2, 3, 4, 5]},
        15,
    ),
    ({"reduce": [{"var": "absent"}, {"+": [{"var": "current"}, 1]}, 7]}, {}, 7),
    ({"all": [[1, 2, 3], {">": [{"var": ""}, 0]}]}, None, True),
    ({"all": [[-1, 2, 3], {">": [{"var": ""}, 0]}]}, None, False),
    ({"all": [[], {">": [{"var": ""}, 0]}]}, None, False),
    (
        {"all": [{"var": "pies"}, {"==": [{"var": "filling"}, "apple"]}]},
        {"pies": [{"filling": "apple"}, {"filling": "apple"}]},
        True,
    ),
    ({"none": [[-3, -2], {">": [{"var": ""}, 0]}]}, None, True),
    ({"none": [[-3, 2], {">": [{"var": ""}, 0]}]}, None, False),
    ({"none": [[], {">": [{"var": ""}, 0]}]}, None, True),
    ({"some": [[-1, 0, 1], {">": [{"var": ""}, 0]}]}, None, True),
    ({"some": [[], {">": [{"var": ""}, 0]}]}, None, False),
    # merge, in, cat, substr, log
    ({"merge": []}, None, []),
    ({"merge": [[1]]}, None, [1]),
    ({"merge": [[1], []]}, None, [1]),
    ({"merge": [[1], [2], [3]]}, None, [1, 2, 3]),
    ({"merge": [1, 2]}, None, [1, 2]),
    ({"merge": [[1, 2], [3, [4]]]}, None, [1, 2, 3, [4]]),
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"in": ["i", "team"]}, None, False),
    ({"in": ["Ringo", ["John", "Paul", "George", "Ringo"]]}, None, True),
    ({"in": ["Yoko", ["John", "Paul", "George", "Ringo"]]}, None, False),
    ({"in": [1, 5]}, None, False),
    ({"cat": ["I love", " pie"]}, None, "I love pie"),
    ({"cat": ["I love ", {"var": "filling"}, " pie"]}, {"filling": "apple"}, "I love apple pie"),
    ({"cat": [1, "a", True, None, 2.5, 3.0]}, None, "1atrue2.53"),
    ({"substr": ["jsonlogic", 4]}, None, "logic"),
    ({"substr": ["jsonlogic", -5]}, None, "logic"),
    ({"substr": ["jsonlogic", 0, 1]}, None, "j"),
    ({"substr": ["jsonlogic", -1, 1]}, None, "c"),
    ({"substr": ["jsonlogic", 4, 5]}, None, "logic"),
    ({"substr": ["jsonlogic", -5, 5]}, None, "logic"),
    ({"substr": ["jsonlogic", -5, -2]}, None, "log"),
    ({"substr": ["jsonlogic", 1, -5]}, None, "son"),
    ({"log": "apple"}, None, "apple"),
    # literals are themselves; lists are evaluated item by item
    (True, None, True),
    ("apple", None, "apple"),
    ([1, {"var": "a"}], {"a": 2}, [1, 2]),
]


@pytest.mark.parametrize(("logic", "data", "expected"), STANDARD)
def test_standard_case(logic: Any, data: Any, expected: Any) -> None:
    result = apply(logic, data)
    assert result == expected
    # 1 == True in Python; JSON Logic results must keep their JSON type.
    assert type(result) is type(expected) or {type(result), type(expected)} <= {int, float}


def test_the_table_covers_every_standard_operator() -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                used.add(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for logic, _, _ in STANDARD:
        walk(logic)
    history = {"completed_all", "completed_any", "count", "best_score", "holds_badge"}
    assert OPERATORS - history <= used
    assert len(STANDARD) >= 60


# --- history operators ------------------------------------------------------------------------


def outcome(logic: Any, event: EventFacts, *earlier: EventFacts, **held: int) -> Outcome:
    return evaluate(logic, event=event, history=History(events=earlier, held=held))


def test_completed_all_counts_history_and_the_current_event() -> None:
    logic = {"completed_all": ["a", "b", "c"]}
    a, b = make_event("a", type="activity.completed"), make_event("b", type="quiz.passed")
    assert outcome(logic, make_event("c", type="lesson.submitted"), a, b).passed
    missing = outcome(logic, make_event("x"), a, b)
    assert not missing.passed
    assert missing.summary() == "completed 2 of 3 (a, b); missing c"


def test_completed_all_with_entity_type_and_data_passed() -> None:
    logic = {"completed_all": {"entity_ids": ["q-1"], "entity_type": "quiz"}}
    graded = make_event("q-1", type="quiz.graded", entity_type="quiz", passed=True)
    assert outcome(logic, graded).passed
    failed = make_event("q-1", type="quiz.graded", entity_type="quiz", passed=False)
    assert not outcome(logic, failed).passed
    other_type = make_event("q-1", type="quiz.passed", entity_type="survey")
    assert not outcome(logic, other_type).passed


def test_completed_all_ignores_events_that_do_not_complete() -> None:
    started = make_event("a", type="course.started")
    result = outcome({"completed_all": ["a"]}, started)
    assert not result.passed
    assert result.summary() == "completed 0 of 1; missing a"


def test_completed_any() -> None:
    logic = {"completed_any": ["a", "b"]}
    yes = outcome(logic, make_event("a"))
    assert yes.passed
    assert yes.summary() == "completed a"
    no = outcome(logic, make_event("z"))
    assert not no.passed
    assert no.summary() == "completed none of a, b"


def test_count_within_a_window() -> None:
    logic = {"count": {"type": "mission.completed", "within": "P30D"}}
    current = make_event("m-3", type="mission.completed")
    recent = make_event("m-2", type="mission.completed", at=NOW - timedelta(days=10))
    old = make_event("m-1", type="mission.completed", at=NOW - timedelta(days=30))
    other = make_event("c-1", type="course.completed", at=NOW - timedelta(days=1))
    result = outcome(logic, current, old, recent, other)
    assert result.value == 2
    assert result.summary() == "count of mission.completed within P30D = 2"


def test_count_filters_and_calendar_months() -> None:
    current = make_event("m-1", type="mission.completed")
    # 31 March minus one month is 28 February: the 28th itself is outside, the 1st of March in.
    feb_28 = make_event("m-1", type="mission.completed", at=datetime(2025, 2, 28, 12, tzinfo=UTC))
    mar_1 = make_event("m-2", type="mission.completed", at=datetime(2025, 3, 1, tzinfo=UTC))
    assert outcome({"count": {"within": "P1M"}}, current, feb_28, mar_1).value == 2
    assert outcome({"count": {"within": "P1Y"}}, current, feb_28, mar_1).value == 3
    assert outcome({"count": {"within": "PT12H"}}, current, feb_28, mar_1).value == 1
    by_ids = {"count": {"type": ["mission.*"], "entity_ids": ["m-2"]}}
    assert outcome(by_ids, current, feb_28, mar_1).value == 1
    assert outcome({"count": {"entity_type": "quest"}}, current, feb_28).value == 0
    assert outcome({"count": {}}, current, feb_28, mar_1).value == 3


def test_count_does_not_count_a_redelivered_event_twice() -> None:
    current = make_event("m-1", type="mission.completed", event_id="evt-1")
    assert outcome({"count": {"type": "mission.completed"}}, current, current).value == 1


def test_best_score() -> None:
    logic = {"best_score": "quiz-1"}
    earlier = NOW - timedelta(days=1)
    first = make_event("quiz-1", type="quiz.submitted", at=earlier, score=17, max_score=20)
    second = make_event("quiz-1", type="quiz.submitted", score=60, max_score=80)
    result = outcome(logic, second, first)
    assert result.value == 60
    assert result.summary() == "best score on quiz-1 = 60"
    percent = outcome({"best_score": {"entity_id": "quiz-1", "percent": True}}, second, first)
    assert percent.value == 85
    assert percent.summary() == "best score on quiz-1 (%) = 85"
    nothing = outcome(logic, make_event("quiz-2", score=99))
    assert nothing.value is None
    assert not nothing.passed
    assert nothing.summary() == "best score on quiz-1: no score yet"


def test_best_score_in_a_comparison_explains_both() -> None:
    result = outcome(
        {">=": [{"best_score": "quiz-1"}, 80]},
        make_event("quiz-1", type="quiz.submitted", score=75),
    )
    assert not result.passed
    assert [step.explain for step in result.steps] == [
        "best score on quiz-1 = 75",
        "best score on quiz-1 = 75, needs >= 80",
    ]


def test_holds_badge() -> None:
    yes = outcome({"holds_badge": "t-1"}, make_event(), **{"t-1": 2})
    assert yes.passed
    assert yes.summary() == "holds badge t-1: yes"
    no = outcome({"holds_badge": "t-1"}, make_event(), **{"t-1": 0})
    assert not no.passed
    assert no.summary() == "holds badge t-1: no"


# --- explanations -----------------------------------------------------------------------------

SCORE_80 = {">=": [{"var": "event.data.score"}, 80]}


@pytest.mark.parametrize(
    ("logic", "event", "passed", "explain"),
    [
        (SCORE_80, make_event(score=75), False, "event.data.score = 75, needs >= 80"),
        (SCORE_80, make_event(score=85), True, "event.data.score = 85, needs >= 80"),
        (SCORE_80, make_event(), False, "event.data.score is missing, needs >= 80"),
        (
            {"==": [{"var": "event.entity.id"}, "c-1"]},
            make_event("c-2"),
            False,
            "event.entity.id = 'c-2', needs == 'c-1'",
        ),
        (
            {"<=": [80, {"var": "event.data.score"}]},
            make_event(score=90),
            True,
            "event.data.score = 90, needs >= 80",
        ),
        (
            {"<=": [0, {"var": "event.data.score"}, 100]},
            make_event(score=90),
            True,
            "event.data.score = 90, needs 0 <= event.data.score <= 100",
        ),
        ({">": [3, 2]}, make_event(), True, "3 > 2 is true"),
        (
            {"in": [{"var": "entity.id"}, ["c-1", "c-3"]]},
            make_event("c-1"),
            True,
            "entity.id = 'c-1', needs to be in ['c-1', 'c-3']",
        ),
        (
            {"in": ["@acme.test", {"var": "learner.email"}]},
            make_event(),
            True,
            "learner.email = 'ada@acme.test', needs to contain '@acme.test'",
        ),
        (
            {"!": {"var": "event.data.passed"}},
            make_event(passed=True),
            False,
            "event.data.passed = true, needs a false value",
        ),
        (
            {"and": [{"var": "event.data.passed"}]},
            make_event(passed=False),
            False,
            "event.data.passed = false",
        ),
        (
            {"all": [{"var": "event.data.answers"}, {">": [{"var": ""}, 0]}]},
            make_event(answers=[1, 0, 2]),
            False,
            "event.data.answers: 2 of 3 items match, needs all",
        ),
        (
            {"missing": ["event.data.score", "learner.email"]},
            make_event(),
            True,
            "missing event.data.score",
        ),
        (
            {"==": [{"var": "learner.first_name"}, "it's"]},
            make_event(),
            False,
            "learner.first_name = 'Ada', needs == 'it\\'s'",
        ),
    ],
)
def test_explain(logic: Any, event: EventFacts, passed: bool, explain: str) -> None:
    result = evaluate(logic, event=event, history=History())
    assert result.passed is passed
    assert result.summary() == explain


def test_and_short_circuits_and_leaves_no_step_for_later_operands() -> None:
    logic = {"and": [SCORE_80, {"==": [{"var": "event.entity.id"}, "c-1"]}]}
    failed = evaluate(logic, event=make_event(score=75), history=History())
    assert [step.pointer for step in failed.steps] == ["/and/0/>="]
    passed = evaluate(logic, event=make_event(score=85), history=History())
    assert [step.pointer for step in passed.steps] == ["/and/0/>=", "/and/1/=="]
    assert passed.steps[1].args == ("c-1", "c-1")
    assert passed.summary() == (
        "event.data.score = 85, needs >= 80; event.entity.id = 'c-1', needs == 'c-1'"
    )


def test_or_returns_the_deciding_operand() -> None:
    logic = {"or": [{"holds_badge": "t-1"}, {"completed_any": ["c-1"]}, SCORE_80]}
    result = evaluate(logic, event=make_event("c-1"), history=History())
    assert result.value is True
    assert [step.op for step in result.steps] == ["holds_badge", "completed_any"]


@pytest.mark.parametrize("always", [None, {}])
def test_no_condition_always_passes(always: Any) -> None:
    assert evaluate(always, event=make_event(), history=History()) == Outcome(True, True, ())


def test_the_event_context() -> None:
    context = make_event(score=1).context()
    assert context["event"]["occurred_at"] == "2025-03-31T12:00:00Z"
    assert context["event"]["data"] == {"score": 1}
    assert context["entity"]["id"] == context["event"]["entity"]["id"] == "c-1"
    assert context["learner"]["first_name"] == "Ada"


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(at=datetime(2025, 1, 1))  # noqa: DTZ001


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "pointer", "message"),
    [
        (
            {"and": [True, {"grater": [1, 2]}]},
            "/and/1/grater",
            "unknown operator 'grater' (did you mean '>'?)",
        ),
        (
            {"and": [{"completedAll": ["a"]}]},
            "/and/0/completedAll",
            "(did you mean 'completed_all'?)",
        ),
        ({"==": [1, {"a": 1, "b": 2}]}, "/==/1", "an operation must have exactly one operator"),
        ({"or": [{}]}, "/or/0", "an operation must have exactly one operator"),
        ({"!": [1, 2]}, "/!", "'!' takes 1 argument, got 2"),
        ({"==": [1]}, "/==", "'==' takes 2 arguments, got 1"),
        ({"and": [{">": [1, 2, 3, 4]}]}, "/and/0/>", "'>' takes 2 or 3 arguments, got 4"),
        ({"if": []}, "/if", "'if' takes at least 1 argument, got 0"),
        ({"var": ["event.id", 1, 2]}, "/var", "'var' takes 1 or 2 arguments, got 3"),
        ({"in": ["a"]}, "/in", "'in' takes 2 arguments, got 1"),
        ({"substr": ["a"]}, "/substr", "'substr' takes 2 or 3 arguments, got 1"),
        ({"/": [1, 2]}, None, None),
        ({"and": [{"/": [1]}]}, "/and/0/~1", "'/' takes 2 arguments, got 1"),
        ({">=": [{"var": "score"}, 80]}, "/>=/0/var", "did you mean 'event.data.score'?"),
        ({">=": [{"var": ["score", 0]}, 80]}, "/>=/0/var/0", "did you mean 'event.data.score'?"),
        ({"var": "event.score"}, "/var", "did you mean 'event.data.score'?"),
        ({"var": "first_name"}, "/var", "did you mean 'learner.first_name'?"),
        ({"var": "event..type"}, "/var", "has an empty segment"),
        ({"var": True}, "/var", "a variable path must be a string"),
        ({"var": {"cat": ["event.", "id"]}}, "/var", "a variable path must be a string"),
        ({"missing": ["score"]}, "/missing/0", "did you mean 'event.data.score'?"),
        ({"count": {"within": "P30X"}}, "/count/within", "'P30X' is not an ISO 8601 duration"),
        ({"count": {"within": "P0D"}}, "/count/within", "is not an ISO 8601 duration"),
        ({"count": {"within": "PT"}}, "/count/within", "is not an ISO 8601 duration"),
        ({"count": {"typ": "x"}}, "/count/typ", "unknown key 'typ' for 'count'"),
        ({"count": {"type": "course*"}}, "/count/type", "bad wildcard"),
        ({"count": {"type": ["a.b", ""]}}, "/count/type/1", "non-empty string"),
        ({"count": "mission.completed"}, "/count", "'count' takes an object"),
        ({"completed_all": "a"}, "/completed_all", "takes a list of entity ids"),
        ({"completed_all": []}, "/completed_all", "needs at least one entity id"),
        (
            {"completed_any": ["a", 1]},
            "/completed_any/1",
            "an entity id must be a non-empty string",
        ),
        (
            {"completed_all": {"entity_ids": "a"}},
            "/completed_all/entity_ids",
            "needs a list of entity ids",
        ),
        ({"completed_all": {"ids": ["a"]}}, "/completed_all/ids", "unknown key 'ids'"),
        (
            {"best_score": {"entity_id": "q", "percent": "yes"}},
            "/best_score/percent",
            "true or false",
        ),
        ({"best_score": 3}, "/best_score", "'best_score' takes an entity id"),
        ({"holds_badge": ""}, "/holds_badge", "'holds_badge' takes a template id"),
        ({"==": [float("nan"), 1]}, "/==/0", "numbers must be finite"),
    ],
)
def test_validation_errors(logic: Any, pointer: str | None, message: str | None) -> None:
    if pointer is None:
        validate(logic)
        return
    with pytest.raises(ConditionError) as caught:
        validate(logic)
    assert caught.value.pointer == pointer
    assert message is not None and message in caught.value.message


@pytest.mark.parametrize(
    "logic",
    [
        None,
        {},
        True,
        {"var": ""},
        {"var": "event"},
        {"var": ["learner.locale", "en"]},
        {"map": [{"var": "event.data.items"}, {"var": "price"}]},
        {"reduce": [{"var": "event.data.items"}, {"+": [{"var": "current"}, 1]}, 0]},
        {"count": {"type": "course.*", "entity_type": "course", "entity_ids": ["c-1"]}},
        {"completed_all": {"entity_ids": ["a"]}},
        {"best_score": {"entity_id": "q-1"}},
    ],
)
def test_valid_conditions(logic: Any) -> None:
    validate(logic)


def test_too_deep() -> None:
    logic: Any = True
    for _ in range(100):
        logic = {"and": [logic]}
    with pytest.raises(ConditionError, match="the condition is too large") as caught:
        validate(logic)
    assert caught.value.pointer == ""
    with pytest.raises(ConditionError, match="too large"):
        evaluate(logic, event=make_event(), history=History())


def test_too_many_nodes() -> None:
    with pytest.raises(ConditionError, match="the condition is too large"):
        validate({"+": list(range(MAX_NODES + 1))})
    validate({"+": list(range(MAX_NODES // 2))})


def test_plain_apply_refuses_history_operators() -> None:
    with pytest.raises(ConditionError, match="use evaluate") as caught:
        apply({"and": [{"holds_badge": "t-1"}]})
    assert caught.value.pointer == "/and/0/holds_badge"


# --- compute ----------------------------------------------------------------------------------


def test_compute_a_field_mapping() -> None:
    full_name = {"cat": [{"var": "learner.first_name"}, " ", {"var": "learner.last_name"}]}
    assert compute(full_name, event=make_event(), history=History()) == "Ada Byron"


def test_compute_literals_and_defaults() -> None:
    event = EventFacts(
        id="e",
        type="course.completed",
        occurred_at=NOW,
        learner={"first_name": None},
        entity={},
        data={},
    )
    assert compute("Certificate", event=event, history=History()) == "Certificate"
    assert compute(42, event=event, history=History()) == 42
    default = {"var": ["learner.first_name", "Learner"]}
    assert compute(default, event=event, history=History()) == "Learner"
    with pytest.raises(ConditionError):
        compute({"var": "name"}, event=event, history=History())
