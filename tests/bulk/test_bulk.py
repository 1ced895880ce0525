"""Bulk issuance from a CSV: a precise preview, an apply job, and a file issued only once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from plaudit import jobs
from plaudit.bulk import service as bulk
from plaudit.bulk import tasks as bulk_tasks
from plaudit.db import unit_of_work
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance
from plaudit.models.delivery import OutboxMessage
from plaudit.models.learner import Learner
from plaudit.runtime import Runtime
from tests.fixtures.bulk import bulk_templates, count, csv_of, good_rows, post, run_jobs
from tests.fixtures.delivery import subscribe
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event, send
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def templates(client: TestClient, tenant: Tenant) -> dict[str, str]:
    return bulk_templates(client, tenant)


def test_preview_reports_every_bad_row_by_line_and_column_and_writes_nothing(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    cert = templates["cert"]
    data = csv_of(
        "ada@example.org,Ada,Lovelace,Safety Champion,2024-03-01,,https://lms.example/1,Drills,",
        f"grace@example.org,Grace,Hopper,{cert},2024-03-02,2026-01-31,,,92",
        "nobody@example.org,No,Body,Juggling 101,2024-03-03,,,,",  # line 4
        "not-an-email,Bad,Email,Safety Champion,2024-03-04,,,,",  # line 5
        "date@example.org,Bad,Date,Safety Champion,2024-02-30,,,,",  # line 6
        ",Missing,Email,Safety Champion,2024-03-05,,,,",  # line 7
        f"score@example.org,No,Score,{cert},2024-03-06,,,,",  # line 8: a required field
        "ADA@example.org,Ada,Again,safety champion,2024-03-01,,,,",  # line 9: repeats line 2
        "draft@example.org,Dr,Aft,Unfinished,2024-03-07,,,,",  # line 10
        "future@example.org,Fu,Ture,Safety Champion,2999-01-01,,,,",  # line 11
        '"multi@example.org",Multi,Line,Safety Champion,2024-03-08,,,"one\ntwo",',  # 12-13
        "url@example.org,Bad,Url,Safety Champion,2024-03-09,2024-03-01,ftp://x,,",  # line 14
        "num@example.org,Bad,Number,First Aid Certificate,2024-03-10,,,,ninety",  # line 15
        "extra@example.org,Un,Known,Safety Champion,2024-03-11,,,,7",  # line 16
        "",  # a blank line is not a row
    )
    response = post(client, tenant, "/preview", data)
    assert response.status_code == 200, response.text
    report = response.json()
    found = [(e["line"], e["column"], e["code"]) for e in report["errors"]]
    assert found == [
        (4, "template", "unknown_template"),
        (5, "email", "invalid_email"),
        (6, "issue_date", "invalid_date"),
        (7, "email", "missing_value"),
        (8, "score", "missing_value"),
        (9, None, "duplicate_row"),
        (10, "template", "template_not_published"),
        (11, "issue_date", "invalid_date"),
        (14, "expiry_date", "invalid_date"),
        (14, "evidence_url", "invalid_url"),
        (15, "score", "invalid_number"),
        (16, "score", "unknown_field"),
    ]
    messages = {e["line"]: e["message"] for e in report["errors"]}
    assert "repeats line 2" in messages[9]
    assert "Juggling 101" in messages[4]
    assert "in the future" in messages[11]
    assert (report["rows"], report["valid"], report["invalid"]) == (14, 3, 11)
    assert (report["to_issue"], report["already_issued"], report["error_count"]) == (3, 0, 12)
    assert {t["name"]: t["rows"] for t in report["templates"]} == {
        "Safety Champion": 2,
        "First Aid Certificate": 1,
    }
    # A preview writes nothing: no learner, no credential, no job, no stored file.
    assert count(runtime, Credential) == 0
    assert count(runtime, Learner) == 0
    assert count(runtime, BulkIssuance) == 0
    assert not (runtime.settings.data_dir / "files" / "bulk").exists()
    # Applying it is refused, with the same errors; nothing is issued.
    refused = post(client, tenant, "", data)
    assert_problem(refused, 422)
    assert [(e["line"], e["code"]) for e in refused.json()["errors"]][:2] == [
        (4, "unknown_template"),
        (5, "invalid_email"),
    ]
    assert count(runtime, BulkIssuance) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", [(1, None, "empty_file")]),
        (b"email,template,issue_date\n", [(2, None, "empty_file")]),
        (
            b"mail,first_name,template,Template\nx@example.org,X,T\n",
            [
                (1, "Template", "duplicate_column"),
                (1, "email", "missing_column"),
                (1, "issue_date", "missing_column"),
            ],
        ),
        (b"email,template,issue_date\n\xff\xfe,x,y\n", [(2, None, "malformed_row")]),
    ],
)
def test_a_file_that_cannot_be_read_is_reported_at_its_first_line(
    client: TestClient, tenant: Tenant, data: bytes, expected: list[tuple[int, Any, str]]
) -> None:
    report = post(client, tenant, "/preview", data).json()
    assert [(e["line"], e["column"], e["code"]) for e in report["errors"]] == expected


def test_apply_issues_signed_credentials_then_the_same_file_issues_none(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    endpoint = subscribe(client, tenant, "https://hooks.example.org/in", kinds=["bulk.completed"])
    rows = [
        *good_rows(30),
        "grace@example.org,Grace,Hopper,First Aid Certificate,2024-03-02,2026-01-31,"
        "https://lms.example/e/7,Passed the practical exam,92",
        "linus@example.org,Linus,T,First Aid Certificate,2024-05-10T14:30:00+02:00,,,,88.5",
    ]
    data = csv_of(*rows)
    assert post(client, tenant, "/preview", data).json()["to_issue"] == 32

    started = post(client, tenant, "", data)
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["total_rows"], job["processed_rows"]) == ("pending", 32, 0)
    assert run_jobs().count("apply_bulk") == 1
    done = client.get(f"/api/v1/bulk-issuances/{job['id']}", headers=tenant.headers).json()
    assert (done["status"], done["issued"], done["skipped"], done["failed"]) == (
        "completed",
        32,
        0,
        0,
    )
    assert done["progress"] == 1.0
    with runtime.sessions() as session:
        credentials = list(session.scalars(select(Credential)))
        assert len(credentials) == 32
        assert all(c.document is not None and c.issuance_key for c in credentials)
        grace = next(c for c in credentials if c.recipient_email == "grace@example.org")
        assert grace.emitted_at == datetime(2024, 3, 2, tzinfo=UTC)
        assert grace.expires_at == datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
        assert grace.fields == {"recipient_name": "Grace Hopper", "score": 92}
        assert grace.document is not None
        assert grace.document["evidence"] == [
            {
                "id": "https://lms.example/e/7",
                "type": ["Evidence"],
                "narrative": "Passed the practical exam",
            }
        ]
        linus = next(c for c in credentials if c.recipient_email == "linus@example.org")
        assert linus.emitted_at == datetime(2024, 5, 10, 12, 30, tzinfo=UTC)
        # No expiry in the file: the template's policy (one year), from the issue date.
        assert linus.expires_at == datetime(2025, 5, 10, 12, 30, tzinfo=UTC)
        assert linus.fields == {"recipient_name": "Linus T", "score": 88.5}
        announced = list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "bulk.completed"))
        )
        assert len(announced) == 1 and announced[0].endpoint_id == uuid.UUID(endpoint["id"])
        assert announced[0].payload["data"]["issued"] == 32

    # The same file again: the same job, nothing new.
    again = post(client, tenant, "", data)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert run_jobs() == []
    assert count(runtime, Credential) == 32
    assert post(client, tenant, "/preview", data).json()["already_issued"] == 32

    # An overlapping file (other order, another column layout) issues its new rows only.
    overlapping = csv_of(
        *[row.removesuffix(",,,,") for row in reversed(good_rows(40))],
        header="email,first_name,last_name,template,issue_date",
    )
    report = post(client, tenant, "/preview", overlapping).json()
    assert (report["to_issue"], report["already_issued"]) == (10, 30)
    second = post(client, tenant, "", overlapping).json()
    run_jobs()
    finished = client.get(f"/api/v1/bulk-issuances/{second['id']}", headers=tenant.headers).json()
    assert (finished["issued"], finished["skipped"]) == (10, 30)
    assert count(runtime, Credential) == 42
    assert count(runtime, Learner) == 42
    listed = client.get("/api/v1/bulk-issuances", headers=tenant.headers).json()["items"]
    assert [j["id"] for j in listed] == [second["id"], job["id"]]


def test_rows_go_to_the_learner_known_by_that_email(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    send(client, tenant, event("e-1", "course.completed", learner="lms-42"))  # lms-42@example.org
    data = csv_of("LMS-42@example.org,,,Safety Champion,2024-01-15,,,,", *good_rows(1))
    post(client, tenant, "", data, notify="false")
    run_jobs()
    with runtime.sessions() as session:
        owners = {
            c.recipient_email: session.get(Learner, c.learner_id)
            for c in session.scalars(select(Credential))
        }
    known = owners["lms-42@example.org"]
    assert known is not None and known.external_id == "lms-42"
    assert known.first_name == "Ada"  # kept from the LMS
    assert owners["learner0@example.org"].external_id == "email:learner0@example.org"  # type: ignore[union-attr]
    assert count(runtime, Learner) == 2


def test_skip_invalid_issues_the_valid_rows_and_counts_the_others(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    data = csv_of(*good_rows(3), "oops,X,Y,Safety Champion,2024-01-01,,,,")
    started = post(client, tenant, "", data, skip_invalid="true")
    assert started.status_code == 202, started.text
    run_jobs()
    done = client.get(f"/api/v1/bulk-issuances/{started.json()['id']}", headers=tenant.headers)
    body = done.json()
    assert (body["issued"], body["failed"]) == (3, 1)
    assert [(e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (5, "email", "invalid_email")
    ]


def test_progress_is_saved_batch_by_batch_and_a_restarted_job_resumes(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    started = post(client, tenant, "", csv_of(*good_rows(7))).json()
    jobs.queue.flush()  # this test runs the job itself
    bulk_id = uuid.UUID(started["id"])
    with unit_of_work(runtime.sessions) as session:
        plan = bulk.begin(session, bulk_id=bulk_id)
    assert plan is not None
    first = next(bulk.batches(runtime.files, plan, size=3))
    with unit_of_work(runtime.sessions) as session:
        bulk.apply_batch(session, bulk_id=bulk_id, batch=first)
    # A second runner that read the same batch stops instead of counting it again.
    with pytest.raises(bulk.Superseded), unit_of_work(runtime.sessions) as session:
        bulk.apply_batch(session, bulk_id=bulk_id, batch=first)
    # The worker "dies" here. Its progress is visible, then a new run continues after it.
    midway = client.get(f"/api/v1/bulk-issuances/{bulk_id}", headers=tenant.headers).json()
    assert (midway["status"], midway["processed_rows"], midway["issued"]) == ("running", 3, 3)
    assert midway["progress"] == round(3 / 7, 4)
    seen: list[int] = []
    done = bulk_tasks.run(
        runtime, bulk_id, batch_size=2, on_progress=lambda p: seen.append(p.processed_rows)
    )
    assert seen == [5, 7]
    assert done is not None and (done.issued, done.skipped) == (7, 0)
    assert bulk_tasks.run(runtime, bulk_id) is None  # a redelivered job does nothing
    assert count(runtime, Credential) == 7


def test_tenants_see_only_their_own_jobs(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    job = post(client, tenant, "", csv_of(*good_rows(1))).json()
    other = make_tenant(runtime, name="Other")
    assert_problem(client.get(f"/api/v1/bulk-issuances/{job['id']}", headers=other.headers), 404)
    # Another organization has no template of that name.
    report = post(client, other, "/preview", csv_of(*good_rows(1))).json()
    assert report["errors"][0]["code"] == "unknown_template"


def test_the_cli_previews_then_applies(
    client: TestClient,
    tenant: Tenant,
    runtime: Runtime,
    templates: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plaudit import cli
    from plaudit.config import get_settings

    settings = runtime.settings
    for name, value in {
        "PLAUDIT_DATA_DIR": str(settings.data_dir),
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_QUEUE_URL": "memory://",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    path = tmp_path / "awards.csv"
    path.write_bytes(csv_of(*good_rows(5), "bad,X,Y,Nope,2024-01-01,,,,"))
    runner = CliRunner()
    try:
        args = ["issue", "--csv", str(path), "--org", tenant.slug]
        preview = runner.invoke(cli.app, args)
        assert preview.exit_code == 1, preview.output
        assert "invalid_email" in preview.output and "unknown_template" in preview.output
        assert count(runtime, Credential) == 0
        refused = runner.invoke(cli.app, [*args, "--apply"])
        assert refused.exit_code == 1 and count(runtime, Credential) == 0

        path.write_bytes(csv_of(*good_rows(5)))
        # Rows of 2024 on a template valid a year: the preview says they would arrive expired.
        checked = runner.invoke(cli.app, args)
        assert "5 row(s) would arrive already expired" in " ".join(checked.output.split())
        bad_choice = runner.invoke(cli.app, [*args, "--late", "later"])
        assert bad_choice.exit_code == 2 and "--late is issue, skip or today" in bad_choice.output
        applied = runner.invoke(cli.app, [*args, "--yes", "--no-notify"])
        assert applied.exit_code == 0, applied.output
        assert "5 issued" in applied.output
        assert count(runtime, Credential) == 5
        again = runner.invoke(cli.app, [*args, "--apply"])
        assert again.exit_code == 0 and "nothing to do" in again.output
        assert count(runtime, Credential) == 5

        path.write_bytes(csv_of(*good_rows(2, start=10)))
        skipped = runner.invoke(cli.app, [*args, "--apply", "--late", "skip"])
        assert skipped.exit_code == 0, skipped.output
        assert "0 issued" in skipped.output and count(runtime, Credential) == 5
    finally:
        get_settings.cache_clear()


def test_a_template_name_resolves_to_its_one_published_template() -> None:
    from plaudit.bulk.parsing import Templates, TemplateSpec

    one, twin_a, twin_b, draft = (uuid.uuid4() for _ in range(4))
    templates = Templates.build(
        [
            TemplateSpec(one, "Safety Champion", ()),
            TemplateSpec(twin_a, "Twin", ()),
            TemplateSpec(twin_b, "twin", ()),
        ],
        [(draft, "Safety Champion", "draft")],
    )
    assert templates.resolve(" safety CHAMPION ") == TemplateSpec(one, "Safety Champion", ())
    assert templates.resolve(str(twin_b).upper()) == TemplateSpec(twin_b, "twin", ())
    assert templates.resolve("Twin")[0] == "ambiguous_template"  # type: ignore[index]
    assert templates.resolve(str(draft))[0] == "template_not_published"  # type: ignore[index]
    assert templates.resolve("Nope")[0] == "unknown_template"  # type: ignore[index]


def test_the_preview_flags_rows_that_would_arrive_expired_and_the_api_can_skip_them(
    client: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    today = datetime.now(UTC).date().isoformat()
    # Safety Champion is valid a year: rows of 2024 would arrive expired; today's would not.
    data = csv_of(*good_rows(2), f"today@example.org,To,Day,Safety Champion,{today},,,,")
    report = post(client, tenant, "/preview", data).json()
    assert (report["to_issue"], report["expired_count"], report["expiring_count"]) == (3, 2, 0)
    assert [(r["line"], r["state"], r["can_redate"]) for r in report["late"]] == [
        (2, "expired", True),
        (3, "expired", True),
    ]
    assert report["late"][0]["expires_at"].startswith("2025-03-01")
    assert report["late_truncated"] is False

    refused = post(client, tenant, "", data, late_rows="later")
    assert refused.status_code == 422
    started = post(client, tenant, "", data, late_rows="skip")
    assert started.status_code == 202, started.text
    run_jobs()
    body = client.get(
        f"/api/v1/bulk-issuances/{started.json()['id']}", headers=tenant.headers
    ).json()
    assert (body["issued"], body["skipped"], body["failed"]) == (1, 2, 0)
    assert count(runtime, Credential) == 1
