"""A job's life inside one transaction: claimed, its lease renewed, finished, put back, reaped.

The Store opens the transaction (and redoes it after a lost race or a lost connection); these
functions are its work. Kept apart from `bot.queue.store` as `bot.queue.recording` keeps the
deliveries' side.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.queue import registry
from bot.queue.jobs import Job, coalesce, job_from_row, request_columns, request_from_row
from bot.queue.schema import JobState, jobs
from bot.queue.sql import (
    CLAIMABLE,
    LEFTOVER,
    ORPHANS,
    PENDING_OF_PRS,
    SELECT_IF_HELD,
    UPDATE_BY_ID,
    UPDATE_IF_HELD,
)

log = logging.getLogger(__name__)

# PostgreSQL's words for "the connection is gone": connection exceptions (class 08), and the
# server shutting down, crashing or starting (57P01-57P03).
_DISCONNECT_SQLSTATES = {"57P01", "57P02", "57P03"}


def lost_connection(exc: DBAPIError) -> bool:
    """Whether a PostgreSQL error means the connection was lost (or could not be made). Pure."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return bool(
        exc.connection_invalidated
        or (sqlstate is not None and (sqlstate[:2] == "08" or sqlstate in _DISCONNECT_SQLSTATES))
        or (sqlstate is None and isinstance(exc, OperationalError))  # could not connect
    )


def claim(
    conn: Connection,
    *,
    worker: str,
    lease: timedelta,
    now: datetime,
    process: int | None,
    max_attempts: int | None = None,
) -> Job | None:
    """The job to run next, leased to `worker`; or a job DEAD already, given up here because
    it had had its `max_attempts` and still came back (its attempts ended with their process,
    a crash loop): the caller says so on the PR."""
    row = None
    if process is not None:  # this worker's own job whose claim or outcome was lost
        mine = {"b_by": worker, "b_process": process}
        row = conn.execute(LEFTOVER, mine).mappings().first()
    if row is None:
        row = conn.execute(CLAIMABLE, {"b_now": now}).mappings().first()
    if row is None:
        return None
    if max_attempts is not None and row["attempts"] >= max_attempts:
        return _give_up(conn, row, worker=worker, process=process, now=now)
    values: dict[str, Any] = {
        "state": JobState.RUNNING,
        "worker": worker,
        "process_id": process,
        "lease_until": now + lease,
        "attempts": row["attempts"] + 1,
        "updated_at": now,
    }
    why = _taken_over(row, worker)
    if why is not None:
        values["last_error"] = why
    conn.execute(UPDATE_BY_ID, {"b_id": row["id"], **values})
    return job_from_row({**row, **values})


def _taken_over(row: Any, worker: str) -> str | None:
    """Why a running job is claimed while it runs: its lease ran out, or it is this worker's own
    whose outcome was lost. None for a pending job (its last_error says how it got there)."""
    if row["state"] != JobState.RUNNING:
        return None
    if row["worker"] == worker:
        return f"{worker} took it up again: its outcome was never recorded"
    return f"lease of {row['worker']} expired at {row['lease_until'].isoformat()}"


def _give_up(conn: Connection, row: Any, *, worker: str, process: int | None, now: datetime) -> Job:
    """Bury a job that used its attempts without ever ending one: each was taken over after its
    process stopped (or its lease ran out), so another would most likely end the same way."""
    values: dict[str, Any] = {
        "state": JobState.DEAD,
        "worker": worker,
        "process_id": process,
        "lease_until": None,
        "updated_at": now,
        "last_error": (
            f"given up at the claim after {row['attempts']} attempts, none of which ended "
            f"(the last: {_taken_over(row, worker) or row['last_error'] or 'no error recorded'})"
        ),
    }
    conn.execute(UPDATE_BY_ID, {"b_id": row["id"], **values})
    log.warning("job %s: %s", row["id"], values["last_error"])
    return job_from_row({**row, **values})


def change(conn: Connection, job_id: int, worker: str, values: dict[str, Any], what: str) -> bool:
    """Update the job if `worker` still holds it; False (and a warning) if not."""
    changed = conn.execute(UPDATE_IF_HELD, {"b_id": job_id, "b_by": worker, **values})
    if changed.rowcount == 1:
        return True
    row = conn.execute(select(jobs.c.state, jobs.c.worker).where(jobs.c.id == job_id)).first()
    if row is not None and "state" in values and tuple(row) == (values["state"], worker):
        return True  # done already: the commit of an earlier try got through after all
    log.warning("store: %s of job %s ignored: %s no longer holds it", what, job_id, worker)
    return False


def requeue(
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
    held = conn.execute(SELECT_IF_HELD, {"b_id": job_id, "b_by": worker}).mappings().first()
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
    pending = conn.execute(PENDING_OF_PRS, {"b_prs": [key]}).mappings().first()
    if pending is not None:
        merged = coalesce(request_from_row(held), request_from_row(pending))
        # The answer this job paid for goes along: if the newer job asks the same round (a
        # `/review` of the same head), it posts the answer instead of asking again.
        answer = pending["answer"] or held["answer"]
        conn.execute(
            UPDATE_BY_ID,
            {
                "b_id": pending["id"],
                **request_columns(merged),
                "run_after": max(pending["run_after"], run_after),
                "answer": answer,
                "updated_at": now,
            },
        )
        del values["run_after"]
        values |= {"state": JobState.DONE, "outcome": f"superseded by job {pending['id']}"}
    conn.execute(UPDATE_BY_ID, values)


def reap(conn: Connection, gone: dict[int, str], now: datetime) -> dict[int, str]:
    """Requeue the running jobs of the `gone` processes and of unregistered ones; forget the
    gone processes. Rows are re-read here, locked: a job finished meanwhile is left alone."""
    handed_back: dict[int, str] = {}
    rows = conn.execute(ORPHANS.with_for_update(), {"b_gone": list(gone)}).mappings().all()
    for row in rows:
        why = gone.get(row["process_id"], f"worker process {row['process_id']} has stopped")
        log.warning("job %s: %s; taking it up again", row["id"], why)
        requeue(conn, row["id"], row["worker"], now=now, run_after=now, error=why, counted=True)
        handed_back[row["id"]] = why
    registry.forget(conn, gone)
    return handed_back
