"""Dashboard learners: search, and a learner's badges with their award log, credentials and
events, each list paged; other organizations' learners are out of reach."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard
from tests.fixtures.credentials import issue
from tests.fixtures.scenario import event, send
from tests.fixtures.tenants import make_tenant


def test_search_finds_learners_by_name_email_or_id(owner: Dashboard) -> None:
    ada = issue(owner.client, owner.tenant, first_name="Ada", last_name="Lovelace")
    grace = issue(
        owner.client,
        owner.tenant,
        template_name="Grace Badge",
        first_name="Grace",
        last_name="Hopper",
        learner="grace-42",
    )
    page = owner.get("/admin/learners")
    assert page.status_code == 200
    assert f"/admin/learners/{ada.learner_id}" in page.text
    assert f"/admin/learners/{grace.learner_id}" in page.text
    for query in ("hopper", "GRACE-4"):
        found = owner.get("/admin/learners", params={"q": query}).text
        assert f"/admin/learners/{grace.learner_id}" in found
        assert f"/admin/learners/{ada.learner_id}" not in found
    nothing = owner.get("/admin/learners", params={"q": "<nobody>"}).text
    assert "No learner matches “&lt;nobody&gt;”." in nothing


def test_a_learner_page_shows_badges_with_their_log_credentials_and_events(
    dashboard: Callable[..., Dashboard],
) -> None:
    viewer = dashboard(Role.VIEWER)
    issued = issue(viewer.client, viewer.tenant, template_name="Safety <Champion>")
    page = viewer.get(f"/admin/learners/{issued.learner_id}")
    assert page.status_code == 200
    assert "Safety &lt;Champion&gt;</strong> \u00d7 1 <span" in page.text
    assert f"/admin/credentials/{issued.credential_id}" in page.text
    assert re.search(r'href="/admin/events/[0-9a-f-]{36}"', page.text)
    assert re.search(r'href="http://testserver/wallet/[^"]+"', page.text)
    assert "valid" in page.text


def test_a_learners_events_are_paged(owner: Dashboard) -> None:
    issued = issue(owner.client, owner.tenant, learner="busy-learner")
    for n in range(12):
        send(
            owner.client,
            owner.tenant,
            event(
                f"quiz-{n}-{uuid.uuid4().hex[:6]}",
                "quiz.completed",
                learner="busy-learner",
                entity=("quiz", f"q-{n}"),
            ),
        )
    first = owner.get(f"/admin/learners/{issued.learner_id}").text
    assert "Page 1 of 2 · 13 in all" in first
    assert "events_page=2" in first
    second = owner.get(f"/admin/learners/{issued.learner_id}", params={"events_page": 2}).text
    assert "Page 2 of 2 · 13 in all" in second
    assert len(re.findall(r'href="/admin/events/', second)) >= 3


def test_another_organizations_learner_is_not_found(owner: Dashboard, runtime: Runtime) -> None:
    other = make_tenant(runtime, name="Elsewhere")
    theirs = issue(owner.client, other)
    assert owner.get(f"/admin/learners/{theirs.learner_id}").status_code == 404
    assert owner.get("/admin/learners/not-a-uuid").status_code == 404
    assert theirs.learner_id not in owner.get("/admin/learners").text
