"""Values JSON cannot carry (NaN, infinities), NUL characters and deep nesting: refused with 422
naming where they are, on every way in; a batch reports the bad item and keeps the good ones."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event
from tests.fixtures.tenants import Tenant, make_tenant

# Raw JSON text for each poison value (json.dumps would refuse or rewrite most of them).
POISONS = {
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "overflow": "1e400",
    "nul": '"a\\u0000b"',
}


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def raw_event(ident: str, data: str = "{}") -> str:
    """An event as JSON text whose 'data' is the given raw JSON text."""
    text = json.dumps(event(ident, "course.completed", entity=("course", "c-1")))
    assert '"data": {}' in text
    return text.replace('"data": {}', f'"data": {data}')


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def post_raw(
    client: TestClient, tenant: Tenant, path: str, body: str, headers: dict[str, str] | None = None
) -> Any:
    return client.post(
        path,
        content=body,
        headers={**tenant.headers, "Content-Type": "application/json", **(headers or {})},
    )


def fields(problem: dict[str, object]) -> list[str]:
    errors = problem["errors"]
    assert isinstance(errors, list)
    return [str(e["field"]) for e in errors]


def stored_ids(client: TestClient, tenant: Tenant) -> set[str]:
    response = client.get("/api/v1/events?limit=200", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_an_event_carrying_a_poison_value_is_refused_naming_it(
    client: TestClient, tenant: Tenant, poison: str
) -> None:
    body = raw_event("e-1", '{"score": 80, "notes": {"x": [1, ' + poison + "]}}")
    problem = assert_problem(post_raw(client, tenant, "/api/v1/events", body), 422)
    assert fields(problem) == ["data.notes.x.1"], problem
    assert stored_ids(client, tenant) == set()


def test_nul_characters_are_refused_in_keys_and_typed_fields(
    client: TestClient, tenant: Tenant
) -> None:
    in_key = raw_event("e-1", '{"a\\u0000b": 1}')
    problem = assert_problem(post_raw(client, tenant, "/api/v1/events", in_key), 422)
    assert fields(problem) == ["data.a\\u0000b"], problem
    assert "NUL" in str(problem["detail"])

    named = event("e-2", "course.completed", entity=("course", "c-1"))
    named["learner"]["first_name"] = "Ada\u0000"
    problem = assert_problem(client.post("/api/v1/events", json=named, headers=tenant.headers), 422)
    assert fields(problem) == ["learner.first_name"], problem
    assert stored_ids(client, tenant) == set()


@pytest.mark.parametrize("text", ['"NaN"', '"Infinity"', '"-inf"'])
def test_typed_numbers_refuse_non_finite_spellings(
    client: TestClient, tenant: Tenant, text: str
) -> None:
    body = raw_event("e-1", '{"score": ' + text + "}")
    problem = assert_problem(post_raw(client, tenant, "/api/v1/events", body), 422)
    assert fields(problem) == ["data.score"], problem


def test_a_batch_keeps_its_good_events_and_reports_each_poisoned_one(
    client: TestClient, tenant: Tenant
) -> None:
    items = [
        raw_event("good-1"),
        raw_event("bad-nan", '{"x": NaN}'),
        raw_event("good-2", '{"score": 1}'),
        raw_event("bad-nul", '{"x": "\\u0000"}'),
        raw_event("bad-deep", '{"x": ' + nested(100) + "}"),
        raw_event("bad-overflow", '{"x": 1e400}'),
    ]
    response = post_raw(
        client, tenant, "/api/v1/events/batch", '{"events": [' + ",".join(items) + "]}"
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert [r["status"] for r in out["results"]] == [
        "processed",
        "invalid",
        "processed",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert (out["processed"], out["invalid"]) == (2, 4)
    assert [r["id"] for r in out["results"]] == [
        "good-1",
        "bad-nan",
        "good-2",
        "bad-nul",
        "bad-deep",
        "bad-overflow",
    ]
    errors = {r["id"]: r["errors"] for r in out["results"] if r["status"] == "invalid"}
    assert errors["bad-nan"][0]["field"] == "data.x"
    assert errors["bad-nul"][0]["field"] == "data.x"
    assert errors["bad-deep"][0]["field"].startswith("data.x.0.0")
    assert "64" in errors["bad-deep"][0]["reason"]
    assert errors["bad-overflow"][0]["field"] == "data.x"
    assert stored_ids(client, tenant) == {"good-1", "good-2"}


@pytest.mark.parametrize("depth", [65, 900, 5_000, 100_000])
def test_deep_nesting_is_refused_cleanly_at_any_depth(
    client: TestClient, tenant: Tenant, depth: int
) -> None:
    body = raw_event("e-1", '{"x": ' + nested(depth) + "}")
    problem = assert_problem(post_raw(client, tenant, "/api/v1/events", body), 422)
    [field] = fields(problem)
    assert field in {"data.x" + ".0" * n for n in range(64)} | {"body"}, field
    assert "64 levels" in str(problem["detail"])
    deep_batch = '{"events": [' + nested(depth) + "]}"
    assert_problem(post_raw(client, tenant, "/api/v1/events/batch", deep_batch), 422)
    assert stored_ids(client, tenant) == set()


def test_nesting_up_to_the_limit_is_kept(client: TestClient, tenant: Tenant) -> None:
    # The body is the first level, 'data' the second: 62 more arrays make 64.
    response = post_raw(
        client, tenant, "/api/v1/events", raw_event("e-1", '{"x": ' + nested(62) + "}")
    )
    assert response.status_code == 201, response.text
    assert stored_ids(client, tenant) == {"e-1"}


def statement(**result: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-03-01T10:00:00Z",
        "actor": {"objectType": "Agent", "name": "Grace", "mbox": "mailto:grace@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://lms.example/course/7"},
        "result": {"completion": True, **result},
    }


def test_xapi_statements_are_checked_one_by_one(client: TestClient, tenant: Tenant) -> None:
    good, nul, nan = statement(), statement(), statement()
    nul["actor"]["name"] = "Gr\u0000ace"
    body = json.dumps([good, nul, nan]).replace(
        json.dumps(nan["id"]), json.dumps(nan["id"]) + ', "context": {"extensions": {"x": NaN}}'
    )
    version = {"X-Experience-API-Version": "1.0.3"}
    response = post_raw(client, tenant, "/api/v1/xapi/statements", body, version)
    # xAPI refuses a batch whole (400) when one statement is refused, naming each bad one.
    problem = assert_problem(response, 400)
    assert [(e["index"], e["field"]) for e in problem["errors"]] == [  # type: ignore[attr-defined]
        (1, "actor.name"),
        (2, "context.extensions.x"),
    ]
    assert stored_ids(client, tenant) == set()
    deep = nested(5_000)
    assert_problem(post_raw(client, tenant, "/api/v1/xapi/statements", deep, version), 400)


@pytest.mark.parametrize("poison", POISONS.values(), ids=POISONS.keys())
def test_poison_in_other_json_bodies_is_refused_naming_the_field(
    client: TestClient, tenant: Tenant, poison: str
) -> None:
    rule = (
        '{"name": "R", "trigger": {"event_types": ["course.completed"]}, '
        '"condition": {">": [{"var": "event.data.score"}, ' + poison + "]}, "
        '"actions": [{"type": "award", "template_id": "' + str(uuid.uuid4()) + '"}]}'
    )
    problem = assert_problem(post_raw(client, tenant, "/api/v1/rules", rule), 422)
    assert fields(problem) == ["condition.>.1"], problem

    verify = '{"credential": {"@context": ["x"], "name": ' + poison + "}}"
    problem = assert_problem(post_raw(client, tenant, "/api/v1/verify", verify), 422)
    assert fields(problem) == ["credential.name"], problem


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/events?learner=a%00b", "learner"),
        ("/api/v1/events/a%00b", "path"),
        ("/api/v1/learners?q=%00", "q"),
    ],
)
def test_nul_characters_in_urls_are_refused(
    client: TestClient, tenant: Tenant, url: str, field: str
) -> None:
    problem = assert_problem(client.get(url, headers=tenant.headers), 422)
    assert fields(problem) == [field], problem


def _connector(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    response = client.post(
        "/api/v1/connectors", json={"name": "LMS", "preset": "moodle"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        ('{"user": {"id": NaN}}', "application/json", "user.id"),
        ('{"user": {"id": 1e400}}', "application/json", "user.id"),
        ('{"user": {"id": "a\\u0000"}}', "application/json", "user.id"),
        ('{"us\\u0000er": 1}', "application/json", "us\\u0000er"),
        (nested(100_000), "application/json", "body"),
        (nested(70), "application/json", "0" + ".0" * 63),
        ("user[id]=a%00b", "application/x-www-form-urlencoded", "user.id"),
    ],
    ids=["nan", "overflow", "nul", "nul-key", "deep", "too-deep", "form-nul"],
)
def test_connector_hooks_refuse_poison_without_keeping_it(
    client: TestClient, tenant: Tenant, body: str, content_type: str, field: str
) -> None:
    made = _connector(client, tenant)
    response = client.post(
        f"/hooks/{made['id']}?token={made['secret']}",
        content=body,
        headers={"Content-Type": content_type},
    )
    problem = assert_problem(response, 422)
    assert fields(problem) == [field], problem
    kept = client.get(f"/api/v1/connectors/{made['id']}/payloads", headers=tenant.headers)
    assert kept.json()["items"] == []


def test_imports_report_poisoned_documents_and_rows_as_items(
    client: TestClient, tenant: Tenant
) -> None:
    csv = "email,template,issued_at,legacy_id\nada@example.org,Badge,2021-01-01,L\u00001\n"
    body = '{"csv": ' + json.dumps(csv) + ', "credentials": [{"id": "urn:x", "name": NaN}]}'
    response = post_raw(client, tenant, "/api/v1/imports", body)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["invalid", "invalid"]
    assert "NUL" in items[0]["reason"] and items[0]["line"] == 2
    assert items[0]["column"] == "legacy_id"
    assert "credentials[0]" in items[1]["where"] and "name" in items[1]["reason"]

    files = [
        ("rows.csv", csv.encode()),
        ("doc.json", b'[{"id": "urn:y", "credentialSubject": {"a\\u0000": 1}}]'),
        ("deep.json", nested(5_000).encode()),
    ]
    response = client.post(
        "/api/v1/imports",
        files=[("file", (name, content)) for name, content in files],
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["invalid", "invalid", "invalid"]
    assert "NUL" in items[0]["reason"] and "NUL" in items[1]["reason"]
    assert "64 levels" in items[2]["reason"]


def test_imports_refuse_poison_in_their_options(client: TestClient, tenant: Tenant) -> None:
    body = '{"csv": "email\\n", "source": "a\\u0000"}'
    problem = assert_problem(post_raw(client, tenant, "/api/v1/imports", body), 422)
    assert fields(problem) == ["source"], problem
    deep = '{"credentials": [' + nested(5_000) + "]}"
    assert_problem(post_raw(client, tenant, "/api/v1/imports", deep), 422)


def test_a_file_to_verify_may_hold_nul_characters_and_is_simply_not_valid(
    client: TestClient,
) -> None:
    # Nothing is stored, so the file is read as it is; nothing in it can match our records.
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "http://testserver/credentials/a\u0000b",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialStatus": {
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "1",
            "statusListCredential": "http://testserver/status/a\u0000b/revocation",
        },
    }
    response = client.post(
        "/api/v1/verify/file",
        files={"file": ("credential.json", json.dumps(document).encode(), "application/json")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is False
