"""Group commit for webhook deliveries: many concurrent requests, one durable transaction.

A commit costs an fsync; committing each delivery alone caps intake at the disk's fsync rate.
Requests that arrive while a commit is running wait for the next one, which takes them all,
so an idle server commits at once and a busy one amortises the fsync (docs/design.md §7).

A request waits at most `deadline` seconds (bot/intake/limits.py) and is then told to answer
503, so a locked or stalled database never keeps GitHub past its 10 s. Its delivery is then
either not written at all (it was still waiting for a batch, and is dropped from it) or written
whole by a batch already under way: delivery and job share one transaction, and a redelivery of
it is recognised by its delivery id. Whatever goes wrong in a flush, every waiting request gets
an answer.

The outcome of the last commit, or of a probe of the store when it has been quiet, is what
`/healthz` reports (`readiness`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

import anyio.to_thread

from bot.queue.jobs import Delivery, Recorded

log = logging.getLogger("beadle.web")

RecordBatch = Callable[[Sequence[Delivery]], list[Recorded]]
Probe = Callable[[], None]
PROBE_EVERY = 2.0  # seconds: how old the last word from the store may be before /healthz asks


class CommitTimeout(Exception):
    """The delivery's commit did not finish within the deadline."""


class IntakeStopped(Exception):
    """The flush ended on something other than the store's error (cancelled, a bug)."""


class Intake:
    def __init__(
        self,
        record_batch: RecordBatch,
        *,
        max_batch: int = 500,
        deadline: float = 4.0,
        probe: Probe | None = None,
    ) -> None:
        self._record_batch = record_batch
        self._max_batch = max_batch
        self._deadline = deadline
        self._probe = probe
        self._waiting: list[tuple[Delivery, asyncio.Future[Recorded]]] = []
        self._flushing = False
        self._task: asyncio.Task[None] | None = None  # held: the loop keeps only weak references
        self._commit_started: float | None = None  # monotonic, while a batch is in the store
        self._heard_at = time.monotonic()  # when the store last answered (a commit or a probe)
        self._failure: str | None = None  # what its last answer was, if it was an error
        self._probing: asyncio.Task[None] | None = None

    async def submit(self, delivery: Delivery) -> Recorded:
        """Return once the delivery (and its job) is committed.

        Raise CommitTimeout past the deadline, or the store's error if the commit failed.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        self._waiting.append((delivery, future))
        if not self._flushing:
            self._flushing = True
            self._task = loop.create_task(self._flush())
        try:
            async with asyncio.timeout(self._deadline):
                return await future  # on timeout the future is cancelled: no batch takes it
        except TimeoutError:
            raise CommitTimeout(f"no commit within {self._deadline:g} s") from None

    async def readiness(self) -> str | None:
        """None if deliveries can be taken now; otherwise why not, in one line.

        A commit under way for longer than the deadline means the store is stuck (a lock, a
        database that does not answer). Otherwise the store's last answer counts; when it is
        older than PROBE_EVERY, the store is asked with a write that changes nothing.
        """
        started = self._commit_started
        if started is not None and time.monotonic() - started > self._deadline:
            return f"the store has not finished a commit for {time.monotonic() - started:.0f} s"
        if self._probe is not None and time.monotonic() - self._heard_at > PROBE_EVERY:
            if self._probing is None or self._probing.done():
                self._probing = asyncio.get_running_loop().create_task(self._run_probe())
            try:
                await asyncio.wait_for(asyncio.shield(self._probing), self._deadline)
            except TimeoutError:
                return f"the store did not answer within {self._deadline:g} s"
        return self._failure

    async def _run_probe(self) -> None:
        assert self._probe is not None
        try:
            await anyio.to_thread.run_sync(self._probe)
        except Exception as exc:
            self._heard(f"the store cannot be written ({type(exc).__name__})")
            log.warning("readiness: the store cannot be written: %s", exc)
        else:
            self._heard(None)

    def _heard(self, failure: str | None) -> None:
        self._heard_at, self._failure = time.monotonic(), failure

    def _take_batch(self) -> list[tuple[Delivery, asyncio.Future[Recorded]]]:
        """The next batch, without the requests that stopped waiting (answered 503 already)."""
        batch: list[tuple[Delivery, asyncio.Future[Recorded]]] = []
        while self._waiting and len(batch) < self._max_batch:
            take = self._waiting[: self._max_batch - len(batch)]
            del self._waiting[: len(take)]
            batch.extend(entry for entry in take if not entry[1].done())
        return batch

    async def _flush(self) -> None:
        batch: list[tuple[Delivery, asyncio.Future[Recorded]]] = []
        try:
            while batch := self._take_batch():
                self._commit_started = time.monotonic()
                try:
                    results = await anyio.to_thread.run_sync(
                        self._record_batch, [delivery for delivery, _ in batch]
                    )
                    if len(results) != len(batch):
                        raise RuntimeError(
                            f"the store answered {len(results)} results for {len(batch)} deliveries"
                        )
                except Exception as exc:
                    self._commit_started = None
                    first = self._failure is None  # the traceback once, then one line a batch
                    self._heard(f"the last commit failed ({type(exc).__name__})")
                    log.error("could not commit %d deliveries: %s", len(batch), exc, exc_info=first)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                self._commit_started = None
                self._heard(None)
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            batch = []
        except BaseException as exc:  # cancelled, or worse: no request may wait for ever
            self._commit_started = None
            stopped = IntakeStopped(f"intake stopped: {type(exc).__name__}")
            for _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.set_exception(stopped)
            self._waiting.clear()
            raise
        finally:
            self._flushing = False
