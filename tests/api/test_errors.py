"""Bad input gets a clear 4xx problem+json naming the problem; never a 500, never a trace."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import make_tenant


def test_malformed_json_is_a_400_saying_where(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    response = client.post(
        "/api/v1/members",
        content=b'{"email": "a@b.org",',
        headers={**org.headers, "content-type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert "JSON" in str(body["title"]) and "character" in str(body["detail"])


def test_wrong_types_and_unknown_fields_name_the_field(
    client: TestClient, runtime: Runtime
) -> None:
    org = make_tenant(runtime)
    wrong = client.post(
        "/api/v1/api-keys", json={"name": 42, "scopes": "read"}, headers=org.headers
    )
    body = assert_problem(wrong, 422)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"name", "scopes"}

    unknown = client.post(
        "/api/v1/api-keys",
        json={"name": "x", "scopes": ["read"], "colour": "red"},
        headers=org.headers,
    )
    body = assert_problem(unknown, 422)
    assert body["errors"] == [{"field": "colour", "reason": "is not a known field", "in": "body"}]

    bad_scope = client.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["root"]}, headers=org.headers
    )
    assert "scopes.0" in str(assert_problem(bad_scope, 422)["detail"])

    bad_zone = client.patch(
        "/api/v1/organization", json={"timezone": "Mars/Olympus"}, headers=org.headers
    )
    assert "IANA" in str(assert_problem(bad_zone, 422)["detail"])


def test_bad_path_and_query_values_are_422(client: TestClient, runtime: Runtime) -> None:
    org = make_tenant(runtime)
    assert_problem(client.get("/api/v1/api-keys/not-a-uuid", headers=org.headers), 422)
    assert_problem(client.get("/api/v1/api-keys?limit=0", headers=org.headers), 422)
    assert_problem(client.get("/api/v1/api-keys?cursor=%%%", headers=org.headers), 422)


def test_oversized_bodies_are_413_whether_declared_or_streamed(
    client: TestClient, runtime: Runtime
) -> None:
    org = make_tenant(runtime)
    limit = runtime.settings.max_body_bytes
    big = b'{"name": "' + b"x" * (limit + 10) + b'", "scopes": ["read"]}'
    declared = client.post(
        "/api/v1/api-keys", content=big, headers={**org.headers, "content-type": "application/json"}
    )
    assert "bytes" in str(assert_problem(declared, 413)["detail"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = client.post(
        "/api/v1/api-keys",
        content=chunks(),
        headers={**org.headers, "content-type": "application/json"},
    )
    assert_problem(streamed, 413)
    assert len(client.get("/api/v1/api-keys", headers=org.headers).json()["items"]) == 1


def test_unknown_routes_and_methods_are_problems(client: TestClient) -> None:
    assert "/docs" in str(assert_problem(client.get("/api/v1/nothing-here"), 404)["detail"])
    assert_problem(client.put("/healthz"), 405)


def test_an_unexpected_error_is_a_500_with_a_request_id_and_no_trace(client: TestClient) -> None:
    app = client.app

    @app.get("/boom")  # type: ignore[attr-defined,untyped-decorator]
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    response = client.get("/boom", headers={"X-Request-ID": "trace-me-123"})
    body = assert_problem(response, 500)
    assert body["request_id"] == "trace-me-123"
    assert response.headers["x-request-id"] == "trace-me-123"
    assert "hunter2" not in response.text and "Traceback" not in response.text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32


def test_a_value_of_the_wrong_form_is_refused_in_words_never_with_a_regular_expression(
    client: TestClient, runtime: Runtime
) -> None:
    org = make_tenant(runtime)
    event = client.post(
        "/api/v1/events",
        json={
            "type": "course completed",
            "learner": {"email": "ada@example.org"},
            "occurred_at": "2026-12-01T10:00:00Z",
        },
        headers=org.headers,
    )
    errors = assert_problem(event, 422)["errors"]
    assert isinstance(errors, list)
    [error] = [e for e in errors if e["field"] == "type"]
    assert error["reason"].startswith("must be words in lowercase joined by dots")
    said = str(event.json())
    assert "pattern" not in said and "^[" not in said and "$'" not in said
