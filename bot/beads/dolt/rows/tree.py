"""Walking trees of chunks: prolly maps (rows), address maps (refs, tables), value trees.

Rules from Dolt's `go/store/prolly/tree/node_cursor.go` (an internal node's key is the last key
of its child's subtree, so a search descends into the first child whose key is >= the target),
`node_store.go` ReadBytes (a value's bytes are its leaves' payloads in order) and
`blob_builder.go` / `json_chunker.go` (text and bytes are trees of BLOB nodes; JSON documents
have ADRM internal nodes over BLOB leaves). Levels must fall by one at each step down, so a
corrupt tree cannot loop. Fetching is the caller's: every function takes `get(address, what)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .. import address
from ..errors import CorruptData
from ..message.nodes import BlobNode, Node, decode_address_map, decode_node, decode_prolly

Get = Callable[[bytes, str], bytes]
Compare = Callable[[bytes], int]  # key -> <0, 0, >0 against the target


def _child(get: Get, parent: Node, i: int, decode: Callable[[bytes, str], Node], what: str) -> Node:
    child = decode(get(parent.children[i], what), what)
    if child.level != parent.level - 1:
        raise CorruptData(
            f"{what} has a level-{child.level} node under a level-{parent.level} node"
        )
    return child


def leaves(get: Get, root: Node, what: str) -> Iterator[Node]:
    """Every leaf of a prolly or address map tree, in key order."""
    decode = decode_prolly if root.kind == "TUPM" else decode_address_map
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_leaf:
            yield node
            continue
        stack.extend(
            _child(get, node, i, decode, what) for i in reversed(range(len(node.children)))
        )


def items(get: Get, root: Node, what: str) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of a map, in key order."""
    for leaf in leaves(get, root, what):
        yield from zip(leaf.keys, leaf.values, strict=True)


def _search(keys: tuple[bytes, ...], compare: Compare) -> int:
    lo, hi = 0, len(keys)
    while lo < hi:
        mid = (lo + hi) // 2
        if compare(keys[mid]) < 0:
            lo = mid + 1
        else:
            hi = mid
    return lo


def seek(get: Get, root: Node, compare: Compare, what: str) -> tuple[bytes, bytes] | None:
    """The (key, value) whose key compares equal, descending the tree; `compare(key)` is the order
    of the stored key against the target and must be the map's own ordering."""
    decode = decode_prolly if root.kind == "TUPM" else decode_address_map
    node = root
    while not node.is_leaf:
        if not node.keys:
            return None
        i = min(_search(node.keys, compare), len(node.keys) - 1)
        node = _child(get, node, i, decode, what)
    i = _search(node.keys, compare)
    if i < len(node.keys) and compare(node.keys[i]) == 0:
        return node.keys[i], node.values[i]
    return None


def value_bytes(get: Get, addr: bytes, what: str, max_size: int = 64 << 20) -> bytes:
    """The bytes of a value tree (TEXT, BLOB or JSON column); the zero address is empty."""
    if addr == address.EMPTY:
        return b""
    out: list[bytes] = []
    total = 0
    stack: list[tuple[bytes, int | None]] = [(addr, None)]
    while stack:
        at, parent_level = stack.pop()
        node = decode_node(get(at, what), what)
        level = node.level
        if parent_level is not None and level != parent_level - 1:
            raise CorruptData(f"{what} has a level-{level} node under a level-{parent_level} node")
        if isinstance(node, BlobNode) and level == 0:
            out.append(node.payload)
            total += len(node.payload)
            if total > max_size:
                raise CorruptData(f"{what} is larger than {max_size} bytes")
            continue
        if level == 0:
            raise CorruptData(f"{what} has a leaf that is not a BLOB node")
        stack.extend((child, level) for child in reversed(node.children))
    return b"".join(out)
