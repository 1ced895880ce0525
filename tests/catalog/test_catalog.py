"""The shipped catalog: copy an entry, and synced copies follow catalog updates."""

from __future__ import annotations

import dataclasses
import uuid

from fastapi.testclient import TestClient

from plaudit.catalog import service as catalog
from plaudit.catalog.entries import BY_KEY, CATALOG, Text
from plaudit.db import unit_of_work
from plaudit.runtime import Runtime
from tests.fixtures.problems import assert_problem
from tests.fixtures.tenants import make_tenant


def test_the_catalog_lists_entries_with_artwork(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    entries = client.get("/api/v1/catalog", headers=tenant.headers).json()
    keys = {e["key"] for e in entries}
    assert {
        "course-completer",
        "quiz-ace",
        "learning-path-completer",
        "module-master",
        "milestone-unlocked",
    } <= keys
    art = client.get(entries[0]["image_url"].removeprefix("http://testserver"))
    assert art.status_code == 200
    assert art.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in art.content


def test_copy_creates_a_catalog_draft_with_its_artwork(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    response = client.post(
        "/api/v1/catalog/quiz-ace/copy", json={"language": "it"}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    template = response.json()
    assert template["origin"] == "catalog"
    assert template["catalog_key"] == "quiz-ace"
    assert template["catalog_version"] == BY_KEY["quiz-ace"].version
    assert template["sync_with_catalog"] is True
    assert template["language"] == "it"
    assert template["name"] == "Asso dei Quiz"
    assert set(template["languages"]) == {"it", "en", "es"}
    assert template["image"] is not None
    thumb = client.get(template["image"]["thumbnail"].removeprefix("http://testserver"))
    assert thumb.headers["content-type"] == "image/png"
    published = client.post(f"/api/v1/templates/{template['id']}/publish", headers=tenant.headers)
    assert published.json()["status"] == "published"
    assert_problem(client.post("/api/v1/catalog/nope/copy", json={}, headers=tenant.headers), 404)


def test_synced_copies_follow_a_catalog_update_and_others_do_not(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    synced = client.post(
        "/api/v1/catalog/course-completer/copy", json={}, headers=tenant.headers
    ).json()
    pinned = client.post(
        "/api/v1/catalog/course-completer/copy",
        json={"sync_with_catalog": False},
        headers=tenant.headers,
    ).json()
    draft = client.post(
        "/api/v1/catalog/course-completer/copy", json={}, headers=tenant.headers
    ).json()
    for template in (synced, pinned):
        client.post(f"/api/v1/templates/{template['id']}/publish", headers=tenant.headers)

    entry = BY_KEY["course-completer"]
    updated_entry = dataclasses.replace(
        entry,
        version=entry.version + 1,
        palette="ember",
        texts={**entry.texts, "en": Text("Course Champion", "Updated text.", "Finish it all.")},
    )
    updated_catalog = tuple(updated_entry if e.key == entry.key else e for e in CATALOG)
    with unit_of_work(runtime.sessions) as session:
        changed = catalog.sync(session, runtime.files, entries=updated_catalog)
    assert {t.id for t in changed} == {uuid.UUID(synced["id"]), uuid.UUID(draft["id"])}

    after = client.get(f"/api/v1/templates/{synced['id']}", headers=tenant.headers).json()
    assert after["name"] == "Course Champion"
    assert after["status"] == "published"
    assert after["published_version"] == 2  # a synced published copy republishes
    assert after["catalog_version"] == entry.version + 1
    assert after["image"] != synced["image"]
    v1 = client.get(f"/api/v1/templates/{synced['id']}/versions/1", headers=tenant.headers).json()
    assert v1["snapshot"]["name"] == "Course Completer"

    untouched = client.get(f"/api/v1/templates/{pinned['id']}", headers=tenant.headers).json()
    assert untouched["name"] == "Course Completer"
    assert untouched["published_version"] == 1

    draft_after = client.get(f"/api/v1/templates/{draft['id']}", headers=tenant.headers).json()
    assert draft_after["name"] == "Course Champion"
    assert draft_after["status"] == "draft"

    with unit_of_work(runtime.sessions) as session:  # a second sync finds nothing to do
        assert catalog.sync(session, runtime.files, entries=updated_catalog) == []
