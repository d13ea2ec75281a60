"""Where a table file's bytes are in the tree, and reading byte ranges of it.

Rules from Dolt's `go/store/nbs/bs_persister.go` and `go/store/blobstore/git_blobstore.go`:
table file `X` (classic) or `X.darc` (archive) is written as `X.records` (the chunk records) and
`X.tail` (index, metadata, footer), then joined into `X`; any of these over 50 MiB
(`nbs/store.go` defaultGitBlobstoreMaxPartSize) is a tree of parts `X/0001`, `X/0002`, ...
(four digits, from 0001, no gaps) whose concatenation is the object.

Only the parts that hold a requested byte range are fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import CorruptData, MissingBlob
from ..files import Entry

_PART = re.compile(r"\d{4}")

Fetch = Callable[[str, Entry], bytes]


@dataclass(frozen=True)
class StoredObject:
    """One storage key: a single blob, or parts that concatenate to it."""

    key: str
    parts: tuple[tuple[str, Entry], ...]  # (path, entry) in order

    @property
    def blob_ids(self) -> tuple[str, ...]:
        return tuple(entry.blob for _, entry in self.parts)

    @property
    def size(self) -> int | None:
        sizes = [entry.size for _, entry in self.parts]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    def read_all(self, fetch: Fetch) -> bytes:
        return b"".join(fetch(path, entry) for path, entry in self.parts)

    def read_range(self, offset: int, length: int, fetch: Fetch) -> bytes:
        """Bytes [offset, offset+length) of the object, fetching only the parts that hold them."""
        if len(self.parts) == 1:
            path, entry = self.parts[0]
            data = fetch(path, entry)
            if offset + length > len(data):
                raise CorruptData(f"{self.key} is {len(data)} bytes; a chunk lies beyond its end")
            return data[offset : offset + length]
        out: list[bytes] = []
        start = 0
        end = offset + length
        for path, entry in self.parts:
            if entry.size is None:
                raise MissingBlob(
                    path, entry.blob, "its size is unknown, so the parts after it cannot be placed"
                )
            stop = start + entry.size
            if stop > offset and start < end:
                data = fetch(path, entry)
                if len(data) != entry.size:
                    raise CorruptData(f"blob {path} is {len(data)} bytes, not {entry.size}")
                out.append(data[max(offset - start, 0) : min(end - start, entry.size)])
            start = stop
            if start >= end:
                break
        joined = b"".join(out)
        if len(joined) != length:
            raise CorruptData(f"{self.key} ends before byte {end}")
        return joined


def find_object(entries: Mapping[str, Entry], key: str) -> StoredObject | None:
    """The object stored under `key`: the blob at that path, or its numbered parts."""
    entry = entries.get(key)
    if entry is not None:
        return StoredObject(key, ((key, entry),))
    prefix = key + "/"
    parts = sorted((p, e) for p, e in entries.items() if p.startswith(prefix))
    if not parts:
        return None
    for i, (path, _) in enumerate(parts, start=1):
        name = path[len(prefix) :]
        if not _PART.fullmatch(name) or int(name) != i:
            raise CorruptData(f"{key} is stored in parts, but part {name!r} is not {i:04d}")
    return StoredObject(key, tuple(parts))


@dataclass(frozen=True)
class TableFile:
    """A live table file's stored objects: the whole file, its tail, its records (any may lack)."""

    name: str  # the address-name from the manifest
    key: str  # the storage key: `X` or `X.darc`, with the generation's folder
    archive: bool
    whole: StoredObject | None
    tail: StoredObject | None
    records: StoredObject | None


def find_table_file(entries: Mapping[str, Entry], prefix: str, name: str) -> TableFile | None:
    """Look a manifest's table file up in the tree: `X.darc` (archive) or `X` (classic)."""
    for suffix, archive in ((".darc", True), ("", False)):
        base = prefix + name + suffix
        whole = find_object(entries, base)
        tail = find_object(entries, base + ".tail")
        records = find_object(entries, base + ".records")
        if whole or tail or records:
            return TableFile(name, base, archive, whole, tail, records)
    return None
