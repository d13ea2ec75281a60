"""A worker process's place in the registry: register at start, heartbeat, look for dead peers.

Each pass heartbeats this process and reaps the others that are gone (`Store.reap`), so a job
whose process died is pending again within one heartbeat, and a restarted process takes up its
predecessor's jobs before its workers claim anything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from bot.queue.identity import ProcessIdentity
from bot.queue.store import Store
from bot.queue.worker import Clock, utcnow

log = logging.getLogger("beadle.membership")

STALE_HEARTBEATS = 10  # a peer on another host (SQLite) is gone after this many missed beats


class Membership:
    def __init__(
        self,
        store: Store,
        identity: ProcessIdentity,
        *,
        every: float = 2.0,
        on_reaped: Callable[[], None] = lambda: None,
        clock: Clock = utcnow,
    ) -> None:
        self.store, self.identity, self.every = store, identity, every
        self.stale_after = timedelta(seconds=every * STALE_HEARTBEATS)
        self.on_reaped, self._clock = on_reaped, clock  # the pool wakes its workers
        self._id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def id(self) -> int | None:
        """The registered id, which workers record with each job they claim."""
        return self._id

    def start(self) -> None:
        """Register and reap once, before any worker claims; then keep beating in a thread."""
        self._id = self.store.register_process(self.identity, now=self._clock())
        log.info("worker process %s: %s pid %s", self._id, self.identity.host, self.identity.pid)
        self.reap()
        self._thread = threading.Thread(target=self._beat, name="membership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """After the workers stopped and released their jobs: leave the registry."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.every + 5)
        if self._id is not None:
            try:
                self.store.unregister_process(self._id)
            except Exception:
                log.exception("could not unregister worker process %s", self._id)
            self._id = None

    def reap(self) -> None:
        taken = self.store.reap(
            me=self._id, host=self.identity.host, now=self._clock(), stale_after=self.stale_after
        )
        if taken:
            self.on_reaped()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._pass()
            except Exception:
                log.exception("worker process %s: heartbeat failed", self._id)

    def _pass(self) -> None:
        if self._id is None or not self.store.process_heartbeat(self._id, now=self._clock()):
            # Judged dead (the lock session broke, or a peer reaped this row): the jobs of the
            # old id are handed back; this process goes on under a new one.
            old = self._id
            self._id = self.store.register_process(self.identity, now=self._clock())
            log.warning("worker process %s lost its registration; now %s", old, self._id)
        self.reap()
