"""The command line: help everywhere, one-line errors, and a demo whose key works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from plaudit import cli
from plaudit.app import create_app
from plaudit.runtime import Runtime
from tests.fixtures.databases import make_settings


def plaudit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")}
    return subprocess.run(
        [sys.executable, "-m", "plaudit", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["worker"],
        ["db"],
        ["db", "upgrade"],
        ["org", "create"],
        ["apikey", "create"],
        ["user", "create"],
        ["keys", "master-key"],
        ["demo"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli.app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "--help" in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["frobnicate"], "No such command"),
        (["org", "create"], "Missing option '--name'"),
        (["serve", "--port", "seventy"], "Invalid value for '--port'"),
        (
            ["apikey", "create", "--org", "x", "--name", "y", "--scope", "root"],
            "'root' is not one of",
        ),
    ],
)
def test_wrong_arguments_give_one_line_and_a_nonzero_exit(args: list[str], expected: str) -> None:
    result = plaudit(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]


def test_domain_errors_are_one_line_too(tmp_path: Path) -> None:
    env = {"PLAUDIT_DATA_DIR": str(tmp_path)}
    result = plaudit("apikey", "create", "--org", "missing", "--name", "ci", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    bad = plaudit("org", "create", "--name", "X", "--timezone", "Nowhere/Land", env=env)
    assert bad.returncode == 2 and "IANA time zone" in bad.stderr


def test_demo_prints_a_working_api_key_and_login(engine: Engine, tmp_path: Path) -> None:
    settings = make_settings(engine, tmp_path)
    env = {
        "PLAUDIT_DATA_DIR": str(tmp_path),
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_QUEUE_URL": "memory://",
    }
    if engine.dialect.name != "sqlite":
        # Outside the embedded default the schema is upgraded explicitly, as in production.
        assert plaudit("db", "upgrade", env=env).returncode == 0
    first = plaudit("demo", env=env)
    assert first.returncode == 0, first.stderr
    token = next(
        line.strip() for line in first.stdout.splitlines() if line.strip().startswith("plaudit_")
    )
    password = next(
        line for line in first.stdout.splitlines() if line.startswith("Sign in:")
    ).split(" / ")[1]

    app = create_app(settings, runtime=Runtime(settings=settings, engine=engine))
    with TestClient(app) as client:
        org = client.get("/api/v1/organization", headers={"Authorization": f"Bearer {token}"})
        assert org.status_code == 200 and org.json()["slug"] == "demo"

        # Running the demo again keeps one organization and replaces the demo key.
        second = plaudit("demo", env=env)
        assert second.returncode == 0, second.stderr
        assert (
            client.get(
                "/api/v1/organization", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 401
        )

    from plaudit.users import service as users

    with Runtime(settings=settings, engine=engine).sessions() as session:
        assert (
            users.authenticate(session, email="admin@demo.plaudit.local", password=password.strip())
            is None
        )
