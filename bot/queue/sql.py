"""SQL for the store, built once: engine tuning, the claim query and the statements the
Store reuses (SQLAlchemy then only looks them up in its compiled cache)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    event,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)

from bot.queue.schema import JobState, deliveries, jobs, worker_processes

SQLITE_BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for the write lock before failing
READ_ONLY = "beadle_read_only"  # execution option: this transaction only reads
MAX_ERROR_CHARS = 10_000  # a traceback is worth keeping, a megabyte of HTML error page is not


def normalise_url(url: str) -> str:
    """Point bare PostgreSQL URLs at psycopg 3, the driver Beadle installs.

    `postgresql://` would select psycopg2 and `postgres://` (Heroku's spelling) no dialect at all.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…"


def in_state(state: JobState, table: Any = jobs) -> ColumnElement[bool]:
    """`state = 'pending'` written into the SQL rather than bound as a parameter.

    Only then can SQLite's planner (and PostgreSQL's generic plans) see that the partial indexes
    `... WHERE state = 'pending'` / `'running'` answer the query.
    """
    condition: ColumnElement[bool] = table.c.state == literal_column(f"'{state.value}'")
    return condition


# The statements, built once: SQLAlchemy then only looks them up in its compiled cache.

UPDATE_BY_ID = update(jobs).where(jobs.c.id == bindparam("b_id"))  # SET from the parameters

# The only row a worker may change: its job, still running, still leased to it. A worker whose
# lease ran out and was taken over must not clobber the new holder.
UPDATE_IF_HELD = update(jobs).where(
    jobs.c.id == bindparam("b_id"), in_state(JobState.RUNNING), jobs.c.worker == bindparam("b_by")
)
SELECT_IF_HELD = (
    select(jobs)
    .where(
        jobs.c.id == bindparam("b_id"),
        in_state(JobState.RUNNING),
        jobs.c.worker == bindparam("b_by"),
    )
    .with_for_update()
)

# What a held job spent on the model, added to what its earlier attempts spent (v4).
ADD_SPEND = UPDATE_IF_HELD.values(
    model_requests=func.coalesce(jobs.c.model_requests, 0) + bindparam("b_requests", type_=Integer),
    model_seconds=func.coalesce(jobs.c.model_seconds, 0.0) + bindparam("b_seconds", type_=Float),
    model_tokens=func.coalesce(jobs.c.model_tokens, 0) + bindparam("b_tokens", type_=Integer),
)


def _since(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((column >= bindparam("b_since"), 1), else_=0)), 0)


# A PR's reviews posted since `b_since`, and its notes that the hour's limit was reached.
RECENT_REVIEWS = select(_since(jobs.c.posted_at), _since(jobs.c.limit_noted_at)).where(
    jobs.c.repo == bindparam("b_repo"), jobs.c.pr_number == bindparam("b_pr")
)

HELD_BY = select(jobs.c.id).where(
    jobs.c.id == bindparam("b_id"), in_state(JobState.RUNNING), jobs.c.worker == bindparam("b_by")
)

# A job a worker still holds when it claims the next one: its claim or its outcome was lost.
LEFTOVER = (
    select(jobs)
    .where(
        in_state(JobState.RUNNING),
        jobs.c.worker == bindparam("b_by"),
        jobs.c.process_id == bindparam("b_process"),
    )
    .order_by(jobs.c.id)
    .limit(1)
    .with_for_update()
)

# Running jobs whose worker process is gone: judged dead (`b_gone`), or no longer registered.
# Jobs claimed by a Beadle from before worker processes (process_id NULL) are left to leases.
ORPHANS = select(jobs).where(
    in_state(JobState.RUNNING),
    jobs.c.process_id.is_not(None),
    or_(
        jobs.c.process_id.in_(bindparam("b_gone", expanding=True)),
        ~exists().where(worker_processes.c.id == jobs.c.process_id),
    ),
)

# Pending jobs of some PRs, locked so that no worker claims one between our read and our update
# (a head merged into a job already running would never be reviewed); in id order, so that two
# writers lock rows in the same order and cannot deadlock.
PENDING_OF_PRS = (
    select(jobs)
    .where(
        in_state(JobState.PENDING),
        tuple_(jobs.c.repo, jobs.c.pr_number).in_(bindparam("b_prs", expanding=True)),
    )
    .order_by(jobs.c.id)
    .with_for_update()
)

SEEN = select(deliveries.c.delivery_id).where(
    deliveries.c.delivery_id.in_(bindparam("b_ids", expanding=True))
)


def claimable() -> Select[Any]:
    """The oldest job that may run now: pending and due on a PR with nothing running, or running
    with an expired lease (its worker died). While a PR's running job is expired, its pending job
    waits: the running one is taken over first, so one PR never has two reviews in flight."""
    running = jobs.alias("running")
    pr_busy = exists().where(
        running.c.repo == jobs.c.repo,
        running.c.pr_number == jobs.c.pr_number,
        in_state(JobState.RUNNING, running),
    )
    now = bindparam("b_now", type_=jobs.c.run_after.type)
    return (
        select(jobs)
        .where(
            or_(
                and_(in_state(JobState.PENDING), jobs.c.run_after <= now, ~pr_busy),
                and_(in_state(JobState.RUNNING), jobs.c.lease_until < now),
            )
        )
        .order_by(jobs.c.created_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL: workers pass over each other's claims
    )


CLAIMABLE = claimable()


def tune_sqlite(engine: Engine) -> None:
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
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")
