"""The mapping language, pure: sources, conversions, filters, errors, forms, and the presets."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from plaudit.connectors import presets
from plaudit.connectors.mapping import (
    MISSING,
    Ignored,
    Mapped,
    Mapping,
    MappingError,
    Source,
    Unmapped,
    apply,
    evaluate,
    resolve,
)
from plaudit.connectors.parsing import BodyError, parse_body, parse_form

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
PAYLOAD: dict[str, Any] = {
    "event": "user_completed_course",
    "n": 12,
    "ok": True,
    "blank": "  ",
    "nothing": None,
    "data": {
        "user": {"id": 42, "email": "ada@example.org"},
        "items": [{"id": "a"}, {"id": "b"}],
        "score": "87.5%",
        "comma": "87,5",
        "when": 1772357400,
        "when_ms": 1772357400000,
        "iso": "2026-03-01T09:30:00+01:00",
        "naive": "2026-03-01 09:30:00",
        "yes": "yes",
    },
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("event", "user_completed_course"),
        ("data.user.id", 42),
        ("data.items.1.id", "b"),
        ("data.items.-1.id", "b"),
        ("data.items.2.id", MISSING),
        ("data.items.x", MISSING),
        ("data.user.id.more", MISSING),
        ("absent", MISSING),
        ("blank", MISSING),  # blank text counts as missing
        ("nothing", MISSING),
    ],
)
def test_paths_resolve_into_objects_and_lists(path: str, expected: Any) -> None:
    assert (
        resolve(PAYLOAD, path) == expected
        if expected is not MISSING
        else (resolve(PAYLOAD, path) is MISSING)
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("data.user.email", "ada@example.org"),
        ({"const": "course.completed"}, "course.completed"),
        ({"template": "{event}:{data.user.id}:{data.items.0.id}"}, "user_completed_course:42:a"),
        ({"first": ["absent", "data.user.email"]}, "ada@example.org"),
        (
            {"path": "event", "map": {"user_completed_course": "course.completed"}},
            "course.completed",
        ),
        ({"path": "event", "map": {"other": "x.y"}, "default": "z.w"}, "z.w"),
        ({"path": "absent", "default": 3}, 3),
        ({"path": "n", "map": {"12": "twelve"}}, "twelve"),  # map keys are text
        ({"path": "data.score", "convert": "percent"}, 87.5),
        ({"path": "data.comma", "convert": "number"}, 87.5),
        ({"path": "n", "convert": "string"}, "12"),
        ({"path": "data.yes", "convert": "boolean"}, True),
        ({"path": "ok", "convert": "boolean"}, True),
        ({"path": "event", "convert": "lowercase"}, "user_completed_course"),
        ({"path": "data.when", "convert": "timestamp"}, datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
        (
            {"path": "data.when_ms", "convert": "timestamp"},
            datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        ),
        ({"path": "data.iso", "convert": "timestamp"}, datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
        ({"path": "data.naive", "convert": "timestamp"}, datetime(2026, 3, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_sources_give_values(spec: Any, expected: Any) -> None:
    assert evaluate(Source.model_validate(spec), PAYLOAD) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"path": "event", "map": {"x": "a.b"}}, "not one of the mapped values"),
        (
            {"path": "data.user.email", "convert": "number"},
            "is not a number (from 'data.user.email')",
        ),
        ({"path": "event", "convert": "boolean"}, "is not a boolean"),
        ({"path": "event", "convert": "timestamp"}, "is not a time"),
        ({"path": "data.user", "convert": "string"}, "is not a single value"),
        ({"template": "{event}:{absent}"}, "the template needs 'absent'"),
    ],
)
def test_unusable_values_are_errors_naming_their_origin(spec: Any, message: str) -> None:
    with pytest.raises(MappingError, match=re.escape(message)):
        evaluate(Source.model_validate(spec), PAYLOAD)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "give exactly one of 'path', 'const', 'template' or 'first'"),
        ({"path": "a", "const": 1}, "given: path, const"),
        ({"path": "a..b"}, "is not a path"),
        ({"path": "a b"}, "is not a path"),
        ({"template": "no placeholder"}, "at least one {path} placeholder"),
        ({"template": "{a}}"}, "unbalanced brace"),
        ({"path": "a", "convert": "eval"}, "Input should be"),
        ({"path": "a", "shell": "rm"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_sources_are_refused_clearly(spec: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Source.model_validate(spec)


BASE: dict[str, Any] = {
    "id": {"template": "t:{data.user.id}"},
    "type": {"const": "course.completed"},
    "learner": {"id": "data.user.id", "email": "data.user.email"},
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "id\n  Field required"),
        ({"learner": {"first_name": "x"}}, "map the learner's 'id' or 'email'"),
        ({"type": {"const": "Course Completed"}}, "is not an event type"),
        ({"type": {"path": "event", "map": {"a": "completed"}}}, "is not an event type"),
        ({"entity": {"type": {"const": "Course"}, "id": "x"}}, "is not an entity type"),
        ({"entity": {"type": {"const": "course"}}}, "entity.id"),
        ({"data": {"bad key": "x"}}, "is not a data key"),
        ({"when": [{"path": "event"}]}, "give exactly one of 'equals'"),
        ({"when": [{"path": "event", "equals": "a", "in": ["b"]}]}, "give exactly one of"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_mappings_are_refused_with_the_field_and_reason(
    change: dict[str, Any], message: str
) -> None:
    body = {**BASE, **change}
    body = {k: v for k, v in body.items() if v is not None}
    with pytest.raises(ValidationError, match=re.escape(message)):
        Mapping.model_validate(body)


def run(payload: Any, **change: Any) -> Mapped | Ignored | Unmapped:
    return apply(
        Mapping.model_validate({**BASE, **change}), payload, received_at=RECEIVED, source="test"
    )


def test_a_payload_maps_to_an_event_with_defaults() -> None:
    outcome = run(PAYLOAD, data={"score": {"path": "data.score", "convert": "percent"}})
    assert isinstance(outcome, Mapped)
    event = outcome.event
    assert (event.id, event.type, event.source) == ("t:42", "course.completed", "test")
    assert event.occurred_at == RECEIVED  # no time mapped: when it arrived
    assert (event.learner.id, event.learner.email) == ("42", "ada@example.org")
    assert event.data.score == 87.5
    assert event.entity is None


def test_custom_data_keeps_its_values_and_conversions() -> None:
    outcome = run(PAYLOAD, data={"attempt": {"path": "n"}, "flag": {"path": "ok"}})
    assert isinstance(outcome, Mapped)
    assert outcome.event.data.model_dump(exclude_none=True) == {"attempt": 12, "flag": True}


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ([{"path": "event", "equals": "user_signup"}], "'event' is \"user_completed_course\""),
        ([{"path": "event", "in": ["a", "b"]}], 'not one of "a", "b"'),
        ([{"path": "absent", "equals": "x"}], "'absent' is not in the payload"),
        ([{"path": "absent", "exists": True}], "'absent' is not in the payload"),
        ([{"path": "event", "exists": False}], "'event' is present"),
        ([{"path": "event", "not_equals": "user_completed_course"}], "'event' is"),
        ([{"path": "n", "equals": 12}, {"path": "ok", "equals": False}], "'ok' is true"),
    ],
)
def test_payloads_the_mapping_does_not_take_are_ignored_with_a_reason(
    when: list[dict[str, Any]], reason: str
) -> None:
    outcome = run(PAYLOAD, when=when)
    assert isinstance(outcome, Ignored)
    assert reason in outcome.reason


@pytest.mark.parametrize(
    "when",
    [
        [{"path": "event", "equals": "user_completed_course"}],
        [{"path": "n", "equals": "12"}],  # forms carry text: "12" matches 12
        [{"path": "ok", "equals": "true"}],
        [{"path": "event", "in": ["x", "user_completed_course"]}],
        [{"path": "data.user.email", "exists": True}, {"path": "absent", "exists": False}],
        [{"path": "absent", "not_equals": "x"}],
    ],
)
def test_payloads_that_meet_every_condition_are_mapped(when: list[dict[str, Any]]) -> None:
    assert isinstance(run(PAYLOAD, when=when), Mapped)


@pytest.mark.parametrize(
    ("change", "payload", "field", "reason"),
    [
        ({}, {"data": {"user": {"email": "a@example.org"}}}, "id", "template needs 'data.user.id'"),
        (
            {"learner": {"email": "data.user.email"}},
            {"data": {"user": {"id": 1}}},
            "learner.email",
            "'data.user.email' is not in the payload",
        ),
        (
            {"id": {"const": "x"}},
            {"data": {}},
            "learner",
            "neither the id ('data.user.id') nor the email ('data.user.email')",
        ),
        (
            {"type": {"path": "event", "map": {"a": "a.b"}}},
            PAYLOAD,
            "type",
            '"user_completed_course" (from \'event\') is not one of the mapped values ("a")',
        ),
        (
            {"type": {"path": "event"}},
            PAYLOAD,
            "type",
            "must be words in lowercase joined by dots",
        ),
        (
            {"learner": {"email": "event"}},
            PAYLOAD,
            "learner.email",
            "not a valid email address",
        ),
        (
            {"data": {"score": "event"}},
            PAYLOAD,
            "data.score",
            '"user_completed_course" is not a number',
        ),
        (
            {"entity": {"type": {"const": "course"}, "id": "data.course.id"}},
            PAYLOAD,
            "entity.id",
            "'data.course.id' is not in the payload",
        ),
        (
            {"occurred_at": "event"},
            PAYLOAD,
            "occurred_at",
            "is not a time",
        ),
    ],
)
def test_payloads_that_do_not_map_say_precisely_why(
    change: dict[str, Any], payload: Any, field: str, reason: str
) -> None:
    outcome = run(payload, **change)
    assert isinstance(outcome, Unmapped), outcome
    assert any(e.field == field and reason in e.reason for e in outcome.errors), outcome.errors
    assert field in outcome.reason


def test_a_payload_that_is_not_an_object_does_not_map() -> None:
    outcome = run(["not", "an", "object"])
    assert isinstance(outcome, Unmapped)


def test_the_mapping_dumps_as_given_with_shorthands_expanded() -> None:
    mapping = Mapping.model_validate(
        {**BASE, "when": [{"path": "event", "in": ["a"]}], "source": {"const": None}}
    )
    dumped = mapping.dump()
    assert dumped["learner"]["id"] == {"path": "data.user.id"}
    assert dumped["when"] == [{"path": "event", "in": ["a"]}]
    assert Mapping.model_validate(dumped) == mapping


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=1&b=two+words", {"a": "1", "b": "two words"}),
        (
            b"user[email]=a%40example.org&user[id]=3",
            {"user": {"email": "a@example.org", "id": "3"}},
        ),
        (b"tags[]=p&tags[]=q", {"tags": ["p", "q"]}),
        (b"a=1&a=2", {"a": ["1", "2"]}),
        (
            b"other[relateduserid]=23&x[0][id]=9",
            {"other": {"relateduserid": "23"}, "x": {"0": {"id": "9"}}},
        ),
        (b"empty=", {"empty": ""}),
        (b"", {}),
    ],
)
def test_forms_become_nested_objects(body: bytes, expected: dict[str, Any]) -> None:
    assert parse_form(body) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": 1}', "application/json; charset=utf-8", {"a": 1}),
        (b'{"a": 1}', None, {"a": 1}),
        (b'{"a": 1}', "text/plain", {"a": 1}),
        (b'{"a": 1}', "application/vnd.lms+json", {"a": 1}),
        (b"a=1", "application/x-www-form-urlencoded", {"a": "1"}),
        # JSON sent under a form's content type (Moodle's webhooks plugin set to "form")
        (b' {"a": 1}', "application/x-www-form-urlencoded", {"a": 1}),
        (b'{"a": 1}', "multipart/form-data; boundary=x", {"a": 1}),
        (b"{a}=1", "application/x-www-form-urlencoded", {"{a}": "1"}),  # not JSON: a form
        (b"[1]=2", "application/x-www-form-urlencoded", {"[1]": "2"}),
    ],
)
def test_bodies_are_read_by_their_type(
    body: bytes, content_type: str | None, expected: Any
) -> None:
    assert parse_body(body, content_type) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{nope", "application/json", "not valid JSON"),
        (b"\xff\xfe", "application/json", "not UTF-8"),
        (b"<xml/>", "application/xml", "cannot read a body of type 'application/xml'"),
        (b"a=%FF", "application/x-www-form-urlencoded", "not UTF-8"),
        (b"--x\r\n", "multipart/form-data; boundary=x", "type 'multipart/form-data'"),
        (b"[1, 2]", "multipart/form-data", "type 'multipart/form-data'"),  # JSON, not an object
    ],
)
def test_unreadable_bodies_say_why(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BodyError, match=re.escape(message)):
        parse_body(body, content_type)


@pytest.mark.parametrize("name", ["talentlms", "highlevel", "moodle"])
def test_each_preset_maps_its_example(name: str) -> None:
    preset = presets.get(name)
    outcome = apply(preset.mapping, preset.example, received_at=RECEIVED, source=name)
    assert isinstance(outcome, Mapped), outcome
    assert outcome.event.type.endswith(".completed")
    assert outcome.event.learner.id is not None
    assert outcome.event.entity is not None
    assert outcome.event.source == name
    again = apply(preset.mapping, preset.example, received_at=RECEIVED, source=name)
    assert isinstance(again, Mapped)
    assert again.event.id == outcome.event.id  # a retried webhook has the same event id


def test_each_preset_ignores_other_kinds_of_payload() -> None:
    for preset in presets.all_presets():
        outcome = apply(preset.mapping, {"event": "user_signup"}, received_at=RECEIVED)
        assert isinstance(outcome, Ignored), (preset.name, outcome)


def test_first_skips_a_template_short_of_one_of_its_paths() -> None:
    source = Source.model_validate(
        {"first": [{"template": "{event}:{attempt}"}, {"template": "{event}:{n}"}]}
    )
    assert evaluate(source, PAYLOAD) == "user_completed_course:12"
    assert evaluate(source, {**PAYLOAD, "attempt": 3}) == "user_completed_course:3"
    alone = Source.model_validate({"template": "{event}:{attempt}"})
    with pytest.raises(MappingError, match="needs 'attempt'"):
        evaluate(alone, PAYLOAD)
