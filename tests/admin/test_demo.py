"""The demo looks like a program that has been running for weeks: the overview's charts and
lists show something on the first visit, and its revoked and expired credentials say so."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit import jobs
from plaudit.db import unit_of_work, utcnow
from plaudit.demo import PEOPLE, REVOKED_REASON, load_demo
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.engagement import EngagementCount
from plaudit.models.event import Event
from plaudit.models.template import Template
from plaudit.runtime import Runtime
from tests.admin.conftest import sign_in
from tests.fixtures.overview import (
    BY_TEMPLATE,
    ENGAGEMENT_PER_DAY,
    ISSUED_PER_DAY,
    chart_table,
    figure,
    row,
    texts,
)


def _run_jobs() -> None:
    """Sign and render what the demo queued, as a worker would."""
    while (task := jobs.queue.dequeue()) is not None:
        jobs.queue.execute(task)


def _weeks(per_day: dict[str, list[str]]) -> list[tuple[int, int]]:
    """The ISO weeks of the chart's days (oldest first, the last one today) with a point > 0."""
    today = utcnow().date()
    days: list[date] = [today - timedelta(days=len(per_day) - 1 - i) for i in range(len(per_day))]
    return sorted(
        {
            (day.isocalendar().year, day.isocalendar().week)
            for day, cells in zip(days, per_day.values(), strict=True)
            if any(cell != "0" for cell in cells)
        }
    )


def test_the_demo_overview_shows_weeks_of_activity(app: FastAPI, runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        login = load_demo(session, runtime.files)
    with TestClient(app) as browser:
        _run_jobs()
        assert sign_in(browser, login.email, login.password).status_code == 303
        response = browser.get("/admin/?days=90")
        assert response.status_code == 200
        html, page = response.text, texts(response.text)

        # Awards over several weeks, not a spike on one day; and more of them lately.
        issued = chart_table(html, ISSUED_PER_DAY)
        assert len(_weeks(issued)) >= 5, _weeks(issued)
        counts = [int(n) for [n] in issued.values()]
        assert sum(counts[-28:]) > sum(counts[-56:-28]) > 0
        assert max(counts) < sum(counts) / 3
        assert len(chart_table(html, BY_TEMPLATE)) == 4
        engaged = chart_table(html, ENGAGEMENT_PER_DAY)
        assert len(_weeks(engaged)) >= 5, _weeks(engaged)

        # Every figure and list of the overview has something in it.
        for key in ("views", "downloads", "linkedin-add", "linkedin-share", "verifications"):
            assert int(row(page, f"eng-{key}")[0]) > 0, key
        assert figure(page, "stat-claim-rate") != "—" and figure(page, "stat-share-rate") != "0%"
        assert int(page["expiring-count"]) >= 1 and page["expiring"].strip()
        assert int(page["unawarded-count"]) >= 1 and "course.completed" in page["unawarded"]
        assert page["count-revoked"].split()[-1] == "1"
        assert page["count-expired"].split()[-1] == "1"
        assert page["count-learners"].split()[-1] == str(len(PEOPLE))

        # The revoked and the expired credential say so on their public pages.
        with unit_of_work(runtime.read_sessions) as session:
            revoked = session.scalars(
                select(Credential.public_id).where(Credential.status == CredentialStatus.REVOKED)
            ).one()
            expired = session.scalars(
                select(Credential.public_id).where(
                    Credential.status == CredentialStatus.ACTIVE,
                    Credential.expires_at <= utcnow(),
                )
            ).one()
            certificates = session.scalar(
                select(func.count())
                .select_from(Credential)
                .join(Template, Template.id == Credential.template_id)
                .where(Template.catalog_key == "certified-pro")
            )
        assert certificates and certificates >= 1
        html_please = {"Accept": "text/html"}
        revoked_page = browser.get(f"/credentials/{revoked}", headers=html_please)
        assert revoked_page.status_code == 200
        assert 'data-state="revoked"' in revoked_page.text
        assert REVOKED_REASON.split(":")[0] in revoked_page.text
        expired_page = browser.get(f"/credentials/{expired}", headers=html_please)
        assert expired_page.status_code == 200 and 'data-state="expired"' in expired_page.text


def test_loading_the_demo_again_adds_nothing(app: FastAPI, runtime: Runtime) -> None:
    def sizes() -> tuple[int | None, ...]:
        with unit_of_work(runtime.read_sessions) as session:
            return tuple(
                session.scalar(select(func.count()).select_from(model))
                for model in (Credential, Event, EngagementCount)
            )

    with unit_of_work(runtime.sessions) as session:
        load_demo(session, runtime.files)
    first = sizes()
    assert all(first)
    with unit_of_work(runtime.sessions) as session:
        load_demo(session, runtime.files)
    assert sizes() == first
