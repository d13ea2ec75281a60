"""Repository settings files, reused for a while: one read per repository a minute, bounded.

Threads that miss the cache together wait for one read instead of each reading the file. The
cache holds at most `size` repositories; the one used least recently goes first, so an App
installed on thousands of repositories keeps its memory flat.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass
class _Slot(Generic[Value]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    expires: float = float("-inf")
    value: Value | None = None


class TtlCache(Generic[Value]):
    def __init__(
        self, *, ttl: float, size: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._slots: OrderedDict[tuple[str, ...], _Slot[Value]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slots)

    def get(self, key: tuple[str, ...], load: Callable[[], Value]) -> Value:
        """The cached value for `key`, or `load()`'s, kept for `ttl` seconds."""
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
                while len(self._slots) > self._size:
                    self._slots.popitem(last=False)
            else:
                self._slots.move_to_end(key)
        with slot.lock:
            if slot.value is not None and slot.expires > self._clock():
                return slot.value
            value = load()
            slot.value, slot.expires = value, self._clock() + self._ttl
            return value
