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
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash never leaves one.
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
