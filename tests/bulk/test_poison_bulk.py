"""Bulk issuance and NUL characters, which no engine stores (PostgreSQL refuses them in text): a
cell holding one is a row error like any other, a file name holding one loses it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance
from plaudit.runtime import Runtime
from tests.fixtures.bulk import bulk_templates, count, csv_of, good_rows, post, run_jobs
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import Tenant, make_tenant

NUL = "\x00"


@pytest.fixture
def templates(client: TestClient, tenant: Tenant) -> dict[str, str]:
    return bulk_templates(client, tenant)


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def errors_of(body: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    return [(e["line"], e["column"], e["code"]) for e in body["errors"]]


def test_a_nul_in_a_cell_is_that_rows_error_and_the_others_are_issued(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    data = csv_of(
        *good_rows(2),
        f"nul1@example.org,A{NUL}da,Lovelace,Safety Champion,2024-03-05,,,,",  # line 4
        f"nul2@example.org,Grace,Hopper,First Aid Certificate,2024-03-06,,,,9{NUL}2",  # line 5
        f"nul3@example.org,Alan,Turing,Safety Champion,2024-03-07,,,Dr{NUL}ills,",  # line 6
        f"nul4@example.org,Al,Bad,Juggling{NUL},2024-03-08,,,,",  # line 7
    )
    report = post(client, tenant, "/preview", data)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["rows"], body["valid"], body["invalid"]) == (6, 2, 4)
    assert errors_of(body) == [
        (4, "first_name", "nul_character"),
        (5, "score", "nul_character"),
        (6, "narrative", "nul_character"),
        (7, "template", "nul_character"),
    ]
    assert all(NUL not in e["message"] and "NUL" in e["message"] for e in body["errors"])

    refused = assert_problem(post(client, tenant, "", data), 422)
    assert [e["line"] for e in refused["errors"]] == [4, 5, 6, 7]  # type: ignore[attr-defined]

    started = post(client, tenant, "", data, skip_invalid="true")
    assert started.status_code == 202, started.text
    run_jobs()
    job = client.get(f"/api/v1/bulk-issuances/{started.json()['id']}", headers=tenant.headers)
    done = job.json()
    assert (done["status"], done["issued"], done["failed"]) == ("completed", 2, 4)
    assert [code for _, _, code in errors_of(done)] == ["nul_character"] * 4
    assert count(runtime, Credential) == 2


def test_a_nul_in_a_header_is_reported_at_line_one(
    client: TestClient, tenant: Tenant, templates: dict[str, str]
) -> None:
    header = "email,first_name,last_name,template,issue_date,sc" + NUL + "ore"
    data = csv_of("a@example.org,A,B,Safety Champion,2024-03-01,7", header=header)
    report = post(client, tenant, "/preview", data)
    assert report.status_code == 200, report.text
    assert errors_of(report.json()) == [(1, "sc\\u0000ore", "nul_character")]
    assert_problem(post(client, tenant, "", data, skip_invalid="true"), 422)


def multipart(filename: str, data: bytes, **form: str) -> tuple[bytes, str]:
    """A multipart body written by hand: HTTP clients escape a NUL in a file name."""
    boundary = "plaudit-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in form.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("filename", [f"awards{NUL}.csv", NUL], ids=["inside", "alone"])
def test_a_nul_in_the_file_name_is_left_out(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    templates: dict[str, str],
    filename: str,
) -> None:
    body, content_type = multipart(filename, csv_of(*good_rows(2)))
    started = client.post(
        "/api/v1/bulk-issuances",
        content=body,
        headers={**tenant.headers, "Content-Type": content_type},
    )
    assert started.status_code == 202, started.text
    expected = filename.replace(NUL, "") or None
    assert started.json()["filename"] == expected
    run_jobs()
    with runtime.sessions() as session:
        assert session.scalars(select(BulkIssuance.filename)).all() == [expected]
    assert count(runtime, Credential) == 2


def test_the_same_file_again_is_a_documented_200(
    client: TestClient, tenant: Tenant, templates: dict[str, str]
) -> None:
    document = client.get("/openapi.json").json()
    answers = document["paths"]["/api/v1/bulk-issuances"]["post"]["responses"]
    assert answers["200"]["content"] == answers["202"]["content"]
    data = csv_of(*good_rows(1))
    first = post(client, tenant, "", data)
    again = post(client, tenant, "", data)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
