"""The chain from the store's root to a table: STRT, DCMT, RTVL, DTBL messages.

Field numbers follow Dolt's `go/serial/storeroot.fbs`, `commit.fbs`, `rootvalue.fbs` and
`table.fbs` (and their generated readers in `go/gen/fb/serial/`). The store root and the root
value embed address maps (ADRM messages) rather than pointing at them (`go/store/datas/refmap.go`,
`go/libraries/doltcore/doltdb/root_val.go`); a table embeds the root node of its primary index
(`go/libraries/doltcore/doltdb/durable/table.go`). A root value's feature version above the one
this reader was written against (`root_val.go` DoltFeatureVersion = 7) is refused, as Dolt
itself refuses data from a newer client.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import address
from ..errors import CorruptData, UnsupportedFormat
from .flatbuf import root

MAX_FEATURE_VERSION = 7


def _addr(raw: bytes | None, what: str) -> bytes:
    if raw is None or len(raw) != address.SIZE:
        raise CorruptData(f"{what} is not a 20-byte address")
    return raw


@dataclass(frozen=True)
class StoreRoot:
    """STRT: the refs of the database (`refs/heads/main` ...) as an embedded address map."""

    refs_map: bytes  # an ADRM message


def decode_store_root(msg: bytes) -> StoreRoot:
    t = root(msg, "STRT", 1, "the store root")
    embedded = t.bytes(0)
    if embedded is None:
        raise CorruptData("the store root has no address map of refs")
    return StoreRoot(embedded)


@dataclass(frozen=True)
class Commit:
    """DCMT: a Dolt commit; `root` is the address of its root value."""

    root: bytes
    height: int
    parents: tuple[bytes, ...]
    name: str
    email: str
    description: str
    timestamp_millis: int


def decode_commit(msg: bytes, what: str = "the commit") -> Commit:
    t = root(msg, "DCMT", 12, what)
    parents_raw = t.bytes(2) or b""
    if len(parents_raw) % address.SIZE:
        raise CorruptData(f"{what} has a malformed list of parents")
    parents = tuple(
        parents_raw[i : i + address.SIZE] for i in range(0, len(parents_raw), address.SIZE)
    )
    return Commit(
        root=_addr(t.bytes(0), f"the root value address of {what}"),
        height=t.scalar(1, "Q"),
        parents=parents,
        name=t.string(4) or "",
        email=t.string(5) or "",
        description=t.string(6) or "",
        timestamp_millis=t.scalar(7, "Q"),
    )


@dataclass(frozen=True)
class RootValue:
    """RTVL: a database's tables (embedded address map of names to DTBL chunks)."""

    feature_version: int
    tables_map: bytes | None  # an ADRM message; None for a database with no tables
    schema_names: tuple[str, ...]


def decode_root_value(msg: bytes) -> RootValue:
    t = root(msg, "RTVL", 5, "the root value")
    version = t.scalar(0, "q")
    if version > MAX_FEATURE_VERSION:
        raise UnsupportedFormat(
            f"root value feature version {version} is newer than this reader knows "
            f"(up to {MAX_FEATURE_VERSION})"
        )
    names = tuple(s.string(0) or "" for s in t.tables(4, 1, "a database schema"))
    return RootValue(version, t.bytes(1), names)


@dataclass(frozen=True)
class TableRef:
    """DTBL: a table's schema address and the root node of its primary index (a TUPM)."""

    schema: bytes
    primary_index: bytes


def decode_table(msg: bytes, name: str) -> TableRef:
    what = f"table {name}"
    t = root(msg, "DTBL", 7, what)
    index = t.bytes(1)
    if not index:
        raise CorruptData(f"{what} has no primary index")
    return TableRef(_addr(t.bytes(0), f"the schema address of {what}"), index)
