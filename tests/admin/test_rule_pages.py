"""Dashboard rules: the list, the editor (saved as the API would, refused beside the field with
nothing saved), the simulator (writes nothing), and backfills from the dry run to the job."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as db_events
from sqlalchemy import func, select

import plaudit.admin
from plaudit.admin.rule_sentence import condition_sentence
from plaudit.models.award import Credential
from plaudit.models.event import Event
from plaudit.models.rule import Backfill, Rule
from plaudit.models.user import Role
from plaudit.rules import tasks as rule_tasks
from plaudit.runtime import Runtime
from tests.admin.conftest import Dashboard
from tests.fixtures.admin import SCORE_80, api_rules, error_beside, rule_form
from tests.fixtures.rules import HEAVY, WIDE, saved_before_the_limit
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import create as create_template
from tests.fixtures.templates import published
from tests.fixtures.tenants import make_tenant


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _api_rule(owner: Dashboard, rule_id: str) -> dict[str, Any]:
    response = owner.client.get(f"/api/v1/rules/{rule_id}", headers=owner.tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_list_shows_each_rule_and_pages(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Safety <Star>")
    first = rule(
        owner.client,
        owner.tenant,
        name="<b>Course</b> passed",
        priority=1,
        mode="always",
        trigger={"event_types": ["course.*"], "entity_ids": ["safety-101"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    for n in range(25):
        rule(
            owner.client,
            owner.tenant,
            name=f"Rule {n:02}",
            status="draft",
            priority=10 + n,
            trigger={"event_types": ["quiz.submitted"]},
            actions=[{"type": "award", "template_id": badge}],
        )
    page = owner.get("/admin/rules")
    assert page.status_code == 200
    assert f'href="/admin/rules/{first["id"]}">&lt;b&gt;Course&lt;/b&gt; passed</a>' in page.text
    assert "<code>course.*</code>" in page.text and "<code>safety-101</code>" in page.text
    assert "Safety &lt;Star&gt;</a>" in page.text
    assert "always" in page.text and "s-active" in page.text
    assert "Page 1 of 2" in page.text and "Rule 23" in page.text and "Rule 24" not in page.text
    assert "Rule 24" in owner.get("/admin/rules?page=2").text
    drafts = owner.get("/admin/rules?status=draft").text
    assert "Rule 24" in drafts and "Course" not in drafts
    assert re.search(r"(?:<span>|· )25 in all</span>", drafts)  # the pager's count, whole
    assert "No rule matches" in owner.get("/admin/rules?mode=fallback").text


def test_a_rule_made_in_the_editor_is_saved_as_the_api_takes_it(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    editor = owner.get("/admin/rules/new")
    assert editor.status_code == 200
    assert 'name="condition"' in editor.text and "/admin/static/rules.js" in editor.text
    condition = {
        "or": [
            {"and": [SCORE_80, {"completed_any": ["a1", "a2"]}]},
            {">=": [{"count": {"type": "quiz.*", "within": "P30D"}}, 3]},
        ]
    }
    response = owner.post(
        "/admin/rules",
        rule_form(
            badge,
            event_types="course.completed, quiz.*",
            entity_type="course",
            entity_ids="safety-101\nlp-onboarding",
            condition=json.dumps(condition),
            mode="always",
            priority="7",
        ),
    )
    assert response.status_code == 303, response.text
    rule_id = response.headers["location"].rsplit("/", 1)[1]
    saved = _api_rule(owner, rule_id)
    assert saved["condition"] == condition
    assert saved["trigger"] == {
        "event_types": ["course.completed", "quiz.*"],
        "entity_type": "course",
        "entity_ids": ["safety-101", "lp-onboarding"],
    }
    assert saved["actions"] == [{"type": "award", "template_id": badge}]
    assert (saved["mode"], saved["priority"], saved["status"]) == ("always", 7, "active")
    page = owner.client.get(response.headers["location"])
    assert "was created" in page.text and "Safety Star" in page.text
    # The editor shows the saved rule again; saving it unchanged changes nothing.
    edit = owner.get(f"/admin/rules/{rule_id}/edit").text
    assert 'value="course.completed, quiz.*"' in edit
    assert "&#34;completed_any&#34;" in edit or "&quot;completed_any&quot;" in edit
    again = owner.post(
        f"/admin/rules/{rule_id}",
        rule_form(
            badge,
            event_types="course.completed, quiz.*",
            entity_type="course",
            entity_ids="safety-101\nlp-onboarding",
            condition=json.dumps(saved["condition"], indent=2),
            mode="always",
            priority="7",
        ),
    )
    assert again.status_code == 303
    assert _api_rule(owner, rule_id)["condition"] == condition
    # An empty condition means always, stored as null.
    owner.post(f"/admin/rules/{rule_id}", rule_form(badge, condition="  "))
    assert _api_rule(owner, rule_id)["condition"] is None


def test_a_bad_condition_is_refused_beside_it_with_its_position_and_nothing_saved(
    owner: Dashboard,
) -> None:
    badge = published(owner.client, owner.tenant, name="B")
    typed = '{"and": [true, {"grater": [{"var": "event.data.score"}, "<80>"]}]}'
    response = owner.post("/admin/rules", rule_form(badge, condition=typed))
    assert response.status_code == 422
    html = response.text
    assert 'id="e-condition"' in html
    message = html.split('id="e-condition" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message.startswith("At /and/1/grater:") and "did you mean" in message
    assert "&#34;&lt;80&gt;&#34;" in html or "&quot;&lt;80&gt;&quot;" in html  # kept, escaped
    assert 'value="Course passed"' in html
    assert api_rules(owner) == []

    not_json = owner.post("/admin/rules", rule_form(badge, condition='{"and": [')).text
    assert "This is not JSON" in not_json.split('id="e-condition"', 1)[1]
    assert api_rules(owner) == []


def test_a_rule_saved_before_the_cost_limit_is_edited_as_the_api_edits_it(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="B")
    action = {"type": "award", "template_id": badge}
    rule_id = saved_before_the_limit(runtime, owner.tenant, action=action)
    form = rule_form(badge, event_types="quiz.submitted", entity_ids="", mode="always")
    # Its condition unchanged is not estimated again (the API's PATCH does the same).
    renamed = owner.post(f"/admin/rules/{rule_id}", {**form, "condition": json.dumps(HEAVY)})
    assert renamed.status_code == 303, renamed.text
    assert _api_rule(owner, rule_id)["name"] == "Course passed"
    costlier = owner.post(f"/admin/rules/{rule_id}", {**form, "condition": json.dumps(WIDE)})
    assert costlier.status_code == 422 and 'id="e-condition"' in costlier.text


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": ""}, "name", ""),
        ({"event_types": "course completed"}, "event_types", ""),
        ({"event_types": ""}, "event_types", ""),
        ({"priority": "-4"}, "priority", "greater than or equal"),
        ({"action-0-template": ""}, "actions", "Choose the template"),
        ({"action-0-template": str(uuid.uuid4())}, "action-0", "no template"),
    ],
)
def test_bad_fields_are_refused_beside_them(
    owner: Dashboard, overrides: dict[str, str], field: str, words: str
) -> None:
    badge = published(owner.client, owner.tenant, name="B")
    response = owner.post("/admin/rules", rule_form(badge, **overrides))
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert words in response.text.split(f'id="e-{field}"', 1)[1].split("</p>", 1)[0]
    assert api_rules(owner) == []


def test_a_certificate_action_maps_event_fields_to_the_certificate(owner: Dashboard) -> None:
    certificate = published(owner.client, owner.tenant, name="Diploma", kind="certificate")
    mapping = (
        "recipient_name = learner.first_name\n"
        'course_title = "Onboarding"\n'
        "score = event.data.score\n"
        'completion_date = {"var": "event.occurred_at"}'
    )
    form = rule_form(
        certificate,
        **{"action-0-type": "issue_certificate", "action-0-fields": mapping},
    )
    response = owner.post("/admin/rules", form)
    assert response.status_code == 303, response.text
    rule_id = response.headers["location"].rsplit("/", 1)[1]
    [action] = _api_rule(owner, rule_id)["actions"]
    assert action["fields"] == {
        "recipient_name": {"var": "learner.first_name"},
        "course_title": "Onboarding",
        "score": {"var": "event.data.score"},
        "completion_date": {"var": "event.occurred_at"},
    }
    edit = owner.get(f"/admin/rules/{rule_id}/edit").text
    mapped = edit.split('name="action-0-fields"', 1)[1].split("</textarea>", 1)[0]
    lines = set(mapped.split(">", 1)[1].splitlines())  # PostgreSQL keeps JSON keys in its order
    assert lines == {
        "recipient_name = learner.first_name",
        "course_title = Onboarding",
        "score = event.data.score",
        "completion_date = event.occurred_at",
    }
    # Simulated, the mapping shows the values the certificate would get.
    simulated = owner.get(
        f"/admin/rules/{rule_id}/simulate",
        params={
            "event": json.dumps(
                event("s1", "course.completed", entity=("course", "safety-101"), score=91)
            )
        },
    ).text
    assert "Would award:</strong> Diploma (certificate)</p>" in simulated
    assert "<dt>recipient_name</dt><dd>Ada</dd>" in simulated

    unknown = owner.post(
        "/admin/rules",
        {**form, "action-0-fields": "recipient_name = learner.first_name\nshoe_size = 42"},
    )
    assert unknown.status_code == 422
    assert "shoe_size" in unknown.text.split('id="e-action-0"', 1)[1].split("</p>", 1)[0]
    missing = owner.post("/admin/rules", {**form, "action-0-fields": "course_title = x"})
    assert "recipient_name" in missing.text.split('id="e-action-0"', 1)[1].split("</p>", 1)[0]
    garbled = owner.post("/admin/rules", {**form, "action-0-fields": "just words"})
    assert "name = value" in garbled.text.split('id="e-action-0"', 1)[1]
    assert len(api_rules(owner)) == 1


def test_the_simulator_decides_and_explains_without_writing(
    dashboard: Callable[..., Dashboard], runtime: Runtime
) -> None:
    owner = dashboard(Role.OWNER)
    badge = published(owner.client, owner.tenant, name="Safety Star")
    made = rule(
        owner.client,
        owner.tenant,
        name="Course passed",
        status="draft",  # judged as if active: that is what trying it first is for
        trigger={"event_types": ["course.completed"]},
        condition=SCORE_80,
        actions=[{"type": "award", "template_id": badge}],
    )
    viewer = dashboard(Role.VIEWER)  # simulating writes nothing: viewers may
    page = viewer.get(f"/admin/rules/{made['id']}")
    assert page.status_code == 200 and "Simulate" in page.text
    url = f"/admin/rules/{made['id']}/simulate"
    awards = viewer.get(
        url, params={"event": json.dumps(event("e1", "course.completed", score=85))}
    )
    assert awards.status_code == 200
    assert "Would award:</strong> Safety Star</p>" in awards.text
    refused = viewer.get(
        url, params={"event": json.dumps(event("e2", "course.completed", score=75))}
    )
    assert "Would not award." in refused.text
    assert "the score is 75, needs at least 80" in refused.text
    other_type = viewer.get(url, params={"event": json.dumps(event("e3", "quiz.submitted"))}).text
    assert "not matched: type quiz.submitted is not one of course.completed" in other_type

    bad = viewer.get(url, params={"event": '{"id": "x"'})
    assert bad.status_code == 422
    assert "This is not JSON" in bad.text.split('id="e-event"', 1)[1]
    assert "{&#34;id&#34;: &#34;x&#34;" in bad.text or "{&quot;id&quot;: &quot;x&quot;" in bad.text
    shapeless = viewer.get(url, params={"event": '{"id": "x", "type": "course.completed"}'})
    assert shapeless.status_code == 422
    assert "occurred_at" in shapeless.text.split('id="e-event"', 1)[1].split("</p>", 1)[0]
    assert _count(runtime, Event) == 0 and _count(runtime, Credential) == 0
    assert _api_rule(owner, made["id"])["status"] == "draft"


def test_a_recent_event_is_simulated_with_the_learners_history(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="Path")
    send(owner.client, owner.tenant, event("h1", "course.completed", entity=("course", "c1")))
    send(
        owner.client,
        owner.tenant,
        event("h2", "course.completed", entity=("course", "c2"), minutes=5),
    )
    made = rule(
        owner.client,
        owner.tenant,
        name="Both courses",
        trigger={"event_types": ["course.completed"]},
        condition={"completed_all": ["c1", "c2"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    detail = owner.get(f"/admin/rules/{made['id']}").text
    with runtime.sessions() as session:
        ids = {e.external_id: str(e.id) for e in session.scalars(select(Event))}
    assert f'<option value="{ids["h2"]}"' in detail
    result = owner.get(f"/admin/rules/{made['id']}/simulate", params={"event_id": ids["h2"]})
    assert result.status_code == 200
    assert "Would award:" in result.text and "(1 earlier events, 0 templates held)" in result.text
    first = owner.get(f"/admin/rules/{made['id']}/simulate", params={"event_id": ids["h1"]})
    assert "Would not award." in first.text and "c2" in first.text

    other = make_tenant(runtime)
    send(owner.client, other, event("elsewhere", "course.completed"))
    with runtime.sessions() as session:
        theirs = session.scalar(select(Event.id).where(Event.external_id == "elsewhere"))
    refused = owner.get(f"/admin/rules/{made['id']}/simulate", params={"event_id": str(theirs)})
    assert refused.status_code == 422 and "not in this organization" in refused.text


def test_the_editor_simulates_the_rule_as_typed_without_saving(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    sample = json.dumps(event("e1", "course.completed", entity=("course", "safety-101"), score=85))
    response = owner.post(
        "/admin/rules/simulate", rule_form(badge, name="<i>Unsaved</i>", sim_event=sample)
    )
    assert response.status_code == 200
    assert "Would award:" in response.text
    assert 'value="&lt;i&gt;Unsaved&lt;/i&gt;"' in response.text  # the form is kept
    low = owner.post(
        "/admin/rules/simulate",
        rule_form(badge, sim_event=sample.replace('"score": 85', '"score": 75')),
    )
    assert "Would not award." in low.text and "needs at least 80" in low.text
    broken = owner.post(
        "/admin/rules/simulate", rule_form(badge, condition='{"grater": []}', sim_event=sample)
    )
    assert broken.status_code == 422 and 'id="e-condition"' in broken.text
    assert api_rules(owner) == [] and _count(runtime, Event) == 0


def test_a_backfill_is_previewed_then_run_with_its_progress(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="Late Star")
    send(owner.client, owner.tenant, event("p1", "course.completed", learner="pat", score=90))
    send(owner.client, owner.tenant, event("p2", "course.completed", learner="sam", score=60))
    made = rule(
        owner.client,
        owner.tenant,
        name="Course passed",
        trigger={"event_types": ["course.completed"]},
        condition=SCORE_80,
        actions=[{"type": "award", "template_id": badge}],
    )
    preview = owner.get(f"/admin/rules/{made['id']}/backfill")
    assert preview.status_code == 200
    assert "pat@example.org" in preview.text and "sam@example.org" not in preview.text
    assert "Late Star" in preview.text and "Start the backfill" in preview.text
    assert _count(runtime, Credential) == 0

    started = owner.post(f"/admin/rules/{made['id']}/backfills")
    assert started.status_code == 303
    progress_url = started.headers["location"]
    assert progress_url.startswith(f"/admin/rules/{made['id']}/backfills/")
    pending = owner.get(progress_url).text
    assert "pending" in pending and '<meta http-equiv="refresh"' in pending
    again = owner.post(f"/admin/rules/{made['id']}/backfills")
    assert again.status_code == 303 and again.headers["location"].endswith("/backfill")
    assert "already pending" in owner.client.get(again.headers["location"]).text
    assert _count(runtime, Backfill) == 1

    rule_tasks.run_backfill.call_local(progress_url.rsplit("/", 1)[1])
    done = owner.get(progress_url).text
    assert "completed" in done and '<meta http-equiv="refresh"' not in done
    assert "<dt>Awarded</dt><dd>1</dd>" in done
    assert _count(runtime, Credential) == 1
    assert "Nobody would be awarded" in owner.get(f"/admin/rules/{made['id']}/backfill").text
    assert progress_url in owner.get(f"/admin/rules/{made['id']}").text


def test_viewers_change_nothing(dashboard: Callable[..., Dashboard], runtime: Runtime) -> None:
    owner = dashboard(Role.OWNER)
    badge = published(owner.client, owner.tenant, name="B")
    made = rule(
        owner.client,
        owner.tenant,
        name="Kept",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    viewer = dashboard(Role.VIEWER)
    editor = viewer.get(f"/admin/rules/{made['id']}/edit")
    assert editor.status_code == 200 and "Save" not in editor.text
    assert "Delete" not in viewer.get(f"/admin/rules/{made['id']}").text
    for path in (
        "/admin/rules",
        "/admin/rules/simulate",
        f"/admin/rules/{made['id']}",
        f"/admin/rules/{made['id']}/delete",
        f"/admin/rules/{made['id']}/backfills",
    ):
        response = viewer.post(path, rule_form(badge, name="Changed"))
        assert response.status_code == 403, path
    assert _api_rule(owner, made["id"])["name"] == "Kept"
    assert len(api_rules(owner)) == 1 and _count(runtime, Backfill) == 0


def test_another_organizations_rules_and_templates_are_out_of_reach(
    owner: Dashboard, runtime: Runtime
) -> None:
    other = make_tenant(runtime, name="Other")
    theirs_badge = published(owner.client, other, name="Theirs")
    theirs = rule(
        owner.client,
        other,
        name="Their rule",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": theirs_badge}],
    )
    assert "Their rule" not in owner.get("/admin/rules").text
    for path in ("", "/edit", "/backfill", "/simulate?event=%7B%7D"):
        assert owner.get(f"/admin/rules/{theirs['id']}{path}").status_code == 404, path
    assert owner.get("/admin/rules/not-a-uuid").status_code == 404
    assert owner.get(f"/admin/rules/{theirs['id']}/backfills/nope").status_code == 404
    for path in ("", "/delete", "/backfills"):
        response = owner.post(f"/admin/rules/{theirs['id']}{path}", rule_form(theirs_badge))
        assert response.status_code == 404, path
    # Their template is not ours to award, and is not offered.
    assert "Theirs" not in owner.get("/admin/rules/new").text
    refused = owner.post("/admin/rules", rule_form(theirs_badge))
    assert refused.status_code == 422 and 'id="e-action-0"' in refused.text
    with runtime.sessions() as session:
        assert session.scalar(select(Rule.name).where(Rule.id == uuid.UUID(theirs["id"])))


def test_a_rule_is_deleted(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="B")
    made = rule(
        owner.client,
        owner.tenant,
        name="Gone soon",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    response = owner.post(f"/admin/rules/{made['id']}/delete")
    assert response.status_code == 303 and response.headers["location"] == "/admin/rules"
    assert "was deleted" in owner.client.get("/admin/rules").text
    assert api_rules(owner) == []


def _template_queries(runtime: Runtime, post: Callable[[], Any]) -> tuple[Any, int]:
    """What ``post`` answered, and how many statements it ran on the templates table."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if re.search(r"\bFROM templates\b", statement):
            seen.append(statement)

    db_events.listen(runtime.engine, "before_cursor_execute", count)
    try:
        response = post()
    finally:
        db_events.remove(runtime.engine, "before_cursor_execute", count)
    return response, len(seen)


