"""POST /api/v1/verify and `plaudit verify`: our credentials, 1EdTech's fixtures, revocations."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit.app import create_app
from plaudit.certificates.render import (
    CertificateAssets,
    CertificateContent,
    CertificateRenderer,
    labels_for,
)
from plaudit.config import Settings
from plaudit.credentials import tasks as credential_tasks
from plaudit.openbadges import baking
from plaudit.runtime import Runtime
from plaudit.templates.layout import CertificateLayout
from tests.fixtures.databases import make_settings
from tests.fixtures.images import SVG, png_bytes
from tests.fixtures.problems import assert_problem
from tests.fixtures.scenario import event, rule, send
from tests.fixtures.templates import published
from tests.fixtures.tenants import Tenant, make_tenant


@pytest.fixture
def validator_fixtures(standards: Path) -> Path:
    """1EdTech's validator fixtures, from the shared standards folder."""
    return standards / "ob3" / "validator-fixtures"


@pytest.fixture
def settings(engine: Engine, tmp_path: Path) -> Settings:
    """These tests verify more often than one client address may (PLAUDIT_VERIFY_RATE_LIMIT)."""
    return make_settings(engine, tmp_path, verify_rate_limit="1000/second")


def _issue(client: TestClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    badge = published(client, tenant, name="Verified")
    rule(
        client,
        tenant,
        name="R",
        trigger={"event_types": ["course.completed"]},
        actions=[{"type": "award", "template_id": badge}],
    )
    rule(
        client,
        tenant,
        name="Reset",
        trigger={"event_types": ["course.reset"]},
        actions=[{"type": "revoke", "template_id": badge, "reason": "course reset"}],
    )
    result = send(client, tenant, event("v-1", "course.completed", entity=("course", "c")))
    credential_id = result["awards"][0]["credential_id"]
    credential_tasks.sign_credentials.call_local([credential_id])
    record = client.get(f"/api/v1/credentials/{credential_id}", headers=tenant.headers).json()
    return credential_id, record


def _checks(body: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["verdict"] for c in body["checks"]}


def test_our_credential_verifies_by_value_and_by_url_and_then_shows_revocation(
    client: TestClient, runtime: Runtime
) -> None:
    tenant = make_tenant(runtime)
    _, record = _issue(client, tenant)
    document = record["document"]
    by_value = client.post("/api/v1/verify", json={"credential": document}).json()
    assert by_value["outcome"] == "Valid", by_value
    assert _checks(by_value)["status"] == "passed"
    by_url = client.post("/api/v1/verify", json={"url": document["id"]}).json()
    assert by_url["valid"] is True

    send(client, tenant, event("v-2", "course.reset", entity=("course", "c"), minutes=5))
    revoked = client.post("/api/v1/verify", json={"credential": document}).json()
    assert revoked["valid"] is False
    status = next(c for c in revoked["checks"] if c["name"] == "status")
    assert status["verdict"] == "failed"
    assert "course reset" in status["message"]


def test_a_tampered_credential_fails_the_proof_check(client: TestClient, runtime: Runtime) -> None:
    _, record = _issue(client, make_tenant(runtime))
    forged = {**record["document"], "name": "Something else"}
    body = client.post("/api/v1/verify", json={"credential": forged}).json()
    assert body["valid"] is False
    assert _checks(body)["proof"] == "failed"


@pytest.mark.parametrize(
    ("name", "valid"),
    [("simple.json", True), ("simple-json.png", True), ("simple-err-proof-value.json", False)],
)
def test_files_verify_including_baked_images(
    client: TestClient, validator_fixtures: Path, name: str, valid: bool
) -> None:
    data = (validator_fixtures / name).read_bytes()
    response = client.post("/api/v1/verify/file", files={"file": (name, data)})
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is valid


def test_unknown_urls_and_bad_requests(client: TestClient) -> None:
    other = client.post("/api/v1/verify", json={"url": "https://elsewhere.example/c/1"}).json()
    assert other["valid"] is False
    assert_problem(client.post("/api/v1/verify", json={}), 422)
    assert_problem(client.post("/api/v1/verify", json={"credential": {}, "url": "x"}), 422)
    garbage = client.post("/api/v1/verify", json={"credential": "not a jwt"}).json()
    assert garbage["outcome"] == "Invalid"


def test_verification_is_rate_limited(engine: Engine, tmp_path: Path) -> None:
    limited = make_settings(engine, tmp_path, verify_rate_limit="3/hour")
    app = create_app(limited, runtime=Runtime(settings=limited, engine=engine))
    with TestClient(app) as client:
        responses = [client.post("/api/v1/verify", json={"url": "x"}) for _ in range(5)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert [r.status_code for r in responses[3:]] == [429, 429]
    assert_problem(responses[3], 429)


def test_the_cli_verifies_a_file_and_exits_non_zero_when_invalid(
    tmp_path: Path, validator_fixtures: Path
) -> None:
    env = {"PLAUDIT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    good = subprocess.run(
        [sys.executable, "-m", "plaudit", "verify", str(validator_fixtures / "simple.json")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert good.returncode == 0, good.stderr
    assert "Valid" in good.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "plaudit",
            "verify",
            str(validator_fixtures / "simple-err-expired.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "expired" in bad.stdout


def test_the_cli_verifies_what_a_pdf_or_baked_image_carries(
    tmp_path: Path, validator_fixtures: Path
) -> None:
    credential = (validator_fixtures / "simple.json").read_bytes()
    pdf = CertificateRenderer().render(
        CertificateLayout(),
        CertificateContent(
            title="Certificate",
            intro="",
            recipient_name="Ada",
            achievement_name="Simple",
            achievement_description="",
            issuer_name="1EdTech",
            issued_on=date(2024, 1, 1),
            expires_on=None,
            fields=[],
            verification_url="https://example.org/c",
            credential_id="c",
            lang="en",
            labels=labels_for("en"),
        ),
        CertificateAssets(),
        attachment=("credential.json", credential, "application/vc+ld+json"),
    )
    files = {
        "certificate.pdf": pdf,
        "badge.png": baking.bake_png(png_bytes(), credential.decode()),
        "badge.svg": baking.bake_svg(SVG, credential.decode()),
    }
    env = {"PLAUDIT_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = subprocess.run(
            [sys.executable, "-m", "plaudit", "verify", str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        assert "Valid" in result.stdout
