"""WCAG 2.2 AA in Chromium, checked by axe-core (npm, tests/interop) on every page of the demo
organization: the dashboard, crawled from the overview as in tests/admin/test_crawl.py, and the
public pages (credential pages in each state, the wallet, a claim page, the message pages).

No serious or critical violation is allowed; the failure lists each one with its page."""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from plaudit import jobs
from plaudit.db import unit_of_work
from plaudit.demo import DemoLogin, load_demo
from plaudit.learners import links
from plaudit.notifications import service as notifications
from tests.browser.conftest import LiveServer, admin_sign_in, screenshot
from tests.fixtures.crawl import admin_links
from tests.fixtures.databases import IN_CI
from tests.fixtures.paths import ROOT

# Pages are storage-agnostic; their storage paths run on both engines elsewhere.
sqlite_only = pytest.mark.parametrize("migrated_engine", ["sqlite"], indirect=True)

AXE = ROOT / "tests" / "interop" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
LIMIT = 400
PHONE: ViewportSize = {"width": 360, "height": 740}
MENU = ["/admin/", "/admin/templates", "/admin/rules", "/admin/events", "/admin/credentials"]

# Folded content (<details>: the menu, the checks behind a banner) is opened first, so that
# it is checked too.
_RUN_AXE = """async (tags) => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.url}\n    {self.rule} ({self.impact}): {self.help}\n    at {shown}"


def visit(page: Page, url: str, found: list[Violation]) -> None:
    """Open `url` (a page, or a message page's 4xx) and check it."""
    response = page.goto(url)
    assert response is not None and response.status < 500, (url, response and response.status)
    kind = response.headers.get("content-type", "")
    assert kind.startswith("text/html"), (url, kind, response.text()[:200])
    check(page, found)


def check(page: Page, found: list[Violation]) -> None:
    """axe-core on the page as it stands; the serious and critical violations added to `found`."""
    page.add_script_tag(path=str(AXE))
    for v in page.evaluate(_RUN_AXE, WCAG_22_AA):
        if v["impact"] in BLOCKING:
            found.append(Violation(page.url, v["id"], v["impact"], v["help"], v["targets"]))


def report(found: list[Violation], pages: int) -> str:
    return f"{len(found)} serious/critical violations on {pages} pages:\n" + "\n".join(
        str(v) for v in found
    )


def _shot_name(url: str) -> str:
    """One screenshot per kind of page: ids and tokens folded away."""
    path = urlsplit(url).path.strip("/") or "home"
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|[A-Za-z0-9_-]{20,}(\.[A-Za-z0-9_-]+)?", "x", path)
    return "a11y-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f-]{27}|[A-Za-z0-9_-]{20,}(\.[A-Za-z0-9_-]+)?|\d+")


