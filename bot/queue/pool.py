"""A few worker threads in one process, and an orderly stop: stop claiming, finish or release.

Reviews wait on the network (GitHub, the model), so threads are enough; for more throughput run
more processes against one PostgreSQL (`beadle worker`). With a `Membership` the process is
registered before its first claim, and takes up at once the jobs of a predecessor that died.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.queue.membership import Membership
from bot.queue.worker import Worker, utcnow

log = logging.getLogger("beadle.pool")


class WorkerPool:
    def __init__(
        self,
        make_worker: Callable[[str], Worker],
        *,
        size: int,
        prefix: str,
        membership: Membership | None = None,
    ) -> None:
        """`prefix` names the workers (`host:pid`, then `:0`, `:1`, …) in jobs and logs."""
        self.workers = [make_worker(f"{prefix}:{i}") for i in range(size)]
        self.membership = membership
        if membership is not None:  # jobs handed back: idle workers claim them now
            membership.on_reaped = self.wake
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        if self.membership is not None:
            self.membership.start()
        for worker in self.workers:
            thread = threading.Thread(
                target=worker.run,
                args=(self.stop_event, self.wake_event),
                name=worker.name,
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A job was just queued: idle workers look now instead of at their next poll."""
        self.wake_event.set()

    def stop(self, *, grace: float = 20.0) -> None:
        """Stop claiming; give running reviews `grace` seconds in all, then hand their jobs back.

        One deadline for all threads: a review on the last thread gets the whole grace, not the
        share left after waiting for each idle thread in turn.
        """
        self.stop_event.set()
        self.wake_event.set()
        deadline = time.monotonic() + grace
        for thread in self._threads:
            thread.join(timeout=max(deadline - time.monotonic(), 0.0))
        for worker in self.workers:
            job = worker.current
            if job is not None:
                log.warning("releasing job %s still running at shutdown", job.id)
                try:
                    worker.store.release(job.id, worker=worker.name, now=utcnow())
                except Exception:
                    log.exception(
                        "could not release job %s; it is taken up again once this process is seen gone",
                        job.id,
                    )
        if self.membership is not None:
            self.membership.stop()
