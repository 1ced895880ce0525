"""The overview: its numbers match what the API made, per period, per organization; the demo's
printed login opens it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from plaudit import jobs
from plaudit.analytics import periods, queries
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import unit_of_work, utcnow
from plaudit.delivery import engine as delivery
from plaudit.demo import PEOPLE
from plaudit.models.award import Credential
from plaudit.models.engagement import Engagement
from plaudit.models.event import Event, EventOutcome
from plaudit.models.organization import Organization
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard, csrf_of
from tests.fixtures.credentials import Issued, act, issue
from tests.fixtures.delivery import deliver_all, subscribe
from tests.fixtures.overview import (
    BY_TEMPLATE,
    ENGAGEMENT_PER_DAY,
    ISSUED_PER_DAY,
    chart_table,
    figure,
    row,
    texts,
)
from tests.fixtures.pages import engagement_of
from tests.fixtures.peers import SmtpServer, delivery_settings, smtp_server
from tests.fixtures.scenario import event, send
from tests.fixtures.tenants import Tenant, make_tenant

__all__ = ["smtp_server"]


@pytest.fixture
def settings(engine: Engine, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return delivery_settings(engine, tmp_path, smtp_server)


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    with TestClient(app) as client:
        return client


def overview(dashboard: Dashboard, days: int | str | None = None) -> dict[str, str]:
    response = dashboard.get("/admin/" + (f"?days={days}" if days is not None else ""))
    assert response.status_code == 200, response.text
    return texts(response.text)


def another_credential(api: TestClient, tenant: Tenant, issued: Issued, learner: str) -> str:
    """A second credential of the same template, for another learner (the rule's course)."""
    record = api.get(f"/api/v1/credentials/{issued.credential_id}", headers=tenant.headers).json()
    payload = event(
        f"e-{uuid.uuid4().hex[:8]}",
        "course.completed",
        learner=learner,
        entity=("course", f"c-{record['template_id']}"),
    )
    return str(send(api, tenant, payload)["awards"][0]["credential_id"])


def record(api: TestClient, tenant: Tenant, credential_id: str, kind: Engagement) -> None:
    engagement_of(api).record(
        organization_id=tenant.id, credential_id=uuid.UUID(credential_id), kind=kind
    )


def test_a_new_organization_sees_empty_states(owner: Dashboard) -> None:
    response = owner.get("/admin/")
    assert response.status_code == 200
    html = response.text
    page = texts(html)
    assert figure(page, "stat-issued") == "0"
    assert figure(page, "stat-claim-rate") == "—"
    assert figure(page, "stat-share-rate") == "—"
    assert "No credentials were issued in the last 30 days" in page["issued-empty"]
    assert 'href="/admin/templates"' in html  # what to do first
    assert page["expiring-count"] == "0" and page["failed-count"] == "0"
    assert page["unawarded-count"] == "0"
    assert "No data in this period" in html  # the engagement chart, drawn empty
    for ident in ("count-templates", "count-rules", "count-learners", "count-valid"):
        assert figure(page, ident) != ""
    assert page["count-learners"].endswith("0")
    assert 'aria-current="page">Last 30 days' in html


def test_the_numbers_match_what_the_api_made(
    owner: Dashboard, api: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    alpha = issue(api, tenant, template_name="Alpha Badge", learner="ada")
    alpha_2 = another_credential(api, tenant, alpha, "grace")
    alpha_3 = another_credential(api, tenant, alpha, "alan")
    beta = issue(
        api,
        tenant,
        template_name="Beta <Certificate>",
        learner="katherine",
        expiry={"type": "duration", "duration": "P10D"},
    )
    # An event no rule wants.
    send(api, tenant, event("e-nothing", "forum.posted", learner="linus"))

    # Engagement: two page views of alpha, a download of beta, LinkedIn add and share,
    # one verification of a credential nobody opened.
    headers = {"accept": "text/html"}
    assert api.get(alpha.page, headers=headers).status_code == 200
    assert api.get(alpha.page, headers=headers).status_code == 200
    download = api.get(f"/credentials/{beta.public_id}/download/credential.json")
    assert download.status_code == 200
    added = api.get(f"{alpha.page}/linkedin?action=add", follow_redirects=False)
    assert added.status_code == 303
    shared = api.get(f"{beta.page}/linkedin?action=share", follow_redirects=False)
    assert shared.status_code == 303
    record(api, tenant, alpha_3, Engagement.VERIFICATION)
    engagement_of(api).flush(runtime.sessions)

    # A revoked and a suspended credential.
    act(api, tenant, Issued(alpha_2, "", ""), "suspend", "checking")
    revoked = issue(api, tenant, template_name="Gamma", learner="margaret")
    act(api, tenant, revoked, "revoke", "issued by mistake")

    page = overview(owner)
    assert figure(page, "stat-issued") == "5"
    assert row(page, "eng-views") == ["2", "0.4"]
    assert row(page, "eng-downloads") == ["1", "0.2"]
    assert row(page, "eng-linkedin-add") == ["1", "0.2"]
    assert row(page, "eng-linkedin-share") == ["1", "0.2"]
    assert row(page, "eng-verifications") == ["1", "0.2"]
    # Claimed: alpha (viewed) and beta (downloaded); a verification is not a claim.
    assert row(page, "eng-claimed") == ["2", "40%"]
    assert figure(page, "stat-claim-rate") == "40%"
    assert figure(page, "stat-share-rate") == "40%"  # 2 LinkedIn clicks / 5 issued
    # By template, the most issued first; the names escaped.
    html = owner.get("/admin/").text
    assert "Beta &lt;Certificate&gt;" in html and "Beta <Certificate>" not in html
    by_template = chart_table(html, BY_TEMPLATE)
    assert list(by_template.items()) == [
        ("Alpha Badge", ["3"]),
        ("Beta <Certificate>", ["1"]),
        ("Gamma", ["1"]),
    ]
    # Past the top ones, the others are summed up in one bar.
    with unit_of_work(runtime.read_sessions) as session:
        span = periods.period(30, now=utcnow())
        top = queries.issued_by_template(session, tenant.id, span, top=1)
    assert [(t.name, t.count) for t in top] == [("Alpha Badge", 3), ("2 other templates", 2)]
    assert top[1].template_id is None
    # Per day: today's row in the table holds all five.
    today = utcnow().date().isoformat()
    assert chart_table(html, ISSUED_PER_DAY)[today] == ["5"]
    # Expiring soon: beta, in ten days, linked to its page.
    assert page["expiring-count"] == "1"
    assert f'href="/admin/credentials/{beta.credential_id}"' in html
    # The event nobody wanted, linked to its trace.
    assert page["unawarded-count"] == "1" and figure(page, "stat-unawarded") == "1"
    assert "forum.posted" in page["unawarded"]
    with unit_of_work(runtime.read_sessions) as session:
        quiet = session.scalar(select(Event.id).where(Event.external_id == "e-nothing"))
    assert f'href="/admin/events/{quiet}"' in html
    # The program: templates, rules, learners, credentials by state.
    assert page["count-templates"].split()[-3:] == ["3", "of", "3"]
    assert page["count-rules"].split()[-3:] == ["3", "of", "3"]
    assert page["count-learners"].split()[-1] == "6"
    assert page["count-valid"].split()[-1] == "3"
    assert page["count-suspended"].split()[-1] == "1"
    assert page["count-revoked"].split()[-1] == "1"
    assert page["count-expired"].split()[-1] == "0"


def test_failed_and_retrying_deliveries_are_listed(
    owner: Dashboard, api: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    issued = issue(api, tenant, template_name="Alpha")
    deliver_all(runtime)  # the learner's email goes out
    gone = subscribe(api, tenant, "http://127.0.0.1:9/nothing-listens-here")
    api.post(f"/api/v1/webhooks/{gone['id']}/ping", headers=tenant.headers)
    # Days pass: every retry fails until the message gives up.
    deliver_all(runtime, rounds=16, step=timedelta(days=1))
    page = overview(owner)
    assert page["failed-count"] == "1"
    assert "failed webhook webhook.ping" in page["failed"]
    html = owner.get("/admin/").text
    assert f'href="/admin/settings/webhooks/{gone["id"]}"' in html

    waiting = subscribe(api, tenant, "http://127.0.0.1:9/still-nothing")
    api.post(f"/api/v1/webhooks/{waiting['id']}/ping", headers=tenant.headers)
    delivery.run_due(runtime)
    page = overview(owner)
    assert page["failed-count"] == "2" and figure(page, "stat-failed") == "2"
    assert "retrying webhook webhook.ping" in page["failed"]
    assert "Connection refused" in page["failed"]
    assert issued.credential_id not in page["failed"]


def test_the_period_filter_counts_only_its_days(
    owner: Dashboard, api: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    recent = issue(api, tenant, template_name="Alpha", learner="ada")
    older = another_credential(api, tenant, recent, "grace")
    oldest = another_credential(api, tenant, recent, "alan")
    send(api, tenant, event("e-old", "forum.posted", learner="linus"))
    now = utcnow()
    with unit_of_work(runtime.sessions) as session:
        for ident, age in ((older, 20), (oldest, 60)):
            session.execute(
                update(Credential)
                .where(Credential.id == uuid.UUID(ident))
                .values(created_at=now - timedelta(days=age), emitted_at=now - timedelta(days=age))
            )
        session.execute(
            update(Event)
            .where(Event.external_id == "e-old")
            .values(received_at=now - timedelta(days=10))
        )
    assert figure(overview(owner, 7), "stat-issued") == "1"
    assert figure(overview(owner, 30), "stat-issued") == "2"
    assert figure(overview(owner, 90), "stat-issued") == "3"
    assert figure(overview(owner), "stat-issued") == "2"  # 30 days by default
    assert figure(overview(owner, "365"), "stat-issued") == "2"  # not offered: the default
    assert figure(overview(owner, "<x>"), "stat-issued") == "2"
    assert overview(owner, 7)["unawarded-count"] == "0"
    assert overview(owner, 30)["unawarded-count"] == "1"
    html = owner.get("/admin/?days=90").text
    assert 'aria-current="page">Last 90 days' in html
    # The charts cover 90 days: 90 rows in each day chart's table (issued, engagement); the
    # day 60 days ago holds one credential.
    day = (now - timedelta(days=60)).date().isoformat()
    per_day = chart_table(html, ISSUED_PER_DAY)
    assert per_day[day] == ["1"]
    assert len(per_day) == len(chart_table(html, ENGAGEMENT_PER_DAY)) == 90
    assert sum(int(n) for [n] in per_day.values()) == 3


def test_a_back_dated_credential_counts_on_the_day_plaudit_issued_it(
    owner: Dashboard, api: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    """The overview is about the program's activity: last year's awards uploaded today are
    issued today (and sent today), whatever issue date they carry."""
    issued = issue(api, tenant, template_name="Alpha", learner="ada")
    # Well before any period the overview offers, whatever today is.
    long_ago = (utcnow() - timedelta(days=400)).date().isoformat()
    rows = [f"{who}@example.org,{who.title()},Old,Alpha,{long_ago}" for who in ("grace", "alan")]
    data = ("\n".join(["email,first_name,last_name,template,issue_date", *rows]) + "\n").encode()
    started = api.post(
        "/api/v1/bulk-issuances",
        files={"file": ("last-year.csv", data, "text/csv")},
        headers=tenant.headers,
    )
    assert started.status_code == 202, started.text
    while (task := jobs.queue.dequeue()) is not None:
        if task.name in {"apply_bulk", "sign_bulk"}:
            jobs.queue.execute(task)
    with unit_of_work(runtime.read_sessions) as session:
        back_dated = session.scalars(
            select(Credential).where(Credential.recipient_email == "grace@example.org")
        ).one()
        assert back_dated.emitted_at.date().isoformat() == long_ago
    # Opened once: it is part of the period's cohort, so its view counts and it is claimed.
    assert api.get(
        f"/credentials/{back_dated.public_id}", headers={"accept": "text/html"}
    ).is_success
    engagement_of(api).flush(runtime.sessions)

    html = owner.get("/admin/?days=7").text
    page = texts(html)
    assert page["stat-issued"] == "3 credentials issued"
    today = utcnow().date().isoformat()
    per_day = chart_table(html, ISSUED_PER_DAY)
    assert per_day[today] == ["3"] and long_ago not in per_day
    assert chart_table(html, BY_TEMPLATE) == {"Alpha": ["3"]}
    assert row(page, "eng-views") == ["1", "0.3"]
    assert row(page, "eng-claimed") == ["1", "33%"]
    assert "back-dated ones from a CSV file count on the day the file was issued" in html
    # The one credential issued by a rule alone: no "1 credentials".
    act(api, tenant, issued, "revoke", "only to be sure revoked ones still count")
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Credential)
            .where(Credential.recipient_email.in_(["grace@example.org", "alan@example.org"]))
            .values(created_at=utcnow() - timedelta(days=10))
        )
    page = overview(owner, 7)
    assert page["stat-issued"] == "1 credential issued"
    assert "1 credential issued in the last 7 days" in page["chart-issued"]
    assert "1 template issued in the last 7 days" in page["chart-templates"]
    assert figure(overview(owner, 30), "stat-issued") == "3"


def test_another_organizations_numbers_never_appear(
    dashboard: Callable[..., Dashboard], api: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    other = make_tenant(runtime, name="Other Academy")
    theirs = issue(api, other, template_name="Their Secret Badge", learner="eve")
    another_credential(api, other, theirs, "mallory")
    send(api, other, event("e-theirs", "forum.posted", learner="eve"))
    api.get(theirs.page, headers={"accept": "text/html"})
    engagement_of(api).flush(runtime.sessions)
    issue(api, tenant, template_name="Our Badge", learner="ada")

    viewer = dashboard()
    html = viewer.get("/admin/").text
    page = texts(html)
    assert figure(page, "stat-issued") == "1"
    assert row(page, "eng-views") == ["0", "0.0"]
    assert page["unawarded-count"] == "0"
    assert page["count-learners"].split()[-1] == "1"
    assert "Their Secret Badge" not in html and theirs.credential_id not in html
    # Their owner sees theirs.
    page = overview(dashboard(tenant_=other))
    assert figure(page, "stat-issued") == "2" and page["unawarded-count"] == "1"


def test_viewers_see_the_overview(viewer: Dashboard, api: TestClient, tenant: Tenant) -> None:
    issue(api, tenant, template_name="Alpha")
    page = overview(viewer)
    assert figure(page, "stat-issued") == "1"


def test_the_demos_printed_login_opens_the_overview_with_its_numbers(
    engine: Engine, tmp_path: Path, settings: Settings
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATA_DIR": str(tmp_path),
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_QUEUE_URL": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-m", "plaudit", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    dashboard_url = next(line for line in lines if line.startswith("Dashboard:")).split()[-1]
    assert dashboard_url == "http://127.0.0.1:8000/admin/"
    email, password = (
        next(line for line in lines if line.startswith("Sign in:"))
        .removeprefix("Sign in:")
        .strip()
        .split(" / ")
    )

    app = create_app(settings, runtime=Runtime(settings=settings, engine=engine))
    with TestClient(app) as browser:
        login = browser.get("/admin/login")
        signed_in = browser.post(
            "/admin/login",
            data={"csrf_token": csrf_of(login.text), "email": email, "password": password},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin/"
        response = browser.get("/admin/")
    assert response.status_code == 200
    page = texts(response.text)
    assert "Plaudit Academy" in page["main"]
    # The demo's activity spans weeks; the overview opens on the last 30 days.
    start = periods.period(periods.DEFAULT_PERIOD, now=utcnow()).start
    with unit_of_work(Runtime(settings=settings, engine=engine).read_sessions) as session:
        org = session.scalar(select(Organization.id).where(Organization.slug == "demo"))
        issued = session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.organization_id == org, Credential.created_at >= start)
        )
        quiet = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.organization_id == org,
                Event.outcome != EventOutcome.AWARDED,
                Event.received_at >= start,
            )
        )
    assert issued and issued > 0
    assert figure(page, "stat-issued") == str(issued)
    assert page["unawarded-count"] == str(quiet)
    assert page["count-learners"].split()[-1] == str(len(PEOPLE))
    assert page["count-rules"].split()[-3:] == ["3", "of", "3"]
    assert page["count-templates"].split()[-3:] == ["4", "of", "4"]
