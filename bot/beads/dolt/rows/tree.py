"""Walking trees of chunks: prolly maps (rows), address maps (refs, tables), value trees.

Rules from Dolt's `go/store/prolly/tree/node_cursor.go` (an internal node's key is the last key
of its child's subtree, so a search descends into the first child whose key is >= the target),
`node_store.go` ReadBytes (a value's bytes are its leaves' payloads in order) and
`blob_builder.go` / `json_chunker.go` (text and bytes are trees of BLOB nodes; JSON documents
have ADRM internal nodes over BLOB leaves). Levels must fall by one at each step down, so a
corrupt tree cannot loop. Fetching is the caller's: map walks take a `Nodes` (decoded nodes by
address, kept while they are used: content addressing means a cached node never goes stale),
value trees a plain `get(address, what)`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

from .. import address
from ..errors import CorruptData
from ..message.nodes import BlobNode, Node, decode_address_map, decode_node, decode_prolly

Get = Callable[[bytes, str], bytes]
Compare = Callable[[bytes], int]  # key -> <0, 0, >0 against the target


class Nodes:
    """Decoded prolly and address map nodes by address, the most recent `limit` kept."""

    def __init__(self, get: Get, limit: int = 1024) -> None:
        self.get = get
        self.limit = limit
        self._cache: OrderedDict[bytes, Node] = OrderedDict()
        self._lock = threading.Lock()

    def child(self, parent: Node, i: int, what: str) -> Node:
        addr = parent.children[i]
        with self._lock:
            node = self._cache.get(addr)
            if node is not None:
                self._cache.move_to_end(addr)
        if node is None:
            decode = decode_prolly if parent.kind == "TUPM" else decode_address_map
            node = decode(self.get(addr, what), what)
            with self._lock:
                self._cache[addr] = node
                if len(self._cache) > self.limit:
                    self._cache.popitem(last=False)
        if node.level != parent.level - 1 or node.kind != parent.kind:
            raise CorruptData(
                f"{what} has a level-{node.level} {node.kind} node under a level-{parent.level} "
                f"{parent.kind} node"
            )
        return node


def leaves(nodes: Nodes, root: Node, what: str) -> Iterator[Node]:
    """Every leaf of a prolly or address map tree, in key order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_leaf:
            yield node
            continue
        stack.extend(nodes.child(node, i, what) for i in reversed(range(len(node.children))))


def items(nodes: Nodes, root: Node, what: str) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of a map, in key order."""
    for leaf in leaves(nodes, root, what):
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


def seek(nodes: Nodes, root: Node, compare: Compare, what: str) -> tuple[bytes, bytes] | None:
    """The (key, value) whose key compares equal, descending the tree; `compare(key)` is the order
    of the stored key against the target and must be the map's own ordering."""
    node = root
    while not node.is_leaf:
        if not node.keys:
            return None
        i = min(_search(node.keys, compare), len(node.keys) - 1)
        node = nodes.child(node, i, what)
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
