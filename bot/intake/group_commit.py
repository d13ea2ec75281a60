"""Group commit for webhook deliveries: many concurrent requests, one durable transaction.

A commit costs an fsync; committing each delivery alone caps intake at the disk's fsync rate.
Requests that arrive while a commit is running wait for the next one, which takes them all,
so an idle server commits at once and a busy one amortises the fsync (docs/design.md §7).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import anyio.to_thread

from bot.queue.jobs import Delivery, Recorded

RecordBatch = Callable[[Sequence[Delivery]], list[Recorded]]


class Intake:
    def __init__(self, record_batch: RecordBatch, *, max_batch: int = 500) -> None:
        self._record_batch = record_batch
        self._max_batch = max_batch
        self._waiting: list[tuple[Delivery, asyncio.Future[Recorded]]] = []
        self._flushing = False

    async def submit(self, delivery: Delivery) -> Recorded:
        """Return once the delivery (and its job) is committed; raise if the store failed."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                try:
                    results = await anyio.to_thread.run_sync(
                        self._record_batch, [delivery for delivery, _ in batch]
                    )
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flushing = False
