"""A bounded in-memory cache of what was parsed from git objects, shared by worker threads.

Keys name immutable content (a blob or tree SHA, a commit), so an entry never goes stale; the
bound is on the bytes the entries hold (each load says what it costs), and the least recently
used go first. A thread that misses loads the value itself: two threads missing the same key at
once each parse it, which is wasted work but never a wrong answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class Memo:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any, cost: int) -> None:
        """Keep `value`, which holds about `cost` bytes; one larger than the bound is not kept."""
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def load(self, key: Hashable, compute: Callable[[], tuple[T, int]]) -> T:
        """The cached value, or `compute()` -> (value, cost) kept and returned."""
        hit = self.get(key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        value, cost = compute()
        self.put(key, value, cost)
        return value

    @property
    def size(self) -> int:
        with self._lock:
            return self._bytes
