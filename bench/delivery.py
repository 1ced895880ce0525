"""Benchmark: emails and webhooks delivered per second through the outbox, on one worker
thread, to a local SMTP server (aiosmtpd) and a local HTTP receiver, on SQLite and PostgreSQL.

Each message is claimed, composed, sent and recorded in its own transactions, as in
production; the peers answer at once, so this measures Plaudit's side of the work.
Run: make bench   (or .venv/bin/python bench/delivery.py --messages 1000)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _shared import free_port, fresh_postgres
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from plaudit import migrate
from plaudit.config import Settings
from plaudit.db import create_db_engine, unit_of_work
from plaudit.delivery import engine as delivery
from plaudit.delivery import outbox
from plaudit.models.delivery import Channel, MessageStatus, OutboxMessage
from plaudit.models.organization import Organization
from plaudit.runtime import Runtime
from plaudit.vault import new_master_key
from plaudit.webhooks import service as webhooks


class Sink:
    count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        Sink.count += 1
        return "250 OK"


class Receiver(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.count += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


def run(label: str, url: str, messages: int, smtp_port: int, hook_url: str) -> None:
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    data_dir = Path(tempfile.mkdtemp(prefix="plaudit-bench-delivery-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        queue_url="memory://",
        master_key=new_master_key(),
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        webhooks_allow_private_networks=True,
    )
    runtime = Runtime(settings=settings, engine=engine)
    with unit_of_work(runtime.sessions) as session:
        org = Organization(slug=f"bench-{uuid.uuid4().hex[:6]}", name="Bench Academy")
        session.add(org)
        session.flush()
        endpoint, _secret = webhooks.create(
            session,
            runtime.vault,
            organization_id=org.id,
            url=hook_url,
            description=None,
            kinds=[],
            allow_private=True,
        )
        for channel in (Channel.EMAIL, Channel.WEBHOOK):
            outbox.record(
                session,
                [
                    outbox.NewMessage(
                        organization_id=org.id,
                        channel=channel,
                        topic="test" if channel is Channel.EMAIL else webhooks.PING,
                        dedupe_key=f"bench:{channel}:{n}",
                        recipient=f"learner{n}@example.org"
                        if channel is Channel.EMAIL
                        else hook_url,
                        payload=webhooks.envelope(webhooks.PING, {"n": n}),
                        endpoint_id=endpoint.id if channel is Channel.WEBHOOK else None,
                    )
                    for n in range(messages)
                ],
            )
    Sink.count = Receiver.count = 0
    started = time.perf_counter()
    while delivery.run_due(runtime, limit=500):
        pass
    elapsed = time.perf_counter() - started
    with unit_of_work(runtime.read_sessions) as session:
        delivered = session.scalar(
            select(func.count()).where(OutboxMessage.status == MessageStatus.DELIVERED)
        )
    total = 2 * messages
    assert delivered == total and Sink.count == messages and Receiver.count == messages
    print(
        f"{label:>10}: {total} messages ({messages} emails, {messages} webhooks) in "
        f"{elapsed:.1f} s = {total / elapsed:.0f} messages/s on one thread"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=1000, help="of each kind")
    args = parser.parse_args()
    smtp_port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{tmp}/bench.db", args.messages, smtp_port, hook_url)
        pg = fresh_postgres("plaudit_bench_delivery")
        if pg is not None:
            run("postgresql", pg, args.messages, smtp_port, hook_url)
    finally:
        controller.stop()
        server.shutdown()


if __name__ == "__main__":
    os.environ.setdefault("PLAUDIT_LOG_LEVEL", "WARNING")
    main()
