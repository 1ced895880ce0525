"""What Plaudit writes under its data directory is its user's alone: directories 0700, files
0600 (the database and its journal files, the job queue, the master key, uploads, emails)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from plaudit import migrate
from plaudit.app import create_app
from plaudit.config import Settings
from plaudit.db import create_db_engine
from plaudit.notifications import smtp
from plaudit.notifications.delivery import smtp_config
from plaudit.runtime import build_runtime
from tests.fixtures.templates import create, with_image
from tests.fixtures.tenants import make_tenant


@pytest.fixture
def shell_umask() -> Iterator[None]:
    """The umask most shells start with (files 0644): what Plaudit must not rely on."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (itself included) with its permission bits, e.g. '0o600'."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def assert_private(root: Path) -> None:
    opened = {
        name: mode
        for name, mode in modes(root).items()
        if mode != ("0o700" if (root / name).is_dir() else "0o600")
    }
    assert opened == {}, f"readable by others under {root}: {opened}"


def test_a_runtime_creates_its_database_files_uploads_and_emails_private(
    tmp_path: Path, shell_umask: None
) -> None:
    data = tmp_path / "var"  # made by Plaudit
    settings = Settings.model_validate(
        {
            "data_dir": data,
            "queue_url": "memory://",
            "queue_name": f"plaudit-test-{uuid.uuid4().hex[:8]}",
            "public_base_url": "http://testserver",
        }
    )
    runtime = build_runtime(settings)
    try:
        migrate.upgrade(runtime.engine)
        with TestClient(create_app(settings, runtime=runtime)) as client:
            assert runtime.vault.key  # made on first use, in the data directory
            tenant = make_tenant(runtime)
            template = create(client, tenant, name="Private Badge")
            with_image(client, tenant, template["id"])  # an upload and its derived sizes
        message = EmailMessage()
        message["To"], message["Subject"] = "ada@example.org", "You earned Private Badge"
        message.set_content("Hello")
        config = smtp_config(settings, runtime, None)  # no SMTP server: the mail folder
        assert smtp.send(config, message, file_name="welcome").ok
        # An open connection keeps SQLite's -wal and -shm files on disk.
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM templates"))
            names = set(modes(data))
            assert {"plaudit.db", "plaudit.db-wal", "plaudit.db-shm", "master.key"} <= names
            assert "mail/welcome.eml" in names
            assert any(name.startswith("files/images/") for name in names)
            assert_private(data)
    finally:
        runtime.close()


def test_the_demo_in_a_fresh_process_leaves_nothing_readable_by_others(tmp_path: Path) -> None:
    """As `make run` does it: a new process from a shell's umask, the default SQLite database and
    job queue in the data directory."""
    data = tmp_path / "var"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATA_DIR": str(data),
    }
    as_a_shell = "import os, runpy; os.umask(0o022); runpy.run_module('plaudit')"
    result = subprocess.run(
        [sys.executable, "-c", as_a_shell, "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = set(modes(data))
    assert {"plaudit.db", "jobs.db", "master.key"} <= names
    assert any(name.startswith("files/images/") for name in names)
    assert_private(data)


def test_a_database_an_older_version_left_readable_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "plaudit.db"
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    path.chmod(0o644)
    create_db_engine(f"sqlite:///{path}").dispose()
    assert oct(stat.S_IMODE(path.stat().st_mode)) == "0o600"
