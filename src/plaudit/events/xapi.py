"""xAPI 1.0.3 statements mapped to Plaudit events, so any LMS or LRS speaking xAPI feeds Plaudit."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from plaudit import safejson

# Four verbs say something worth a credential and are understood. The event type comes from
# the verb and the activity type:
# - on an assessment every verb gives "quiz.submitted": the verb lands in data.passed and
#   data.xapi_verb, which is where rules on quizzes look;
# - elsewhere completed and passed give "<entity type>.completed", a built-in type;
# - failed and scored elsewhere give the custom types "<entity type>.failed" and
#   "<entity type>.scored": folding them into ".completed" would let a failure earn a
#   completion badge, and dropping them would lose scores a rule may want.
# Any other verb is a valid statement too (xAPI clients send "attempted", "experienced"...): it
# becomes "xapi.<last word of the verb IRI>", a custom type no built-in rule listens to, with the
# verb's IRI in data.xapi_verb, so a rule can still be written for it.
# Malformed input only ever raises StatementError naming the offending field, never KeyError or
# TypeError: statements come from other people's software.
_ADL_VERBS = ("http://adlnet.gov/expapi/verbs/", "https://adlnet.gov/expapi/verbs/")
_VERB_NAMES = ("completed", "passed", "failed", "scored")

# The ADL vocabulary under https://w3id.org/xapi/adl/verbs/ only defines abandoned, logged-in,
# logged-out, satisfied and waived: none of the four verbs has an equivalent there.
SUPPORTED_VERBS: dict[str, str] = {
    prefix + name: name for name in _VERB_NAMES for prefix in _ADL_VERBS
}
VOIDED_VERBS = tuple(prefix + "voided" for prefix in _ADL_VERBS)
_MAX_VERB_WORD = 60

_ADL_ACTIVITIES = ("http://adlnet.gov/expapi/activities/", "https://adlnet.gov/expapi/activities/")
# Profiles published under w3id.org name their activity types by the last path segment
# (".../cmi5/activitytype/course"), so that segment is looked up in the same table.
_W3ID_XAPI = "https://w3id.org/xapi/"
_ENTITY_TYPES: dict[str, str] = {
    "course": "course",
    "lesson": "lesson",
    "module": "module",
    "assessment": "assessment",
    "question": "assessment",
    "performance": "task",
    "interaction": "activity",
    "cmi.interaction": "activity",
    "objective": "activity",
    "media": "activity",
    "meeting": "activity",
    "simulation": "activity",
}
_DEFAULT_ENTITY_TYPE = "activity"

# xAPI requires the canonical 8-4-4-4-12 form; uuid.UUID() would also take braces and "urn:".
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
# fromisoformat() alone would take a bare date or a space separator, which xAPI does not allow.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?=\d|T\d)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)"
)
_LANGUAGE_TAG = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")
_LANGUAGE_PREFERENCE = ("en-US", "en")
# These mirror the limits of events.schemas, so that a statement too big for an event is refused
# naming its own field rather than the event's. Titles are only shown, so they are cut instead.
_MAX_ID = 255
_MAX_PERSON_NAME = 200
_MAX_TITLE = 500
_MAX_PARENTS = 20
_MAX_LANGUAGE_TAG = 35
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


class StatementError(ValueError):
    """A statement Plaudit cannot turn into an event; ``field`` is its dotted path."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.message = message
        self.field = field


class NotAnEvent(StatementError):
    """A valid statement that names no learner and activity to credit (a voiding statement, a
    Group as actor, an Agent or another statement as object): acknowledged, but not stored."""


def statements_from_body(body: Any) -> list[Mapping[str, Any]]:
    """Split a ``POST /statements`` body, which is one statement or an array of them."""
    if isinstance(body, Mapping):
        return [body]
    if isinstance(body, list):
        for index, item in enumerate(body):
            if not isinstance(item, Mapping):
                raise StatementError("each statement must be a JSON object", f"body[{index}]")
        return list(body)
    raise StatementError("expected a statement object or an array of statements", "body")


