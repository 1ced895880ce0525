"""Real peers for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver, both on
loopback, started by the test, recording what they were sent."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import Engine

from plaudit.config import Settings
from tests.conftest import IN_CI, make_settings

REDIS_URL = os.environ.get("PLAUDIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> None:
    """Skip the test without Redis (fail it under CI, where Redis must be there)."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")


def process_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of a real `plaudit` process that shares this test's settings: its
    database, queue, master key, SMTP server, retry scale, leases and recovery pace."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAUDIT_")},
        "PLAUDIT_DATABASE_URL": settings.resolved_database_url,
        "PLAUDIT_QUEUE_URL": settings.resolved_queue_url,
        "PLAUDIT_QUEUE_NAME": settings.queue_name,
        "PLAUDIT_MASTER_KEY": settings.master_key or "",
        "PLAUDIT_DATA_DIR": str(data_dir),
        "PLAUDIT_PUBLIC_BASE_URL": settings.public_base_url,
        "PLAUDIT_SMTP_HOST": settings.smtp_host or "",
        "PLAUDIT_SMTP_PORT": str(settings.smtp_port),
        "PLAUDIT_SMTP_SECURITY": settings.smtp_security,
        "PLAUDIT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": str(
            settings.webhooks_allow_private_networks
        ).lower(),
        "PLAUDIT_DELIVERY_BACKOFF_SCALE": str(settings.delivery_backoff_scale),
        "PLAUDIT_DELIVERY_LEASE_SECONDS": str(settings.delivery_lease_seconds),
        "PLAUDIT_LEASE_SECONDS": str(settings.lease_seconds),
        "PLAUDIT_RECOVERY_INTERVAL_SECONDS": str(settings.recovery_interval_seconds),
        "PLAUDIT_RECOVERY_GRACE_SECONDS": str(settings.recovery_grace_seconds),
    }


def delivery_settings(
    engine: Engine, data_dir: Path, smtp_server: SmtpServer, **overrides: object
) -> Settings:
    """Settings that send to the test's SMTP server and let webhooks reach loopback, with
    retries after milliseconds instead of minutes (the schedule's shape is unchanged)."""
    return make_settings(
        engine,
        data_dir,
        **{
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_security": "none",
            "webhooks_allow_private_networks": True,
            "delivery_backoff_scale": 0.001,
            **overrides,
        },
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """Accepts mail unless told to refuse; ``hold`` blocks DATA until released."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_with: str | None = None
    hold: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold is not None:
            self.held.set()
            hold = self.hold
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, hold.wait, 30)
            return "451 4.3.0 the test held this message and dropped it"
        if self.refuse_with is not None:
            return self.refuse_with
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        if mailbox.hold is not None:
            mailbox.hold.set()
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None = None

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with the next status in ``statuses`` (then the last one)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])
    hold: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> list[Received]:
        return [r for r in self.requests if r.answered is not None and 200 <= r.answered < 300]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            record = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            with state.lock:
                state.requests.append(record)
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            if state.hold is not None:
                hold, state.hold = state.hold, None
                state.held.set()
                hold.wait(30)
                return  # never answered: the sender was killed meanwhile
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"thanks" if status < 300 else b"broken")
            record.answered = status

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/plaudit"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        if state.hold is not None:
            state.hold.set()
        server.shutdown()
        server.server_close()
