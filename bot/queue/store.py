"""The durable store: every webhook delivery Beadle has seen, and the queue of review jobs.

The webhook commits a delivery and its job here before it answers 2xx, so nothing GitHub sent is
lost if the process dies a moment later; workers, in this process or others, claim jobs from here.
The database is the only coordinator: SQLite (one machine, WAL) or PostgreSQL (several machines).
Time always comes from the caller, so the queue can be driven by a fake clock in tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from sqlalchemy import Connection, create_engine, func, make_url, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.model.prices import Usage
from bot.queue import lifecycle, recording, registry
from bot.queue.identity import ProcessIdentity, Registered, running_here
from bot.queue.jobs import (
    Delivery,
    Job,
    Recorded,
    coalesce,
    job_from_row,
)
from bot.queue.schema import JobState, jobs, metadata, migrate
from bot.queue.sql import (
    ADD_SPEND,
    HELD_BY,
    ORPHANS,
    READ_ONLY,
    RECENT_REVIEWS,
    SEEN,
    clip,
    normalise_url,
    tune_sqlite,
)

__all__ = ["Delivery", "Job", "JobState", "Recorded", "Store", "coalesce", "normalise_url"]

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///beadle.sqlite3"
_ATTEMPTS = 8  # transactions redone after losing a race (unique index, deadlock, serialization)
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_SCHEMA_LOCK = 0x6265_6164_6C65  # pg_advisory_xact_lock key ("beadle") serialising create_all
_IN_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit
RECONNECT_WITHIN = 30.0  # seconds a job's bookkeeping keeps retrying after a lost connection

T = TypeVar("T")


class Store:
    """Deliveries and review jobs in one SQL database; safe to share across threads and processes.

    Each method is one short transaction on its own pooled connection. Races that slip past the
    application's checks between processes (two inserts of one delivery id, two pending jobs for a
    PR) are stopped by unique indexes and the transaction is redone, now seeing the winner's row.
    """

    def __init__(
        self, url: str = DEFAULT_URL, *, reconnect_within: float = RECONNECT_WITHIN
    ) -> None:
        self._url = make_url(normalise_url(url))
        self._postgres = self._url.get_backend_name() == "postgresql"
        self._engine = create_engine(self._url, pool_pre_ping=self._postgres)
        self._reconnect_within = reconnect_within
        self._sessions: dict[int, registry.LockSession] = {}  # PostgreSQL: process id -> lock
        # SQLite has one writer at a time anyway. Threads of this process queue for it on a lock
        # of ours, in order, instead of each polling the file lock with growing sleeps.
        self._write_lock: AbstractContextManager[Any] = nullcontext()
        if self._url.get_backend_name() == "sqlite":
            tune_sqlite(self._engine)
            self._write_lock = threading.Lock()
        self._write(self._create_schema)

    def __repr__(self) -> str:
        return f"Store({self._url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        for session in self._sessions.values():
            session.dispose()
        self._sessions.clear()
        self._engine.dispose()

    # -- deliveries ------------------------------------------------------------------------

    def record_delivery(self, d: Delivery) -> Recorded:
        return self.record_deliveries([d])[0]

    def record_deliveries(self, deliveries_: Sequence[Delivery]) -> list[Recorded]:
        """Record a batch of deliveries and queue their reviews in ONE transaction.

        One commit (one fsync) for many deliveries is what lets intake keep up with GitHub while
        every job is on disk before its 2xx. Results come back in the order given.
        """
        if not deliveries_:
            return []
        return self._write(lambda conn: recording.record(conn, deliveries_))

    def check_writable(self) -> None:
        """Raise unless a delivery could be recorded now: a write transaction that changes no row
        (on SQLite it still takes the write lock). The web's readiness check (/healthz) asks it."""
        self._write(recording.check_writable)

    def seen_deliveries(self, delivery_ids: Iterable[str]) -> set[str]:
        """Which of these delivery ids are already recorded (to skip redelivering them)."""
        return self._read(lambda conn: self._seen(conn, list(delivery_ids)))

    # -- the queue -------------------------------------------------------------------------

    def claim(
        self,
        *,
        worker: str,
        lease: timedelta,
        now: datetime,
        process: int | None = None,
        max_attempts: int | None = None,
    ) -> Job | None:
        """Lease the oldest runnable job to `worker`, or None if nothing may run now.

        Runnable: pending and due, on a PR with no job running; or running with an expired lease
        (its worker died), which is taken over before the PR's pending job may start.

        `process` is the worker's registered process (`register_process`). A worker holds one job
        at a time, so a job still running under this worker and process when it asks for the
        next one is its own whose claim or outcome never reached the database (the connection
        was lost at the commit): it is handed back first. Running it again is safe: a review
        already posted is found by its marker.

        Every take-over counts as an attempt, so a job whose review kills its process each time
        (out of memory) comes back only until it has had `max_attempts`: then this returns it
        DEAD, given up, for the caller to say so on the PR.
        """
        return self._write(
            lambda conn: lifecycle.claim(
                conn,
                worker=worker,
                lease=lease,
                now=now,
                process=process,
                max_attempts=max_attempts,
            )
        )

    def holds(self, job_id: int, *, worker: str) -> bool:
        """Whether `worker` still holds the job, asked of the database itself (before posting)."""
        held = {"b_id": job_id, "b_by": worker}
        return self._read(lambda conn: conn.execute(HELD_BY, held).first() is not None)

    def heartbeat(self, job_id: int, *, worker: str, lease: timedelta, now: datetime) -> bool:
        """Extend the lease; False means the job is no longer ours and the worker should stop.

        A lease that ran out is still ours until another worker takes the job over, so a worker
        that was merely slow keeps its job (and may still finish it).
        """
        values = {"lease_until": now + lease, "updated_at": now}
        return self._write(
            lambda conn: lifecycle.change(conn, job_id, worker, values, "heartbeat"), reconnect=True
        )

    def finish(
        self,
        job_id: int,
        *,
        worker: str,
        outcome: str,
        now: datetime,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        posted: bool = False,
        noted: bool = False,
    ) -> None:
        """Record the outcome, and what its model call used and cost (`beadle jobs`); `posted`:
        it posted a review, `noted`: it said on the PR that the hour's limit was reached (both
        timed `now`, for `recent_reviews`). A lost connection is retried for
        `reconnect_within` seconds; past that it raises, the job stays running, and the
        worker's next `claim` takes it up again."""
        values: dict[str, Any] = {
            "state": JobState.DONE,
            "outcome": outcome,
            "lease_until": None,
            "updated_at": now,
        }
        if posted:
            values["posted_at"] = now
        if noted:
            values["limit_noted_at"] = now
        if usage is not None:
            values |= {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cached_tokens": usage.cached_tokens,
                "cost_usd": cost_usd,
            }
        self._write(
            lambda conn: lifecycle.change(conn, job_id, worker, values, "finish"), reconnect=True
        )

    def keep_answer(self, job_id: int, *, worker: str, answer: str, now: datetime) -> bool:
        """Keep the model's answer with the job (bot/model/kept.py); False: no longer ours."""
        values = {"answer": answer, "updated_at": now}
        return self._write(
            lambda conn: lifecycle.change(conn, job_id, worker, values, "keep"), reconnect=True
        )

    def spend(
        self, job_id: int, *, worker: str, requests: int = 0, seconds: float = 0.0, tokens: int = 0
    ) -> bool:
        """Add to what the job spent on the model; False: no longer ours. Redone after a lost
        connection, so a request may be counted twice: the bound errs on the safe side."""
        spent = {"b_requests": requests, "b_seconds": seconds, "b_tokens": tokens}
        held = {"b_id": job_id, "b_by": worker, **spent}
        return self._write(lambda conn: conn.execute(ADD_SPEND, held).rowcount == 1, reconnect=True)

    def recent_reviews(self, repo: str, pr_number: int, *, since: datetime) -> tuple[int, bool]:
        """Reviews posted on the PR since `since`, and whether a job said on it since then
        that `max_reviews_per_hour` was reached."""
        where = {"b_repo": repo, "b_pr": pr_number, "b_since": since}
        posted, noted = self._read(lambda conn: conn.execute(RECENT_REVIEWS, where).one())
        return int(posted), int(noted) > 0

    def bury(self, job_id: int, *, worker: str, error: str, now: datetime) -> None:
        """Give up on a job for good (DEAD), keeping the error for the operator."""
        values = {
            "state": JobState.DEAD,
            "last_error": clip(error),
            "lease_until": None,
            "updated_at": now,
        }
        self._write(
            lambda conn: lifecycle.change(conn, job_id, worker, values, "bury"), reconnect=True
        )

    def retry_later(
        self, job_id: int, *, worker: str, error: str, run_after: datetime, now: datetime
    ) -> None:
        """Put the job back in the queue, not to be claimed before `run_after`."""
        self._write(
            lambda conn: lifecycle.requeue(
                conn, job_id, worker, now=now, run_after=run_after, error=clip(error), counted=True
            ),
            reconnect=True,
        )

    def release(self, job_id: int, *, worker: str, now: datetime) -> None:
        """Hand the job back at shutdown: runnable at once, and this attempt does not count."""
        self._write(
            lambda conn: lifecycle.requeue(
                conn, job_id, worker, now=now, run_after=now, error=None, counted=False
            ),
            reconnect=True,
        )

    def job(self, job_id: int) -> Job | None:
        query = select(jobs).where(jobs.c.id == job_id)
        row = self._read(lambda conn: conn.execute(query).mappings().first())
        return None if row is None else job_from_row(row)

    def recent_jobs(self, limit: int = 50) -> list[Job]:
        """The most recently changed jobs first, for a status page or an operator."""
        query = select(jobs).order_by(jobs.c.updated_at.desc(), jobs.c.id.desc()).limit(limit)
        rows = self._read(lambda conn: conn.execute(query).mappings().all())
        return [job_from_row(row) for row in rows]

    def job_counts(self) -> dict[str, int]:
        """How many jobs are in each state, for `beadle_jobs{state}` (read when scraped)."""
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        rows = self._read(lambda conn: conn.execute(query).all())
        return {JobState(state).value: int(count) for state, count in rows}

    # -- worker processes (bot/queue/registry.py) -------------------------------------------

    def register_process(self, identity: ProcessIdentity, *, now: datetime) -> int:
        """Register a process that runs workers; its id goes with every job it claims."""
        if not self._postgres:
            return self._write(lambda conn: registry.insert_process(conn, identity, now))
        session = registry.LockSession(self._url)
        process_id = session.register(identity, now)
        self._sessions[process_id] = session
        return process_id

    def process_heartbeat(self, process_id: int, *, now: datetime) -> bool:
        """False: this process no longer counts as alive (its row was reaped, or its lock session
        broke) and must register again."""
        session = self._sessions.get(process_id)
        if session is None:
            if self._postgres:
                return False
            return self._write(lambda conn: registry.touch(conn, process_id, now), reconnect=True)
        if session.heartbeat(now):
            return True
        del self._sessions[process_id]
        session.dispose()
        return False

    def unregister_process(self, process_id: int) -> None:
        """A clean stop: its jobs were released, so its row goes (and, on PostgreSQL, its lock)."""
        self._write(lambda conn: registry.forget(conn, [process_id]), reconnect=True)
        session = self._sessions.pop(process_id, None)
        if session is not None:
            session.dispose()

    def processes(self) -> list[Registered]:
        return self._read(lambda conn: registry.registered(conn, postgres=self._postgres))

    def reap(
        self,
        *,
        me: int | None,
        host: str,
        now: datetime,
        stale_after: timedelta,
        alive: Callable[[ProcessIdentity], bool] = running_here,
    ) -> dict[int, str]:
        """Hand the running jobs of dead worker processes back to the queue now; {job id: why}.

        A process is dead on the evidence `identity.why_gone` weighs. Running jobs of a process
        that is no longer registered at all (reaped earlier, or stopped without releasing them)
        are handed back too. Their attempt counts; a newer pending job of the PR absorbs them.
        """
        gone = registry.gone_processes(
            self.processes(), me=me, host=host, now=now, stale_after=stale_after, alive=alive
        )
        if not gone and not self._read(lambda conn: conn.execute(ORPHANS, {"b_gone": []}).first()):
            return {}  # the usual answer, without taking SQLite's write lock
        return self._write(lambda conn: lifecycle.reap(conn, gone, now), reconnect=True)

    # -- transactions ----------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], T], *, reconnect: bool = False) -> T:
        """Run `work` in one write transaction, redoing it when a concurrent writer won a race.

        With `reconnect`, a connection lost on the way (PostgreSQL restarted, the backend was
        terminated, the network dropped) is also redone, on a fresh connection, for up to
        `reconnect_within` seconds. Only for work that is safe to do twice: the commit itself
        may be what was lost.
        """
        races, deadline, pause = 0, None, 0.05
        while True:
            try:
                with self._write_lock, self._engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                if reconnect and self._postgres and lifecycle.lost_connection(exc):
                    deadline = deadline or time.monotonic() + self._reconnect_within
                    if time.monotonic() + pause > deadline:
                        raise
                    log.warning("store: lost the database connection (%s); trying again", exc.orig)
                    time.sleep(pause)
                    pause = min(pause * 2, 2.0)
                    continue
                races += 1
                retryable = isinstance(exc, IntegrityError) or (
                    getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
                )
                if not retryable or races == _ATTEMPTS:
                    raise
                log.info("store: lost a race (%s), redoing the transaction", type(exc.orig))

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self._engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                return work(conn)

    def _create_schema(self, conn: Connection) -> None:
        if self._postgres:  # two processes starting at once must not both CREATE TABLE
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        metadata.create_all(conn)
        migrate(conn)

    # -- the work inside one transaction ---------------------------------------------------

    def _seen(self, conn: Connection, ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(ids), _IN_CHUNK):
            seen.update(conn.execute(SEEN, {"b_ids": ids[start : start + _IN_CHUNK]}).scalars())
        return seen
