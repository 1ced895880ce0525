"""Inbound connectors end to end: an LMS's webhook, authenticated, mapped, processed, kept."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from plaudit.connectors import mapping as mappings
from plaudit.connectors import presets
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.paths import ROOT
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import learner_badges, rule
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

COMPLETED = ["course.completed", "product.completed", "category.completed", "lesson.completed"]
# The learner each preset's example payload is about.
EXAMPLE_LEARNERS = {
    "talentlms": "talentlms:42",
    "highlevel": "highlevel:hX3kLm9QpR2sT7vW",
    "moodle": "moodle:23",
}

CUSTOM: dict[str, Any] = {
    "when": [{"path": "kind", "equals": "completion"}],
    "id": {"template": "lms:{user.id}:{course.id}"},
    "type": {"const": "course.completed"},
    "occurred_at": "at",
    "learner": {"id": "user.id", "email": "user.mail"},
    "entity": {"type": {"const": "course"}, "id": "course.id", "title": "course.title"},
    "data": {"score": {"path": "result", "convert": "percent"}},
}


def payload(user: str = "u-1", course: str = "c-1", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "completion",
        "at": "2026-03-01T09:30:00Z",
        "user": {"id": user, "mail": f"{user}@example.org"},
        "course": {"id": course, "title": "Safety basics"},
        "result": "91%",
        **extra,
    }


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def badge(client: TestClient, tenant: Tenant) -> str:
    template = published(client, tenant, name="Completed a course")
    rule(
        client,
        tenant,
        name="Any completion",
        mode="always",
        trigger={"event_types": COMPLETED},
        actions=[{"type": "award", "template_id": template}],
    )
    return template


def connector(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "LMS")
    if "preset" not in body:
        body.setdefault("mapping", CUSTOM)
    response = client.post("/api/v1/connectors", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def hook(
    client: TestClient,
    made: dict[str, Any],
    body: Any,
    *,
    secret: str | None = None,
    form: bool = False,
    in_url: bool = False,
    headers: dict[str, str] | None = None,
) -> Any:
    secret = made["secret"] if secret is None else secret
    url = f"/hooks/{made['id']}"
    sent = dict(headers or {})
    if secret and in_url:
        url += f"?token={secret}"
    elif secret:
        sent["Authorization"] = f"Bearer {secret}"
    if form:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        return client.post(url, content=urlencode(as_form(body)), headers=sent)
    return client.post(url, json=body, headers=sent)


def as_form(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """PHP's http_build_query: nested keys in brackets, every value text."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs += as_form(item, f"{prefix}[{key}]" if prefix else str(key))
        return pairs
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in as_form(item, f"{prefix}[{i}]")]
    return [(prefix, str(value))]


def payloads(
    client: TestClient, tenant: Tenant, made: dict[str, Any], query: str = ""
) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/connectors/{made['id']}/payloads{query}", headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.mark.parametrize("name", ["talentlms", "highlevel", "moodle"])
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_each_preset_turns_its_example_into_an_award(
    client: TestClient, tenant: Tenant, badge: str, name: str, form: bool
) -> None:
    made = connector(client, tenant, name=name, preset=name)
    assert made["preset"] == name
    assert made["mapping"] == presets.get(name).mapping.dump()
    example = presets.get(name).example

    response = hook(client, made, example, form=form, in_url=form)

    assert response.status_code == 202, response.text
    result = response.json()
    assert (result["status"], result["awards"]) == ("mapped", 1), result
    event = client.get(f"/api/v1/events/{result['event_id']}", headers=tenant.headers).json()
    assert event["source"] == name
    assert event["outcome"] == "awarded"
    assert event["entity"]["type"] in {"course", "product"}
    badges = learner_badges(client, tenant, EXAMPLE_LEARNERS[name])
    assert [b["template_id"] for b in badges] == [badge]


