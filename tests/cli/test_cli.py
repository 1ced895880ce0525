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
            "Invalid value for --scope: Input should be 'read', 'write', 'issue' or 'admin'",
        ),
        (["user", "create", "--org", "x", "--email", "a@b.org", "--role", "god"], "'god' is not"),
        (["apikey", "revoke", "--org", "x", "12"], "must be the id of a key (a UUID"),
        (["user", "create", "--org", "x", "--email", "a@b.org", "--password", "short"], "10"),
        (["org", "create", "--name", "X", "--slug", "Not A Slug"], "lowercase letters, digits"),
        (["org", "create", "--name", "X", "--language", "english!"], "language tag such as"),
        (["org", "create", "--name", "X", "--email", "nope"], "not a valid email address"),
        (["org", "create", "--name", ""], "Invalid value for --name"),
    ],
)
def test_wrong_arguments_give_one_line_and_a_nonzero_exit(args: list[str], expected: str) -> None:
    result = plaudit(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    # Messages are for people: no regular expression, no pydantic prefix, no traceback.
    assert "pattern" not in lines[0] and "^" not in lines[0] and "Value error" not in lines[0]


def test_domain_errors_are_one_line_too(tmp_path: Path) -> None:
    env = {"PLAUDIT_DATA_DIR": str(tmp_path)}
    result = plaudit("apikey", "create", "--org", "missing", "--name", "ci", env=env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    bad = plaudit("org", "create", "--name", "X", "--timezone", "Nowhere/Land", env=env)
    assert bad.returncode == 2 and "IANA time zone" in bad.stderr
    revision = plaudit("db", "upgrade", "nosuchrev", env=env)
    assert revision.returncode == 2
    assert revision.stderr.startswith("error: Invalid value for REVISION: Can't locate revision")


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


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    result = plaudit("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"plaudit {version('plaudit')}"


def test_help_starts_without_the_database_or_web_stacks() -> None:
    # What makes `plaudit --help` slow is importing them; a timing would be flaky on a loaded
    # machine, so the test checks what was imported.
    probe = (
        "import sys; sys.argv = ['plaudit', '--help']\n"
        "from plaudit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = {'sqlalchemy', 'fastapi', 'starlette', 'pydantic', 'pydantic_settings', 'huey',"
        " 'alembic', 'redis', 'cryptography', 'jinja2', 'uvicorn'}\n"
        "print('IMPORTED', sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Usage" in result.stdout and "IMPORTED []" in result.stdout, result.stdout


def test_the_options_choices_are_the_models_values() -> None:
    from typing import get_args

    from plaudit.models.apikey import Scope
    from plaudit.models.signing_key import KeyAlgorithm
    from plaudit.models.user import Role

    assert get_args(cli.RoleName) == tuple(r.value for r in Role)
    assert get_args(cli.AlgorithmName) == tuple(a.value for a in KeyAlgorithm)
    assert get_args(cli.ScopeName) == tuple(s.value for s in Scope)


def _env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    settings = make_settings(engine, tmp_path)
    env = {
        "PLAUDIT_DATA_DIR": str(tmp_path),
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_QUEUE_URL": "memory://",
    }
    if engine.dialect.name != "sqlite":
        assert plaudit("db", "upgrade", env=env).returncode == 0
    return env


def test_the_cli_refuses_what_the_api_refuses_in_the_same_words(
    engine: Engine, tmp_path: Path
) -> None:
    env = _env(engine, tmp_path)
    assert plaudit("org", "create", "--name", "Acme", "--slug", "acme", env=env).returncode == 0
    token = plaudit("apikey", "create", "--org", "acme", "--name", "t", env=env).stdout.strip()

    settings = make_settings(engine, tmp_path)
    app = create_app(settings, runtime=Runtime(settings=settings, engine=engine))
    with TestClient(app) as client:
        answer = client.post(
            "/api/v1/members",
            json={"email": "notanemail", "role": "admin"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 422
    reason = answer.json()["errors"][0]["reason"]

    refused = plaudit("user", "create", "--org", "acme", "--email", "notanemail", env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip() == (
        f"error: Invalid value for --email: {reason} (see 'plaudit user create --help')"
    )

    missing = plaudit("user", "create", "--org", "nosuchorg", "--email", "a@b.org", env=env)
    assert missing.returncode == 2
    assert "there is no organization with the slug 'nosuchorg'" in missing.stderr
    assert "in this organization" not in missing.stderr

    # Nothing was created by the refused commands; a valid one works.
    made = plaudit("user", "create", "--org", "acme", "--email", "Ada@Example.org", env=env)
    assert made.returncode == 0 and "ada@example.org is admin of acme." in made.stdout


def test_ids_and_names_are_printed_whole_at_80_columns(engine: Engine, tmp_path: Path) -> None:
    env = {**_env(engine, tmp_path), "COLUMNS": "80"}
    name = "The [bold]Very Long[/] Name of an Academy of Continuing Professional Education"
    made = plaudit("org", "create", "--name", name, "--slug", "long", env=env)
    assert made.returncode == 0, made.stderr
    assert name in made.stdout  # markup in a name is printed as typed
    org_id = made.stdout.split("id ")[-1].strip().rstrip(").")
    listed = plaudit("org", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    assert org_id in listed.stdout and "…" not in listed.stdout
    narrow = {**env, "COLUMNS": "40"}
    token = plaudit("apikey", "create", "--org", "long", "--name", "t", env=narrow).stdout
    assert len(token.strip().splitlines()) == 1  # a token longer than the terminal, unbroken
