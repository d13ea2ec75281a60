"""The durable store: every webhook delivery Beadle has seen, and the queue of review jobs.

The webhook commits a delivery and its job here before it answers 2xx, so nothing GitHub sent is
lost if the process dies a moment later; workers, in this process or others, claim jobs from here.
The database is the only coordinator: SQLite (one machine, WAL) or PostgreSQL (several machines).
Time always comes from the caller, so the queue can be driven by a fake clock in tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    create_engine,
    event,
    exists,
    insert,
    literal_column,
    make_url,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.jobspec import Mode, ReviewRequest
from bot.store_schema import (
    DELIVERY_ID_LENGTH,
    EVENT_LENGTH,
    JobState,
    deliveries,
    jobs,
    metadata,
    migrate,
)

__all__ = ["Delivery", "Job", "JobState", "Recorded", "Store", "coalesce", "normalise_url"]

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///beadle.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for the write lock before failing
MAX_ERROR_CHARS = 10_000  # a traceback is worth keeping, a megabyte of HTML error page is not
_ATTEMPTS = 8  # transactions redone after losing a race (unique index, deadlock, serialization)
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_READ_ONLY = "beadle_read_only"  # execution option: this transaction only reads
_SCHEMA_LOCK = 0x6265_6164_6C65  # pg_advisory_xact_lock key ("beadle") serialising create_all
_IN_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit

T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    delivery_id: str  # X-GitHub-Delivery; a redelivery keeps it
    event: str
    action: str | None
    request: ReviewRequest | None  # None: recorded only (ping, installation, ignored events)
    received_at: datetime

    def __post_init__(self) -> None:
        """Refuse a delivery the database would refuse, here, where it fails alone.

        Deliveries are committed in batches; one with a bogus header (the headers are not
        covered by the signature) must not fail the commit of every delivery batched with it.
        """
        if not 0 < len(self.delivery_id) <= DELIVERY_ID_LENGTH:
            raise ValueError(f"delivery id of {len(self.delivery_id)} characters")
        for name, value in (("event", self.event), ("action", self.action or "")):
            if len(value) > EVENT_LENGTH:
                raise ValueError(f"{name} of {len(value)} characters")
        if self.received_at.utcoffset() is None:
            raise ValueError("received_at must be a timezone-aware datetime")


@dataclass(frozen=True)
class Recorded:
    delivery_id: str
    duplicate: bool  # seen before (or earlier in the same batch): nothing queued
    job_id: int | None  # the job this delivery created or coalesced into


@dataclass(frozen=True)
class Job:
    id: int
    request: ReviewRequest
    state: JobState
    attempts: int  # claims so far, a released one not counted
    last_error: str | None
    run_after: datetime
    lease_until: datetime | None
    worker: str | None  # who holds it, or held it last
    created_at: datetime
    updated_at: datetime
    outcome: str | None


def normalise_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the driver Beadle installs.

    `postgresql://` would select psycopg2 and `postgres://` (Heroku's spelling) no dialect at all.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def coalesce(older: ReviewRequest, newer: ReviewRequest) -> ReviewRequest:
    """Fold two requests for one PR into one review: the newest head, the strongest mode.

    A `/review full` followed by a push must still be a full review, and the 👀 reaction belongs
    on the newest comment that asked. A `/review` comment carries no head (`head_sha == ""`), so
    it never erases a pushed one.

    The mode's authority travels with it: when the surviving mode was asked for only by someone
    whose permission the worker must still check (`verify_permission`), the check and that
    person's login survive too; a newer push must neither waive the check nor swap the login
    checked. When anyone trusted asked for that mode, no check is needed.
    """
    older_mode, newer_mode = Mode(older.mode), Mode(newer.mode)
    if older_mode.rank != newer_mode.rank:
        winner = older if older_mode.rank > newer_mode.rank else newer
        verify = winner.verify_permission
    else:
        winner = newer
        verify = older.verify_permission and newer.verify_permission
    requested_by = newer.requested_by if newer.requested_by is not None else older.requested_by
    return replace(
        newer,
        head_sha=newer.head_sha or older.head_sha,
        mode=Mode(winner.mode),
        comment_id=newer.comment_id if newer.comment_id is not None else older.comment_id,
        requested_by=winner.requested_by if verify else requested_by,
        verify_permission=verify,
    )


def _request_columns(r: ReviewRequest) -> dict[str, Any]:
    return {
        "repo": r.repo,
        "pr_number": r.pr_number,
        "installation_id": r.installation_id,
        "head_sha": r.head_sha,
        "mode": Mode(r.mode),
        "comment_id": r.comment_id,
        "requested_by": r.requested_by,
        "verify_permission": r.verify_permission,
    }


def _request(row: Mapping[str, Any]) -> ReviewRequest:
    return ReviewRequest(
        repo=row["repo"],
        pr_number=row["pr_number"],
        installation_id=row["installation_id"],
        head_sha=row["head_sha"],
        mode=Mode(row["mode"]),
        comment_id=row["comment_id"],
        requested_by=row["requested_by"],
        verify_permission=row["verify_permission"],
    )


def _job(row: Mapping[str, Any]) -> Job:
    return Job(
        id=row["id"],
        request=_request(row),
        state=JobState(row["state"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        run_after=row["run_after"],
        lease_until=row["lease_until"],
        worker=row["worker"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        outcome=row["outcome"],
    )


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def _in_state(state: JobState, table: Any = jobs) -> ColumnElement[bool]:
    """`state = 'pending'` written into the SQL rather than bound as a parameter.

    Only then can SQLite's planner (and PostgreSQL's generic plans) see that the partial indexes
    `... WHERE state = 'pending'` / `'running'` answer the query.
    """
    return table.c.state == literal_column(f"'{state.value}'")


# The statements, built once: SQLAlchemy then only looks them up in its compiled cache.

_UPDATE_BY_ID = update(jobs).where(jobs.c.id == bindparam("b_id"))  # SET from the parameters

# The only row a worker may change: its job, still running, still leased to it. A worker whose
# lease ran out and was taken over must not clobber the new holder.
_UPDATE_IF_HELD = update(jobs).where(
    jobs.c.id == bindparam("b_id"), _in_state(JobState.RUNNING), jobs.c.worker == bindparam("b_by")
)
_SELECT_IF_HELD = (
    select(jobs)
    .where(
        jobs.c.id == bindparam("b_id"),
        _in_state(JobState.RUNNING),
        jobs.c.worker == bindparam("b_by"),
    )
    .with_for_update()
)

# Pending jobs of some PRs, locked so that no worker claims one between our read and our update
# (a head merged into a job already running would never be reviewed); in id order, so that two
# writers lock rows in the same order and cannot deadlock.
_PENDING_OF_PRS = (
    select(jobs)
    .where(
        _in_state(JobState.PENDING),
        tuple_(jobs.c.repo, jobs.c.pr_number).in_(bindparam("b_prs", expanding=True)),
    )
    .order_by(jobs.c.id)
    .with_for_update()
)

_INSERT_JOBS = insert(jobs).returning(jobs.c.id, sort_by_parameter_order=True)

_SEEN = select(deliveries.c.delivery_id).where(
    deliveries.c.delivery_id.in_(bindparam("b_ids", expanding=True))
)


def _claimable() -> Select[Any]:
    """The oldest job that may run now: pending and due on a PR with nothing running, or running
    with an expired lease (its worker died). While a PR's running job is expired, its pending job
    waits: the running one is taken over first, so one PR never has two reviews in flight."""
    running = jobs.alias("running")
    pr_busy = exists().where(
        running.c.repo == jobs.c.repo,
        running.c.pr_number == jobs.c.pr_number,
        _in_state(JobState.RUNNING, running),
    )
    now = bindparam("b_now", type_=jobs.c.run_after.type)
    return (
        select(jobs)
        .where(
            or_(
                and_(_in_state(JobState.PENDING), jobs.c.run_after <= now, ~pr_busy),
                and_(_in_state(JobState.RUNNING), jobs.c.lease_until < now),
            )
        )
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL: workers pass over each other's claims
    )


_CLAIMABLE = _claimable()


def _tune_sqlite(engine: Engine) -> None:
    """WAL so readers never wait for the writer; FULL sync so a committed job survives power loss.

    Every write transaction starts with `BEGIN IMMEDIATE`: it takes the write lock up front and
    waits for it (busy_timeout) instead of upgrading a read lock mid-transaction, which SQLite
    answers with an immediate "database is locked" when two connections try it at once.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


class Store:
    """Deliveries and review jobs in one SQL database; safe to share across threads and processes.

    Each method is one short transaction on its own pooled connection. Races that slip past the
    application's checks between processes (two inserts of one delivery id, two pending jobs for a
    PR) are stopped by unique indexes and the transaction is redone, now seeing the winner's row.
    """

    def __init__(self, url: str = DEFAULT_URL) -> None:
        self._url = make_url(normalise_url(url))
        self._postgres = self._url.get_backend_name() == "postgresql"
        self._engine = create_engine(self._url, pool_pre_ping=self._postgres)
        # SQLite has one writer at a time anyway. Threads of this process queue for it on a lock
        # of ours, in order, instead of each polling the file lock with growing sleeps.
        self._write_lock: AbstractContextManager[Any] = nullcontext()
        if self._url.get_backend_name() == "sqlite":
            _tune_sqlite(self._engine)
            self._write_lock = threading.Lock()
        self._write(self._create_schema)

    def __repr__(self) -> str:
        return f"Store({self._url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
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
        return self._write(lambda conn: self._record(conn, deliveries_))

    def seen_deliveries(self, delivery_ids: Iterable[str]) -> set[str]:
        """Which of these delivery ids are already recorded (to skip redelivering them)."""
        return self._read(lambda conn: self._seen(conn, list(delivery_ids)))

    # -- the queue -------------------------------------------------------------------------

    def claim(self, *, worker: str, lease: timedelta, now: datetime) -> Job | None:
        """Lease the oldest runnable job to `worker`, or None if nothing may run now.

        Runnable: pending and due, on a PR with no job running; or running with an expired lease
        (its worker died), which is taken over before the PR's pending job may start.
        """
        return self._write(lambda conn: self._claim(conn, worker=worker, lease=lease, now=now))

    def heartbeat(self, job_id: int, *, worker: str, lease: timedelta, now: datetime) -> bool:
        """Extend the lease; False means the job is no longer ours and the worker should stop.

        A lease that ran out is still ours until another worker takes the job over, so a worker
        that was merely slow keeps its job (and may still finish it).
        """
        values = {"lease_until": now + lease, "updated_at": now}
        return self._write(lambda conn: self._change(conn, job_id, worker, values, "heartbeat"))

    def finish(self, job_id: int, *, worker: str, outcome: str, now: datetime) -> None:
        values = {
            "state": JobState.DONE,
            "outcome": outcome,
            "lease_until": None,
            "updated_at": now,
        }
        self._write(lambda conn: self._change(conn, job_id, worker, values, "finish"))

    def bury(self, job_id: int, *, worker: str, error: str, now: datetime) -> None:
        """Give up on a job for good (DEAD), keeping the error for the operator."""
        values = {
            "state": JobState.DEAD,
            "last_error": _clip(error),
            "lease_until": None,
            "updated_at": now,
        }
        self._write(lambda conn: self._change(conn, job_id, worker, values, "bury"))

    def retry_later(
        self, job_id: int, *, worker: str, error: str, run_after: datetime, now: datetime
    ) -> None:
        """Put the job back in the queue, not to be claimed before `run_after`."""
        self._write(
            lambda conn: self._requeue(
                conn, job_id, worker, now=now, run_after=run_after, error=_clip(error), counted=True
            )
        )

    def release(self, job_id: int, *, worker: str, now: datetime) -> None:
        """Hand the job back at shutdown: runnable at once, and this attempt does not count."""
        self._write(
            lambda conn: self._requeue(
                conn, job_id, worker, now=now, run_after=now, error=None, counted=False
            )
        )

    def job(self, job_id: int) -> Job | None:
        query = select(jobs).where(jobs.c.id == job_id)
        row = self._read(lambda conn: conn.execute(query).mappings().first())
        return None if row is None else _job(row)

    def recent_jobs(self, limit: int = 50) -> list[Job]:
        """The most recently changed jobs first, for a status page or an operator."""
        query = select(jobs).order_by(jobs.c.updated_at.desc(), jobs.c.id.desc()).limit(limit)
        rows = self._read(lambda conn: conn.execute(query).mappings().all())
        return [_job(row) for row in rows]

    # -- transactions ----------------------------------------------------------------------

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one write transaction, redoing it when a concurrent writer won a race."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with self._write_lock, self._engine.begin() as conn:
                    return work(conn)
            except DBAPIError as exc:
                retryable = isinstance(exc, IntegrityError) or (
                    getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
                )
                if not retryable or attempt == _ATTEMPTS:
                    raise
                log.info("store: lost a race (%s), redoing the transaction", type(exc.orig))
        raise AssertionError("unreachable")

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self._engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY: True})
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
            seen.update(conn.execute(_SEEN, {"b_ids": ids[start : start + _IN_CHUNK]}).scalars())
        return seen

    def _record(self, conn: Connection, batch: Sequence[Delivery]) -> list[Recorded]:
        seen = self._seen(conn, [d.delivery_id for d in batch])
        fresh: list[int] = []  # positions of first sightings; a second copy is a duplicate
        for position, d in enumerate(batch):
            if d.delivery_id not in seen:
                seen.add(d.delivery_id)
                fresh.append(position)
        # Requests for one PR within the batch fold into one before touching the queue.
        wanted: dict[tuple[str, int], tuple[ReviewRequest, datetime]] = {}
        for d in (batch[position] for position in fresh):
            if d.request is not None:
                key = (d.request.repo, d.request.pr_number)
                if key in wanted:
                    older, at = wanted[key]
                    wanted[key] = (coalesce(older, d.request), max(at, d.received_at))
                else:
                    wanted[key] = (d.request, d.received_at)
        job_ids = self._enqueue(conn, wanted) if wanted else {}

        results = [Recorded(d.delivery_id, duplicate=True, job_id=None) for d in batch]
        rows = []
        for position in fresh:
            d = batch[position]
            job_id = None if d.request is None else job_ids[(d.request.repo, d.request.pr_number)]
            results[position] = Recorded(d.delivery_id, duplicate=False, job_id=job_id)
            rows.append(
                {
                    "delivery_id": d.delivery_id,
                    "event": d.event,
                    "action": d.action,
                    "received_at": d.received_at,
                    "job_id": job_id,
                }
            )
        if rows:
            conn.execute(insert(deliveries), rows)
        return results

    def _enqueue(
        self, conn: Connection, wanted: dict[tuple[str, int], tuple[ReviewRequest, datetime]]
    ) -> dict[tuple[str, int], int]:
        """Coalesce each request into its PR's pending job, or queue a new one; return the ids."""
        pending = {
            (row["repo"], row["pr_number"]): row
            for row in conn.execute(_PENDING_OF_PRS, {"b_prs": list(wanted)}).mappings()
        }
        job_ids: dict[tuple[str, int], int] = {}
        merges, new_rows = [], []
        for key, (request, at) in wanted.items():
            row = pending.get(key)
            if row is None:
                new_rows.append(
                    {
                        **_request_columns(request),
                        "state": JobState.PENDING,
                        "attempts": 0,
                        "run_after": at,
                        "created_at": at,
                        "updated_at": at,
                    }
                )
            else:
                merged = coalesce(_request(row), request)
                merges.append(
                    {
                        "b_id": row["id"],
                        **_request_columns(merged),
                        "run_after": at,
                        "updated_at": at,
                    }
                )
                job_ids[key] = row["id"]
        if merges:
            conn.execute(_UPDATE_BY_ID, merges)
        if new_rows:
            ids = conn.execute(_INSERT_JOBS, new_rows).scalars().all()
            for new, job_id in zip(new_rows, ids, strict=True):
                job_ids[(new["repo"], new["pr_number"])] = job_id
        return job_ids

    def _claim(
        self, conn: Connection, *, worker: str, lease: timedelta, now: datetime
    ) -> Job | None:
        row = conn.execute(_CLAIMABLE, {"b_now": now}).mappings().first()
        if row is None:
            return None
        values: dict[str, Any] = {
            "state": JobState.RUNNING,
            "worker": worker,
            "lease_until": now + lease,
            "attempts": row["attempts"] + 1,
            "updated_at": now,
        }
        if row["state"] == JobState.RUNNING:
            expired = row["lease_until"].isoformat()
            values["last_error"] = f"lease of {row['worker']} expired at {expired}"
        conn.execute(_UPDATE_BY_ID, {"b_id": row["id"], **values})
        return _job({**row, **values})

    def _change(
        self, conn: Connection, job_id: int, worker: str, values: dict[str, Any], what: str
    ) -> bool:
        changed = conn.execute(_UPDATE_IF_HELD, {"b_id": job_id, "b_by": worker, **values})
        if changed.rowcount != 1:
            log.warning("store: %s of job %s ignored: %s no longer holds it", what, job_id, worker)
            return False
        return True

    def _requeue(
        self,
        conn: Connection,
        job_id: int,
        worker: str,
        *,
        now: datetime,
        run_after: datetime,
        error: str | None,
        counted: bool,
    ) -> None:
        """Move a running job back to PENDING; fold it into the PR's pending job if there is one.

        A push during the review may already have queued a newer job for the PR, and there can
        be only one pending job per PR: that job inherits this one's request (a stronger mode
        survives) and this one is closed as superseded rather than run twice.
        """
        held = conn.execute(_SELECT_IF_HELD, {"b_id": job_id, "b_by": worker}).mappings().first()
        if held is None:
            log.warning("store: requeue of job %s ignored: %s no longer holds it", job_id, worker)
            return
        values: dict[str, Any] = {
            "b_id": job_id,
            "state": JobState.PENDING,
            "run_after": run_after,
            "attempts": held["attempts"] if counted else held["attempts"] - 1,
            "last_error": held["last_error"] if error is None else error,
            "lease_until": None,
            "updated_at": now,
        }
        key = (held["repo"], held["pr_number"])
        pending = conn.execute(_PENDING_OF_PRS, {"b_prs": [key]}).mappings().first()
        if pending is not None:
            merged = coalesce(_request(held), _request(pending))
            conn.execute(
                _UPDATE_BY_ID,
                {
                    "b_id": pending["id"],
                    **_request_columns(merged),
                    "run_after": max(pending["run_after"], run_after),
                    "updated_at": now,
                },
            )
            del values["run_after"]
            values |= {"state": JobState.DONE, "outcome": f"superseded by job {pending['id']}"}
        conn.execute(_UPDATE_BY_ID, values)
