"""The API docs at /docs render in a browser that can reach nothing but Plaudit."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer, screenshot

pytestmark = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)


def test_the_api_docs_work_offline(live: LiveServer, page: Page) -> None:
    elsewhere: list[str] = []

    def local_only(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    # A script, style or icon the page's Content-Security-Policy refused shows up here.
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.url}/docs")
    verify = page.locator(".opblock", has=page.locator('[data-path="/api/v1/verify"]')).first
    # The first /openapi.json of a process builds the whole document: seconds on a busy machine.
    expect(verify).to_be_visible(timeout=30_000)
    screenshot(page, "api-docs")
    assert elsewhere == []
    assert console == []
