"""xAPI statements mapped to Plaudit events: each verb, the actor identifiers, and every refusal."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from plaudit.events.xapi import (
    SUPPORTED_VERBS,
    VOIDED_VERBS,
    NotAnEvent,
    StatementError,
    statement_to_event,
    statements_from_body,
)

ADL = "http://adlnet.gov/expapi"
STATEMENT_ID = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
EVENT_KEYS = {"id", "type", "occurred_at", "learner", "entity", "data", "source"}

Statement = dict[str, Any]


def completed_course() -> Statement:
    """A course completion as an LMS sends it: mbox actor, parents, English titles."""
    return {
        "id": STATEMENT_ID,
        "actor": {"objectType": "Agent", "name": "Ada Lovelace", "mbox": "mailto:ada@example.org"},
        "verb": {"id": f"{ADL}/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms.example.org/courses/safety-101",
            "definition": {
                "type": f"{ADL}/activities/course",
                "name": {"en-US": "Safety 101", "it-IT": "Sicurezza 101"},
            },
        },
        "result": {"completion": True, "duration": "PT30M"},
        "context": {
            "language": "en-US",
            "contextActivities": {
                "parent": [
                    {
                        "id": "https://lms.example.org/paths/onboarding",
                        "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course"},
                    }
                ],
                "grouping": [{"id": "https://lms.example.org/programmes/2026"}],
            },
        },
        "timestamp": "2026-11-22T10:00:00Z",
    }


def passed_assessment() -> Statement:
    """An assessment passed with a score, by an actor known only by an LMS account."""
    return {
        "id": "9a8b7c6d-1111-4222-8333-444455556666",
        "actor": {
            "name": "Grace Hopper",
            "account": {"homePage": "https://lms.example.org", "name": "u-42"},
        },
        "verb": {"id": f"{ADL}/verbs/passed"},
        "object": {
            "id": "https://lms.example.org/quizzes/final",
            "definition": {"type": f"{ADL}/activities/assessment", "name": {"en": "Final quiz"}},
        },
        "result": {
            "score": {"raw": 85, "min": 0, "max": 100, "scaled": 0.85},
            "success": True,
            "completion": True,
            "duration": "PT12M30S",
        },
        "timestamp": "2026-11-22T12:00:00+02:00",
    }


def with_changes(base: Statement, **changes: Any) -> Statement:
    statement = copy.deepcopy(base)
    statement.update(changes)
    return statement


def test_completed_course_with_mbox() -> None:
    event = statement_to_event(completed_course())

    assert event == {
        "id": "xapi:3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "type": "course.completed",
        "occurred_at": "2026-11-22T10:00:00Z",
        "learner": {
            "email": "ada@example.org",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "locale": "en-US",
        },
        "entity": {
            "type": "course",
            "id": "https://lms.example.org/courses/safety-101",
            "title": "Safety 101",
            "parents": [
                {"type": "course", "id": "https://lms.example.org/paths/onboarding"},
                {"type": "activity", "id": "https://lms.example.org/programmes/2026"},
            ],
        },
        "data": {"completion": True, "duration": "PT30M", "xapi_verb": "completed"},
        "source": "xapi",
    }


def test_passed_assessment_with_score_and_account_actor() -> None:
    event = statement_to_event(passed_assessment())

    assert event["type"] == "quiz.submitted"
    assert event["occurred_at"] == "2026-11-22T10:00:00Z"
    # The same account name on another LMS is another person, hence the home page.
    assert event["learner"] == {
        "id": "u-42@https://lms.example.org",
        "first_name": "Grace",
        "last_name": "Hopper",
    }
    assert event["entity"] == {
        "type": "assessment",
        "id": "https://lms.example.org/quizzes/final",
        "title": "Final quiz",
    }
    assert event["data"] == {
        "score": 85,
        "max_score": 100,
        "min_score": 0,
        "scaled": 0.85,
        "passed": True,
        "completion": True,
        "duration": "PT12M30S",
        "xapi_verb": "passed",
    }


def test_failed_assessment_is_a_submission_that_did_not_pass() -> None:
    statement = passed_assessment()
    statement["verb"] = {"id": f"{ADL}/verbs/failed"}
    statement["result"] = {"score": {"raw": 40, "max": 100, "scaled": 0.4}, "success": False}

    event = statement_to_event(statement)

    assert event["type"] == "quiz.submitted"
    assert event["data"] == {
        "score": 40,
        "max_score": 100,
        "scaled": 0.4,
        "passed": False,
        "xapi_verb": "failed",
    }


def test_scored_assessment_takes_passed_from_result_success() -> None:
    statement = passed_assessment()
    statement["verb"] = {"id": f"{ADL}/verbs/scored"}
    statement["result"] = {"score": {"scaled": -0.25}, "success": False}

    event = statement_to_event(statement)

    assert event["type"] == "quiz.submitted"
    # A scaled score alone is read as a percentage, the shape data.score has everywhere.
    assert event["data"] == {
        "score": -25,
        "max_score": 100,
        "scaled": -0.25,
        "passed": False,
        "xapi_verb": "scored",
    }


def test_scaled_score_alone_becomes_a_percentage_and_raw_wins_over_it() -> None:
    statement = completed_course()
    statement["result"] = {"score": {"scaled": 0.57}}
    assert statement_to_event(statement)["data"]["score"] == 57
    assert statement_to_event(statement)["data"]["max_score"] == 100
    statement["result"] = {"score": {"raw": 8, "min": 0, "max": 10, "scaled": 0.8}}
    data = statement_to_event(statement)["data"]
    assert (data["score"], data["min_score"], data["max_score"]) == (8, 0, 10)


@pytest.mark.parametrize(
    ("verb", "event_type"),
    [
        (f"{ADL}/verbs/experienced", "xapi.experienced"),
        ("https://w3id.org/xapi/adl/verbs/logged-in", "xapi.logged_in"),
        ("http://example.org/verbs#Done", "xapi.done"),
        ("urn:x:7", "xapi.v_7"),
        ("http://example.org/verbs/", "xapi.verbs"),
    ],
)
def test_other_verbs_become_xapi_events_keeping_the_verb(verb: str, event_type: str) -> None:
    statement = passed_assessment()
    statement["verb"] = {"id": verb}

    event = statement_to_event(statement)

    assert event["type"] == event_type
    assert event["data"]["xapi_verb"] == verb


@pytest.mark.parametrize(
    ("verb", "activity_type", "event_type"),
    [
        ("completed", "lesson", "lesson.completed"),
        ("completed", "module", "module.completed"),
        ("completed", "assessment", "quiz.submitted"),
        ("completed", "question", "quiz.submitted"),
        ("completed", "performance", "task.completed"),
        ("completed", "media", "activity.completed"),
        ("passed", "course", "course.completed"),
        ("passed", "question", "quiz.submitted"),
        ("failed", "course", "course.failed"),
        ("failed", "interaction", "activity.failed"),
        ("scored", "lesson", "lesson.scored"),
        ("scored", "simulation", "activity.scored"),
    ],
)
def test_event_type_follows_verb_and_activity_type(
    verb: str, activity_type: str, event_type: str
) -> None:
    statement = completed_course()
    statement["verb"] = {"id": f"{ADL}/verbs/{verb}"}
    statement["object"]["definition"]["type"] = f"{ADL}/activities/{activity_type}"

    assert statement_to_event(statement)["type"] == event_type


@pytest.mark.parametrize(
    ("verb", "success", "passed"),
    [
        ("passed", None, True),
        ("passed", False, True),
        ("failed", True, False),
        ("failed", None, False),
        ("completed", True, True),
        ("completed", False, False),
        ("completed", None, None),
    ],
)
def test_verb_decides_passed_and_result_success_fills_in(
    verb: str, success: bool | None, passed: bool | None
) -> None:
    statement = completed_course()
    statement["verb"] = {"id": f"{ADL}/verbs/{verb}"}
    statement["result"] = {} if success is None else {"success": success}

    assert statement_to_event(statement)["data"].get("passed") == passed


@pytest.mark.parametrize(("iri", "name"), sorted(SUPPORTED_VERBS.items()))
def test_every_supported_verb_is_understood(iri: str, name: str) -> None:
    statement = with_changes(completed_course(), verb={"id": iri})

    assert statement_to_event(statement)["data"]["xapi_verb"] == name


def test_supported_verbs_are_the_four_adl_verbs_over_http_and_https() -> None:
    assert set(SUPPORTED_VERBS.values()) == {"completed", "passed", "failed", "scored"}
    assert SUPPORTED_VERBS["http://adlnet.gov/expapi/verbs/completed"] == "completed"
    assert SUPPORTED_VERBS["https://adlnet.gov/expapi/verbs/scored"] == "scored"


@pytest.mark.parametrize(
    ("definition", "entity_type"),
    [
        ({"type": f"{ADL}/activities/course"}, "course"),
        ({"type": "https://adlnet.gov/expapi/activities/lesson"}, "lesson"),
        ({"type": f"{ADL}/activities/cmi.interaction"}, "activity"),
        ({"type": f"{ADL}/activities/objective"}, "activity"),
        ({"type": f"{ADL}/activities/meeting"}, "activity"),
        ({"type": f"{ADL}/activities/performance"}, "task"),
        ({"type": "https://w3id.org/xapi/cmi5/activitytype/course"}, "course"),
        ({"type": "https://w3id.org/xapi/cmi5/activitytype/block"}, "activity"),
        ({"type": "https://w3id.org/xapi/video/activity-type/video"}, "activity"),
        # Another vocabulary's "course" is not assumed to mean ours.
        ({"type": "https://example.org/types/course"}, "activity"),
        ({"name": {"en": "No type"}}, "activity"),
        ({}, "activity"),
    ],
)
def test_entity_type_from_activity_definition(definition: dict[str, Any], entity_type: str) -> None:
    statement = completed_course()
    statement["object"]["definition"] = definition

    assert statement_to_event(statement)["entity"]["type"] == entity_type


def test_long_title_is_cut_rather_than_refused() -> None:
    statement = completed_course()
    statement["object"]["definition"]["name"] = {"en": "Safety " * 100}

    assert len(statement_to_event(statement)["entity"]["title"]) == 500


def test_activity_without_definition_is_an_untitled_activity() -> None:
    statement = completed_course()
    statement["object"] = {"id": "urn:lms:activity:7"}

    entity = statement_to_event(statement)["entity"]

    assert entity["type"] == "activity"
    assert "title" not in entity


@pytest.mark.parametrize(
    ("names", "title"),
    [
        ({"it-IT": "Sicurezza", "en": "Safety", "en-US": "Safety (US)"}, "Safety (US)"),
        ({"it-IT": "Sicurezza", "en": "Safety", "en-GB": "Safety (GB)"}, "Safety"),
        ({"it-IT": "Sicurezza", "fr": "Sécurité"}, "Sicurezza"),
        ({"en-US": "  ", "de": " Sicherheit "}, "Sicherheit"),
        ({}, None),
    ],
)
def test_title_prefers_american_then_any_english_then_the_first_name(
    names: dict[str, str], title: str | None
) -> None:
    statement = completed_course()
    statement["object"]["definition"]["name"] = names

    assert statement_to_event(statement)["entity"].get("title") == title


@pytest.mark.parametrize(
    ("timestamp", "occurred_at"),
    [
        ("2026-11-22T10:00:00+02:00", "2026-11-22T08:00:00Z"),
        ("2026-11-22T10:00:00.250-05:30", "2026-11-22T15:30:00.250000Z"),
        ("2026-11-22T01:00:00+0200", "2026-11-21T23:00:00Z"),
        ("2026-11-22T10:00:00.123456789Z", "2026-11-22T10:00:00.123456Z"),
        # No offset: xAPI lets us read it as UTC.
        ("2026-11-22T10:00:00", "2026-11-22T10:00:00Z"),
    ],
)
def test_timestamp_is_normalised_to_utc(timestamp: str, occurred_at: str) -> None:
    statement = with_changes(completed_course(), timestamp=timestamp)

    assert statement_to_event(statement)["occurred_at"] == occurred_at


def test_stored_time_stands_in_for_a_missing_timestamp() -> None:
    statement = completed_course()
    del statement["timestamp"]
    stored = datetime(2026, 11, 22, 11, 0, tzinfo=timezone(timedelta(hours=1)))

    assert statement_to_event(statement, stored=stored)["occurred_at"] == "2026-11-22T10:00:00Z"


def test_timestamp_wins_over_stored_time() -> None:
    stored = datetime(2030, 1, 1, tzinfo=UTC)

    event = statement_to_event(completed_course(), stored=stored)

    assert event["occurred_at"] == "2026-11-22T10:00:00Z"


def test_parents_accept_the_single_object_form_and_are_not_repeated() -> None:
    statement = completed_course()
    path = {"id": "https://lms.example.org/paths/onboarding"}
    statement["context"]["contextActivities"] = {
        "parent": {**path, "definition": {"type": f"{ADL}/activities/module"}},
        "grouping": [path, {"id": "https://lms.example.org/programmes/2026"}],
        "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
    }

    assert statement_to_event(statement)["entity"]["parents"] == [
        {"type": "module", "id": "https://lms.example.org/paths/onboarding"},
        {"type": "activity", "id": "https://lms.example.org/programmes/2026"},
    ]


def test_no_context_means_no_parents_and_no_locale() -> None:
    statement = completed_course()
    del statement["context"]

    event = statement_to_event(statement)

    assert "parents" not in event["entity"]
    assert "locale" not in event["learner"]


@pytest.mark.parametrize(
    ("actor", "learner"),
    [
        (
            {"mbox_sha1sum": "A" * 40},
            {"id": "sha1:" + "a" * 40},
        ),
        (
            {"openid": "https://id.example.org/ada", "name": "Ada"},
            {"id": "https://id.example.org/ada", "first_name": "Ada"},
        ),
        (
            {"account": {"name": "u-42"}, "name": "  Ada  King   Lovelace "},
            {"id": "u-42", "first_name": "Ada King", "last_name": "Lovelace"},
        ),
        (
            {"objectType": "Agent", "mbox": "mailto:ada@example.org", "name": "   "},
            {"email": "ada@example.org"},
        ),
    ],
)
def test_actor_identifiers_and_names(actor: dict[str, Any], learner: dict[str, str]) -> None:
    statement = completed_course()
    statement["actor"] = actor
    del statement["context"]

    assert statement_to_event(statement)["learner"] == learner


def test_event_has_exactly_the_plaudit_event_keys_and_is_json() -> None:
    for statement in (completed_course(), passed_assessment()):
        event = statement_to_event(statement)

        assert set(event) == EVENT_KEYS
        assert event["source"] == "xapi"
        assert json.loads(json.dumps(event)) == event


def test_statement_is_not_modified() -> None:
    statement = completed_course()
    before = copy.deepcopy(statement)

    statement_to_event(statement)

    assert statement == before


Change = Callable[[Statement], object]


def _set(path: str, value: Any) -> Change:
    """Set (or with ``...`` delete) the value at a dotted path of the statement."""

    def change(statement: Statement) -> None:
        *parents, last = path.split(".")
        target: Any = statement
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value

    return change


ERRORS: list[tuple[str, Change, str]] = [
    ("statement id missing", _set("id", ...), "id"),
    ("statement id a number", _set("id", 42), "id"),
    ("statement id not a UUID", _set("id", "statement-1"), "id"),
    ("statement id in braces", _set("id", "{" + STATEMENT_ID + "}"), "id"),
    ("timestamp not a string", _set("timestamp", 1700000000), "timestamp"),
    ("timestamp a bare date", _set("timestamp", "2026-11-22"), "timestamp"),
    ("timestamp with a space", _set("timestamp", "2026-11-22 10:00:00Z"), "timestamp"),
    ("timestamp impossible day", _set("timestamp", "2026-02-30T10:00:00Z"), "timestamp"),
    ("timestamp past year 9999", _set("timestamp", "9999-12-31T23:00:00-05:00"), "timestamp"),
    ("no timestamp, nothing stored", _set("timestamp", ...), "timestamp"),
    ("actor missing", _set("actor", ...), "actor"),
    ("actor a string", _set("actor", "ada@example.org"), "actor"),
    ("actor of unknown type", _set("actor.objectType", ["Agent"]), "actor.objectType"),
    ("actor without identifier", _set("actor.mbox", ...), "actor"),
    (
        "actor with two identifiers",
        _set("actor.openid", "https://id.example.org/ada"),
        "actor",
    ),
    ("mbox without mailto", _set("actor.mbox", "ada@example.org"), "actor.mbox"),
    ("mbox without address", _set("actor.mbox", "mailto:ada"), "actor.mbox"),
    ("mbox not a string", _set("actor.mbox", {"mailto": "ada@example.org"}), "actor.mbox"),
    ("actor name not a string", _set("actor.name", ["Ada"]), "actor.name"),
    ("actor name too long", _set("actor.name", "Ada " * 60), "actor.name"),
    (
        "account id too long",
        _set("actor", {"account": {"homePage": "https://lms.example.org", "name": "u" * 240}}),
        "actor.account",
    ),
    (
        "openid too long",
        _set("actor", {"openid": "https://id.example.org/" + "a" * 240}),
        "actor.openid",
    ),
    ("verb missing", _set("verb", ...), "verb"),
    ("verb a string", _set("verb", "completed"), "verb"),
    ("verb without id", _set("verb.id", ...), "verb.id"),
    ("verb id not an IRI", _set("verb.id", "completed"), "verb.id"),
    (
        "voiding statement about an activity",
        _set("verb.id", "http://adlnet.gov/expapi/verbs/voided"),
        "object",
    ),
    ("object missing", _set("object", ...), "object"),
    ("object a list", _set("object", []), "object"),
    ("object without id", _set("object.id", ...), "object.id"),
    ("object id not an IRI", _set("object.id", "safety 101"), "object.id"),
    ("object id a number", _set("object.id", 101), "object.id"),
    ("object id too long", _set("object.id", "https://lms.example.org/" + "c" * 240), "object.id"),
    ("definition a string", _set("object.definition", "course"), "object.definition"),
    ("definition type not an IRI", _set("object.definition.type", 7), "object.definition.type"),
    ("name map a string", _set("object.definition.name", "Safety"), "object.definition.name"),
    (
        "name map with a number",
        _set("object.definition.name", {"en": 101}),
        "object.definition.name",
    ),
    ("context a list", _set("context", []), "context"),
    ("language not a string", _set("context.language", 1), "context.language"),
    ("language not a tag", _set("context.language", "en_US"), "context.language"),
    (
        "context activities a string",
        _set("context.contextActivities", "parent"),
        "context.contextActivities",
    ),
    (
        "parents a string",
        _set("context.contextActivities.parent", "https://lms.example.org/p"),
        "context.contextActivities.parent",
    ),
    (
        "parent not an object",
        _set("context.contextActivities.parent", [{"id": "urn:a"}, "urn:b"]),
        "context.contextActivities.parent[1]",
    ),
    (
        "parent without id",
        _set("context.contextActivities.grouping", [{"definition": {}}]),
        "context.contextActivities.grouping[0].id",
    ),
    (
        "parent id too long",
        _set("context.contextActivities.parent.0.id", "urn:" + "p" * 252),
        "context.contextActivities.parent[0].id",
    ),
    (
        "too many parents",
        _set("context.contextActivities.grouping", [{"id": f"urn:g:{n}"} for n in range(20)]),
        "context.contextActivities",
    ),
    (
        "parent definition type not an IRI",
        _set("context.contextActivities.parent.0.definition.type", "course"),
        "context.contextActivities.parent[0].definition.type",
    ),
    ("result a list", _set("result", [1]), "result"),
    ("score a number", _set("result.score", 85), "result.score"),
    ("raw a string", _set("result.score", {"raw": "85"}), "result.score.raw"),
    ("raw a boolean", _set("result.score", {"raw": True}), "result.score.raw"),
    ("raw above max", _set("result.score", {"raw": 101, "max": 100}), "result.score.raw"),
    ("raw below min", _set("result.score", {"raw": -1, "min": 0}), "result.score.raw"),
    ("max not above min", _set("result.score", {"min": 10, "max": 10}), "result.score.max"),
    ("min not finite", _set("result.score", {"min": float("-inf")}), "result.score.min"),
    ("scaled above 1", _set("result.score", {"scaled": 1.5}), "result.score.scaled"),
    ("scaled below -1", _set("result.score", {"scaled": -1.01}), "result.score.scaled"),
    ("scaled not a number", _set("result.score", {"scaled": "0.5"}), "result.score.scaled"),
    ("scaled huge", _set("result.score", {"scaled": 10**400}), "result.score.scaled"),
    ("success a string", _set("result.success", "true"), "result.success"),
    ("completion a number", _set("result.completion", 1), "result.completion"),
    ("duration in minutes", _set("result.duration", 30), "result.duration"),
    ("duration not ISO 8601", _set("result.duration", "30 minutes"), "result.duration"),
    ("duration empty", _set("result.duration", "PT"), "result.duration"),
    ("response not a string", _set("result.response", ["a", "b"]), "result.response"),
]


@pytest.mark.parametrize(
    ("change", "field"),
    [(change, field) for _, change, field in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_malformed_statement_is_refused_with_its_field(change: Change, field: str) -> None:
    statement = completed_course()
    statement["result"] = {"score": {}}
    change(statement)

    with pytest.raises(StatementError) as caught:
        statement_to_event(statement)

    assert caught.value.field == field
    assert caught.value.message
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, NotAnEvent)


def test_error_messages_say_what_to_send() -> None:
    with pytest.raises(StatementError, match="Plaudit uses it to ignore duplicates"):
        statement_to_event(with_changes(completed_course(), id=None))
    with pytest.raises(StatementError, match="actor needs mbox, mbox_sha1sum, openid or account"):
        statement_to_event(with_changes(completed_course(), actor={"name": "Ada"}))


def test_statement_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(StatementError) as caught:
        statement_to_event([completed_course()])  # type: ignore[arg-type]

    assert caught.value.field == "statement"


def test_statements_from_body_accepts_one_statement_or_an_array() -> None:
    one = completed_course()
    two = passed_assessment()

    assert statements_from_body(one) == [one]
    assert statements_from_body([one, two]) == [one, two]
    assert statements_from_body([]) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("statements", "body"),
        (None, "body"),
        (42, "body"),
        (b"{}", "body"),
        ([completed_course(), "not a statement"], "body[1]"),
        ([[completed_course()]], "body[0]"),
    ],
)
def test_statements_from_body_refuses_anything_else(body: Any, field: str) -> None:
    with pytest.raises(StatementError) as caught:
        statements_from_body(body)

    assert caught.value.field == field


# Seeded rather than drawn by Hypothesis, which leaves a cache directory in the working tree.
FUZZ_SEED = 20261122
FUZZ_CASES = 500
ODD_STRINGS = ["", " ", "mailto:a@b.c", "https://x.example/y", "Agent", "Activity", STATEMENT_ID]


def _json_value(rng: random.Random, depth: int = 0) -> Any:
    """Anything a JSON parser can hand us, to put in any place of a realistic statement."""
    kind = rng.randrange(8 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 10**400, rng.randint(-(10**9), 10**9)])
    if kind == 3:
        return rng.choice([0.5, -1.5, 1e308, float("inf"), rng.uniform(-2, 2)])
    if kind == 4:
        return rng.choice(ODD_STRINGS)
    if kind == 5:
        return "".join(rng.choice("aZ09:@/.-_ é\n") for _ in range(rng.randrange(12)))
    if kind == 6:
        return [_json_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["id", "en", "type", "name", "x"]): _json_value(rng, depth + 1)}


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        items: Iterator[tuple[str | int, Any]] = iter(value.items())
    elif isinstance(value, list):
        items = iter(enumerate(value))
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


PATHS = sorted(
    {path for base in (completed_course(), passed_assessment()) for path in _paths(base)}, key=str
)


def _put(node: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Replace the value at ``path``, unless an earlier replacement took the way there away."""
    key, rest = path[0], path[1:]
    if isinstance(node, dict) and isinstance(key, str):
        if not rest:
            node[key] = value
        elif key in node:
            _put(node[key], rest, value)
    elif isinstance(node, list) and isinstance(key, int) and key < len(node):
        if not rest:
            node[key] = value
        else:
            _put(node[key], rest, value)