def page_kind(path: str) -> str:
    """A dashboard address with what varies between rows folded away: ids and tokens in the
    path and the query, and every value of a query parameter that is not a short word."""
    parts = urlsplit(path)
    query = sorted(
        (name, value if re.fullmatch(r"[a-z_.]{1,24}", value) else "x")
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return _ID.sub("x", parts.path) + "?" + urlencode(query)


@pytest.fixture
def axe_page(browser: Browser) -> Iterator[Page]:
    """A page whose Content-Security-Policy lets the test inject axe-core (pages allow no
    script but their own); nothing else about the page changes."""
    if not AXE.exists():
        missing = "axe-core is missing: run `npm ci --prefix tests/interop --no-audit --no-fund`"
        # Under CI the check must run: missing modules fail rather than hide it.
        if IN_CI:
            pytest.fail(missing, pytrace=False)
        pytest.skip(reason=missing)
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors


@pytest.fixture
def demo(live: LiveServer) -> DemoLogin:
    with unit_of_work(live.runtime.sessions) as session:
        login = load_demo(session, live.runtime.files)
    while (task := jobs.queue.dequeue()) is not None:  # sign and render, as a worker would
        jobs.queue.execute(task)
    return login


def test_axe_reports_what_a_page_gets_wrong(axe_page: Page) -> None:
    """The harness itself: a page with the usual faults fails, each fault named."""
    axe_page.set_content(
        '<html><body><main><img src="data:,"><button></button>'
        '<p style="color:#bbb;background:#fff">Faint</p>'
        '<details><summary>More</summary><a href="/x"></a></details></main></body></html>'
    )
    found: list[Violation] = []
    check(axe_page, found)
    rules = {v.rule for v in found}
    assert {"image-alt", "button-name", "color-contrast", "html-has-lang", "link-name"} <= rules
    assert "link-name (serious): Links must have discernible text\n    at a" in report(found, 1)


@sqlite_only
def test_every_dashboard_page_of_the_demo_meets_wcag_22_aa(
    live: LiveServer, demo: DemoLogin, axe_page: Page
) -> None:
    page = axe_page
    found: list[Violation] = []
    shots: set[str] = set()
    # Signed out: the sign-in, forgotten-password and error pages.
    signed_out = [
        "/admin/login",
        "/admin/password/forgot",
        "/admin/password/reset/not-a-token",
        "/admin/invitations/not-a-token",
        "/admin/no-such-page",
    ]
    for path in signed_out:
        visit(page, live.url + path, found)
    # A refused sign-in: the form with its errors.
    page.goto(live.url + "/admin/login")
    page.get_by_label("Email").fill(demo.email)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check(page, found)
    screenshot(page, "a11y-admin-login-refused")
    admin_sign_in(page, live, demo.email, demo.password)

    # Every page the demo links to is fetched (cheap); axe runs in Chromium on one page of
    # each kind: a route with its ids folded away, and its query's names and short values
    # (a filter's value is kept, a cursor or an id is not). Pages of one kind are one
    # template filled with other rows; each state a template shows is its own kind where it
    # has its own address, and the public pages below check every credential state.
    seen = {"/admin/"}
    todo = deque(["/admin/"])
    crawled = 0
    kinds: set[str] = set()
    while todo and len(seen) <= LIMIT:
        path = todo.popleft()
        # Ask first: exports and downloads are not pages to open.
        response = page.request.get(live.url + path, max_redirects=0)
        location = response.headers.get("location", "")
        if 300 <= response.status < 400:
            target = urlsplit(location)
            moved = target.path + (f"?{target.query}" if target.query else "")
            if moved.startswith("/admin/") and "login" not in moved and moved not in seen:
                seen.add(moved)
                todo.append(moved)
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        assert response.status == 200, (path, response.status)
        crawled += 1
        for linked in admin_links(response.text(), live.url + path):
            if linked not in seen:
                seen.add(linked)
                todo.append(linked)
        kind = page_kind(path)
        if kind in kinds:
            continue
        kinds.add(kind)
        before = len(found)
        visit(page, live.url + path, found)
        name = _shot_name(page.url)
        if len(found) > before or name not in shots:
            shots.add(name)
            screenshot(page, name)
    # The demo's pages, pagers and filters: far more than the menu.
    assert crawled > 100, crawled
    assert len(kinds) > 40, sorted(kinds)

    # On a phone: the menu folds behind its button; one page of each kind in the menu.
    page.set_viewport_size(PHONE)
    for path in MENU:
        visit(page, live.url + path, found)
    page.get_by_text("Menu", exact=True).click()
    check(page, found)
    screenshot(page, "a11y-admin-phone-menu")
    total = len(signed_out) + 1 + len(kinds) + len(MENU) + 1
    assert found == [], report(found, total)
    print(
        f"axe-core: {total} dashboard pages ({len(kinds)} kinds of {crawled} crawled), "
        "no serious or critical violation"
    )


@sqlite_only
def test_every_public_page_of_the_demo_meets_wcag_22_aa(
    live: LiveServer, demo: DemoLogin, axe_page: Page
) -> None:
    page = axe_page
    headers = {"Authorization": f"Bearer {demo.api_key}"}
    items = live.client.get("/api/v1/credentials", headers=headers).json()["items"]
    assert len(items) >= 3, items
    # One credential revoked and one suspended, beside the valid ones.
    revoked, suspended = items[0], items[1]
    for record, action in [(revoked, "revoke"), (suspended, "suspend")]:
        response = live.client.post(
            f"/api/v1/credentials/{record['id']}/{action}",
            json={"reason": "Recorded in error"},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    learner_id = uuid.UUID(items[2]["learner_id"])
    wallet = links.url(live.url, live.runtime.vault, learner_id)
    unsubscribe = links.token_for(
        live.runtime.vault, learner_id, purpose=notifications.UNSUBSCRIBE_PURPOSE
    )

    found: list[Violation] = []
    pages = [
        *(f"{live.url}/credentials/{record['public_id']}" for record in items),
        f"{live.url}/credentials/{items[2]['public_id']}?lang=fr",
        f"{live.url}/credentials/{revoked['public_id']}/linkedin",
        f"{live.url}/credentials/no-such-credential",
        f"{live.url}/claims/no-such-claim",
        f"{live.url}/wallet/not-a-token",
        f"{live.url}/unsubscribe/{unsubscribe}",
        f"{live.url}/unsubscribe/not-a-token",
        # The Open Badges API's consent page, as it refuses a plain-http server.
        f"{live.url}/orgs/{demo.slug}/ims/ob/v3p0/oauth/authorize",
        wallet,
    ]
    shots = {
        f"{live.url}/credentials/{items[2]['public_id']}": "a11y-credential-valid",
        f"{live.url}/credentials/{revoked['public_id']}": "a11y-credential-revoked",
        f"{live.url}/credentials/{suspended['public_id']}": "a11y-credential-suspended",
        f"{live.url}/credentials/{revoked['public_id']}/linkedin": "a11y-linkedin-refused",
        f"{live.url}/credentials/no-such-credential": "a11y-credential-missing",
        f"{live.url}/unsubscribe/{unsubscribe}": "a11y-unsubscribe",
        wallet: "a11y-wallet",
    }
    for url in pages:
        visit(page, url, found)
        if url in shots:
            screenshot(page, shots[url])

    # From the wallet: the owner's page, then "Add to a wallet app" opens the claim page.
    item = page.locator("[data-credential]").first
    public_id = item.get_attribute("data-credential")
    item.get_by_role("link").first.click()
    check(page, found)
    page.go_back()
    page.locator(".claim-form button").first.click()
    expect(page.locator(".claim-qr")).to_be_visible()
    check(page, found)
    screenshot(page, "a11y-claim")
    # Made private from the wallet: its public page says so.
    page.goto(wallet)
    item = page.locator(f'[data-credential="{public_id}"]')
    item.locator("form:not(.claim-form) button").first.click()
    expect(page.locator(f'[data-credential="{public_id}"]')).to_contain_text("rivate")
    visit(page, f"{live.url}/credentials/{public_id}", found)
    expect(page.locator("main")).to_contain_text("rivate")
    screenshot(page, "a11y-credential-private")
    # Unsubscribed.
    page.goto(f"{live.url}/unsubscribe/{unsubscribe}")
    page.get_by_role("button").first.click()
    check(page, found)

    # On a phone: a credential page, the wallet and the claim page.
    page.set_viewport_size(PHONE)
    small = [f"{live.url}/credentials/{items[2]['public_id']}", wallet]
    for url in small:
        visit(page, url, found)
    screenshot(page, "a11y-wallet-phone")
    checked = len(pages) + 5 + len(small)
    assert found == [], report(found, checked)
    print(f"axe-core: {checked} public pages, no serious or critical violation")
