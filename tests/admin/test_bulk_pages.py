"""Dashboard bulk issuance: upload, preview with every error by line and column (nothing
written), issue with the API's checks, progress that follows the job, history, credentials."""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit.bulk import service as bulk
from plaudit.db import unit_of_work, utcnow
from plaudit.models.award import Credential
from plaudit.models.bulk import BulkIssuance, BulkStatus
from plaudit.models.learner import Learner
from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard
from tests.fixtures.bulk import HEADER, csv_of, good_rows, run_jobs
from tests.fixtures.templates import create, published
from tests.fixtures.tenants import Tenant, make_tenant

FIELDS = [
    {"name": "recipient_name", "label": "Name", "type": "text", "required": True},
    {"name": "score", "label": "Score", "type": "number", "required": True},
    {"name": "completed_on", "label": "Completed", "type": "date", "required": True},
    {"name": "transcript", "label": "Transcript", "type": "url", "required": False},
    {"name": "tutor", "label": "Tutor", "type": "email", "required": True},
    {"name": "course_title", "label": "Course", "type": "text", "required": True},
    # Its name reads as a standard column: the example names it field:evidence.
    {"name": "evidence", "label": "Evidence", "type": "text", "required": True},
]


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    with TestClient(app) as client:
        return client


@pytest.fixture
def templates(api: TestClient, tenant: Tenant) -> dict[str, str]:
    return {
        "badge": published(api, tenant, name="Safety Champion"),
        "cert": published(
            api, tenant, name="First Aid Certificate", kind="certificate", fields=FIELDS[:2]
        ),
    }


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def upload(dashboard: Dashboard, data: bytes, name: str = "awards.csv") -> str:
    """Upload a file; returns the address of its preview."""
    response = dashboard.post(
        "/admin/bulk", files={"file": (name, data, "text/csv")}, page="/admin/bulk"
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/admin/bulk/preview/")
    return str(location)


def apply(dashboard: Dashboard, preview: str, **form: str) -> Any:
    path = preview.split("?")[0] + "/apply"
    return dashboard.post(path, {"filename": "awards.csv", **form}, page="/admin/bulk")


def error_rows(html: str) -> list[tuple[int, str, str]]:
    """(line, column, code) of each row of the errors table."""
    table = html[html.index('<table class="errors">') :]
    table = table[: table.index("</table>")]
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if not cells:
            continue  # the header
        column = re.sub(r"<[^>]+>", "", cells[1]).strip()
        code = re.sub(r"<[^>]+>", "", cells[3]).strip()
        found.append((int(cells[0]), column, code))
    return found


def test_the_bulk_page_explains_the_file_and_offers_an_example(owner: Dashboard) -> None:
    page = owner.get("/admin/bulk")
    assert page.status_code == 200
    for text in ("Upload a CSV file", "issue_date", "expiry_date", "evidence_url", "narrative"):
        assert text in page.text
    assert "No template is published yet" in page.text
    assert 'href="/admin/bulk/example.csv"' in page.text
    assert "No file was uploaded yet" in page.text
    # With no template published, the example still shows the columns.
    example = owner.get("/admin/bulk/example.csv")
    assert example.status_code == 200
    assert example.headers["content-type"].startswith("text/csv")
    assert "attachment" in example.headers["content-disposition"]
    assert example.text.splitlines()[0] == (
        "email,first_name,last_name,template,issue_date,expiry_date,evidence_url,narrative"
    )


def test_the_example_is_built_from_the_published_templates_and_previews_clean(
    owner: Dashboard, api: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    published(api, tenant, name="Safety Champion")
    published(
        api,
        tenant,
        name="First Aid Certificate",
        kind="certificate",
        fields=FIELDS,
        expiry={"type": "duration", "duration": "P1Y"},
    )
    create(api, tenant, name="Unfinished")  # a draft: not in the example
    example = owner.get("/admin/bulk/example.csv").text
    rows = list(csv.reader(io.StringIO(example)))
    assert rows[0] == [
        *HEADER.split(",")[:-1],
        "recipient_name",
        "score",
        "completed_on",
        "transcript",
        "tutor",
        "course_title",
        "field:evidence",
    ]
    assert [r[3] for r in rows[1:]] == ["First Aid Certificate", "Safety Champion"]
    preview = owner.get(upload(owner, example.encode(), "example.csv"))
    assert "Issue 2 credentials" in preview.text
    assert '<table class="errors">' not in preview.text and "Upload another file" in preview.text
    assert "<title>Preview · Bulk issuance · Plaudit</title>" in preview.text
    assert preview.text.count("Upload another file") == 1
    with unit_of_work(runtime.sessions) as session:
        report = bulk.preview(
            session, organization_id=tenant.id, stream=io.BytesIO(example.encode())
        )
    assert (report.valid, report.error_count) == (2, 0)


def test_the_preview_lists_every_error_by_line_and_column_and_writes_nothing(
    owner: Dashboard, api: TestClient, tenant: Tenant, runtime: Runtime, templates: dict[str, str]
) -> None:
    # One row issued before through the API: the preview counts it as issued before.
    started = api.post(
        "/api/v1/bulk-issuances",
        files={"file": ("old.csv", csv_of(*good_rows(1)), "text/csv")},
        headers=tenant.headers,
    )
    assert started.status_code == 202, started.text
    run_jobs()
    before = (count(runtime, Credential), count(runtime, Learner), count(runtime, BulkIssuance))
    data = csv_of(
        *good_rows(3),  # line 2 was issued before
        "nobody@example.org,No,Body,<script>alert(1)</script>,2024-03-03,,,,",  # line 5
        "not-an-email,Bad,Email,Safety Champion,2024-03-04,,,,",  # line 6
        "date@example.org,Bad,Date,Safety Champion,2024-02-30,,,,",  # line 7
        "score@example.org,No,Score,First Aid Certificate,2024-03-06,,,,",  # line 8
        "LEARNER1@example.org,Ada,Again,safety champion,2024-03-02,,,,",  # line 9: repeats 3
    )
    preview = upload(owner, data)
    page = owner.get(preview)
    assert page.status_code == 200
    assert error_rows(page.text) == [
        (5, "template", "unknown_template"),
        (6, "email", "invalid_email"),
        (7, "issue_date", "invalid_date"),
        (8, "score", "missing_value"),
        (9, "the row", "duplicate_row"),
    ]
    assert "repeats line 3" in page.text
    assert "is not a valid email address" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "5 errors in 5 rows" in page.text
    assert "upload it below" in page.text  # the page says what to do
    stats = dict(re.findall(r'class="value">(\d+)</span><span class="label">([^<]+)<', page.text))
    assert stats == {
        "8": "rows",
        "3": "rows OK",
        "5": "rows with errors",
        "2": "to issue",
        "1": "issued before",
    }
    assert "Issue 2 credentials" in page.text
    assert "Skip the 5 rows with errors" in page.text
    # Nothing was written: no learner, no credential, no job.
    assert (
        count(runtime, Credential),
        count(runtime, Learner),
        count(runtime, BulkIssuance),
    ) == before
    # The preview has its own address: it can be opened again.
    assert owner.get(preview).text.count("<tr>") == page.text.count("<tr>")


def test_a_file_with_errors_is_refused_unless_its_invalid_rows_are_skipped(
    owner: Dashboard, runtime: Runtime, templates: dict[str, str]
) -> None:
    preview = upload(owner, csv_of(*good_rows(3), "oops,X,Y,Safety Champion,2024-01-01,,,,"))
    refused = apply(owner, preview, notify="on")
    assert refused.status_code == 422
    assert "Nothing was issued" in refused.text
    assert 'id="e-skip_invalid"' in refused.text
    assert "tick this box to issue the valid rows only" in refused.text
    assert count(runtime, BulkIssuance) == 0 and count(runtime, Credential) == 0

    applied = apply(owner, preview, skip_invalid="on")
    assert applied.status_code == 303, applied.text
    job_page = applied.headers["location"]
    with runtime.sessions() as session:
        job = session.scalars(select(BulkIssuance)).one()
        assert (job.skip_invalid, job.notify, job.uploaded_by) == (True, False, owner.email)
    run_jobs()
    page = owner.get(job_page).text
    assert "s-completed" in page
    assert error_rows(page) == [(5, "email", "invalid_email")]
    assert re.search(r'data-bulk="failed">1<', page)
    assert count(runtime, Credential) == 3


def test_issuing_runs_the_job_and_its_page_follows_it_to_the_end(
    owner: Dashboard, runtime: Runtime, tenant: Tenant, templates: dict[str, str]
) -> None:
    data = csv_of(
        *good_rows(4), "grace@example.org,Grace,Hopper,First Aid Certificate,2024-03-02,,,,92"
    )
    preview = upload(owner, data, "spring <cohort>.csv")
    applied = apply(owner, preview, notify="on", filename="spring <cohort>.csv")
    assert applied.status_code == 303, applied.text
    job_page = applied.headers["location"]
    bulk_id = job_page.rsplit("/", 1)[1]
    sha256 = preview.split("/")[-1].split("?")[0]
    # The dashboard kept the file only until it was issued; the job keeps its own copy.
    assert bulk.open_staged(runtime.files, organization_id=tenant.id, sha256=sha256) is None

    pending = owner.get(job_page)
    assert pending.status_code == 200
    assert "Issuing the rows of spring &lt;cohort&gt;.csv" in pending.text  # the flash
    assert "s-pending" in pending.text
    assert f'data-bulk-progress="/admin/bulk/{bulk_id}/progress"' in pending.text
    assert '<progress id="bulk-bar" class="progress" max="5" value="0">' in pending.text
    assert '<meta http-equiv="refresh"' in pending.text and "/admin/static/bulk.js" in pending.text
    polled = owner.get(f"/admin/bulk/{bulk_id}/progress").json()
    assert polled == {
        "status": "pending",
        "done": False,
        "total_rows": 5,
        "processed_rows": 0,
        "progress": 0.0,
        "issued": 0,
        "skipped": 0,
        "failed": 0,
    }

    assert "apply_bulk" in run_jobs()
    polled = owner.get(f"/admin/bulk/{bulk_id}/progress").json()
    assert (polled["status"], polled["done"], polled["issued"], polled["progress"]) == (
        "completed",
        True,
        5,
        1.0,
    )
    done = owner.get(job_page).text
    assert "s-completed" in done and "data-bulk-progress" not in done and "bulk.js" not in done
    assert '<progress id="bulk-bar" class="progress" max="5" value="5">' in done
    assert f'href="/admin/bulk/{bulk_id}/credentials">See the 5 credentials issued' in done
    assert owner.email in done

    issued = owner.get(f"/admin/bulk/{bulk_id}/credentials").text
    with runtime.sessions() as session:
        ids = set(session.scalars(select(Credential.id)))
    assert len(ids) == 5
    assert {
        uuid.UUID(i) for i in re.findall(r'href="/admin/credentials/([0-9a-f-]{36})"', issued)
    } == ids
    assert "First Aid Certificate" in issued and "Grace Hopper" in issued

    # The history lists it: who, when, the file's name (escaped), rows and status.
    history = owner.get("/admin/bulk").text
    assert f'href="/admin/bulk/{bulk_id}">spring &lt;cohort&gt;.csv</a>' in history
    assert owner.email in history and "s-completed" in history

    # Its preview now leads to the job; the same file uploaded again issues nothing new.
    assert owner.get(preview).headers["location"] == job_page
    again = owner.get(upload(owner, data)).text
    assert "This file was uploaded before" in again and "Issue 0" not in again
    assert "/apply" not in again
    assert count(runtime, Credential) == 5


def test_uploading_no_file_is_a_message_beside_the_field(
    owner: Dashboard, runtime: Runtime
) -> None:
    response = owner.post("/admin/bulk", {}, page="/admin/bulk")
    assert response.status_code == 422
    assert 'id="e-file">Choose a CSV file to upload.' in response.text
    assert count(runtime, BulkIssuance) == 0


def test_an_unreadable_file_is_reported_at_its_line(
    owner: Dashboard, templates: dict[str, str]
) -> None:
    page = owner.get(upload(owner, b"email,template,issue_date\n\xff\xfe,x,y\n")).text
    assert error_rows(page) == [(2, "the row", "malformed_row")]
    assert "No row of this file can be issued" in page and "/apply" not in page


def test_the_history_is_paginated(owner: Dashboard, runtime: Runtime, tenant: Tenant) -> None:
    with unit_of_work(runtime.sessions) as session:
        for n in range(27):
            session.add(
                BulkIssuance(
                    organization_id=tenant.id,
                    sha256=f"{n:064x}",
                    filename=f"file-{n:02d}.csv",
                    file_key=f"bulk/{tenant.id}/{n:064x}.csv",
                    size_bytes=10,
                    uploaded_by="API key 'lms'",
                    status=BulkStatus.COMPLETED,
                    total_rows=1,
                    errors=[],
                )
            )
    first = owner.get("/admin/bulk").text
    assert "Page 1 of 2" in first and first.count("file-") == 25
    second = owner.get("/admin/bulk?page=2").text
    assert second.count("file-") == 2 and "API key &#39;lms&#39;" in second


def test_viewers_see_the_pages_but_cannot_upload_or_issue(
    dashboard: Callable[..., Dashboard], runtime: Runtime, templates: dict[str, str]
) -> None:
    owner = dashboard(Role.OWNER)
    preview = upload(owner, csv_of(*good_rows(2)))
    viewer = dashboard(Role.VIEWER)
    page = viewer.get("/admin/bulk")
    assert page.status_code == 200 and 'action="/admin/bulk"' not in page.text
    seen = viewer.get(preview)
    assert seen.status_code == 200 and "Issue 2 credentials" not in seen.text
    token = viewer.csrf("/admin/bulk")
    refused = viewer.post(
        "/admin/bulk", files={"file": ("a.csv", csv_of(*good_rows(1)), "text/csv")}, csrf=token
    )
    assert refused.status_code == 403
    assert apply(viewer, preview).status_code == 403
    assert count(runtime, BulkIssuance) == 0


def test_another_organizations_uploads_are_not_found(
    dashboard: Callable[..., Dashboard],
    api: TestClient,
    runtime: Runtime,
    templates: dict[str, str],
) -> None:
    owner = dashboard(Role.OWNER)
    preview = upload(owner, csv_of(*good_rows(1)))
    job_page = apply(owner, preview).headers["location"]
    bulk_id = job_page.rsplit("/", 1)[1]
    other = dashboard(Role.OWNER, tenant_=make_tenant(runtime, name="Other"))
    for path in (job_page, f"{job_page}/progress", f"{job_page}/credentials"):
        assert other.get(path).status_code == 404, path
    assert owner.get("/admin/bulk/not-a-uuid").status_code == 404
    assert owner.get(f"/admin/bulk/{uuid.uuid4()}").status_code == 404
    assert owner.get("/admin/bulk/preview/nothex").status_code == 404
    # A file staged by one organization is not another's to preview or issue.
    staged = upload(owner, csv_of(*good_rows(2)))
    assert other.get(staged).status_code == 404
    assert apply(other, staged).status_code == 404
    assert bulk_id not in other.get("/admin/bulk").text
    assert "This upload is no longer kept" in other.get(staged).text


def test_an_upload_through_the_api_names_its_key_in_the_history(
    owner: Dashboard, api: TestClient, tenant: Tenant, templates: dict[str, str]
) -> None:
    started = api.post(
        "/api/v1/bulk-issuances",
        files={"file": ("lms.csv", csv_of(*good_rows(1)), "text/csv")},
        headers=tenant.headers,
    )
    assert started.status_code == 202, started.text
    history = owner.get("/admin/bulk").text
    assert "lms.csv" in history and "API key" in history


def test_a_job_that_failed_is_resumed_by_issuing_its_file_again(
    owner: Dashboard, runtime: Runtime, templates: dict[str, str]
) -> None:
    data = csv_of(*good_rows(2))
    job_page = apply(owner, upload(owner, data)).headers["location"]
    with unit_of_work(runtime.sessions) as session:
        job = session.scalars(select(BulkIssuance)).one()
        bulk.fail(session, bulk_id=job.id, reason="the uploaded file is no longer stored")
    stopped = owner.get(job_page).text
    assert "s-failed" in stopped and "the uploaded file is no longer stored" in stopped
    preview = upload(owner, data)
    page = owner.get(preview).text
    assert "Issuing it again resumes that job" in page and "Issue 2 credentials" in page
    resumed = apply(owner, preview)
    assert resumed.headers["location"] == job_page
    run_jobs()
    assert "s-completed" in owner.get(job_page).text
    assert count(runtime, BulkIssuance) == 1 and count(runtime, Credential) == 2


def test_the_example_names_a_template_by_its_id_when_its_name_is_shared(
    owner: Dashboard, api: TestClient, tenant: Tenant
) -> None:
    twins = {published(api, tenant, name="Twin"), published(api, tenant, name="twin")}
    rows = list(csv.reader(io.StringIO(owner.get("/admin/bulk/example.csv").text)))
    assert {r[3] for r in rows[1:]} == twins
    page = owner.get(upload(owner, owner.get("/admin/bulk/example.csv").content)).text
    assert "Issue 2 credentials" in page and '<table class="errors">' not in page


def test_two_uploads_run_together_and_each_lists_only_its_own_credentials(
    owner: Dashboard, runtime: Runtime, tenant: Tenant, templates: dict[str, str]
) -> None:
    rows = good_rows(6)
    first = apply(owner, upload(owner, csv_of(*rows[:3]), "first.csv"))
    # The second file shares one row with the first: that row is issued once, by one job.
    second = apply(owner, upload(owner, csv_of(*rows[2:]), "second.csv"))
    jobs = [first.headers["location"], second.headers["location"]]
    assert "apply_bulk" in run_jobs()  # both jobs run in the same window of time

    listed: list[set[str]] = []
    for job in jobs:
        page = owner.get(f"{job}/credentials").text
        listed.append(set(re.findall(r'href="/admin/credentials/([0-9a-f-]{36})"', page)))
    assert not listed[0] & listed[1]
    assert len(listed[0] | listed[1]) == 6 == count(runtime, Credential)
    assert sorted(len(ids) for ids in listed) == [3, 3]
    for job, ids in zip(jobs, listed, strict=True):
        detail = owner.get(f"/admin/credentials/{next(iter(ids))}").text
        assert f'<a href="{job}">a bulk issuance</a>' in detail


def test_a_file_checked_but_never_issued_is_forgotten_after_a_week(
    owner: Dashboard, runtime: Runtime, tenant: Tenant, templates: dict[str, str]
) -> None:
    old = upload(owner, csv_of(*good_rows(2)), "old.csv")
    fresh = upload(owner, csv_of(*good_rows(2, start=2)), "fresh.csv")
    sha256 = old.split("/")[-1].split("?")[0]
    path = (
        runtime.settings.data_dir
        / "files"
        / bulk.staged_key(organization_id=tenant.id, sha256=sha256)
    )
    eight_days_ago = (utcnow() - timedelta(days=8)).timestamp()
    os.utime(path, (eight_days_ago, eight_days_ago))

    assert bulk.purge_staged(runtime.files, now=utcnow()) == 1
    gone = owner.get(old)
    assert gone.status_code == 404 and "a week went by" in gone.text
    assert "Issue 2 credentials" in owner.get(fresh).text
    assert count(runtime, BulkIssuance) == 0  # checking a file never made a job


def _late_rows(html: str) -> dict[int, str]:
    """Line -> the state written in the late rows' table ("already expired", "within N days")."""
    table = html[html.index('<table class="late-rows">') :]
    table = table[: table.index("</table>")]
    return {
        int(line): state
        for line, state in re.findall(
            r'data-late-line="(\d+)".*?class="late-state">([^<]+)<', table, re.S
        )
    }


def test_rows_that_would_arrive_expired_or_expiring_are_flagged_each_with_a_choice(
    owner: Dashboard, api: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    published(api, tenant, name="Yearly", expiry={"type": "duration", "duration": "P1Y"})
    published(api, tenant, name="Forever", expiry={"type": "none"})
    today = utcnow().date()
    soon = today - timedelta(days=365 - 10)  # a year after it: in 10 days, within 30
    data = csv_of(
        "old@example.org,Old,Row,Yearly,2024-03-01,,,,",  # line 2: expired in 2025
        f"soon@example.org,Soon,Row,Yearly,{soon.isoformat()},,,,",  # line 3: expiring
        "never@example.org,Never,Row,Forever,2024-03-01,,,,",  # line 4: no expiry
        f"fresh@example.org,Fresh,Row,Yearly,{today.isoformat()},,,,",  # line 5: a year ahead
        "stated@example.org,Stated,Row,Forever,2024-03-01,2025-01-01,,,",  # line 6: its own
    )
    preview = upload(owner, data)
    page = owner.get(preview).text
    assert "2 rows would arrive already expired" in page
    assert "1 row would expire within the reminder window" in page
    assert _late_rows(page) == {2: "already expired", 3: "within 30 days", 6: "already expired"}
    # Each flagged row has its choice; dating today is offered only where it changes the expiry.
    for line in (2, 3):
        for value in ("issue", "today", "skip"):
            assert f'name="late-{line}" value="{value}"' in page
    assert 'name="late-6" value="today"' not in page and 'name="late-6" value="skip"' in page
    assert "Issue 5 credentials" in page

    applied = apply(owner, preview, **{"late-2": "skip", "late-3": "today", "late-6": "issue"})
    assert applied.status_code == 303, applied.text
    run_jobs()
    with runtime.sessions() as session:
        job = session.scalars(select(BulkIssuance)).one()
        assert (job.issued, job.skipped, job.failed) == (4, 1, 0)
        by_email = {c.recipient_email: c for c in session.scalars(select(Credential))}
    assert "old@example.org" not in by_email  # skipped
    redated = by_email["soon@example.org"]
    assert redated.emitted_at.date() == today
    assert redated.expires_at is not None and redated.expires_at.date() > today + timedelta(
        days=360
    )
    stated = by_email["stated@example.org"].expires_at
    assert stated is not None and stated.date().isoformat() == "2025-01-01"
    assert by_email["never@example.org"].expires_at is None


def test_a_choice_that_is_not_one_is_refused_with_a_message(
    owner: Dashboard, api: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    published(api, tenant, name="Yearly", expiry={"type": "duration", "duration": "P1Y"})
    preview = upload(owner, csv_of("old@example.org,Old,Row,Yearly,2024-03-01,,,,"))
    refused = apply(owner, preview, **{"late-2": "<b>later</b>"})
    assert refused.status_code == 422
    assert "Line 2: choose to issue the row, skip it or date it today." in refused.text
    assert "<b>later</b>" not in refused.text
    assert count(runtime, BulkIssuance) == 0


def test_the_issue_button_is_disabled_with_its_reason_while_it_would_issue_nothing(
    owner: Dashboard, runtime: Runtime, templates: dict[str, str]
) -> None:
    preview = upload(owner, csv_of(*good_rows(3), "oops,X,Y,Safety Champion,2024-01-01,,,,"))
    page = owner.get(preview).text
    button = re.search(r"<button [^>]*data-bulk-issue[^>]*>", page)
    assert button is not None and " disabled" in button[0]
    assert 'aria-describedby="issue-why"' in button[0]
    assert "Tick “Skip the 1 row with errors” first: as it is, the file would be refused" in page
    # Without the script, a button that does what it says.
    assert '<noscript><button type="submit" name="skip_invalid" value="on">' in page
    # A file without errors: the button works.
    clean = owner.get(upload(owner, csv_of(*good_rows(2, start=5)))).text
    button = re.search(r"<button [^>]*data-bulk-issue[^>]*>", clean)
    assert button is not None and "disabled" not in button[0]
    assert count(runtime, BulkIssuance) == 0