def test_a_retried_webhook_is_acknowledged_and_awards_once(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    made = connector(client, tenant)
    first = hook(client, made, payload()).json()
    again = hook(client, made, payload()).json()
    assert (first["status"], first["awards"]) == ("mapped", 1)
    assert (again["status"], again["awards"], again["event_id"]) == ("duplicate", 0, "lms:u-1:c-1")
    assert len(learner_badges(client, tenant, "u-1")) == 1
    assert [p["status"] for p in payloads(client, tenant, made)] == ["duplicate", "mapped"]


@pytest.mark.parametrize(
    ("secret", "header"),
    [
        ("", None),  # nothing presented
        ("phk_wrong", None),
        (None, "Basic dXNlcjpwYXNz"),
    ],
)
def test_requests_without_the_secret_get_401_and_are_not_kept(
    client: TestClient, tenant: Tenant, secret: str | None, header: str | None
) -> None:
    made = connector(client, tenant)
    headers = {"Authorization": header} if header else {}
    response = hook(
        client, made, payload(), secret=secret if secret is not None else "", headers=headers
    )
    problem = assert_problem(response, 401)
    assert "secret" in str(problem["detail"])
    response = hook(client, made, payload(), secret="phk_wrong", in_url=True)
    assert_problem(response, 401)
    assert payloads(client, tenant, made) == []


def test_unknown_connectors_are_404(client: TestClient, tenant: Tenant) -> None:
    made = connector(client, tenant)
    for ident in ["not-a-uuid", "0190c2a0-0000-7000-8000-000000000000"]:
        response = hook(client, {**made, "id": ident}, payload())
        assert_problem(response, 404)


def test_the_secret_is_shown_once_and_rotation_replaces_it(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    made = connector(client, tenant)
    assert made["secret"].startswith("phk_")
    assert made["url_with_token"] == f"{made['url']}?token={made['secret']}"
    assert made["url"] == f"http://testserver/hooks/{made['id']}"
    response = client.get(f"/api/v1/connectors/{made['id']}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    read = response.json()
    assert "secret" not in read and made["secret"] not in json.dumps(read)

    rotated = client.post(
        f"/api/v1/connectors/{made['id']}/rotate-secret", headers=tenant.headers
    ).json()
    assert rotated["secret"] != made["secret"] and rotated["secret_rotated_at"]
    assert_problem(hook(client, made, payload()), 401)
    assert hook(client, {**made, "secret": rotated["secret"]}, payload()).status_code == 202


def test_a_payload_that_does_not_map_is_kept_reported_and_replayed_after_a_fix(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    broken = {**CUSTOM, "learner": {"email": "user.email"}}  # the LMS calls it "mail"
    made = connector(client, tenant, mapping=broken)

    response = hook(client, made, payload())

    assert response.status_code == 202
    result = response.json()
    assert result["status"] == "unmapped"
    assert result["reason"] == "learner.email: 'user.email' is not in the payload"
    [kept] = payloads(client, tenant, made, "?status=unmapped")
    assert kept["payload"] == payload()
    assert kept["errors"] == [
        {"field": "learner.email", "reason": "'user.email' is not in the payload"}
    ]
    assert payloads(client, tenant, made, "?status=mapped") == []
    counts = client.get(f"/api/v1/connectors/{made['id']}", headers=tenant.headers).json()
    assert counts["payloads"]["unmapped"] == 1

    fixed = client.patch(
        f"/api/v1/connectors/{made['id']}", json={"mapping": CUSTOM}, headers=tenant.headers
    )
    assert fixed.status_code == 200, fixed.text
    replayed = client.post(
        f"/api/v1/connectors/{made['id']}/payloads/{kept['id']}/replay", headers=tenant.headers
    )

    assert replayed.status_code == 200, replayed.text
    out = replayed.json()
    assert (out["status"], out["awards_count"], out["attempts"]) == ("mapped", 1, 2)
    assert out["errors"] == []
    assert len(learner_badges(client, tenant, "u-1")) == 1
    # The event keeps the time the payload says, not the time of the replay.
    event = client.get("/api/v1/events/lms:u-1:c-1", headers=tenant.headers).json()
    assert event["occurred_at"].startswith("2026-03-01T09:30:00")


def test_replaying_in_bulk_maps_the_kept_payloads_oldest_first(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    made = connector(client, tenant, mapping={**CUSTOM, "type": {"const": "course.finished"}})
    for user in ["u-1", "u-2", "u-3"]:
        assert hook(client, made, payload(user)).json()["status"] == "mapped"  # no rule fired
    hook(client, made, {"kind": "completion"})  # unmappable, stays so
    client.patch(
        f"/api/v1/connectors/{made['id']}",
        json={"mapping": {**CUSTOM, "id": {"template": "v2:{user.id}:{course.id}"}}},
        headers=tenant.headers,
    )

    response = client.post(
        f"/api/v1/connectors/{made['id']}/replay",
        json={"status": ["mapped", "unmapped"]},
        headers=tenant.headers,
    )

    assert response.status_code == 200, response.text
    out = response.json()
    assert out["replayed"] == 4
    assert out["by_status"] == {"mapped": 3, "unmapped": 1}
    assert [i["event_id"] for i in out["items"][:3]] == ["v2:u-1:c-1", "v2:u-2:c-1", "v2:u-3:c-1"]
    assert all(len(learner_badges(client, tenant, u)) == 1 for u in ["u-1", "u-2", "u-3"])


def test_other_kinds_of_payload_are_ignored_with_a_reason(
    client: TestClient, tenant: Tenant
) -> None:
    made = connector(client, tenant)
    result = hook(client, made, payload(kind="enrolment")).json()
    assert result["status"] == "ignored"
    assert result["reason"] == (
        'not a payload this mapping takes: \'kind\' is "enrolment", not "completion"'
    )
    assert client.get("/api/v1/events", headers=tenant.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b'{"kind": ', "application/json", "the body is not valid JSON"),
        (b"<xml/>", "application/xml", "cannot read a body of type 'application/xml'"),
        (b"--x\r\n", "multipart/form-data; boundary=x", "type 'multipart/form-data'"),
    ],
)
def test_unreadable_bodies_are_kept_as_failed_not_lost(
    client: TestClient, tenant: Tenant, body: bytes, content_type: str, reason: str
) -> None:
    made = connector(client, tenant)
    response = client.post(
        f"/hooks/{made['id']}?token={made['secret']}",
        content=body,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "failed"
    [kept] = payloads(client, tenant, made, "?status=failed")
    assert kept["raw_body"] == body.decode()
    assert reason in kept["reason"]
    replay = client.post(
        f"/api/v1/connectors/{made['id']}/payloads/{kept['id']}/replay", headers=tenant.headers
    )
    assert_problem(replay, 409)


def test_bodies_over_the_limit_are_refused(client: TestClient, tenant: Tenant) -> None:
    made = connector(client, tenant)
    response = hook(client, made, payload(padding="x" * 300_000))
    assert_problem(response, 413)
    assert payloads(client, tenant, made) == []


def test_a_disabled_connector_keeps_payloads_for_a_later_replay(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    made = connector(client, tenant, enabled=False)
    result = hook(client, made, payload()).json()
    assert result["status"] == "ignored" and "disabled" in result["reason"]
    client.patch(f"/api/v1/connectors/{made['id']}", json={"enabled": True}, headers=tenant.headers)
    replayed = client.post(
        f"/api/v1/connectors/{made['id']}/replay",
        json={"status": ["ignored"]},
        headers=tenant.headers,
    )
    assert replayed.json()["by_status"] == {"mapped": 1}


def test_a_signed_body_authenticates_without_the_secret(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    key = "lms-signing-key-123"
    made = connector(
        client,
        tenant,
        signature={"header": "X-LMS-Signature", "secret": key, "prefix": "sha256="},
    )
    assert made["signature"] == {
        "header": "X-LMS-Signature",
        "algorithm": "sha256",
        "encoding": "hex",
        "prefix": "sha256=",
    }
    body = json.dumps(payload()).encode()
    good = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    url = f"/hooks/{made['id']}"
    ok = client.post(
        url, content=body, headers={"Content-Type": "application/json", "X-LMS-Signature": good}
    )
    assert ok.status_code == 202, ok.text
    assert ok.json()["status"] == "mapped"

    forged = "sha256=" + hmac.new(b"guess", body, hashlib.sha256).hexdigest()
    bad = client.post(url, content=body, headers={"X-LMS-Signature": forged})
    assert "signature does not match" in str(assert_problem(bad, 401)["detail"])
    # A valid secret does not excuse a bad signature.
    bad = client.post(
        url,
        content=body,
        headers={"X-LMS-Signature": forged, "Authorization": f"Bearer {made['secret']}"},
    )
    assert_problem(bad, 401)


def test_a_base64_signature_without_prefix(client: TestClient, tenant: Tenant) -> None:
    key = "another-signing-key"
    made = connector(
        client,
        tenant,
        signature={"header": "X-Sig", "secret": key, "algorithm": "sha512", "encoding": "base64"},
    )
    body = b"kind=completion&user[id]=u-9&user[mail]=u-9@example.org&course[id]=c"
    digest = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha512).digest()).decode()
    response = client.post(
        f"/hooks/{made['id']}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Sig": digest},
    )
    assert response.status_code == 202, response.text
    assert response.json()["event_id"] == "lms:u-9:c"


def test_a_secret_echoed_in_the_body_is_not_kept(client: TestClient, tenant: Tenant) -> None:
    made = connector(client, tenant, name="moodle", preset="moodle")
    body = {**presets.get("moodle").example, "token": made["secret"]}
    assert hook(client, made, body, form=True, in_url=True).status_code == 202
    [kept] = payloads(client, tenant, made)
    assert kept["payload"]["token"] == "[redacted]"
    assert made["secret"] not in json.dumps(kept)


def test_connectors_never_cross_organizations(
    client: TestClient, tenant: Tenant, runtime: Runtime, badge: str
) -> None:
    other = make_tenant(runtime, name="Other Academy")
    made = connector(client, tenant)
    assert hook(client, made, payload()).json()["status"] == "mapped"

    base = f"/api/v1/connectors/{made['id']}"
    assert_problem(client.get(base, headers=other.headers), 404)
    assert_problem(client.get(f"{base}/payloads", headers=other.headers), 404)
    assert_problem(client.patch(base, json={"enabled": False}, headers=other.headers), 404)
    assert_problem(client.post(f"{base}/rotate-secret", headers=other.headers), 404)
    assert_problem(client.delete(base, headers=other.headers), 404)
    [kept] = payloads(client, tenant, made)
    assert_problem(client.post(f"{base}/payloads/{kept['id']}/replay", headers=other.headers), 404)
    assert client.get("/api/v1/connectors", headers=other.headers).json()["items"] == []
    assert client.get("/api/v1/events", headers=other.headers).json()["items"] == []
    # The same name is free in another organization.
    connector(client, other)
    assert len(client.get("/api/v1/events", headers=tenant.headers).json()["items"]) == 1


def test_management_needs_the_admin_scope(client: TestClient, runtime: Runtime) -> None:
    issuer = make_tenant(runtime, scopes=[Scope.ISSUE, Scope.WRITE])
    assert_problem(client.get("/api/v1/connectors", headers=issuer.headers), 403)
    response = client.post(
        "/api/v1/connectors", json={"name": "x", "preset": "moodle"}, headers=issuer.headers
    )
    assert_problem(response, 403)


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"name": "x"}, "body", "give either a 'preset' or a 'mapping'"),
        ({"name": "x", "preset": "moodle", "mapping": CUSTOM}, "body", "give either"),
        (
            {"name": "x", "mapping": {**CUSTOM, "type": {"const": "Course Completed"}}},
            "mapping",
            'type: "Course Completed" is not an event type',
        ),
        (
            {"name": "x", "mapping": {**CUSTOM, "learner": {"email": "user..mail"}}},
            "mapping.learner.email.path",
            "'user..mail' is not a path",
        ),
        (
            {"name": "x", "mapping": {**CUSTOM, "when": [{"path": "kind", "is": "x"}]}},
            "mapping.when.0.is",
            "is not a known field",
        ),
        (
            {"name": "x", "mapping": {**CUSTOM, "when": [{"path": "kind"}]}},
            "mapping.when.0",
            "give exactly one of 'equals', 'not_equals', 'in' or 'exists'",
        ),
        (
            {"name": "x", "mapping": {k: v for k, v in CUSTOM.items() if k != "id"}},
            "mapping.id",
            "is required",
        ),
    ],
)
def test_invalid_mappings_are_refused_naming_the_field(
    client: TestClient, tenant: Tenant, body: dict[str, Any], field: str, reason: str
) -> None:
    response = client.post("/api/v1/connectors", json=body, headers=tenant.headers)
    problem = assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors


