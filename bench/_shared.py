"""What the benchmarks share: a free local port and a fresh PostgreSQL database."""

from __future__ import annotations

import os
import socket

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get(
    "PLAUDIT_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fresh_postgres(name: str) -> str | None:
    """The URL of an empty database ``name`` (dropped and created again), or None, said, when
    PostgreSQL is not there: the benchmark reports what it could not measure."""
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL unavailable ({type(exc).__name__}); skipping it")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
