"""Imports of credentials issued elsewhere: CSV rows, OB 3.0 and OB 2.0 documents and images."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plaudit import jobs
from plaudit.credentials import tasks as credential_tasks
from plaudit.db import unit_of_work
from plaudit.imports import csv_rows, items
from plaudit.models.apikey import Scope
from plaudit.models.award import Award, AwardGuard, AwardLog, Credential
from plaudit.runtime import Runtime
from tests.fixtures.credentials import issue
from tests.fixtures.pages import FRENCH, HTML, read
from tests.fixtures.paths import standards
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant

STANDARDS = standards()
OB3 = STANDARDS / "ob3" / "validator-fixtures"
OB2 = STANDARDS / "ob2" / "validator-fixtures"
# The address 1EdTech's OB 2.0 fixtures hash (with the salt 'deadsea').
OB2_RECIPIENT = "nobody@example.org"
# The 1EdTech OB 3.0 fixtures name their recipient by a DID only.
DID_RECIPIENT = "learner@example.org"


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime, name="Acme Academy")


def post_files(
    client: TestClient, tenant: Tenant, files: list[tuple[str, bytes]], **fields: str
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/imports",
        files=[("file", (name, content)) for name, content in files],
        data=fields,
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def post_json(client: TestClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/imports", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def credential(client: TestClient, tenant: Tenant, credential_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def credential_count(runtime: Runtime, tenant: Tenant) -> int:
    with unit_of_work(runtime.sessions) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Credential)
                .where(Credential.organization_id == tenant.id)
            )
            or 0
        )


CSV = """email,first_name,last_name,template,issued_at,expires_at,legacy_id,evidence_url,narrative
ada@example.org,Ada,Lovelace,Safety Champion,2021-03-04,,OLD-1,https://lms.example.org/w/1,Built it
grace@example.org,Grace,Hopper,{template_id},2020-01-02 10:30:00,2030-01-01,OLD-2,,
not-an-email,Bad,Row,Safety Champion,2021-01-01,,OLD-3,,
alan@example.org,Alan,Turing,Safety Champion,someday,,OLD-4,,
edsger@example.org,Edsger,Dijkstra,No Such Badge,2021-01-01,,OLD-5,,
barbara@example.org,Barbara,Liskov,Safety Champion,2021-01-01,2020-01-01,OLD-6,,
"""


def test_a_csv_imports_each_row_and_reports_bad_ones_by_line_and_column(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Safety Champion")
    text = CSV.format(template_id=template_id)
    report = post_files(client, tenant, [("people.csv", text.encode())], source="old-lms")
    assert (report["imported"], report["duplicates"], report["invalid"]) == (2, 0, 4)
    by_line = {item["line"]: item for item in report["items"]}
    assert by_line[2]["status"] == "imported" and by_line[3]["status"] == "imported"
    assert (by_line[4]["column"], by_line[4]["status"]) == ("email", "invalid")
    assert "line 4, column 'email'" in by_line[4]["reason"]
    assert by_line[5]["column"] == "issued_at" and "'someday' is not a date" in by_line[5]["reason"]
    assert by_line[6]["column"] == "template" and "No Such Badge" in by_line[6]["reason"]
    assert by_line[7]["column"] == "expires_at"
    assert by_line[5]["legacy_id"] == "OLD-4"

    ada = credential(client, tenant, by_line[2]["credential_id"])
    assert ada["imported"] is True and ada["legacy_id"] == "OLD-1"
    assert ada["template_id"] == template_id
    assert ada["emitted_at"].startswith("2021-03-04T00:00:00")
    assert ada["recipient_first_name"] == "Ada"
    assert ada["evidence"] == [{"id": "https://lms.example.org/w/1", "narrative": "Built it"}]
    assert ada["document"] is None and ada["signed_at"] is None
    grace = credential(client, tenant, by_line[3]["credential_id"])
    assert grace["legacy_id"] == "OLD-2"
    assert grace["emitted_at"].startswith("2020-01-02T10:30:00")
    assert grace["expires_at"].startswith("2030-01-01")
    assert by_line[3]["verified"] is False
    assert by_line[3]["reason"] == "not verified: a CSV row carries no proof"


def test_importing_again_duplicates_nothing(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    published(client, tenant, name="Safety Champion")
    text = (
        "email,template,issued_at,legacy_id\n"
        "ada@example.org,Safety Champion,2021-03-04,OLD-1\n"
        "ada@example.org,Safety Champion,2021-03-05,OLD-1\n"
        # Without a legacy id, the row's content identifies it.
        "grace@example.org,Safety Champion,2021-03-06,\n"
    )
    first = post_files(client, tenant, [("a.csv", text.encode())])
    assert [i["status"] for i in first["items"]] == ["imported", "duplicate", "imported"]
    assert "a.csv line 2" in first["items"][1]["reason"]
    count = credential_count(runtime, tenant)
    assert count == 2

    again = post_json(client, tenant, csv=text)
    assert [i["status"] for i in again["items"]] == ["duplicate", "duplicate", "duplicate"]
    assert again["items"][0]["credential_id"] == first["items"][0]["credential_id"]
    assert "already imported" in again["items"][0]["reason"]
    assert credential_count(runtime, tenant) == count
    # Another source's legacy ids are its own.
    other = post_json(client, tenant, csv=text, source="another-vendor")
    assert other["imported"] == 2


def test_a_vendor_export_reads_as_it_comes(client: TestClient, tenant: Tenant) -> None:
    """The column names of the vendor in seed 003 (recipient_email, emitted_at, imp_legacy_id)."""
    published(client, tenant, name="Safety Champion")
    text = (
        "imp_legacy_id,recipient_email,recipient_first_name,recipient_last_name,"
        "badge_template,emitted_at,image_path,status\n"
        "V-9,Ada@Example.org,Ada,Lovelace,safety champion,2024-05-06 07:08:09,x.png,active\n"
    )
    report = post_files(client, tenant, [("export.csv", text.encode())])
    [item] = report["items"]
    assert item["status"] == "imported", item
    assert item["legacy_id"] == "V-9"
    assert report["warnings"] == ["export.csv: columns not read: image_path, status"]
    record = credential(client, tenant, item["credential_id"])
    assert record["recipient_email"] == "ada@example.org"


def test_a_csv_with_a_wrong_header_is_reported_on_line_1(
    client: TestClient, tenant: Tenant
) -> None:
    report = post_files(client, tenant, [("x.csv", b"emial,issued_at\na@example.org,2020-01-01\n")])
    [item] = report["items"]
    assert item["status"] == "invalid"
    assert (item["line"], item["column"]) == (1, "email")
    assert "no 'email' column" in item["reason"]


def test_another_issuers_ob3_credential_verifies_and_a_tampered_one_is_recorded_unverified(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    elsewhere = make_tenant(runtime, name="Elsewhere University")
    issued = issue(client, elsewhere, learner="u-ob3", template_name="Data Literacy")
    document = client.get(f"{issued.page}?format=eddsa-rdfc-2022").json()
    email = "u-ob3@example.org"  # tests.scenario.event's address for the learner

    # Hashed recipient: whose it is must be said, and is checked against the hash.
    refused = post_json(client, tenant, credentials=[document])
    assert refused["items"][0]["status"] == "invalid"
    assert "hashed" in refused["items"][0]["reason"]
    wrong = post_json(client, tenant, credentials=[document], recipient_email="x@example.org")
    assert "does not match" in wrong["items"][0]["reason"]

    report = post_json(client, tenant, credentials=[document], recipient_email=email)
    [item] = report["items"]
    assert item["status"] == "imported" and item["verified"] is True, item
    assert item["reason"] is None
    assert item["legacy_id"] == document["id"]
    [created] = report["templates_created"]
    assert created["name"] == "Data Literacy"
    record = credential(client, tenant, item["credential_id"])
    assert record["imported"] is True and record["document"] is None
    with unit_of_work(runtime.sessions) as session:
        row = session.get(Credential, uuid.UUID(record["id"]))
        assert row is not None
        assert row.imported_document == document  # kept exactly as received
        assert row.import_format == "ob3" and row.import_source == "openbadges"
        assert row.import_details is not None
        assert row.import_details["issuer"]["name"] == "Elsewhere University"
        assert row.import_details["verification"]["outcome"] == "Valid"

    tampered = copy.deepcopy(document)
    tampered["id"] = document["id"] + "-copy"
    tampered["credentialSubject"]["achievement"]["name"] = "Data Mastery"
    [bad] = post_json(client, tenant, credentials=[tampered], recipient_email=email)["items"]
    assert bad["status"] == "imported" and bad["verified"] is False
    assert "proof" in bad["reason"] and "does not match" in bad["reason"]
    # The same achievement id: the template created before is found again.
    assert bad["template_id"] == item["template_id"]


def test_1edtech_samples_import_as_json_baked_png_and_jwt(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    files = [
        ("simple.json", (OB3 / "simple.json").read_bytes()),
        # The same credential baked: found as the same one.
        ("simple-json.png", (OB3 / "simple-json.png").read_bytes()),
        ("simple-err-proof-value.json", (OB3 / "simple-err-proof-value.json").read_bytes()),
        ("simple-noproof.json", (OB3 / "simple-noproof.json").read_bytes()),
    ]
    report = post_files(client, tenant, files, recipient_email=DID_RECIPIENT)
    items = {item["where"]: item for item in report["items"]}
    assert items["simple.json"]["status"] == "imported"
    assert items["simple.json"]["verified"] is True
    assert items["simple.json"]["legacy_id"] == "http://example.com/credentials/3527"
    assert items["simple-json.png"]["status"] == "duplicate"
    # 1EdTech's broken sample has the same id: a second look at it is a duplicate too.
    assert items["simple-err-proof-value.json"]["status"] == "duplicate"
    unsigned = items["simple-noproof.json"]
    assert unsigned["status"] == "imported" and unsigned["verified"] is False
    assert "no proof" in unsigned["reason"]
    assert {t["name"] for t in report["templates_created"]} == {
        "Teamwork",
        "Example University Degree",
    }

    # In a fresh organization, the broken one is imported and recorded as unverified.
    other = make_tenant(runtime, name="Other")
    [broken] = post_files(
        client,
        other,
        [("e.json", (OB3 / "simple-err-proof-value.json").read_bytes())],
        recipient_email=DID_RECIPIENT,
    )["items"]
    assert broken["verified"] is False and "signature does not match" in broken["reason"]
    # A baked VC-JWT whose token carries its own key: it verifies, with a warning.
    [jwt_png] = post_files(
        client,
        make_tenant(runtime, name="Third"),
        [("simple-jwt.png", (OB3 / "simple-jwt.png").read_bytes())],
        recipient_email=DID_RECIPIENT,
    )["items"]
    assert jwt_png["status"] == "imported" and jwt_png["verified"] is True


def test_our_own_vc_jwt_imports_elsewhere_and_verifies(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    elsewhere = make_tenant(runtime, name="Elsewhere")
    issued = issue(client, elsewhere, learner="u-jwt", template_name="JWT Badge")
    token = client.get(f"{issued.page}?format=vc-jwt").text
    [item] = post_json(client, tenant, credentials=[token], recipient_email="u-jwt@example.org")[
        "items"
    ]
    assert item["status"] == "imported" and item["verified"] is True, item
    with unit_of_work(runtime.sessions) as session:
        row = session.get(Credential, uuid.UUID(item["credential_id"]))
        assert row is not None and row.imported_document == token
    # Importing it back into the organization that issued it finds it there.
    [home] = post_json(client, elsewhere, credentials=[token], recipient_email="u-jwt@example.org")[
        "items"
    ]
    assert home["status"] == "duplicate" and home["public_id"] == issued.public_id


def test_ob2_assertions_hosted_baked_signed_and_embedded(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    baked = (OB2 / "simple-badge.png").read_bytes()
    [hashed] = post_files(client, tenant, [("badge.png", baked)])["items"]
    assert hashed["status"] == "invalid" and "hashed" in hashed["reason"]

    report = post_files(client, tenant, [("badge.png", baked)], recipient_email=OB2_RECIPIENT)
    [item] = report["items"]
    assert item["status"] == "imported" and item["format"] == "ob2"
    assert item["legacy_id"] == "https://example.org/beths-robotics-badge.json"
    assert item["verified"] is False and "imports never do" in item["reason"]
    assert any("hosted at https://example.org/robotics-badge.json" in n for n in item["notes"])
    [created] = report["templates_created"]
    assert created["name"] == "Imported badge (https://example.org/robotics-badge.json)"
    record = credential(client, tenant, item["credential_id"])
    assert record["emitted_at"].startswith("2016-12-31T23:59:59")

    # The signed form of the same assertion: a duplicate; in a new organization, imported
    # as unverified (its key is hosted).
    token = (OB2 / "simple.jwt").read_text()
    dup = post_json(client, tenant, credentials=[token], recipient_email=OB2_RECIPIENT)
    assert dup["items"][0]["status"] == "duplicate"
    other = make_tenant(runtime, name="Other")
    [signed] = post_json(client, other, credentials=[token], recipient_email=OB2_RECIPIENT)["items"]
    assert signed["status"] == "imported"
    assert "http://example.org/key1.json" in signed["reason"]

    # Embedded badge class and issuer: their names are used.
    assertion = json.loads((OB2 / "basic-assertion.json").read_text())
    badge = json.loads((OB2 / "assets" / "robotics-badge.json").read_text())
    badge["issuer"] = json.loads((OB2 / "assets" / "organization.json").read_text())
    assertion.update(id="urn:uuid:8f3b9d1e-0000-4000-8000-000000000001", badge=badge)
    third = make_tenant(runtime, name="Third")
    report = post_json(client, third, credentials=[assertion], recipient_email=OB2_RECIPIENT)
    [embedded] = report["items"]
    assert embedded["status"] == "imported", embedded
    assert [t["name"] for t in report["templates_created"]] == ["Awesome Robotics Badge"]
    with unit_of_work(runtime.sessions) as session:
        row = session.get(Credential, uuid.UUID(embedded["credential_id"]))
        assert row is not None and row.import_details is not None
        assert row.import_details["issuer"]["name"] == badge["issuer"]["name"]


def test_the_wallet_marks_imported_credentials_and_the_page_names_the_issuer(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    ours = issue(client, tenant, learner="u-wallet", template_name="Our Own Badge")
    assertion = json.loads((OB2 / "basic-assertion.json").read_text())
    assertion["recipient"] = {"type": "email", "hashed": False, "identity": "u-wallet@example.org"}
    assertion["badge"] = {
        "type": "BadgeClass",
        "id": "https://old.example.org/badges/7",
        "name": "Old <b>Badge</b>",
        "description": "From before.",
        "criteria": {"narrative": "Did the thing."},
        "issuer": {"id": "https://old.example.org", "name": "<script>alert(1)</script> Old Co"},
    }
    [item] = post_json(client, tenant, credentials=[assertion])["items"]
    assert item["status"] == "imported", item

    link = client.get(
        f"/api/v1/learners/{ours.learner_id}/wallet-link", headers=tenant.headers
    ).json()["url"]
    html = client.get(urlparse(link).path, headers=HTML).text
    assert "<script>alert(1)" not in html and "<b>Badge" not in html
    wallet = read(html)
    assert "Our Own Badge" in wallet.text and "Old <b>Badge</b>" in wallet.text
    assert wallet.text.count("Imported") == 1  # the mark, on the imported one only
    assert "data-imported" in html

    page = client.get(f"/credentials/{item['public_id']}", headers=HTML)
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    text = " ".join(read(page.text).text)
    assert "Imported credential" in text
    assert "Issued by <script>alert(1)</script> Old Co; imported into the records of" in text
    assert "It could not be verified when it was imported" in text
    # No downloads or hosted OB 2.0 assertion: nothing here is signed by us.
    assert "/download/" not in page.text
    assert client.get(f"/ob2/assertions/{item['public_id']}").status_code == 404
    # Its address gives the original as imported; none of our formats or files.
    original = client.get(f"/credentials/{item['public_id']}")
    assert (
        original.status_code == 200 and original.json()["badge"]["id"] == assertion["badge"]["id"]
    )
    for path in ("?format=vc-jwt", "/download/badge.png", "/download/credential.json"):
        refused = client.get(f"/credentials/{item['public_id']}{path}")
        assert refused.status_code == 404, path
        assert "imported" in refused.json()["detail"], path


def test_a_verified_import_says_so_on_its_page_in_french(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    template_id = published(client, tenant, name="Teamwork", translations=[FRENCH])
    [item] = post_files(
        client,
        tenant,
        [("s.json", (OB3 / "simple.json").read_bytes())],
        recipient_email=DID_RECIPIENT,
        template_id=template_id,
    )["items"]
    assert item["template_id"] == template_id
    page = client.get(f"/credentials/{item['public_id']}?lang=fr", headers=HTML)
    text = " ".join(read(page.text).text)
    assert "Délivré par Example Corp ; importé dans les dossiers de Acme Academy." in text
    assert "Sa signature a été vérifiée lors de l'import" in text
    assert "proof" in text  # the checks recorded at import are listed


def test_imported_credentials_are_never_signed_by_us(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    published(client, tenant, name="Safety Champion")
    before = jobs.queue.pending_count()
    [item] = post_json(
        client, tenant, csv="email,template,issued_at\nada@example.org,Safety Champion,2021-01-01\n"
    )["items"]
    assert jobs.queue.pending_count() == before  # no signing job, no email, no webhook
    # Even if asked to, the signing job leaves it alone.
    credential_tasks.sign_credentials.call_local([item["credential_id"]])
    with unit_of_work(runtime.sessions) as session:
        row = session.get(Credential, uuid.UUID(item["credential_id"]))
        assert row is not None
        assert row.document is None and row.signed_at is None and row.status_index is None
    # It is revoked like any credential, from our records alone (no status list bit).
    response = client.post(
        f"/api/v1/credentials/{item['credential_id']}/revoke",
        json={"reason": "issued in error"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    page = client.get(f"/credentials/{item['public_id']}", headers=HTML)
    assert 'data-state="revoked"' in page.text and "issued in error" in page.text


def test_a_once_rule_does_not_award_what_was_imported(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    badge = published(client, tenant, name="Safety Champion")
    rule(
        client,
        tenant,
        name="Safety once",
        mode="once",
        trigger={"event_types": ["course.completed"], "entity_ids": ["safety"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    # The learner is known (from the LMS) before their history is imported.
    send(client, tenant, event("e-0", "lesson.viewed", learner="u-7"))
    csv = f"email,template,issued_at,legacy_id\nu-7@example.org,{badge},2019-05-01,L-7\n"
    [item] = post_json(client, tenant, csv=csv)["items"]
    assert item["status"] == "imported"
    with unit_of_work(runtime.sessions) as session:
        row = session.get(Credential, uuid.UUID(item["credential_id"]))
        assert row is not None
        assert session.get(AwardGuard, (row.learner_id, row.template_id)) is not None
        # Our rules' own records are untouched.
        assert session.scalar(select(func.count()).select_from(Award)) == 0
        assert session.scalar(select(func.count()).select_from(AwardLog)) == 0

    again = send(
        client, tenant, event("e-1", "course.completed", learner="u-7", entity=("course", "safety"))
    )
    assert again["awards"] == []
    # Someone without the imported credential still earns it.
    other = send(
        client, tenant, event("e-2", "course.completed", learner="u-8", entity=("course", "safety"))
    )
    assert [a["template_id"] for a in other["awards"]] == [badge]


def test_bad_requests_are_problems_and_bad_files_are_items(
    client: TestClient, runtime: Runtime, tenant: Tenant
) -> None:
    url = "/api/v1/imports"
    response = client.post(
        url, content=b"x", headers={**tenant.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.post(url, json={}, headers=tenant.headers).status_code == 422
    assert client.post(url, json={"csv": "a", "nope": 1}, headers=tenant.headers).status_code == 422
    no_file = client.post(
        url, data={"source": "x"}, files={"other": ("a", b"b")}, headers=tenant.headers
    )
    assert no_file.status_code == 422
    unknown = client.post(
        url,
        json={"csv": "email\n", "template_id": "00000000-0000-0000-0000-000000000000"},
        headers=tenant.headers,
    )
    assert unknown.status_code == 422 and "template_id" in unknown.text
    reader = make_tenant(runtime, scopes=[Scope.READ])
    assert client.post(url, json={"csv": "a"}, headers=reader.headers).status_code == 403

    report = post_files(
        client,
        tenant,
        [
            ("junk.png", b"\x89PNG\r\n\x1a\nnot really"),
            ("note.json", b'{"hello": "world"}'),
            (
                "list.json",
                b'[1, {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion"}]',
            ),
            ("bin.dat", b"\xff\xfe\x00"),
        ],
    )
    assert report["invalid"] == 5 and report["imported"] == 0
    reasons = [item["reason"] for item in report["items"]]
    assert "the image carries no credential" in reasons[0]
    assert "neither an Open Badges 2.0 assertion" in reasons[1]
    assert "neither a JSON object" in reasons[2]
    assert "has no id" in reasons[3]
    assert "neither UTF-8" in reasons[4]


def test_csv_reading_is_pure_and_tracks_lines_of_quoted_fields() -> None:
    text = (
        "email,issued_at,template,narrative\n"
        'a@example.org,2020-01-01,T,"two\nlines"\n'
        ",2020-01-01,T,\n"
    )
    entries = csv_rows.read_csv(text, where="f.csv").entries
    assert isinstance(entries[0], items.Item) and entries[0].line == 2
    assert isinstance(entries[1], items.Problem)
    assert (entries[1].line, entries[1].column) == (4, "email")
    recipient = items.Recipient(hashes=((items.hashed_identity("Nobody@example.org", "s"), "s"),))
    assert items.recipient_matches(recipient, "Nobody@example.org")
    assert not items.recipient_matches(recipient, "somebody@example.org")
