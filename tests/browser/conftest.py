"""A real Plaudit server on a local port and Debian's Chromium driven by Playwright.

Screenshots go to test-output/screenshots/ (or $PLAUDIT_TEST_OUTPUT/screenshots/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import PASSWORD, add_person
from tests.fixtures.databases import make_settings
from tests.fixtures.peers import free_port
from tests.fixtures.serving import serving
from tests.fixtures.tenants import Tenant, make_tenant

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root in a container: no sandbox; and no calls home, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(os.environ.get("PLAUDIT_TEST_OUTPUT", Path(__file__).parents[2] / "test-output"))

if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (make test installs it with apt as root or sudo)",
        allow_module_level=True,
    )


@dataclass(frozen=True)
class LiveServer:
    url: str
    client: TestClient  # the same app, for API calls that set the scene
    runtime: Runtime


@pytest.fixture
def live(engine: Engine, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(engine, tmp_path, public_base_url=url)
    runtime = Runtime(settings=settings, engine=engine)
    app = create_app(settings, runtime=runtime)
    with serving(app, port), TestClient(app, base_url=url, raise_server_exceptions=False) as client:
        yield LiveServer(url, client, runtime)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    yield opened
    context.close()
    assert errors == [], errors  # no script error, and no injected alert(), on any page


def screenshot(page: Page, name: str) -> Path:
    folder = OUTPUT / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True)
class AdminBrowser:
    """A signed-in dashboard in Chromium: the owner of ``tenant``'s organization."""

    page: Page
    live: LiveServer
    tenant: Tenant
    email: str

    def go(self, path: str) -> None:
        self.page.goto(self.live.url + path)

    def shot(self, name: str) -> Path:
        return screenshot(self.page, f"admin-{name}")


def admin_sign_in(page: Page, live: LiveServer, email: str, password: str) -> None:
    page.goto(live.url + "/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/admin/login" not in url)


@pytest.fixture
def admin(live: LiveServer, page: Page) -> AdminBrowser:
    tenant = make_tenant(live.runtime)
    email = add_person(live.runtime, tenant.id, Role.OWNER)
    admin_sign_in(page, live, email, PASSWORD)
    return AdminBrowser(page, live, tenant, email)


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Browser tests run on SQLite only: they check pages, which read the same from either
    store, and every storage path they use runs on PostgreSQL too, in its feature's own tests."""
    if "migrated_engine" in metafunc.fixturenames and not any(
        "migrated_engine" in mark.args[0]
        for mark in metafunc.definition.iter_markers("parametrize")
    ):
        # As a mark, as a test module would write it: pytest then parametrizes it in place of
        # the fixture's own two stores.
        metafunc.definition.add_marker(
            pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)
        )