def statement_to_event(
    statement: Mapping[str, Any], *, stored: datetime | None = None
) -> dict[str, Any]:
    """Map one statement to a Plaudit event; ``stored`` stands in for a missing timestamp."""
    if not isinstance(statement, Mapping):
        raise StatementError("a statement must be a JSON object", "statement")
    if found := safejson.flaws(dict(statement), limit=1):
        raise StatementError(found[0].reason, found[0].field)
    event_id = _event_id(statement)
    verb = _verb(statement)
    entity, entity_type = _entity(statement)
    return {
        "id": event_id,
        "type": _event_type(verb, entity_type),
        "occurred_at": _occurred_at(statement, stored),
        "learner": _learner(statement),
        "entity": entity,
        "data": _data(statement, verb),
        "source": "xapi",
    }


def _event_id(statement: Mapping[str, Any]) -> str:
    statement_id = statement.get("id")
    if not isinstance(statement_id, str):
        raise StatementError("statement id is required: Plaudit uses it to ignore duplicates", "id")
    if not _UUID.fullmatch(statement_id):
        raise StatementError(
            "statement id must be a UUID: Plaudit uses it to ignore duplicates", "id"
        )
    return "xapi:" + statement_id.lower()


def _event_type(verb: str, entity_type: str) -> str:
    if verb not in _VERB_NAMES:
        return "xapi." + _verb_word(verb)
    if entity_type == "assessment":
        return "quiz.submitted"
    if verb in ("completed", "passed"):
        return f"{entity_type}.completed"
    return f"{entity_type}.{verb}"


def _occurred_at(statement: Mapping[str, Any], stored: datetime | None) -> str:
    timestamp = statement.get("timestamp")
    if timestamp is not None:
        if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
            raise StatementError("timestamp must be an ISO 8601 date and time", "timestamp")
        try:
            return _utc(datetime.fromisoformat(timestamp))
        # Overflow: a valid moment at the edge of year 1 or 9999 whose UTC time is not.
        except (ValueError, OverflowError) as exc:
            raise StatementError(f"timestamp is not a valid time: {exc}", "timestamp") from exc
    if stored is None:
        raise StatementError("timestamp is required when no stored time is known", "timestamp")
    return _utc(stored)


def _utc(moment: datetime) -> str:
    # xAPI says a timestamp without an offset MAY be taken as UTC; so do we.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _verb(statement: Mapping[str, Any]) -> str:
    verb = _mapping(statement, "verb", "verb", required=True)
    verb_id = verb.get("id")
    if not isinstance(verb_id, str):
        raise StatementError("verb id is required", "verb.id")
    verb_id = _iri(verb_id, "verb.id")
    if verb_id in VOIDED_VERBS:
        target = _mapping(statement, "object", "object", required=True)
        if target.get("objectType") != "StatementRef":
            raise StatementError("a voiding statement's object must be a StatementRef", "object")
        raise NotAnEvent("a voiding statement is acknowledged but changes nothing", "verb.id")
    return SUPPORTED_VERBS.get(verb_id, verb_id)


def _verb_word(verb_id: str) -> str:
    """The last word of a verb IRI as an event type's second part ("attempted")."""
    word = re.split(r"[/#:]", verb_id.rstrip("/#"))[-1].lower()
    word = re.sub(r"[^a-z0-9]+", "_", word).strip("_")[:_MAX_VERB_WORD].rstrip("_")
    if not word:
        return "statement"
    return word if word[0].isalpha() else "v_" + word


def _learner(statement: Mapping[str, Any]) -> dict[str, Any]:
    actor = _mapping(statement, "actor", "actor", required=True)
    object_type = actor.get("objectType", "Agent")
    if object_type == "Group":
        # A Group has no single learner to credit; the LRS can send one statement per member.
        raise NotAnEvent("a Group is acknowledged but not credited", "actor.objectType")
    if object_type != "Agent":
        raise StatementError(
            f"actor must be an Agent, not {_show(object_type)}", "actor.objectType"
        )
    present = [key for key in _IFIS if actor.get(key) is not None]
    if not present:
        raise StatementError("actor needs mbox, mbox_sha1sum, openid or account", "actor")
    if len(present) > 1:
        raise StatementError(
            f"actor must have exactly one identifier, found {', '.join(present)}", "actor"
        )
    learner: dict[str, Any] = {}
    match present[0]:
        case "mbox":
            mbox = actor["mbox"]
            if not isinstance(mbox, str) or not _MAILTO.fullmatch(mbox):
                raise StatementError("mbox must be a mailto: IRI", "actor.mbox")
            learner["email"] = mbox.removeprefix("mailto:")
        case "mbox_sha1sum":
            digest = actor["mbox_sha1sum"]
            if not isinstance(digest, str) or not _SHA1.fullmatch(digest):
                raise StatementError("mbox_sha1sum must be 40 hex digits", "actor.mbox_sha1sum")
            learner["id"] = "sha1:" + digest.lower()
        case "openid":
            learner["id"] = _ident(_iri(actor["openid"], "actor.openid"), "actor.openid")
        case _:
            learner["id"] = _ident(_account_id(actor), "actor.account")
    name = actor.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name) > _MAX_PERSON_NAME:
            raise StatementError(
                f"name must be a string of at most {_MAX_PERSON_NAME} characters", "actor.name"
            )
        learner.update(_split_name(name))
    locale = _context_language(statement)
    if locale:
        learner["locale"] = locale
    return learner


