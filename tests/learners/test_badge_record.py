"""The seed's badge record (seed 003) on a learner's credentials and badges, and one badge of a
learner with its translation (seed 004)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from plaudit.db import unit_of_work
from plaudit.models.award import Credential
from plaudit.runtime import Runtime
from tests.fixtures.credentials import Issued, issue
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import T0
from tests.fixtures.tenants import Tenant, make_tenant

ITALIAN = {
    "lang": "it",
    "name": "Campione della Sicurezza",
    "description": "Assegnato a chi completa il corso.",
    "criteria": "Completare il corso di sicurezza.",
}


def _record(client: TestClient, tenant: Tenant, issued: Issued) -> dict[str, Any]:
    response = client.get(f"/api/v1/credentials/{issued.credential_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _change(runtime: Runtime, issued: Issued, **values: Any) -> None:
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(Credential)
            .where(Credential.id == uuid.UUID(issued.credential_id))
            .values(**values)
        )


def test_the_badge_record_has_every_field_of_the_seed(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant, data={"duration": "PT1H30M"})
    record = _record(client, tenant, issued)
    base = runtime.settings.public_base_url

    # The three images of the version it was issued from: 512, 1024 and 128 pixels.
    assert record["image_path"].startswith(f"{base}/files/images/")
    assert record["image_path"].endswith("/standard")
    assert record["image_high_path"].endswith("/high")
    assert record["image_thumbnail_path"].endswith("/thumbnail")
    for key in ("image_path", "image_high_path", "image_thumbnail_path"):
        assert client.get(record[key].removeprefix(base)).status_code == 200
    assert record["url"] == f"{base}/credentials/{issued.public_id}"
    assert record["organization_id"] == str(tenant.id)
    version = record["badge_template_version"]
    assert version["number"] == record["template_version"] == 1
    assert version["template_id"] == record["template_id"]
    assert version["name"] == "Safety Champion"
    assert uuid.UUID(version["id"])
    assert record["imp_legacy_id"] is None and record["legacy_id"] is None
    # The event said how long the activity took: it started that long before it ended.
    ended = datetime.fromisoformat(record["activity_ended_at"])
    assert ended == T0
    assert datetime.fromisoformat(record["activity_started_at"]) == T0 - timedelta(minutes=90)
    assert record["status"] == "active"
    # The same record in the lists.
    [listed] = client.get(
        f"/api/v1/learners/{issued.learner_id}/credentials", headers=tenant.headers
    ).json()["items"]
    assert listed == record
    searched = client.get("/api/v1/credentials", headers=tenant.headers).json()["items"]
    assert searched == [record]


def test_a_start_time_in_the_event_is_the_activity_start(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant, data={"started_at": "2026-01-02T08:00:00+01:00"})
    started = _record(client, tenant, issued)["activity_started_at"]
    assert datetime.fromisoformat(started) == datetime(2026, 1, 2, 7, tzinfo=UTC)
    plain = issue(client, tenant, template_name="Plain")
    assert _record(client, tenant, plain)["activity_started_at"] is None


def test_an_imported_legacy_id_is_under_both_names(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant)
    _change(runtime, issued, legacy_id="old-42")
    record = _record(client, tenant, issued)
    assert record["imp_legacy_id"] == record["legacy_id"] == "old-42"


def test_a_credential_past_its_expiry_says_expired_and_can_be_filtered(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    expired = issue(client, tenant, template_name="Old")
    live = issue(client, tenant, template_name="New")
    _change(runtime, expired, expires_at=datetime.now(UTC) - timedelta(days=1))
    assert _record(client, tenant, expired)["status"] == "expired"
    assert _record(client, tenant, live)["status"] == "active"

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/credentials?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids("status=expired") == [expired.credential_id]
    assert ids("status=active") == [live.credential_id]
    assert ids("status=revoked") == []
    learner = client.get(
        f"/api/v1/learners/{expired.learner_id}/credentials?status=expired",
        headers=tenant.headers,
    ).json()["items"]
    assert [c["id"] for c in learner] == [expired.credential_id]


def test_a_learners_badges_carry_their_latest_credential(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant)
    page = client.get(f"/api/v1/learners/{issued.learner_id}/badges", headers=tenant.headers).json()
    assert page["next_cursor"] is None
    [badge] = page["items"]
    assert badge["count"] == 1
    assert badge["credential"] == _record(client, tenant, issued)


def test_one_badge_of_a_learner_with_its_translation(client: TestClient, runtime: Runtime) -> None:
    tenant = make_tenant(runtime)
    issued = issue(
        client,
        tenant,
        description="Awarded for finishing the course.",
        criteria={"narrative": "Finish the safety course."},
        translations=[ITALIAN],
    )
    template_id = _record(client, tenant, issued)["template_id"]
    url = f"/api/v1/learners/{issued.learner_id}/badges/{template_id}"

    italian = client.get(f"{url}?lang=it", headers=tenant.headers)
    assert italian.status_code == 200, italian.text
    body = italian.json()
    assert body["translation"] == {
        "lang": "it",
        "name": ITALIAN["name"],
        "description": ITALIAN["description"],
        "criteria": ITALIAN["criteria"],
    }
    assert body["default_lang"] == "en" and body["langs"] == ["en", "it"]
    assert body["template_id"] == template_id and body["count"] == 1
    assert body["first_assigned_at"] and body["last_assigned_at"] and len(body["logs"]) == 1
    assert body["credential"]["id"] == issued.credential_id

    by_header = client.get(url, headers={**tenant.headers, "Accept-Language": "it-IT, en;q=0.5"})
    assert by_header.json()["translation"]["name"] == ITALIAN["name"]
    default = client.get(f"{url}?lang=de", headers=tenant.headers).json()["translation"]
    assert default == {
        "lang": "en",
        "name": "Safety Champion",
        "description": "Awarded for finishing the course.",
        "criteria": "Finish the safety course.",
    }


def test_a_badge_the_learner_does_not_hold_is_not_found(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    issued = issue(client, tenant)
    other = issue(client, tenant, template_name="Other", learner="someone-else")
    template_id = _record(client, tenant, other)["template_id"]
    response = client.get(
        f"/api/v1/learners/{issued.learner_id}/badges/{template_id}", headers=tenant.headers
    )
    assert_problem(response, 404)
    stranger = make_tenant(runtime, name="Stranger")
    mine = _record(client, tenant, issued)["template_id"]
    response = client.get(
        f"/api/v1/learners/{issued.learner_id}/badges/{mine}", headers=stranger.headers
    )
    assert_problem(response, 404)
