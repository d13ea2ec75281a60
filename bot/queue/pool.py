"""A few worker threads in one process, and an orderly stop: stop claiming, finish or release.

Reviews wait on the network (GitHub, the model), so threads are enough; for more throughput run
more processes against one PostgreSQL (`beadle worker`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from bot.queue.worker import Worker, utcnow

log = logging.getLogger("beadle.pool")


class WorkerPool:
    def __init__(self, make_worker: Callable[[str], Worker], *, size: int) -> None:
        prefix = f"{socket.gethostname()}:{os.getpid()}"
        self.workers = [make_worker(f"{prefix}:{i}") for i in range(size)]
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
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
        """Stop claiming; give running reviews `grace` seconds, then hand their jobs back."""
        self.stop_event.set()
        self.wake_event.set()
        for thread in self._threads:
            thread.join(timeout=grace / max(len(self._threads), 1))
        for worker in self.workers:
            job = worker.current
            if job is not None:
                log.warning("releasing job %s still running at shutdown", job.id)
                try:
                    worker.store.release(job.id, worker=worker.name, now=utcnow())
                except Exception:
                    log.exception("could not release job %s; its lease will lapse", job.id)