def test_fuzzed_statements_map_or_raise_statement_error() -> None:
    refused: set[str] = set()
    mapped = 0
    for case in range(FUZZ_CASES):
        rng = random.Random(FUZZ_SEED + case)
        statement = rng.choice([completed_course, passed_assessment])()
        for _ in range(rng.randint(1, 3)):
            _put(statement, rng.choice(PATHS), _json_value(rng))

        # Refusing is fine; any other exception, or an event that is not plain JSON, is a bug.
        try:
            event = statement_to_event(statement)
        except StatementError as error:
            refused.add(error.field)
            continue
        except Exception as error:
            error.add_note(f"fuzz case {case}: {statement!r}")
            raise
        assert set(event) == EVENT_KEYS, case
        json.dumps(event, allow_nan=False)
        mapped += 1

    assert "" not in refused
    # Both sides must be exercised, or the fuzzing says nothing about one of them.
    assert mapped > 0
    assert len(refused) > 10


NOT_EVENTS: list[tuple[str, Change, str]] = [
    ("actor a group", _set("actor.objectType", "Group"), "actor.objectType"),
    ("object a statement ref", _set("object.objectType", "StatementRef"), "object.objectType"),
    ("object a sub-statement", _set("object.objectType", "SubStatement"), "object.objectType"),
    ("object an agent", _set("object.objectType", "Agent"), "object.objectType"),
    (
        "a voiding statement",
        lambda s: s.update(
            verb={"id": VOIDED_VERBS[0]},
            object={"objectType": "StatementRef", "id": "e05aa883-acaf-40ad-bf54-02c8ce485fb0"},
        ),
        "verb.id",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"),
    [(change, field) for _, change, field in NOT_EVENTS],
    ids=[e[0] for e in NOT_EVENTS],
)
def test_valid_statements_that_credit_no_one_are_not_events(change: Change, field: str) -> None:
    statement = completed_course()
    change(statement)

    with pytest.raises(NotAnEvent) as caught:
        statement_to_event(statement)

    assert caught.value.field == field
