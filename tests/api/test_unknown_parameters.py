"""A query parameter the route does not declare is a 422 naming it, on every API route."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient

from plaudit.api.routing import UnitOfWorkRoute, accepted_query_parameters
from plaudit.app import FEATURE_ROUTERS
from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import make_tenant

UNKNOWN = "no_such_parameter"


def _api_gets() -> list[str]:
    paths = {
        route.path
        for router in FEATURE_ROUTERS
        for route in router.routes
        if isinstance(route, UnitOfWorkRoute)
        and "GET" in (route.methods or set())
        and accepted_query_parameters(route) is not None
    }
    return sorted(paths)


API_GETS = _api_gets()


def test_the_routes_were_really_read() -> None:
    assert len(API_GETS) >= 30
    assert "/api/v1/learners/{learner_id}/badges" in API_GETS


@pytest.mark.parametrize("path", API_GETS)
def test_an_unknown_query_parameter_is_refused_naming_it(
    client: TestClient, runtime: Runtime, path: str
) -> None:
    tenant = make_tenant(runtime)
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    response = client.get(url, params={UNKNOWN: "1"}, headers=tenant.headers)
    problem = assert_problem(response, 422)
    assert UNKNOWN in str(problem["detail"])
    assert problem["errors"] == [
        {"field": UNKNOWN, "reason": "is not a parameter of this endpoint", "in": "query"}
    ]


def test_the_refusal_lists_the_accepted_parameters(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    response = client.get("/api/v1/api-keys?q=x&limt=3", headers=tenant.headers)
    assert_problem(response, 422)
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["limt", "q"]
    assert {"cursor", "limit", "revoked"} <= set(problem["accepted_parameters"])
    assert "'limit'" in str(problem["detail"]) and "'limt'" in str(problem["detail"])
    # Declared parameters, those of the pagination dependency included, are still taken.
    assert (
        client.get("/api/v1/api-keys?limit=1&revoked=false", headers=tenant.headers).status_code
        == 200
    )


def test_pages_and_the_dashboard_are_not_concerned(client: TestClient) -> None:
    assert client.get("/healthz?utm_source=x").status_code != 422
    assert client.get("/admin/login?next=/admin/&utm_source=x").status_code != 422
