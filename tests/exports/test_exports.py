"""Exports of credentials and award logs: both formats, filters, tenancy, formula neutralising."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from plaudit.exports.service import neutralise
from plaudit.runtime import Runtime
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def two(client: TestClient, tenant: Tenant) -> list[Issued]:
    first = issue(client, tenant, template_name="First", first_name='=HYPERLINK("x")')
    second = issue(client, tenant, template_name="Second", first_name="Zoë", last_name="-1+2")
    act(client, tenant, second, "revoke", "@SUM(A1) mistaken")
    return [first, second]


def _csv(response_text: str) -> list[dict[str, str]]:
    assert response_text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(response_text[1:])))


def test_credentials_as_csv_with_formulas_neutralised(
    client: TestClient, tenant: Tenant, two: list[Issued]
) -> None:
    response = client.get("/api/v1/exports/credentials", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="credentials-' in response.headers["content-disposition"]
    rows = _csv(response.text)
    assert [r["public_id"] for r in rows] == [i.public_id for i in two]
    assert rows[0]["recipient_first_name"] == '\'=HYPERLINK("x")'
    assert rows[1]["recipient_first_name"] == "Zoë"
    assert rows[1]["recipient_last_name"] == "'-1+2"
    assert rows[1]["status"] == "revoked"
    assert rows[1]["reason"] == "'@SUM(A1) mistaken"
    assert rows[0]["url"].endswith(f"/credentials/{two[0].public_id}")
    assert rows[0]["imported"] == "false"


def test_credentials_as_json_lines_keep_values_as_they_are(
    client: TestClient, tenant: Tenant, two: list[Issued]
) -> None:
    response = client.get("/api/v1/exports/credentials?format=jsonl", headers=tenant.headers)
    assert response.headers["content-type"] == "application/jsonl"
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert rows[0]["recipient_first_name"] == '=HYPERLINK("x")'  # JSON is data, not a sheet
    assert rows[1]["status"] == "revoked"
    assert rows[1]["fields"] == {}


def test_filters_narrow_the_export(client: TestClient, tenant: Tenant, two: list[Issued]) -> None:
    revoked = client.get(
        "/api/v1/exports/credentials?format=jsonl&status=revoked", headers=tenant.headers
    )
    assert [json.loads(x)["public_id"] for x in revoked.text.splitlines()] == [two[1].public_id]
    by_learner = client.get(
        f"/api/v1/exports/credentials?format=jsonl&learner_id={two[0].learner_id}",
        headers=tenant.headers,
    )
    assert len(by_learner.text.splitlines()) == 1
    future = client.get(
        "/api/v1/exports/credentials?issued_from=2999-01-01T00:00:00Z", headers=tenant.headers
    )
    assert len(_csv(future.text)) == 0


def test_award_logs_export(client: TestClient, tenant: Tenant, two: list[Issued]) -> None:
    response = client.get("/api/v1/exports/award-logs", headers=tenant.headers)
    rows = _csv(response.text)
    assert len(rows) == 2
    assert {r["learner_id"] for r in rows} == {i.learner_id for i in two}
    assert all(r["rule_id"] and r["event_id"] for r in rows)


def test_bad_filters_are_clear_errors(client: TestClient, tenant: Tenant) -> None:
    naive = client.get(
        "/api/v1/exports/credentials?issued_from=2026-01-01T00:00:00", headers=tenant.headers
    )
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"
    assert (
        client.get("/api/v1/exports/credentials?format=xlsx", headers=tenant.headers).status_code
        == 422
    )


def test_another_organization_sees_none_of_it(
    client: TestClient, runtime: Runtime, two: list[Issued]
) -> None:
    other = make_tenant(runtime, name="Other")
    response = client.get("/api/v1/exports/credentials?format=jsonl", headers=other.headers)
    assert response.text == ""
    assert client.get("/api/v1/exports/credentials").status_code == 401


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
    ],
)
def test_neutralise(value: str, expected: str) -> None:
    assert neutralise(value) == expected
