"""Dashboard events: the log (filters, newest first, pages, live following) and each event's
trace, in words, with what it awarded; other organizations' events are out of reach."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from plaudit.models.user import Role
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

_ROW = re.compile(r'<tr data-id="([0-9a-f-]{36})">')


def _scene(owner: Dashboard, *, name: str = "Top Scorer") -> dict[str, str]:
    """A rule awarding a badge for course.completed with a score of at least 80."""
    template_id = published(owner.client, owner.tenant, name=name)
    made = rule(
        owner.client,
        owner.tenant,
        name="Award top scorers",
        trigger={"event_types": ["course.completed"]},
        condition={">=": [{"var": "event.data.score"}, 80]},
        actions=[{"type": "award", "template_id": template_id}],
    )
    return {"template_id": template_id, "rule_id": str(made["id"])}


def _event_id(owner: Dashboard, external_id: str) -> str:
    """The dashboard's id of an event (the API knows it by the caller's id)."""
    page = owner.get("/admin/events", params={"type": "", "learner": ""}).text
    for ident in _ROW.findall(page):
        if f"<code>{external_id}</code>" in owner.get(f"/admin/events/{ident}").text:
            return str(ident)
    raise AssertionError(f"event {external_id} is not in the log")


def _send(owner: Dashboard, ident: str, type: str, **kwargs: Any) -> dict[str, Any]:
    return send(owner.client, owner.tenant, event(ident, type, **kwargs))


def test_the_log_lists_events_newest_first_and_filters_them(owner: Dashboard) -> None:
    _scene(owner)
    _send(owner, "low", "course.completed", learner="ada", score=75)
    _send(owner, "high", "course.completed", learner="grace", score=90)
    _send(owner, "quiz", "quiz.passed", learner="grace")
    page = owner.get("/admin/events")
    assert page.status_code == 200
    rows = _ROW.findall(page.text)
    assert len(rows) == 3
    # Newest first: the quiz arrived last.
    assert "quiz.passed" in page.text.split(f'data-id="{rows[0]}"')[1].split("</tr>")[0]
    assert '<p class="pager"><span>3 in all</span></p>' in page.text
    assert '<option value="course.completed">' in page.text  # the known types are offered

    def found(**params: str) -> int:
        response = owner.get("/admin/events", params=params)
        assert response.status_code == 200, response.text
        return len(_ROW.findall(response.text))

    assert found(type="course.completed") == 2
    assert found(type="quiz.passed") == 1
    assert found(outcome="awarded") == 1
    assert found(outcome="no_award") == 1
    assert found(outcome="no_rule") == 1
    assert found(learner="grace") == 2
    assert found(learner="ADA@example") == 1  # name, email or id, as the learners' search
    assert found(learner="nobody") == 0
    assert found(type="course.completed", learner="grace", outcome="awarded") == 1
    received = date.fromisoformat(
        owner.client.get("/api/v1/events/quiz", headers=owner.tenant.headers).json()["received_at"][
            :10
        ]
    )
    assert found(since=received.isoformat(), until=received.isoformat()) == 3
    assert found(since=(received + timedelta(days=1)).isoformat()) == 0
    assert found(until=(received - timedelta(days=1)).isoformat()) == 0
    empty = owner.get("/admin/events", params={"type": "no.such"}).text
    assert "No event matches these filters." in empty


def test_a_bad_date_is_said_beside_its_field(owner: Dashboard) -> None:
    response = owner.get("/admin/events", params={"since": "soon<b>", "until": "2020-01-01"})
    assert response.status_code == 422
    assert 'id="e-since">Give a date as YYYY-MM-DD.' in response.text
    assert 'value="soon&lt;b&gt;"' in response.text  # what was typed, kept and escaped
    backwards = owner.get("/admin/events", params={"since": "2024-02-01", "until": "2024-01-01"})
    assert backwards.status_code == 422
    assert "The end of the range comes before its start." in backwards.text


def test_the_log_is_paged_and_can_follow_live(owner: Dashboard) -> None:
    for n in range(27):
        _send(owner, f"ev-{n:02d}", "video.watched", learner=f"l-{n % 3}")
    first = owner.get("/admin/events")
    assert "Page 1 of 2 · 27 in all" in first.text
    assert len(_ROW.findall(first.text)) == 25
    assert "data-live-seconds" not in first.text
    assert 'href="?live=1">Follow live' in first.text
    second = owner.get("/admin/events", params={"page": 2})
    assert len(_ROW.findall(second.text)) == 2
    live = owner.get("/admin/events", params={"live": "1", "type": "video.watched"}).text
    # The script refreshes the list; without it, the page reloads itself.
    assert 'data-live-seconds="5"' in live
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in live
    assert '<script src="/admin/static/events.js" defer></script>' in live
    assert 'href="?type=video.watched">Stop following' in live
    assert 'name="live" value="1"' in live  # filtering keeps following
    # Only the first page follows: older pages stay still while someone reads them.
    older = owner.get("/admin/events", params={"live": "1", "page": 2}).text
    assert "data-live-seconds" not in older
    script = owner.get("/admin/static/events.js")
    assert script.status_code == 200
    assert "data-live-seconds" in script.text


def test_an_awarding_events_trace_shows_the_rule_the_values_and_the_award(
    owner: Dashboard,
) -> None:
    scene = _scene(owner, name="Top <Scorer>")
    result = _send(owner, "win", "course.completed", learner="ada", score=92)
    credential_id = result["awards"][0]["credential_id"]
    ident = _event_id(owner, "win")
    page = owner.get(f"/admin/events/{ident}")
    assert page.status_code == 200
    html = page.text
    assert "This event awarded 1 credential" in html
    assert f'<a href="/admin/rules/{scene["rule_id"]}">Award top scorers</a>' in html
    assert "Fired and awarded." in html
    assert "matched: type course.completed matches" in html
    assert "event.data.score = 92, needs &gt;= 80" in html
    assert f'href="/admin/templates/{scene["template_id"]}">Top &lt;Scorer&gt;</a>' in html
    assert html.count(f'href="/admin/credentials/{credential_id}"') >= 2  # trace and award list
    learner_id = owner.client.get(
        f"/api/v1/credentials/{credential_id}", headers=owner.tenant.headers
    ).json()["learner_id"]
    assert f'href="/admin/learners/{learner_id}"' in html
    # The payload, pretty-printed as the API returns it.
    assert "&#34;score&#34;: 92" in html
    assert "&#34;id&#34;: &#34;win&#34;" in html


def test_a_trace_says_why_nothing_was_awarded(owner: Dashboard) -> None:
    _scene(owner)
    _send(owner, "close", "course.completed", learner="ada", score=75)
    _send(owner, "other", "forum.posted", learner="ada")
    close = owner.get(f"/admin/events/{_event_id(owner, 'close')}").text
    assert "nothing awarded" in close
    assert "Triggered Award top scorers, but nothing was awarded" in close
    assert "Condition not met: event.data.score = 75, needs &gt;= 80." in close
    assert "What it awarded" in close and "Nothing." in close
    other = owner.get(f"/admin/events/{_event_id(owner, 'other')}").text
    assert "no rule triggered" in other
    assert "None of the active rules (1 in all) is triggered by this forum.posted event" in other
    assert "type forum.posted is not one of course.completed" in other


def test_a_trace_says_when_no_rule_existed(owner: Dashboard) -> None:
    _send(owner, "early", "course.completed", learner="ada")
    page = owner.get(f"/admin/events/{_event_id(owner, 'early')}").text
    assert "There was no active rule when this event arrived" in page


def test_a_once_rule_that_already_gave_says_so(owner: Dashboard) -> None:
    _scene(owner)
    _send(owner, "first", "course.completed", learner="ada", score=85)
    _send(owner, "again", "course.completed", learner="ada", score=95, minutes=5)
    page = owner.get(f"/admin/events/{_event_id(owner, 'again')}").text
    assert "Fired, but nothing was awarded" in page
    assert "the learner already holds it" in page


def test_what_events_say_is_escaped(owner: Dashboard) -> None:
    payload = event(
        "xss",
        "course.completed",
        learner="<b>id</b>",
        entity=("course", "<b>c</b>"),
        title="<script>alert(1)</script>",
        note="<i>hi</i>",
    )
    payload["learner"].update(email="xss@example.org", first_name="<img src=x onerror=alert(1)>")
    send(owner.client, owner.tenant, payload)
    listing = owner.get("/admin/events").text
    assert "<script>alert(1)</script>" not in listing
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing
    assert "<img src=x" not in listing
    assert "<b>id</b>" not in listing and "&lt;b&gt;id&lt;/b&gt;" in listing
    detail = owner.get(f"/admin/events/{_ROW.findall(listing)[0]}").text
    assert "<script>alert(1)</script>" not in detail
    assert "<i>hi</i>" not in detail and "&lt;i&gt;hi&lt;/i&gt;" in detail
    assert "<b>c</b>" not in detail


def test_viewers_read_events(dashboard: Callable[..., Dashboard]) -> None:
    viewer = dashboard(Role.VIEWER)
    _send(viewer, "seen", "course.completed")
    listing = viewer.get("/admin/events")
    assert listing.status_code == 200
    ident = _ROW.findall(listing.text)[0]
    assert viewer.get(f"/admin/events/{ident}").status_code == 200


def test_another_organizations_events_are_not_found(
    dashboard: Callable[..., Dashboard], runtime: Runtime
) -> None:
    owner = dashboard(Role.OWNER)
    other: Tenant = make_tenant(runtime, name="Elsewhere")
    theirs = dashboard(Role.OWNER, tenant_=other)
    send(theirs.client, other, event("theirs", "course.completed"))
    [ident] = _ROW.findall(theirs.get("/admin/events").text)
    assert theirs.get(f"/admin/events/{ident}").status_code == 200
    assert _ROW.findall(owner.get("/admin/events").text) == []
    assert owner.get(f"/admin/events/{ident}").status_code == 404
    assert owner.get("/admin/events/not-a-uuid").status_code == 404


def test_a_fallback_rule_held_back_says_which_rule_applied(owner: Dashboard) -> None:
    scene = _scene(owner)
    rule(
        owner.client,
        owner.tenant,
        name="Consolation",
        mode="fallback",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": scene["template_id"]}],
    )
    _send(owner, "winner", "course.completed", learner="ada", score=99)
    page = owner.get(f"/admin/events/{_event_id(owner, 'winner')}").text
    assert "Skipped: fallback: rule Award top scorers already applied to this event." in page
    assert "Fired and awarded." in page