def _account_id(actor: Mapping[str, Any]) -> str:
    account = _mapping(actor, "account", "actor.account", required=True)
    name = account.get("name")
    if not isinstance(name, str) or not name.strip():
        raise StatementError("account name is required", "actor.account.name")
    home_page = account.get("homePage")
    if home_page is None:
        return name
    # The same account name on two LMSs is two people; the home page keeps them apart. It is
    # required by xAPI, but a bare name is still better than refusing a sloppy sender.
    return f"{name}@{_iri(home_page, 'actor.account.homePage')}"


def _split_name(name: str) -> dict[str, str]:
    words = " ".join(name.split())
    if not words:
        return {}
    first, _, last = words.rpartition(" ")
    if not first:
        return {"first_name": last}
    return {"first_name": first, "last_name": last}


def _context_language(statement: Mapping[str, Any]) -> str | None:
    context = _mapping(statement, "context", "context", required=False)
    language = context.get("language")
    if language is None:
        return None
    if (
        not isinstance(language, str)
        or len(language) > _MAX_LANGUAGE_TAG
        or not _LANGUAGE_TAG.fullmatch(language)
    ):
        raise StatementError("language must be an RFC 5646 tag such as en-US", "context.language")
    return language


def _entity(statement: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    activity = _mapping(statement, "object", "object", required=True)
    object_type = activity.get("objectType", "Activity")
    if object_type in ("Agent", "Group", "StatementRef", "SubStatement"):
        raise NotAnEvent(
            f"a statement about {_show(object_type)} is acknowledged but not credited",
            "object.objectType",
        )
    if object_type != "Activity":
        raise StatementError(
            f"object must be an Activity, not {_show(object_type)}", "object.objectType"
        )
    activity_id = _ident(_iri(activity.get("id"), "object.id"), "object.id")
    entity_type = _activity_type(activity, "object")
    entity: dict[str, Any] = {"type": entity_type, "id": activity_id}
    title = _title(activity)
    if title:
        entity["title"] = title
    parents = _parents(statement)
    if parents:
        entity["parents"] = parents
    return entity, entity_type


def _activity_type(activity: Mapping[str, Any], field: str) -> str:
    definition = _mapping(activity, "definition", f"{field}.definition", required=False)
    type_iri = definition.get("type")
    if type_iri is None:
        return _DEFAULT_ENTITY_TYPE
    type_iri = _iri(type_iri, f"{field}.definition.type")
    if type_iri.startswith(_ADL_ACTIVITIES) or type_iri.startswith(_W3ID_XAPI):
        word = type_iri.rstrip("/").rsplit("/", 1)[-1]
        return _ENTITY_TYPES.get(word, _DEFAULT_ENTITY_TYPE)
    return _DEFAULT_ENTITY_TYPE


def _title(activity: Mapping[str, Any]) -> str | None:
    definition = _mapping(activity, "definition", "object.definition", required=False)
    names = _mapping(definition, "name", "object.definition.name", required=False)
    for tag, text in names.items():
        if not isinstance(text, str):
            raise StatementError(
                f"name for {_show(tag)} must be a string", "object.definition.name"
            )
    preferred = [names[tag] for tag in _LANGUAGE_PREFERENCE if tag in names]
    for text in [*preferred, *names.values()]:
        if text.strip():
            return str(text).strip()[:_MAX_TITLE]
    return None


def _parents(statement: Mapping[str, Any]) -> list[dict[str, str]]:
    context = _mapping(statement, "context", "context", required=False)
    activities = _mapping(context, "contextActivities", "context.contextActivities", required=False)
    parents: list[dict[str, str]] = []
    seen: set[str] = set()
    # A grouping activity (the programme a course sits in) is as good a parent for rules as
    # the direct parent, so both are kept, direct parents first.
    for key in ("parent", "grouping"):
        field = f"context.contextActivities.{key}"
        listed = activities.get(key)
        if listed is None:
            continue
        # xAPI 1.0.0 allowed a single object here, and LRSs must still accept it.
        if isinstance(listed, Mapping):
            items: list[Any] = [listed]
        elif isinstance(listed, list):
            items = listed
        else:
            raise StatementError("must be an array of activities", field)
        for index, item in enumerate(items):
            item_field = f"{field}[{index}]"
            if not isinstance(item, Mapping):
                raise StatementError("must be an activity object", item_field)
            parent_id = _ident(_iri(item.get("id"), f"{item_field}.id"), f"{item_field}.id")
            parent_type = _activity_type(item, item_field)
            if parent_id not in seen:
                seen.add(parent_id)
                parents.append({"type": parent_type, "id": parent_id})
    if len(parents) > _MAX_PARENTS:
        raise StatementError(
            f"at most {_MAX_PARENTS} parent and grouping activities", "context.contextActivities"
        )
    return parents


def _data(statement: Mapping[str, Any], verb: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    result = _mapping(statement, "result", "result", required=False)
    score = _mapping(result, "score", "result.score", required=False)
    low = _number(score, "min", "result.score.min")
    high = _number(score, "max", "result.score.max")
    raw = _number(score, "raw", "result.score.raw")
    scaled = _number(score, "scaled", "result.score.scaled")
    if low is not None and high is not None and low >= high:
        raise StatementError("max must be greater than min", "result.score.max")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        raise StatementError("raw must lie between min and max", "result.score.raw")
    if scaled is not None and not -1 <= scaled <= 1:
        raise StatementError("scaled must lie between -1 and 1", "result.score.scaled")
    if raw is None and scaled is not None:
        # Rules read data.score out of data.max_score (best_score's percent too): a scaled score
        # alone is that percentage, so "data.score >= 80" means the same from every sender.
        raw, low, high = round(scaled * 100, 6), None, 100
    for key, value in (("score", raw), ("max_score", high), ("min_score", low), ("scaled", scaled)):
        if value is not None:
            data[key] = value
    success = _boolean(result, "success", "result.success")
    # The verb is the statement's claim; result.success only speaks when the verb does not.
    if verb == "passed":
        data["passed"] = True
    elif verb == "failed":
        data["passed"] = False
    elif success is not None:
        data["passed"] = success
    completion = _boolean(result, "completion", "result.completion")
    if completion is not None:
        data["completion"] = completion
    duration = result.get("duration")
    if duration is not None:
        if not isinstance(duration, str) or not _DURATION.fullmatch(duration):
            raise StatementError("duration must be an ISO 8601 duration", "result.duration")
        data["duration"] = duration
    response = result.get("response")
    if response is not None:
        if not isinstance(response, str):
            raise StatementError("response must be a string", "result.response")
        data["response"] = response
    data["xapi_verb"] = verb
    return data


def _mapping(
    parent: Mapping[str, Any], key: str, field: str, *, required: bool
) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        if required:
            raise StatementError(f"{key} is required", field)
        return {}
    if not isinstance(value, Mapping):
        raise StatementError(f"{key} must be a JSON object", field)
    return value


def _iri(value: Any, field: str) -> str:
    if value is None:
        raise StatementError("an IRI is required", field)
    if not isinstance(value, str) or not _IRI.fullmatch(value):
        raise StatementError("must be an IRI such as https://example.org/a", field)
    return value


def _ident(value: str, field: str) -> str:
    if len(value) > _MAX_ID:
        raise StatementError(f"must be at most {_MAX_ID} characters", field)
    return value


def _number(parent: Mapping[str, Any], key: str, field: str) -> int | float | None:
    value = parent.get(key)
    if value is None:
        return None
    # bool is an int to Python but not a number to JSON; NaN and infinity are not JSON at all.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatementError("must be a number", field)
    # Only floats can be infinite, and math.isfinite() overflows on a huge int.
    if isinstance(value, float) and not math.isfinite(value):
        raise StatementError("must be a finite number", field)
    return value


def _boolean(parent: Mapping[str, Any], key: str, field: str) -> bool | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise StatementError("must be true or false", field)
    return value


def _show(value: Any) -> str:
    # Messages go back to the sender and into logs: quote what was sent, but not all of it.
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