def test_saving_a_rule_checks_its_templates_once(owner: Dashboard, runtime: Runtime) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    csrf = owner.csrf()  # the page it comes from is not the save's to count
    created, queries = _template_queries(
        runtime, lambda: owner.post("/admin/rules", rule_form(badge), csrf=csrf)
    )
    assert created.status_code == 303, created.text
    assert queries == 1
    rule_id = created.headers["location"].rsplit("/", 1)[1]
    saved, queries = _template_queries(
        runtime,
        lambda: owner.post(f"/admin/rules/{rule_id}", rule_form(badge, priority="5"), csrf=csrf),
    )
    assert saved.status_code == 303, saved.text
    assert queries == 1
    assert _api_rule(owner, rule_id)["priority"] == 5


# --- guided rules: pickers, the wizard, sentences, plain operators, filtered templates -------


def test_the_wizard_lists_what_was_received_and_makes_an_ordinary_rule(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    create_template(owner.client, owner.tenant, name="Unfinished <Badge>")  # a draft
    certificate = published(owner.client, owner.tenant, name="Diploma", kind="certificate")
    send(
        owner.client,
        owner.tenant,
        event("r1", "course.completed", entity=("course", "safety-101"), title="Safety <101>"),
    )
    send(owner.client, owner.tenant, event("r2", "webinar.attended", entity=("webinar", "w-9")))
    page = owner.get("/admin/rules/wizard")
    assert page.status_code == 200
    # The entities received, with their titles (escaped), and the event types, built-in and not.
    assert "<strong>Safety &lt;101&gt;</strong>" in page.text
    assert 'value="course:safety-101"' in page.text and 'value="webinar:w-9"' in page.text
    assert 'value="learning_path.completed"' in page.text  # built in, never received
    assert 'value="webinar.attended"' in page.text  # received
    # Badges only; a draft is shown but cannot be chosen.
    badges = page.text.split('id="f-template"', 1)[1].split("</select>", 1)[0]
    assert badge in badges and certificate not in badges
    assert re.search(r"disabled>Unfinished &lt;Badge&gt; · badge · never published · draft", badges)

    made = owner.post(
        "/admin/rules/wizard",
        {
            "entity": "course:safety-101",
            "kind": "score",
            "min_score": "80",
            "template": badge,
            "active": "on",
        },
    )
    assert made.status_code == 303, made.text
    rule_id = made.headers["location"].rsplit("/", 1)[1]
    saved = _api_rule(owner, rule_id)
    assert saved["trigger"] == {
        "event_types": ["course.completed"],
        "entity_type": "course",
        "entity_ids": ["safety-101"],
    }
    assert saved["condition"] == SCORE_80
    assert (saved["mode"], saved["status"]) == ("once", "active")
    assert saved["name"] == "Safety Star for Safety <101>, score ≥ 80"
    # An ordinary rule: the full editor opens it.
    assert owner.get(f"/admin/rules/{rule_id}/edit").status_code == 200
    detail = owner.get(f"/admin/rules/{rule_id}").text
    assert "course completed on Safety &lt;101&gt; (safety-101)" in detail
    assert "the score is at least 80" in detail
    assert "<summary>The condition as JSON Logic</summary>" in detail  # JSON only on request

    # The other common cases, as ordinary modes and conditions.
    cases = {
        "all": ("once", {"completed_all": ["safety-101", "w-9"]}),
        "every": ("always", None),
        "fallback": ("fallback", None),
        "complete": ("once", None),
    }
    for kind, (mode, condition) in cases.items():
        answer = owner.post(
            "/admin/rules/wizard",
            {"entity": ["course:safety-101", "webinar:w-9"], "kind": kind, "template": badge},
        )
        assert answer.status_code == 303, answer.text
        rule_saved = _api_rule(owner, answer.headers["location"].rsplit("/", 1)[1])
        assert (rule_saved["mode"], rule_saved["condition"]) == (mode, condition), kind
        assert rule_saved["status"] == "draft"  # "switch it on now" was not ticked
        assert rule_saved["trigger"].get("entity_type") is None  # two kinds of entity
        assert rule_saved["trigger"]["event_types"] == ["course.completed", "webinar.completed"]

    # Mistakes come back beside their questions, with what was chosen kept.
    wrong = owner.post(
        "/admin/rules/wizard",
        {"entity": "course:safety-101", "kind": "all", "min_score": "", "template": ""},
    )
    assert wrong.status_code == 422
    assert "at least two" in error_beside(wrong.text, "entity")
    assert "Choose the badge" in error_beside(wrong.text, "template")
    assert 'value="course:safety-101" checked' in wrong.text
    nothing = owner.post("/admin/rules/wizard", {"kind": "score", "min_score": "lots"})
    assert "Choose the course" in error_beside(nothing.text, "entity")
    assert "as a number" in nothing.text
    forged = owner.post("/admin/rules/wizard", {"entity": "Bad Kind:x", "template": badge})
    assert forged.status_code == 422
    assert "is not an event type" in error_beside(forged.text, "event_type")
    assert _count(runtime, Rule) == 5


def test_the_list_and_the_rule_page_state_the_condition_as_a_sentence(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Path <Star>")
    send(
        owner.client,
        owner.tenant,
        event("t1", "course.completed", entity=("course", "c1"), title="Basics"),
    )
    strict = rule(
        owner.client,
        owner.tenant,
        name="Strict",
        trigger={"event_types": ["course.*"]},
        condition={
            "and": [
                {"===": [{"var": "event.data.passed"}, True]},
                {"or": [{"completed_all": ["c1", "c2"]}, {"!": {"holds_badge": badge}}]},
            ]
        },
        actions=[{"type": "award", "template_id": badge}],
    )
    odd = rule(
        owner.client,
        owner.tenant,
        name="Odd",
        trigger={"event_types": ["quiz.submitted"]},
        condition={"if": [{"var": "event.data.passed"}, True, False]},
        actions=[{"type": "award", "template_id": badge}],
    )
    listing = owner.get("/admin/rules").text
    expected = (
        "When any course event, if passed is yes and (the learner has completed Basics (c1) and"
        " c2 or the learner does not hold “Path &lt;Star&gt;”)"
    )
    assert expected in listing
    assert "a condition written in JSON Logic" in listing  # the one it cannot phrase
    detail = owner.get(f"/admin/rules/{strict['id']}").text
    assert "passed is yes" in detail and "===" not in detail.split("<details", 1)[0]
    assert "&#34;===&#34;" in detail or "&quot;===&quot;" in detail  # inside the details
    assert "JSON Logic" in owner.get(f"/admin/rules/{odd['id']}").text


def test_operators_read_as_plain_words() -> None:
    # One "is" for == and ===, in the sentence and in the builder's list.
    for op in ("==", "==="):
        assert condition_sentence({op: [{"var": "event.data.score"}, 80]}) == "the score is 80"
    assert condition_sentence({"!==": [{"var": "learner.email"}, "a@b.c"]}) == (
        "the learner's email is not “a@b.c”"
    )
    assert condition_sentence({"in": [{"var": "entity.id"}, ["a", "b"]]}) == (
        "the entity is one of “a” or “b”"
    )
    script = (Path(plaudit.admin.__file__).parent / "static" / "rules.js").read_text()
    assert '["==", "is"]' in script and "is exactly" not in script and "= equals" not in script


def test_an_event_type_in_words_gets_words_back_not_a_pattern(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    refused = owner.post("/admin/rules", rule_form(badge, event_types="course completed"))
    assert refused.status_code == 422
    message = error_beside(refused.text, "event_types")
    assert message == (
        "“course completed” is not an event type. Did you mean course.completed?"
        " Pick one from the suggestions."
    )
    assert "^" not in refused.text.split('id="e-event_types"', 1)[1].split("</p>", 1)[0]
    odd = owner.post("/admin/rules", rule_form(badge, event_types="Course Completed!"))
    assert "lowercase words joined by dots" in error_beside(odd.text, "event_types")
    # Valid types separated by spaces still work, as before.
    both = owner.post("/admin/rules", rule_form(badge, event_types="course.completed quiz.*"))
    assert both.status_code == 303
    # The editor suggests the built-in types.
    editor = owner.get("/admin/rules/new").text
    assert 'list="known-event-types"' in editor and '<option value="mission.completed">' in editor


def test_the_template_list_of_an_action_is_filtered_and_tells_twins_apart(
    owner: Dashboard,
) -> None:
    first = published(owner.client, owner.tenant, name="Safety Star")
    twin = published(owner.client, owner.tenant, name="Safety Star")
    certificate = published(owner.client, owner.tenant, name="Diploma", kind="certificate")
    create_template(owner.client, owner.tenant, name="Draft badge")

    def options(page: str, row: int) -> str:
        return page.split(f'id="f-action-{row}-template"', 1)[1].split("</select>", 1)[0]

    editor = owner.get("/admin/rules/new").text
    award = options(editor, 0)
    assert first in award and twin in award and certificate not in award
    labels = re.findall(r">(Safety Star[^<]*)</option>", award)
    assert len(labels) == 2 and labels[0] != labels[1]
    assert all("· badge · v1 · published · made " in label for label in labels)
    assert re.search(r"disabled>Draft badge · badge · never published · draft", award)
    # A certificate action offers certificates; a revoke offers any template.
    form = rule_form(first, **{"action-0-type": "issue_certificate", "action-0-template": ""})
    shown = owner.post("/admin/rules", {**form, "add_action": "1"}).text
    assert certificate in options(shown, 0) and first not in options(shown, 0)
    revoke = rule_form(first, **{"action-0-type": "revoke"})
    shown = owner.post("/admin/rules", {**revoke, "add_action": "1"}).text
    assert certificate in options(shown, 0) and "Draft badge" in options(shown, 0)
    assert "disabled>Draft" not in options(shown, 0)


def test_a_new_rule_takes_several_actions(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    other = published(owner.client, owner.tenant, name="Safety Pro")
    form = rule_form(badge)
    del form["action-1-type"], form["action-1-template"]
    more = owner.post("/admin/rules", {**form, "add_action": "1"})
    assert more.status_code == 200 and 'name="action-1-template"' in more.text
    assert "Add action" in more.text
    assert _count_rules(owner) == 0  # adding a row saves nothing
    made = owner.post(
        "/admin/rules",
        {**form, "action-1-type": "award", "action-1-template": other},
    )
    assert made.status_code == 303, made.text
    saved = _api_rule(owner, made.headers["location"].rsplit("/", 1)[1])
    assert [a["template_id"] for a in saved["actions"]] == [badge, other]
    # Enter in a field still creates the rule: the form's first submit button is not "Add action".
    editor = owner.get("/admin/rules/new").text.split('id="rule-form"', 1)[1]
    first_button = editor.split("<button", 1)[1].split(">", 1)[0]
    assert 'name="add_action"' not in first_button and 'type="submit"' in first_button


def test_the_editor_picks_entities_from_those_received(owner: Dashboard) -> None:
    badge = published(owner.client, owner.tenant, name="Safety Star")
    send(
        owner.client,
        owner.tenant,
        event("p1", "course.completed", entity=("course", "c-7"), title="Fire <safety>"),
    )
    editor = owner.get("/admin/rules/new").text
    assert "Pick from the entities received (1)" in editor
    assert "<strong>Fire &lt;safety&gt;</strong>" in editor
    made = owner.post(
        "/admin/rules", rule_form(badge, entity_ids="typed-1", pick_entity="course:c-7")
    )
    assert made.status_code == 303, made.text
    saved = _api_rule(owner, made.headers["location"].rsplit("/", 1)[1])
    assert saved["trigger"]["entity_ids"] == ["typed-1", "c-7"]


def _count_rules(owner: Dashboard) -> int:
    listed = owner.client.get("/api/v1/rules", headers=owner.tenant.headers).json()
    return len(listed["items"])


def test_the_simulator_keeps_the_event_it_judged_and_lists_the_newest_first(
    owner: Dashboard, runtime: Runtime
) -> None:
    badge = published(owner.client, owner.tenant, name="Path")
    made = rule(
        owner.client,
        owner.tenant,
        name="Scores",
        trigger={"event_types": ["course.completed"]},
        condition=SCORE_80,
        actions=[{"type": "award", "template_id": badge}],
    )
    # Received in this order; they happened in another.
    for ident, minutes, score in (("mid", 10, 70), ("old", 0, 90), ("new", 20, 85)):
        send(
            owner.client,
            owner.tenant,
            event(ident, "course.completed", minutes=minutes, score=score),
        )
    for n in range(25):  # more recent events than the list holds
        send(owner.client, owner.tenant, event(f"later-{n}", "quiz.submitted", minutes=30 + n))
    with runtime.sessions() as session:
        ids = {e.external_id: str(e.id) for e in session.scalars(select(Event))}
    detail = owner.get(f"/admin/rules/{made['id']}").text
    listed = re.findall(r'<option value="([0-9a-f-]{36})"', detail)
    by_id = {v: k for k, v in ids.items()}
    shown = [by_id[i] for i in listed]
    assert shown == [f"later-{n}" for n in range(24, 4, -1)]  # newest first, by occurrence

    judged = owner.get(f"/admin/rules/{made['id']}/simulate", params={"event_id": ids["old"]})
    assert judged.status_code == 200 and 'id="result"' in judged.text
    assert "the score is 90" in judged.text  # it judged "old"
    # The judged event stays selected (listed even though older than the rest) and shown.
    assert f'<option value="{ids["old"]}" selected>' in judged.text
    textbox = judged.text.split('id="f-event"', 1)[1].split("</textarea>", 1)[0]
    assert "&#34;old&#34;" in textbox or "&quot;old&quot;" in textbox
    assert "&#34;score&#34;: 90" in textbox or "&quot;score&quot;: 90" in textbox
