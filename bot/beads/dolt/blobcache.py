"""A bounded on-disk cache of git blobs, shared by threads and processes, and a DoltFiles
wrapper over it: a second read of unchanged Dolt data fetches no blob.

Git blob ids name content, so a cached file never goes stale; each file is named by its blob id
and checked against it when read (a torn or tampered file is dropped and fetched again). Writes
go to a temporary file in the same folder and are renamed into place (atomic on POSIX), so a
reader in another process sees a whole file or none. When the folder grows past its cap, the
least recently used files (by modification time, refreshed on every hit) are removed; a file
that vanishes under a reader is just a miss.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from .files import DoltFiles, Entry, git_blob_id

_NAME = re.compile(r"[0-9a-f]{40}")


class BlobCache:
    """Blobs by git id in `folder`, at most `max_bytes` in all (files above the cap are not
    kept)."""

    def __init__(self, folder: str | os.PathLike[str], max_bytes: int = 1 << 30) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes

    def _path(self, blob: str) -> Path:
        if not _NAME.fullmatch(blob):
            raise ValueError(f"{blob!r} is not a git blob id")
        return self.folder / blob

    def get(self, blob: str) -> bytes | None:
        path = self._path(blob)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if git_blob_id(data) != blob:
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # mark as recently used
        except FileNotFoundError:
            pass
        return data

    def put(self, blob: str, data: bytes) -> None:
        if len(data) > self.max_bytes or git_blob_id(data) != blob:
            return
        path = self._path(blob)
        if path.exists():
            return
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._evict()

    def _evict(self) -> None:
        found: list[tuple[float, int, Path]] = []
        total = 0
        now = time.time()
        with os.scandir(self.folder) as listing:
            for item in listing:
                try:
                    st = item.stat()
                except FileNotFoundError:
                    continue
                if item.name.startswith(".tmp-"):
                    if now - st.st_mtime > 3600:  # left by a writer that died
                        Path(item.path).unlink(missing_ok=True)
                    continue
                if _NAME.fullmatch(item.name):
                    found.append((st.st_mtime, st.st_size, Path(item.path)))
                    total += st.st_size
        for _mtime, size, path in sorted(found):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


class CachedFiles:
    """DoltFiles that serves blobs from a BlobCache and fetches only the ones it lacks."""

    def __init__(self, inner: DoltFiles, cache: BlobCache) -> None:
        self.inner = inner
        self.cache = cache
        self.commit = getattr(inner, "commit", None)

    def entries(self) -> Mapping[str, Entry]:
        return self.inner.entries()

    def read(self, path: str) -> bytes:
        entry = self.inner.entries().get(path)
        if entry is not None:
            hit = self.cache.get(entry.blob)
            if hit is not None:
                return hit
        data = self.inner.read(path)
        if entry is not None:
            self.cache.put(entry.blob, data)
        return data
