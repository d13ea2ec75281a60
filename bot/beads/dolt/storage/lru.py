"""A small thread-safe LRU bounded by a size estimate, for decoded indexes, chunks and blobs.

Everything cached is keyed by content (git blob ids, chunk addresses), so an entry never goes
stale; the bound only caps memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict


class LRU:
    """A small thread-safe LRU of decoded things, bounded by a byte estimate."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.items: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self.lock:
            hit = self.items.get(key)
            if hit is None:
                return None
            self.items.move_to_end(key)
            return hit[0]

    def put(self, key: object, value: object, size: int) -> None:
        with self.lock:
            if key in self.items:
                return
            self.items[key] = (value, size)
            self.size += size
            while self.size > self.limit and len(self.items) > 1:
                _, (_, old) = self.items.popitem(last=False)
                self.size -= old

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0