def test_names_are_unique_and_presets_must_exist(client: TestClient, tenant: Tenant) -> None:
    connector(client, tenant, name="LMS")
    response = client.post(
        "/api/v1/connectors", json={"name": "LMS", "mapping": CUSTOM}, headers=tenant.headers
    )
    assert_problem(response, 409)
    response = client.post(
        "/api/v1/connectors", json={"name": "y", "preset": "blackboard"}, headers=tenant.headers
    )
    assert "Presets: highlevel, moodle, talentlms" in str(assert_problem(response, 404)["detail"])


def test_presets_are_listed_with_their_examples(client: TestClient, tenant: Tenant) -> None:
    listed = client.get("/api/v1/connectors/presets", headers=tenant.headers).json()
    assert [p["name"] for p in listed] == ["highlevel", "moodle", "talentlms"]
    one = client.get("/api/v1/connectors/presets/talentlms", headers=tenant.headers).json()
    assert one["example"]["event"] == "user_completed_course"


def test_a_preview_shows_the_event_without_storing_it(client: TestClient, tenant: Tenant) -> None:
    response = client.post(
        "/api/v1/connectors/preview",
        json={"preset": "talentlms", "payload": presets.get("talentlms").example},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["status"] == "mapped"
    assert out["event"]["id"] == "talentlms:user_completed_course:42:134"
    assert out["event"]["data"] == {"score": 87.0}
    bad = client.post(
        "/api/v1/connectors/preview",
        json={"mapping": CUSTOM, "payload": {"kind": "completion"}},
        headers=tenant.headers,
    ).json()
    assert bad["status"] == "unmapped" and {e["field"] for e in bad["errors"]} >= {"id", "learner"}
    assert client.get("/api/v1/events", headers=tenant.headers).json()["items"] == []


def test_deleting_a_connector_removes_its_payloads_not_its_events(
    client: TestClient, tenant: Tenant, badge: str
) -> None:
    made = connector(client, tenant)
    hook(client, made, payload())
    response = client.delete(f"/api/v1/connectors/{made['id']}", headers=tenant.headers)
    assert response.status_code == 204
    assert_problem(hook(client, made, payload()), 404)
    assert client.get("/api/v1/events/lms:u-1:c-1", headers=tenant.headers).status_code == 200


def test_the_documentation_shows_each_preset_and_a_valid_mapping() -> None:
    text = (ROOT / "docs" / "connectors.md").read_text()
    blocks = [
        json.loads(b)
        for b in re.findall(r"^ *```json\n(.*?)\n *```", text, flags=re.DOTALL | re.MULTILINE)
        if "…" not in b
    ]
    for preset in presets.all_presets():
        assert f"`{preset.name}`" in text
        assert preset.example in blocks, f"docs/connectors.md lacks the {preset.name} example"
        event = next(b for b in blocks if isinstance(b, dict) and b.get("source") == preset.name)
        outcome = mappings.apply(
            preset.mapping, preset.example, received_at=datetime.now(UTC), source=preset.name
        )
        assert isinstance(outcome, mappings.Mapped)
        assert event["id"] == outcome.event.id
    documented = next(b for b in blocks if isinstance(b, dict) and "when" in b)
    mappings.Mapping.model_validate(documented)


def test_a_failure_while_processing_keeps_the_payload_for_a_replay(
    client: TestClient, tenant: Tenant, badge: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = connector(client, tenant)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr("plaudit.ingest.service.ingest", broken)
        response = hook(client, made, payload())

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "failed"
    [kept] = payloads(client, tenant, made, "?status=failed")
    assert "replay it later" in kept["reason"]
    replayed = client.post(
        f"/api/v1/connectors/{made['id']}/payloads/{kept['id']}/replay", headers=tenant.headers
    )
    assert (replayed.json()["status"], replayed.json()["awards_count"]) == ("mapped", 1)


def test_two_different_secrets_are_refused(client: TestClient, tenant: Tenant) -> None:
    made = connector(client, tenant)
    response = client.post(
        f"/hooks/{made['id']}?token={made['secret']}",
        json=payload(),
        headers={"Authorization": "Bearer phk_other"},
    )
    assert_problem(response, 401)


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_moodle_json_sent_as_a_form_is_read_as_json(
    client: TestClient, tenant: Tenant, badge: str, content_type: str
) -> None:
    # Moodle's webhooks plugin set to "form" still posts json_encode($event->get_data()).
    made = connector(client, tenant, name="moodle", preset="moodle")
    body = json.dumps(presets.get("moodle").example).encode()
    response = client.post(
        f"/hooks/{made['id']}?token={made['secret']}",
        content=body,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 202, response.text
    result = response.json()
    assert (result["status"], result["event_id"]) == ("mapped", "moodle:course_completed:5:23")
    assert result["awards"] == 1
    [kept] = payloads(client, tenant, made)
    assert kept["payload"]["courseid"] == 5  # kept as the JSON it was, numbers and all
