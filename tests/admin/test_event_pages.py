"""Dashboard events: the log (filters, newest first, pages, live following) and each event's
trace, in words, with what it awarded; other organizations' events are out of reach."""

from __future__ import annotations

import html
import json
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
    assert "the score is 92, needs at least 80" in html
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
    assert "Triggered 1 rule, but nothing was awarded: it says why below." in close
    assert "Condition not met." in close and "the score is 75, needs at least 80" in close
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


def test_a_trace_names_each_rule_as_its_own_item_and_shows_no_json_pointer(
    owner: Dashboard,
) -> None:
    template_id = published(owner.client, owner.tenant, name="Top Scorer")
    for name, least in (("Scores, and more", 80), ("Perfect", 100)):
        rule(
            owner.client,
            owner.tenant,
            name=name,
            trigger={"event_types": ["course.completed"]},
            condition={
                "and": [
                    {">=": [{"var": "event.data.score"}, least]},
                    {"==": [{"var": "learner.email"}, "ada@example.org"]},
                ]
            },
            actions=[{"type": "award", "template_id": template_id}],
        )
    _send(owner, "close", "course.completed", learner="ada", score=75, custom_level=2)
    page = owner.get(f"/admin/events/{_event_id(owner, 'close')}").text
    assert "Triggered 2 rules, but nothing was awarded: each one says why below." in page
    listed = page[page.index('<ul class="triggered-rules"') :]
    listed = listed[: listed.index("</ul>")]
    items = re.findall(r"<li>(.*?)</li>", listed, re.S)
    names = [re.sub(r"<[^>]+>", "", item).split(":")[0] for item in items]
    assert sorted(names) == ["Perfect", "Scores, and more"]
    assert all("Condition not met." in item for item in items)
    # The steps say which field in words; no JSON pointer, no variable path, no operator.
    trace = page[page.index('id="trace"') : page.index('id="payload"')]
    assert "the score is 75, needs at least 80" in trace
    assert "the score is 75, needs at least 100" in trace
    assert "event.data" not in trace and "/and/" not in trace and "&gt;=" not in trace
    assert '<code class="muted">/' not in trace


def test_trace_sentences_read_in_words() -> None:
    from plaudit.admin.trace_words import in_words

    assert in_words("event.data.score = 72, needs >= 80") == "the score is 72, needs at least 80"
    assert (
        in_words("event.data.level is missing, needs a true value")
        == "the event's “level” value is missing, needs a true value"
    )
    assert in_words("learner.email = 'x', needs == 'y'") == (
        "the learner's email is 'x', needs to be 'y'"
    )
    assert (
        in_words("condition is invalid at /and/1/>=: unknown operator")
        == "condition is invalid: unknown operator"
    )
    # A value that looks like a path is a value, not a field.
    assert in_words('event.type = "learner.registered"') == (
        'the event type is "learner.registered"'
    )


def test_the_event_page_shows_the_event_as_its_sender_posted_it(owner: Dashboard) -> None:
    # Keys in the sender's order, a time with its offset, an integer score, a key of its own.
    body = (
        '{"type": "course.completed", "id": "as-sent", "occurred_at": "2026-03-01T10:00:00+02:00",'
        ' "data": {"score": 85, "cohort": "<b>spring</b>"},'
        ' "learner": {"id": "ada-1", "email": "ada@example.org"}}'
    )
    sent = owner.client.post(
        "/api/v1/events",
        content=body,
        headers={**owner.tenant.headers, "Content-Type": "application/json"},
    )
    assert sent.status_code == 201, sent.text
    page = owner.get(f"/admin/events/{_event_id(owner, 'as-sent')}").text
    assert "The event as received" in page
    shown = page[page.index('<pre class="payload">') :]
    shown = html.unescape(shown[len('<pre class="payload">') : shown.index("</pre>")])
    assert shown == json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    assert shown.index('"type"') < shown.index('"id"') < shown.index('"learner"')
    assert '"occurred_at": "2026-03-01T10:00:00+02:00"' in shown and '"score": 85,' in shown
    assert "&lt;b&gt;spring&lt;/b&gt;" in page and "<b>spring</b>" not in page
    assert '"learner_id"' not in shown  # not Plaudit's own form

    # Each item of a batch is kept as sent too.
    batch = owner.client.post(
        "/api/v1/events/batch",
        json={"events": [event("in-batch", "quiz.submitted", learner="ada-1", mark="A")]},
        headers=owner.tenant.headers,
    )
    assert batch.status_code == 200, batch.text
    page = owner.get(f"/admin/events/{_event_id(owner, 'in-batch')}").text
    shown = page[page.index('<pre class="payload">') :]
    shown = html.unescape(shown[len('<pre class="payload">') : shown.index("</pre>")])
    assert json.loads(shown) == event("in-batch", "quiz.submitted", learner="ada-1", mark="A")


def test_an_xapi_statement_is_shown_as_the_lrs_client_sent_it(owner: Dashboard) -> None:
    adl = "http://adlnet.gov/expapi"
    body = {
        "actor": {
            "objectType": "Agent",
            "name": "Grace Hopper",
            "account": {"homePage": "https://lms.example", "name": "grace"},
        },
        "verb": {"id": f"{adl}/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms.example/course/7",
            "definition": {"type": f"{adl}/activities/course", "name": {"en-US": "Safety"}},
        },
        "result": {"score": {"scaled": 0.9}, "completion": True},
    }
    response = owner.client.post(
        "/api/v1/xapi/statements",
        json=body,
        headers={**owner.tenant.headers, "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200, response.text
    [statement_id] = response.json()
    page = owner.get(f"/admin/events/{_event_id(owner, f'xapi:{statement_id}')}").text
    assert "The event as received" in page
    shown = page[page.index('<pre class="payload">') :]
    shown = html.unescape(shown[len('<pre class="payload">') : shown.index("</pre>")])
    assert json.loads(shown) == body  # the statement, without the id Plaudit gave it
