"""The manifest: which table files are live and which chunk is the store's root.

Rule from Dolt's `go/store/nbs/file_manifest.go` (`parseManifest`, `parseV5Manifest`) and
`go/store/nbs/manifest.go` (`parseSpecs`): text, colon-separated,
`5:<format>:<lock>:<root>:<gc generation>` then pairs `<table file>:<chunk count>`. Only the files
a manifest names are live; a git tree may hold many stale ones. Version 4 (no GC generation) and
any other version are refused, as is any storage format but `__DOLT__` (the older `__LD_1__`
stores rows as Noms values, which this reader does not decode).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import address
from ..errors import CorruptData, UnsupportedFormat

SUPPORTED_VERSION = "5"
SUPPORTED_FORMAT = "__DOLT__"


@dataclass(frozen=True)
class TableSpec:
    """One live table file: its name (the address that names the file) and its chunk count."""

    name: str
    chunk_count: int


@dataclass(frozen=True)
class Manifest:
    """A parsed v5 manifest."""

    lock: str
    root: bytes
    gc_generation: str
    specs: tuple[TableSpec, ...]

    @property
    def root_name(self) -> str:
        return address.encode(self.root)


def parse(data: bytes, where: str = "manifest") -> Manifest:
    """Parse manifest bytes; raise UnsupportedFormat or CorruptData naming `where`."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise CorruptData(f"{where} is not text") from None
    version, sep, _ = text.partition(":")
    if not sep or len(version) > 8:
        raise CorruptData(f"{where} does not start with a version number")
    if version != SUPPORTED_VERSION:
        raise UnsupportedFormat(f"{where} version {version} is not supported (only version 5)")
    fields = text.strip().split(":")
    # version, format, lock, root, gc generation, then (name, count) pairs
    if len(fields) < 5 or (len(fields) - 5) % 2 != 0:
        raise CorruptData(f"{where} has {len(fields)} fields, which is not 5 plus pairs")
    fmt, lock, root, gc_gen = fields[1:5]
    if fmt != SUPPORTED_FORMAT:
        raise UnsupportedFormat(f"{where} names storage format {fmt!r}; only __DOLT__ is read")
    for label, value in (("lock", lock), ("root", root), ("GC generation", gc_gen)):
        if not address.is_name(value):
            raise CorruptData(f"{where} has a malformed {label} hash {value[:40]!r}")
    specs: list[TableSpec] = []
    for i in range(5, len(fields), 2):
        name, count = fields[i], fields[i + 1]
        if not address.is_name(name):
            raise CorruptData(f"{where} names a malformed table file {name[:40]!r}")
        if not count.isdigit() or int(count) >= 1 << 32:
            raise CorruptData(f"{where} gives table file {name} a bad chunk count {count[:20]!r}")
        specs.append(TableSpec(name, int(count)))
    return Manifest(lock, address.decode(root), gc_gen, tuple(specs))
