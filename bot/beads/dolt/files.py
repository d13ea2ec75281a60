"""The only I/O this reader does: list the paths of a Dolt store and read one file's bytes.

A Dolt store pushed to git (`refs/dolt/data`) is a tree with one path per storage key (Dolt's
`go/store/blobstore/git_blobstore.go`); a local `.dolt/noms` directory has the same keys as files.
Everything above this module sees a store only through `DoltFiles`, so the git adapters, the
local-directory adapter and the on-disk blob cache are interchangeable, and tests need no mocks.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from .errors import MissingBlob


class Entry(NamedTuple):
    """One path of the store: the git blob id of its bytes and their size (None: unknown)."""

    blob: str
    size: int | None


class DoltFiles(Protocol):
    """A Dolt store's files. `read` raises MissingBlob (naming the path) when it cannot fetch."""

    def entries(self) -> Mapping[str, Entry]: ...

    def read(self, path: str) -> bytes: ...


def git_blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes (SHA-1 of `blob <size>\\0<data>`)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class LocalDirFiles:
    """A local Dolt store directory (`.dolt/noms`, with its `oldgen/`), for tests and tools.

    Blob ids are computed from the files' bytes, so caches keyed by them stay truthful.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        found: dict[str, Entry] = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                found[path.relative_to(self.root).as_posix()] = Entry(git_blob_id(data), len(data))
        self._entries = found

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def read(self, path: str) -> bytes:
        entry = self._entries.get(path)
        if entry is None:
            raise MissingBlob(path, None, "no such file in the store directory")
        try:
            return (self.root / path).read_bytes()
        except OSError as exc:
            raise MissingBlob(path, entry.blob, exc.strerror or "unreadable") from None


class CountingFiles:
    """Wraps any DoltFiles and counts the reads and bytes that reach it (benchmarks, tests)."""

    def __init__(self, inner: DoltFiles) -> None:
        self.inner = inner
        self.commit = getattr(inner, "commit", None)
        self.reads = 0
        self.bytes = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def entries(self) -> Mapping[str, Entry]:
        return self.inner.entries()

    def read(self, path: str) -> bytes:
        data = self.inner.read(path)
        with self._lock:
            self.reads += 1
            self.bytes += len(data)
            self.paths.append(path)
        return data
