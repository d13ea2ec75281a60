"""The repository-settings cache: reused for its TTL, bounded in size, one read per miss."""

from __future__ import annotations

import threading
import time

from bot.review.config_cache import TtlCache


def test_a_value_is_reused_until_it_expires() -> None:
    now = [0.0]
    cache: TtlCache[str] = TtlCache(ttl=60, clock=lambda: now[0])
    loads: list[int] = []

    def load() -> str:
        loads.append(1)
        return f"v{len(loads)}"

    assert cache.get(("o/r", "main"), load) == "v1"
    now[0] = 59.0
    assert cache.get(("o/r", "main"), load) == "v1"
    now[0] = 61.0
    assert cache.get(("o/r", "main"), load) == "v2"


def test_the_cache_holds_at_most_size_repositories_least_recently_used_first_out() -> None:
    cache: TtlCache[int] = TtlCache(ttl=60, size=3)
    for i in range(10):
        cache.get((f"o/r{i}",), lambda i=i: i)  # type: ignore[misc]
    assert len(cache) == 3
    assert cache.get(("o/r9",), lambda: -1) == 9
    assert cache.get(("o/r0",), lambda: -1) == -1  # evicted long ago


def test_threads_that_miss_together_read_once() -> None:
    cache: TtlCache[str] = TtlCache(ttl=60)
    reads: list[int] = []

    def slow() -> str:
        reads.append(1)
        time.sleep(0.05)
        return "settings"

    threads = [threading.Thread(target=cache.get, args=(("o/r",), slow)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reads == [1]
