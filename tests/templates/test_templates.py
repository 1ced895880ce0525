"""Templates: lifecycle, frozen versions, translations, tags, filters and limits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plaudit.runtime import Runtime
from tests.fixtures.images import png_bytes
from tests.fixtures.problems import assert_problem
from tests.fixtures.templates import BADGE, act, create, with_image
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


def test_create_and_read_a_draft(client: TestClient, tenant: Tenant) -> None:
    template = create(client, tenant)
    assert template["status"] == "draft"
    assert template["achievement_type"] == "Badge"
    assert template["languages"] == ["en", "it"]
    assert template["published_version"] is None
    assert template["allowed_transitions"] == ["publish", "delete"]
    assert [t["name"] for t in template["tags"]] == ["path", "onboarding"]  # by priority
    assert template["expiry"] == {"type": "duration", "duration": "P1Y"}
    read = client.get(f"/api/v1/templates/{template['id']}", headers=tenant.headers).json()
    assert read == template


def test_every_lifecycle_transition(client: TestClient, tenant: Tenant) -> None:
    template = create(client, tenant)
    tid = template["id"]

    # A draft without an image cannot be published; archiving or unarchiving a draft is refused.
    refused = assert_problem(act(client, tenant, tid, "publish"), 409)
    assert "image" in str(refused["detail"])
    assert refused["allowed_transitions"] == ["publish", "delete"]
    for action in ("archive", "unarchive"):
        body = assert_problem(act(client, tenant, tid, action), 409)
        assert body["status_now"] == "draft"

    with_image(client, tenant, tid)
    published = act(client, tenant, tid, "publish").json()
    assert published["status"] == "published"
    assert published["published_version"] == 1
    assert published["allowed_transitions"] == ["archive"]

    # Published: nothing new to publish, no delete, no unarchive.
    assert_problem(act(client, tenant, tid, "publish"), 409)
    assert_problem(act(client, tenant, tid, "unarchive"), 409)
    assert_problem(client.delete(f"/api/v1/templates/{tid}", headers=tenant.headers), 409)

    archived = act(client, tenant, tid, "archive").json()
    assert archived["status"] == "archived"
    assert archived["allowed_transitions"] == ["unarchive"]
    assert_problem(act(client, tenant, tid, "publish"), 409)
    assert_problem(act(client, tenant, tid, "archive"), 409)
    edit = client.patch(f"/api/v1/templates/{tid}", json={"name": "X"}, headers=tenant.headers)
    assert "unarchive" in str(assert_problem(edit, 409)["detail"])

    draft = act(client, tenant, tid, "unarchive").json()
    assert draft["status"] == "draft"
    assert draft["allowed_transitions"] == ["publish"]  # once published, never deletable
    assert_problem(client.delete(f"/api/v1/templates/{tid}", headers=tenant.headers), 409)

    # Publishing an unchanged draft again reuses version 1.
    again = act(client, tenant, tid, "publish").json()
    assert again["status"] == "published"
    assert again["published_version"] == 1


def test_a_never_published_draft_can_be_deleted(client: TestClient, tenant: Tenant) -> None:
    tid = create(client, tenant)["id"]
    assert client.delete(f"/api/v1/templates/{tid}", headers=tenant.headers).status_code == 204
    assert client.get(f"/api/v1/templates/{tid}", headers=tenant.headers).status_code == 404


def test_editing_a_published_template_never_changes_its_published_version(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    from plaudit.db import unit_of_work
    from plaudit.templates import service as templates

    tid = create(client, tenant)["id"]
    with_image(client, tenant, tid)
    act(client, tenant, tid, "publish")
    v1 = client.get(f"/api/v1/templates/{tid}/versions/1", headers=tenant.headers).json()

    edited = client.patch(
        f"/api/v1/templates/{tid}",
        json={"name": "Onboarding Champion", "tags": [{"name": "new"}], "expiry": {"type": "none"}},
        headers=tenant.headers,
    ).json()
    assert edited["status"] == "published"
    assert edited["has_unpublished_changes"] is True
    assert edited["allowed_transitions"] == ["publish", "archive"]
    with_image(client, tenant, tid)  # a new image is a change too

    # What awards use is still version 1, untouched.
    with unit_of_work(runtime.read_sessions) as session:
        version = templates.awardable_version(
            session, organization_id=tenant.id, template_id=uuid.UUID(tid)
        )
        assert version.number == 1
        assert version.snapshot["name"] == "Onboarding Completer"
    assert client.get(f"/api/v1/templates/{tid}/versions/1", headers=tenant.headers).json() == v1

    v2 = act(client, tenant, tid, "publish").json()
    assert v2["published_version"] == 2
    versions = client.get(f"/api/v1/templates/{tid}/versions", headers=tenant.headers).json()[
        "items"
    ]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["snapshot"]["name"] == "Onboarding Champion"
    assert versions[1]["snapshot"]["name"] == "Onboarding Completer"
    assert versions[0]["image"] != versions[1]["image"]
    assert versions[1]["snapshot"]["expiry"] == {"type": "duration", "duration": "P1Y"}


def test_an_edit_that_reverts_leaves_nothing_to_publish(client: TestClient, tenant: Tenant) -> None:
    tid = create(client, tenant)["id"]
    with_image(client, tenant, tid)
    act(client, tenant, tid, "publish")
    client.patch(f"/api/v1/templates/{tid}", json={"name": "Other"}, headers=tenant.headers)
    back = client.patch(
        f"/api/v1/templates/{tid}", json={"name": BADGE["name"]}, headers=tenant.headers
    ).json()
    assert back["has_unpublished_changes"] is False


def test_only_published_templates_are_awardable(
    client: TestClient, tenant: Tenant, runtime: Runtime
) -> None:
    from plaudit.db import unit_of_work
    from plaudit.errors import Conflict
    from plaudit.templates import service as templates

    tid = create(client, tenant)["id"]
    with pytest.raises(Conflict, match="draft"), unit_of_work(runtime.read_sessions) as session:
        templates.awardable_version(session, organization_id=tenant.id, template_id=uuid.UUID(tid))


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("", None, "en"),
        ("?lang=it", None, "it"),
        ("?lang=it-CH", None, "it"),
        ("?lang=fr", None, "en"),
        ("", "fr-FR,it;q=0.8,en;q=0.5", "it"),
        ("", "de", "en"),
        ("?lang=en", "it", "en"),
    ],
)
def test_translation_fallback(
    client: TestClient, tenant: Tenant, query: str, header: str | None, expected: str
) -> None:
    tid = create(client, tenant)["id"]
    headers = {**tenant.headers, **({"Accept-Language": header} if header else {})}
    localized = client.get(f"/api/v1/templates/{tid}{query}", headers=headers).json()["localized"]
    assert localized["lang"] == expected
    if expected == "it":
        assert localized["name"] == "Completamento Onboarding"
        # A translation without its own criteria shows the main language's.
        assert localized["criteria"] == BADGE["criteria"]["narrative"]
    else:
        assert localized["name"] == BADGE["name"]


def test_tags_are_ordered_by_priority_then_name(client: TestClient, tenant: Tenant) -> None:
    tags = [
        {"name": "zeta", "priority": 1},
        {"name": "alpha", "priority": 1},
        {"name": "top", "priority": -5},
    ]
    template = create(client, tenant, tags=tags)
    assert [t["name"] for t in template["tags"]] == ["top", "alpha", "zeta"]
    changed = client.patch(
        f"/api/v1/templates/{template['id']}",
        json={"tags": [{"name": "alpha", "priority": 9}, {"name": "b"}]},
        headers=tenant.headers,
    ).json()
    assert [t["name"] for t in changed["tags"]] == ["b", "alpha"]


def test_list_filters(client: TestClient, tenant: Tenant) -> None:
    badge = create(client, tenant)
    cert = create(
        client,
        tenant,
        kind="certificate",
        name="Safety Certificate",
        translations=[],
        tags=[{"name": "safety"}],
    )
    with_image(client, tenant, badge["id"])
    act(client, tenant, badge["id"], "publish")

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/templates{query}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [t["name"] for t in response.json()["items"]]

    assert names("") == ["Safety Certificate", "Onboarding Completer"]
    assert names("?kind=certificate") == ["Safety Certificate"]
    assert names("?status=published") == ["Onboarding Completer"]
    assert names("?tag=SAFETY") == ["Safety Certificate"]
    assert names("?has_language=it") == ["Onboarding Completer"]
    assert names("?q=safety") == ["Safety Certificate"]
    assert names("?q=%25") == []
    assert [f["name"] for f in cert["fields"]] == [
        "recipient_name",
        "course_title",
        "completion_date",
        "score",
    ]
    assert cert["achievement_type"] == "Certificate"


def _long(n: int) -> str:
    return "x" * n


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"translations": [{"lang": chr(97 + i) * 2, "name": "n"} for i in range(10)]},
            "translations",
        ),
        ({"name": _long(201)}, "name"),
        ({"description": _long(5001)}, "description"),
        ({"criteria": {"narrative": _long(10_001)}}, "criteria.narrative"),
        ({"tags": [{"name": f"t{i}"} for i in range(21)]}, "tags"),
        ({"tags": [{"name": _long(65)}]}, "tags.0.name"),
        ({"alignments": [{"name": "a", "url": "https://x.example"}] * 21}, "alignments"),
        (
            {"kind": "certificate", "fields": [{"name": f"f{i}", "label": "F"} for i in range(31)]},
            "fields",
        ),
        ({"metadata": {f"k{i}": i for i in range(51)}}, "metadata"),
        ({"metadata": {"blob": _long(20_000)}}, "metadata"),
        ({"achievement_type": "Trophy"}, "achievement_type"),
        ({"expiry": {"type": "duration", "duration": "1 year"}}, "expiry.duration.duration"),
        ({"expiry": {"type": "sometimes"}}, "expiry"),
        ({"translations": [{"lang": "en", "name": "dup"}]}, "body"),
        ({"kind": "badge", "fields": [{"name": "x", "label": "X"}]}, "body"),
        ({"tags": [{"name": "a"}, {"name": "A"}]}, "tags"),
        ({"language": "not a language"}, "language"),
        ({"wallet_reminder_days": 0}, "wallet_reminder_days"),
        ({"wallet_reminder_days": 1000}, "wallet_reminder_days"),
    ],
)
def test_limits_answer_422_naming_the_field(
    client: TestClient, tenant: Tenant, change: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/templates", json={**BADGE, **change}, headers=tenant.headers)
    body = assert_problem(response, 422)
    fields = [e["field"] for e in body["errors"]]  # type: ignore[attr-defined]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields


def test_another_organizations_templates_are_404(client: TestClient, runtime: Runtime) -> None:
    a, b = make_tenant(runtime), make_tenant(runtime)
    tid = create(client, b)["id"]
    for method, path in [
        ("GET", f"/api/v1/templates/{tid}"),
        ("PATCH", f"/api/v1/templates/{tid}"),
        ("DELETE", f"/api/v1/templates/{tid}"),
        ("POST", f"/api/v1/templates/{tid}/publish"),
        ("GET", f"/api/v1/templates/{tid}/versions"),
    ]:
        response = client.request(
            method, path, json={"name": "stolen"} if method == "PATCH" else None, headers=a.headers
        )
        assert response.status_code == 404, (method, path, response.text)
    upload = client.put(
        f"/api/v1/templates/{tid}/image",
        files={"image": ("x.png", png_bytes(), "image/png")},
        headers=a.headers,
    )
    assert upload.status_code == 404
    assert client.get("/api/v1/templates", headers=a.headers).json()["items"] == []
    assert client.get(f"/api/v1/templates/{tid}", headers=b.headers).json()["name"] == BADGE["name"]


def test_a_read_only_key_cannot_change_templates(client: TestClient, runtime: Runtime) -> None:
    from plaudit.models.apikey import Scope

    reader = make_tenant(runtime, scopes=[Scope.READ])
    assert_problem(client.post("/api/v1/templates", json=BADGE, headers=reader.headers), 403)
    assert client.get("/api/v1/templates", headers=reader.headers).status_code == 200


def test_an_edit_cannot_give_a_language_twice(client: TestClient, tenant: Tenant) -> None:
    template = create(client, tenant)
    twice = [{"lang": "de", "name": "Eins"}, {"lang": "DE", "name": "Zwei"}]
    response = client.patch(
        f"/api/v1/templates/{template['id']}", json={"translations": twice}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert "each language may appear once" in response.text
    assert client.get(f"/api/v1/templates/{template['id']}", headers=tenant.headers).json()[
        "languages"
    ] == ["en", "it"]


def test_the_wallet_reminder_is_off_by_default_and_set_without_publishing(
    client: TestClient, tenant: Tenant
) -> None:
    assert create(client, tenant)["wallet_reminder_days"] is None
    template = create(client, tenant, wallet_reminder_days=14)
    path = f"/api/v1/templates/{template['id']}"
    assert template["wallet_reminder_days"] == 14
    assert client.get(path, headers=tenant.headers).json()["wallet_reminder_days"] == 14
    with_image(client, tenant, template["id"])
    assert act(client, tenant, template["id"], "publish").status_code == 200
    # A delivery policy, not part of the credential: no new version to publish.
    changed = client.patch(path, json={"wallet_reminder_days": 1}, headers=tenant.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["wallet_reminder_days"] == 1
    assert changed.json()["has_unpublished_changes"] is False
    versions = client.get(f"{path}/versions", headers=tenant.headers).json()["items"]
    assert [v["number"] for v in versions] == [1]
    assert "wallet_reminder_days" not in versions[0]["snapshot"]
    renamed = client.patch(path, json={"name": "Renamed"}, headers=tenant.headers).json()
    assert renamed["wallet_reminder_days"] == 1  # left alone when not sent
    for bad in (0, 366, 1000, "soon"):
        refused = client.patch(path, json={"wallet_reminder_days": bad}, headers=tenant.headers)
        body = assert_problem(refused, 422)
        assert [e["field"] for e in body["errors"]] == ["wallet_reminder_days"]  # type: ignore[attr-defined]
    off = client.patch(path, json={"wallet_reminder_days": None}, headers=tenant.headers)
    assert off.json()["wallet_reminder_days"] is None
