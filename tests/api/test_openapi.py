"""The OpenAPI document describes every error as problem+json, and OPTIONS answers 405 with the
methods a path allows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import make_tenant

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_operation_describes_its_errors_as_problem_json(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert len(ops) > 90  # every router was read
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, op in ops:
        responses = op["responses"]
        errors = {code: r for code, r in responses.items() if code == "default" or code >= "400"}
        assert "default" in errors, (method, path)
        for code, response in errors.items():
            content = response["content"]
            assert content["application/problem+json"] == {"schema": PROBLEM_REF}, (path, code)
            # Only the VC API's 400 (a verification result) has another shape beside it.
            assert len(content) == 1 or (path.endswith("/verify") and code == "400"), (path, code)
        has_input = bool(op.get("parameters") or op.get("requestBody"))
        assert ("422" in responses) == has_input, (method, path)
        if op.get("requestBody"):
            assert {"400", "413"} <= set(responses), (method, path)
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert "404" in responses, (method, path)
        if method in {"post", "put", "patch", "delete"} and path.startswith("/api/"):
            assert "409" in responses, (method, path)
        if method in {"post", "put", "patch", "delete"}:
            assert "Retry-After" in responses["503"]["headers"], (method, path)


def test_authenticated_operations_declare_the_api_key_and_its_refusals(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    secured = {(m, p) for m, p, op in operations(document) if op.get("security")}
    assert ("get", "/api/v1/events") in secured and ("post", "/api/v1/api-keys") in secured
    assert ("post", "/api/v1/verify") not in secured
    assert ("get", "/health") not in secured
    for method, path, op in operations(document):
        if (method, path) in secured:
            assert op["security"] == [{"ApiKey": []}], (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    verify = document["paths"]["/api/v1/verify"]["post"]["responses"]
    assert "429" in verify


def test_options_answers_405_with_every_method_of_the_path(
    client: TestClient, document: dict[str, Any]
) -> None:
    for path, item in document["paths"].items():
        declared = {m.upper() for m in item if m in METHODS}
        url = path.replace("{", "").replace("}", "")  # any value for a path parameter
        response = client.options(url)
        problem = assert_problem(response, 405)
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert allowed == declared, (path, allowed)
        assert "OPTIONS" in str(problem["detail"])


def test_a_wrong_method_lists_every_method_the_path_allows(client: TestClient) -> None:
    response = client.delete("/api/v1/rules")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    response = client.put("/api/v1/rules/00000000-0000-0000-0000-000000000000")
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


def test_a_literal_path_is_its_own_resource(client: TestClient, runtime: Runtime) -> None:
    # /rules/simulate also matches /rules/{rule_id}, which takes PATCH: that is no reason to
    # answer 422 for an invalid rule id.
    headers = make_tenant(runtime).headers
    response = client.patch("/api/v1/rules/simulate", json={}, headers=headers)
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"
    response = client.options("/api/v1/events/batch", headers=headers)
    assert response.headers["allow"] == "POST"
    invalid = assert_problem(client.get("/api/v1/rules/not-a-uuid", headers=headers), 422)
    assert [(e["field"], e["in"]) for e in invalid["errors"]] == [("rule_id", "path")]  # type: ignore[attr-defined]
