"""Where uploaded and generated files live: a small interface, a local-directory default."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")

# What Plaudit keeps (the database, uploaded files, emails, the job queue) is nobody else's to
# read on a shared machine: files 0600, directories 0700.
PRIVATE_UMASK = 0o077
PRIVATE_DIR = 0o700


def keep_private(data_dir: Path) -> None:
    """Make everything this process creates from now on private to its user, and create the
    data directory so.

    A process-wide umask rather than a mode at each call: files are also created by libraries
    (SQLite's journal files, Huey's queue database) and by code that only writes bytes (the
    mail folder's .eml files), and a umask is the one setting that covers them all; a umask
    set and restored around each creation would race between threads. An administrator's own
    stricter umask is kept (the bits are added, not replaced).
    """
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)
    private_dirs(data_dir)


def private_dirs(path: Path) -> None:
    """``mkdir -p`` whose new directories are 0700 (existing ones are left as their owner set
    them)."""
    if path.is_dir():
        return
    private_dirs(path.parent)
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)  # exists: made by another process meanwhile


class FileStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def put_stream(self, key: str, source: BinaryIO) -> None: ...

    def open(self, key: str) -> BinaryIO | None: ...

    def delete_older(self, prefix: str, *, before: datetime) -> int: ...


class LocalFileStore:
    """Files under one directory; keys are relative paths chosen by Plaudit, never by users."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"unsafe storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        self.put_stream(key, io.BytesIO(data))

    def put_stream(self, key: str, source: BinaryIO) -> None:
        """Copy ``source`` from where it stands, in chunks (large uploads stay out of memory)."""
        path = self._path(key)
        private_dirs(path.parent)
        # Write then rename: a reader never sees half a file, a crash never leaves one (and
        # mkstemp creates it 0600, which the rename keeps).
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(source, handle)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO | None:
        """The file for reading in a stream (the caller closes it), or None."""
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            return None

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_older(self, prefix: str, *, before: datetime) -> int:
        """Delete the files under ``prefix`` last written before ``before``; returns how many."""
        folder = self._path(prefix)
        if not folder.is_dir():
            return 0
        deleted = 0
        cutoff = before.timestamp()
        for path in folder.rglob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted
