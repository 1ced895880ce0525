"""Every dashboard page the demo organization links to opens: a crawl from the overview,
signed in as the demo's owner, following every link under /admin (pagers and filters too)."""

from __future__ import annotations

import re
from collections import deque

from fastapi import FastAPI
from fastapi.testclient import TestClient

from plaudit import jobs
from plaudit.db import unit_of_work
from plaudit.demo import load_demo
from plaudit.runtime import Runtime
from tests.admin.conftest import sign_in
from tests.fixtures.crawl import admin_links

_PLAIN_HEAD = re.compile(r"(?s)(?:(?!<section|<form|<h[1-6]).)*<title>[^<]+</title>.*")
LIMIT = 400


def _run_jobs() -> None:
    """Sign and render what the demo queued, as a worker would."""
    while (task := jobs.queue.dequeue()) is not None:
        jobs.queue.execute(task)


def test_every_page_linked_from_the_demo_dashboard_opens(app: FastAPI, runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        login = load_demo(session, runtime.files)
    with TestClient(app) as browser:
        _run_jobs()
        assert sign_in(browser, login.email, login.password).status_code == 303
        seen = {"/admin/"}
        todo = deque(["/admin/"])
        html_pages = 0
        broken: list[tuple[str, int]] = []
        while todo and len(seen) <= LIMIT:
            url = todo.popleft()
            response = browser.get(url, follow_redirects=False)
            kind = response.headers.get("content-type", "")
            location = response.headers.get("location", "")
            if response.is_redirect and location.startswith("/admin/") and "login" not in location:
                if location not in seen:
                    seen.add(location)
                    todo.append(location)
                continue
            if response.status_code != 200:
                broken.append((url, response.status_code))
                continue
            if not kind.startswith("text/html"):
                continue
            html_pages += 1
            head = response.text.split("</head>", 1)[0]
            if not _PLAIN_HEAD.fullmatch(head):
                broken.append((url, -1))  # markup in the title, or a page's body in its head
            for path in admin_links(response.text, f"http://testserver{url}"):
                if path not in seen:
                    seen.add(path)
                    todo.append(path)
    assert broken == []
    # The demo's templates, rules, events, learners, credentials and settings, with their
    # pagers and filters: far more than the menu.
    assert html_pages > 60, html_pages
