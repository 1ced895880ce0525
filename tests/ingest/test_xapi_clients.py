"""A standard xAPI client (the `tincan` library) talks to Plaudit over real HTTP, unchanged."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tincan import (  # type: ignore[import-untyped]
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    Statement,
    Verb,
)

from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.models.apikey import Scope
from plaudit.runtime import Runtime
from tests.fixtures.peers import free_port
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import rule
from tests.fixtures.serving import serving
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

ADL = "http://adlnet.gov/expapi"
VERSION = {"X-Experience-API-Version": "1.0.3"}


@dataclass(frozen=True)
class Live:
    endpoint: str
    client: TestClient  # the same app, to set the scene and look at the outcome


@pytest.fixture
def live(settings: Settings, runtime: Runtime) -> Iterator[Live]:
    app = create_app(settings, runtime=runtime)
    port = free_port()
    with serving(app, port), TestClient(app, raise_server_exceptions=False) as client:
        yield Live(f"http://127.0.0.1:{port}/api/v1/xapi/", client)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime, scopes=[Scope.ISSUE, Scope.READ])


def lrs(live: Live, tenant: Tenant, *, secret: str | None = None) -> Any:
    """An LRS client configured as authoring tools are: the key as username, secret as password."""
    _, prefix, token_secret = tenant.token.split("_", 2)
    return RemoteLRS(
        endpoint=live.endpoint,
        username=f"plaudit_{prefix}",
        password=token_secret if secret is None else secret,
    )


def statement(verb: str, *, scaled: float | None = None, with_id: bool = True) -> Any:
    return Statement(
        id=str(uuid.uuid4()) if with_id else None,
        actor=Agent(
            name="Grace Hopper",
            account=AgentAccount(name="grace", home_page="https://lms.example"),
        ),
        verb=Verb(id=f"{ADL}/verbs/{verb}", display=LanguageMap({"en-US": verb})),
        object=Activity(
            id="https://lms.example/course/7",
            definition=ActivityDefinition(
                type=f"{ADL}/activities/course", name=LanguageMap({"en-US": "Safety"})
            ),
        ),
        result=None if scaled is None else Result(score=Score(scaled=scaled), completion=True),
    )


def stored(live: Live, tenant: Tenant, statement_id: str) -> dict[str, Any]:
    response = live.client.get(f"/api/v1/events/xapi:{statement_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def score_rule(live: Live, runtime: Runtime) -> Tenant:
    tenant = make_tenant(runtime, scopes=[Scope.ADMIN])
    badge = published(live.client, tenant, name="Safety, with distinction")
    rule(
        live.client,
        tenant,
        name="Course completed with a score of 80 or more",
        mode="always",
        trigger={"event_types": ["course.completed"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "award", "template_id": badge}],
    )
    return tenant


def test_tincan_saves_statements_and_a_scaled_score_awards(live: Live, runtime: Runtime) -> None:
    tenant = score_rule(live, runtime)
    remote = lrs(live, tenant)

    # save_statement with an id: PUT statements?statementId=... answered 204.
    put = statement("completed", scaled=0.9)
    saved = remote.save_statement(put)
    assert saved.success, (saved.response.status, saved.data)
    assert saved.response.status == 204

    # Without an id: POST, and Plaudit names it; save_statements: POST of an array.
    named = statement("completed", scaled=0.95, with_id=False)
    saved = remote.save_statement(named)
    assert saved.success, saved.data
    assert named.id is not None
    low, high = statement("completed", scaled=0.5), statement("completed", scaled=0.8)
    saved = remote.save_statements([low, high])
    assert saved.success, saved.data
    assert [str(s.id) for s in saved.content] == [str(low.id), str(high.id)]

    events = [stored(live, tenant, str(s.id)) for s in (put, named, low, high)]
    assert [(e["data"]["score"], e["awards_count"]) for e in events] == [
        (90, 1),
        (95, 1),
        (50, 0),
        (80, 1),
    ]


def test_about_answers_the_versions_without_a_key(live: Live, tenant: Tenant) -> None:
    about = RemoteLRS(endpoint=live.endpoint).about()
    assert about.success, about.data
    assert "1.0.3" in about.content.version
    response = live.client.get("/api/v1/xapi/about")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_unmapped_verbs_and_voiding_are_acknowledged(live: Live, tenant: Tenant) -> None:
    remote = lrs(live, tenant)
    experienced = statement("experienced")
    voiding = Statement(
        id=str(uuid.uuid4()),
        actor=experienced.actor,
        verb=Verb(id=f"{ADL}/verbs/voided"),
        object={"objectType": "StatementRef", "id": str(experienced.id)},
    )

    saved = remote.save_statements([experienced, voiding])

    assert saved.success, saved.data
    event = stored(live, tenant, str(experienced.id))
    assert event["type"] == "xapi.experienced"
    assert event["data"]["xapi_verb"] == f"{ADL}/verbs/experienced"
    # A voiding statement credits no one: acknowledged, and no event stored.
    missing = live.client.get(f"/api/v1/events/xapi:{voiding.id}", headers=tenant.headers)
    assert missing.status_code == 404


def test_wrong_secret_is_refused(live: Live, tenant: Tenant) -> None:
    saved = lrs(live, tenant, secret="not-the-secret").save_statement(statement("completed"))
    assert not saved.success
    assert saved.response.status == 401
    assert saved.response.getheader("X-Experience-API-Version") == "1.0.3"


def test_bearer_keys_still_work_and_malformed_basic_is_refused(live: Live, tenant: Tenant) -> None:
    body = {**statement("completed").as_version("1.0.3"), "id": str(uuid.uuid4())}
    headers = {**tenant.headers, **VERSION}
    response = live.client.post("/api/v1/xapi/statements", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == [body["id"]]
    bad = base64.b64encode(b"no-colon").decode()
    response = live.client.post(
        "/api/v1/xapi/statements",
        json=body,
        headers={"Authorization": f"Basic {bad}", **VERSION},
    )
    assert_problem(response, 401)


def test_version_header_is_required_and_checked(live: Live, tenant: Tenant) -> None:
    body = statement("completed").as_version("1.0.3")
    path = "/api/v1/xapi/statements"
    missing = live.client.post(path, json=body, headers=tenant.headers)
    problem = assert_problem(missing, 400)
    assert "X-Experience-API-Version" in str(problem["detail"])
    assert missing.headers["X-Experience-API-Version"] == "1.0.3"
    for version in ("2.0.0", "0.95", "1.1.0"):
        headers = {**tenant.headers, "X-Experience-API-Version": version}
        problem = assert_problem(live.client.post(path, json=body, headers=headers), 400)
        assert "not supported" in str(problem["detail"])
    headers = {**tenant.headers, "X-Experience-API-Version": "1.0"}
    assert live.client.post(path, json=body, headers=headers).status_code == 200


def test_a_batch_with_one_bad_statement_is_refused_whole(live: Live, tenant: Tenant) -> None:
    good = statement("completed").as_version("1.0.3")
    bad = {**statement("completed").as_version("1.0.3"), "timestamp": "yesterday"}
    headers = {**tenant.headers, **VERSION}

    response = live.client.post("/api/v1/xapi/statements", json=[good, bad], headers=headers)

    problem = assert_problem(response, 400)
    assert problem["errors"] == [
        {"index": 1, "field": "timestamp", "reason": "timestamp must be an ISO 8601 date and time"}
    ]
    lost = live.client.get(f"/api/v1/events/xapi:{good['id']}", headers=tenant.headers)
    assert lost.status_code == 404


def test_put_checks_the_statement_id(live: Live, tenant: Tenant) -> None:
    body = statement("completed").as_version("1.0.3")
    headers = {**tenant.headers, **VERSION}
    other = str(uuid.uuid4())
    path = "/api/v1/xapi/statements"
    problem = assert_problem(
        live.client.put(f"{path}?statementId={other}", json=body, headers=headers), 400
    )
    assert problem["errors"][0]["field"] == "id"  # type: ignore[index]
    assert_problem(live.client.put(path, json=body, headers=headers), 400)
    del body["id"]
    response = live.client.put(f"{path}?statementId={other}", json=body, headers=headers)
    assert response.status_code == 204, response.text
    assert stored(live, tenant, other)["type"] == "course.completed"


def test_queries_are_refused_saying_plaudit_is_not_an_lrs(live: Live, tenant: Tenant) -> None:
    headers = {**tenant.headers, **VERSION}
    for path, status in (("statements", 405), ("activities/state", 501), ("agents", 501)):
        response = live.client.get(f"/api/v1/xapi/{path}", headers=headers)
        problem = assert_problem(response, status)
        assert "not a Learning Record Store" in str(problem["detail"])
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert live.client.get("/api/v1/xapi/statements").headers["Allow"] == "POST, PUT"
