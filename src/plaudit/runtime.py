"""The process-wide objects built from Settings: engine, session factories, vault."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plaudit.config import Settings
from plaudit.db import create_db_engine, create_session_factory, request_lock_timeout_ms
from plaudit.storage import FileStore, LocalFileStore, keep_private
from plaudit.vault import Vault, load_vault


@dataclass
class Runtime:
    settings: Settings
    engine: Engine

    def __post_init__(self) -> None:
        # Before anything is written under the data directory (this process's files 0600).
        keep_private(self.settings.data_dir)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return create_session_factory(self.engine)

    @cached_property
    def read_sessions(self) -> sessionmaker[Session]:
        return create_session_factory(self.engine, read_only=True)

    @cached_property
    def request_sessions(self) -> sessionmaker[Session]:
        """The sessions of requests that write: a lock held elsewhere is waited for a few
        seconds at most (the request is then run again, or answered 503)."""
        return create_session_factory(
            self.engine, lock_timeout_ms=request_lock_timeout_ms(self.engine)
        )

    @cached_property
    def files(self) -> FileStore:
        return LocalFileStore(self.settings.data_dir / "files")

    @cached_property
    def vault(self) -> Vault:
        return load_vault(self.settings)

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(settings: Settings) -> Runtime:
    return Runtime(settings=settings, engine=create_db_engine(settings.resolved_database_url))
