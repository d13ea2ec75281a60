"""Tree nodes: prolly map nodes (TUPM), address maps (ADRM) and blob nodes (BLOB).

Rules from Dolt's `go/serial/prolly.fbs`, `addressmap.fbs`, `blob.fbs` and the readers in
`go/store/prolly/message/prolly_map.go`, `address_map.go`, `blob.go`: keys are packed in
`key_items` with `key_offsets` (first 0, last the length; count = offsets - 1). Leaves of a
prolly map carry value tuples the same way; internal nodes (level > 0) carry one child address
per key in `address_array`, each key being the last key of that child's subtree. Address map
leaves carry one address per key. A blob leaf holds a payload; a blob internal node only child
addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .. import address
from ..errors import CorruptData, UnsupportedFormat
from .flatbuf import Table, file_id, root

PROLLY_ID = "TUPM"
ADDRESS_MAP_ID = "ADRM"
BLOB_ID = "BLOB"
_ITEM_TYPES = (0, 1)  # ItemType Unknown, TupleFormatAlpha (go/serial/prolly.fbs)


@dataclass(frozen=True)
class Node:
    """A decoded tree node. For leaves, `values[i]` belongs to `keys[i]` (address maps: a 20-byte
    address); for internal nodes `children[i]` is the subtree whose last key is `keys[i]`."""

    kind: str
    level: int
    keys: tuple[bytes, ...]
    values: tuple[bytes, ...]
    children: tuple[bytes, ...]
    tree_count: int

    @property
    def is_leaf(self) -> bool:
        return self.level == 0


def _items(t: Table, items_slot: int, offsets_slot: int, what: str) -> tuple[bytes, ...]:
    data = t.bytes(items_slot) or b""
    offsets = t.uint16s(offsets_slot)
    if offsets is None:
        if data:
            raise CorruptData(f"{what} has items without offsets")
        return ()
    if not offsets or offsets[0] != 0 or offsets[-1] != len(data):
        raise CorruptData(f"{what} has item offsets that do not span its items")
    if any(a > b for a, b in pairwise(offsets)):
        raise CorruptData(f"{what} has item offsets that go backwards")
    return tuple(data[a:b] for a, b in pairwise(offsets))


def _addresses(t: Table, slot: int, count: int, what: str) -> tuple[bytes, ...]:
    raw = t.bytes(slot) or b""
    if len(raw) != count * address.SIZE:
        raise CorruptData(f"{what} has {len(raw)} address bytes for {count} entries")
    return tuple(raw[i : i + address.SIZE] for i in range(0, len(raw), address.SIZE))


def _check_size(msg: bytes, what: str) -> None:
    declared = int.from_bytes(msg[1:4], "big")
    if declared != len(msg) - 4:
        raise CorruptData(f"{what} declares {declared} bytes but holds {len(msg) - 4}")


def decode_prolly(msg: bytes, what: str = "prolly tree node") -> Node:
    """A TUPM node (`go/serial/prolly.fbs` ProllyTreeNode, 11 fields)."""
    t = root(msg, PROLLY_ID, 11, what)
    _check_size(msg, what)
    for slot in (2, 5):
        if t.scalar(slot, "B") not in _ITEM_TYPES:
            raise UnsupportedFormat(f"{what} uses an item type this reader does not know")
    level = t.scalar(10, "B")
    keys = _items(t, 0, 1, what)
    if level == 0:
        values = _items(t, 3, 4, what)
        if len(values) != len(keys):
            raise CorruptData(f"{what} has {len(keys)} keys but {len(values)} values")
        if t.bytes(7):
            raise CorruptData(f"{what} is a leaf with child addresses")
        return Node(PROLLY_ID, 0, keys, values, (), t.scalar(9, "Q"))
    if t.bytes(3):
        raise CorruptData(f"{what} is an internal node with value tuples")
    children = _addresses(t, 7, len(keys), what)
    return Node(PROLLY_ID, level, keys, (), children, t.scalar(9, "Q"))


def decode_address_map(msg: bytes, what: str = "address map node") -> Node:
    """An ADRM node (`go/serial/addressmap.fbs` AddressMap, 6 fields): names to addresses."""
    t = root(msg, ADDRESS_MAP_ID, 6, what)
    _check_size(msg, what)
    level = t.scalar(5, "B")
    keys = _items(t, 0, 1, what)
    addrs = _addresses(t, 2, len(keys), what)
    if level == 0:
        return Node(ADDRESS_MAP_ID, 0, keys, addrs, (), t.scalar(4, "Q"))
    return Node(ADDRESS_MAP_ID, level, keys, (), addrs, t.scalar(4, "Q"))


@dataclass(frozen=True)
class BlobNode:
    """A BLOB node (`go/serial/blob.fbs`, 5 fields): a payload, or child addresses.

    `tree_size` counts leaves, not bytes (`go/store/prolly/tree/blob_builder.go`: a leaf is
    written with subtree count 1), so it says nothing about the value's length."""

    level: int
    payload: bytes
    children: tuple[bytes, ...]
    tree_size: int


def decode_blob(msg: bytes, what: str = "blob node") -> BlobNode:
    t = root(msg, BLOB_ID, 5, what)
    _check_size(msg, what)
    level = t.scalar(4, "B")
    size = t.scalar(3, "Q")
    if level == 0:
        payload = t.bytes(0) or b""
        if t.bytes(1):
            raise CorruptData(f"{what} is a leaf with child addresses")
        return BlobNode(0, payload, (), size)
    raw = t.bytes(1) or b""
    if not raw or len(raw) % address.SIZE:
        raise CorruptData(f"{what} has a malformed address array")
    children = tuple(raw[i : i + address.SIZE] for i in range(0, len(raw), address.SIZE))
    return BlobNode(level, b"", children, size)


def decode_node(msg: bytes, what: str) -> Node | BlobNode:
    """Any tree node, by its file identifier (JSON documents mix ADRM and BLOB nodes)."""
    fid = file_id(msg)
    if fid == PROLLY_ID:
        return decode_prolly(msg, what)
    if fid == ADDRESS_MAP_ID:
        return decode_address_map(msg, what)
    if fid == BLOB_ID:
        return decode_blob(msg, what)
    raise UnsupportedFormat(
        f"{what} is a {fid!r} message, which is not a tree node this reader knows"
    )
