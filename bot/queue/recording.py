"""The transaction that records a batch of webhook deliveries and queues their reviews.

The webhook's group commit (bot/intake/group_commit.py) runs this once per batch, so its cost
is intake's cost per delivery. Built with SQLAlchemy expressions, the batch spent more CPU in
SQLAlchemy (re-rendering expanding IN lists, processing every bound value and result row) than
the request around it spent in Starlette, all of it holding the GIL the event loop needs. Here
the five statements are plain SQL for the dialect, sent with `exec_driver_sql` (so driver errors
still arrive as SQLAlchemy's, and the store's retry on a lost race still applies), and values
go through the columns' own bind processors, so each column keeps the format SQLAlchemy gives it.

Semantics are the store's (bot/queue/store.py, `record_deliveries`): a delivery id seen before
(or earlier in the batch) is a duplicate and queues nothing; requests for one PR fold into one
(`coalesce`), and into the PR's pending job when it has one, which is locked first (PostgreSQL)
so that no worker claims it between our read and our update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, Dialect

from bot.queue.jobs import Delivery, Recorded, coalesce
from bot.queue.request import Mode, ReviewRequest
from bot.queue.schema import JobState, deliveries

_REQUEST = "installation_id, head_sha, mode, comment_id, requested_by, verify_permission"
CHUNK = 500  # deliveries a statement: 6,000 parameters at most, under every backend's limit
_KEPT = 64  # statements for batches up to this size are rendered once and kept
Key = tuple[str, int]


def record(conn: Connection, batch: Sequence[Delivery]) -> list[Recorded]:
    """Record `batch` inside the caller's transaction; results in the order given.

    A batch beyond CHUNK goes in chunks, in order: a later chunk sees what an earlier one wrote
    in this transaction, so duplicates and coalescing come out as for one batch.
    """
    if len(batch) > CHUNK:
        return [
            r for at in range(0, len(batch), CHUNK) for r in record(conn, batch[at : at + CHUNK])
        ]
    sql = _Sql.of(conn.dialect)
    ids = [d.delivery_id for d in batch]
    seen = {row[0] for row in conn.exec_driver_sql(sql.seen(len(ids)), tuple(ids))}
    fresh: list[int] = []  # positions of first sightings; a second copy is a duplicate
    for position, delivery_id in enumerate(ids):
        if delivery_id not in seen:
            seen.add(delivery_id)
            fresh.append(position)
    wanted = fold([batch[position] for position in fresh])
    job_ids = _enqueue(conn, sql, wanted) if wanted else {}

    results = [Recorded(d.delivery_id, duplicate=True, job_id=None) for d in batch]
    rows = []
    for position in fresh:
        d = batch[position]
        job_id = None if d.request is None else job_ids[(d.request.repo, d.request.pr_number)]
        results[position] = Recorded(d.delivery_id, duplicate=False, job_id=job_id)
        rows.append((d.delivery_id, d.event, d.action, sql.when(d.received_at), job_id))
    if rows:
        conn.exec_driver_sql(sql.insert_deliveries, rows)
    return results


def check_writable(conn: Connection) -> None:
    """A write to the deliveries table that changes no row: it fails where a batch would (a
    read-only database or transaction, a missing table) and waits where a batch would wait."""
    conn.exec_driver_sql("UPDATE deliveries SET job_id = job_id WHERE 1 = 0")


def fold(fresh: Sequence[Delivery]) -> dict[Key, tuple[ReviewRequest, datetime]]:
    """Pure: requests for one PR within the batch, folded into one, with the latest arrival."""
    wanted: dict[Key, tuple[ReviewRequest, datetime]] = {}
    for d in fresh:
        if d.request is not None:
            key = (d.request.repo, d.request.pr_number)
            if key in wanted:
                older, at = wanted[key]
                wanted[key] = (coalesce(older, d.request), max(at, d.received_at))
            else:
                wanted[key] = (d.request, d.received_at)
    return wanted


def _enqueue(
    conn: Connection, sql: _Sql, wanted: dict[Key, tuple[ReviewRequest, datetime]]
) -> dict[Key, int]:
    """Coalesce each request into its PR's pending job, or queue a new one; return the ids."""
    keys = [part for key in wanted for part in key]
    pending = {
        (row[1], row[2]): row for row in conn.exec_driver_sql(sql.pending(len(wanted)), tuple(keys))
    }
    job_ids: dict[Key, int] = {}
    merges, new_rows = [], []
    for key, (request, at) in wanted.items():
        row = pending.get(key)
        when = sql.when(at)
        if row is None:
            new_rows.append((*key, *sql.request(request), JobState.PENDING.value, when, when, when))
            continue
        older = ReviewRequest(
            repo=key[0],
            pr_number=key[1],
            installation_id=row[3],
            head_sha=row[4],
            mode=Mode(row[5]),
            comment_id=row[6],
            requested_by=row[7],
            verify_permission=bool(row[8]),
        )
        merges.append((*sql.request(coalesce(older, request)), when, when, row[0]))
        job_ids[key] = row[0]
    if merges:
        conn.exec_driver_sql(sql.merge_job, merges)
    if new_rows:
        # RETURNING gives rows in no promised order: match them by their PR, unique in the batch.
        for job_id, repo, pr_number in conn.exec_driver_sql(
            sql.insert_jobs(len(new_rows)), tuple(v for row in new_rows for v in row)
        ):
            job_ids[(repo, pr_number)] = job_id
    return job_ids


class _Sql:
    """The statements and value conversions for one dialect, made once and cached."""

    _made: ClassVar[dict[tuple[str, str], _Sql]] = {}

    def __init__(self, dialect: Dialect) -> None:
        self._texts: dict[tuple[str, int], str] = {}
        self._mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._lock = " FOR UPDATE" if dialect.name == "postgresql" else ""
        # dialect_impl: on SQLite the text format SQLAlchemy reads back and compares by
        processor = deliveries.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.when: Callable[[datetime], Any] = processor or (lambda value: value)
        self.insert_deliveries = (
            "INSERT INTO deliveries (delivery_id, event, action, received_at, job_id) "
            f"VALUES ({self._marks(5)})"
        )
        sets = ", ".join(
            f"{column} = {self._mark}"
            for column in [*_REQUEST.split(", "), "run_after", "updated_at"]
        )
        self.merge_job = f"UPDATE jobs SET {sets} WHERE id = {self._mark}"

    @classmethod
    def of(cls, dialect: Dialect) -> _Sql:
        key = (dialect.name, dialect.driver)
        made = cls._made.get(key)
        if made is None:
            made = cls._made[key] = cls(dialect)
        return made

    def _text(self, what: str, count: int, build: Callable[[], str]) -> str:
        """A statement for `count` rows, rendered once for the usual small batches."""
        text = self._texts.get((what, count))
        if text is None:
            text = build()
            if count <= _KEPT:
                self._texts[(what, count)] = text
        return text

    def _marks(self, count: int) -> str:
        return ", ".join([self._mark] * count)

    def _rows(self, width: int, count: int, extra: str = "") -> str:
        return ", ".join([f"({self._marks(width)}{extra})"] * count)

    @staticmethod
    def request(r: ReviewRequest) -> tuple[Any, ...]:
        """The request's columns after (repo, pr_number), as `_REQUEST` names them."""
        mode = Mode(r.mode).value
        return (
            r.installation_id,
            r.head_sha,
            mode,
            r.comment_id,
            r.requested_by,
            r.verify_permission,
        )

    def seen(self, count: int) -> str:
        return self._text(
            "seen",
            count,
            lambda: (
                f"SELECT delivery_id FROM deliveries WHERE delivery_id IN ({self._marks(count)})"
            ),
        )

    def pending(self, count: int) -> str:
        """Pending jobs of `count` PRs, in id order so two writers lock rows in the same order."""
        return self._text(
            "pending",
            count,
            lambda: (
                f"SELECT id, repo, pr_number, {_REQUEST} FROM jobs "
                f"WHERE state = 'pending' AND (repo, pr_number) IN (VALUES {self._rows(2, count)}) "
                f"ORDER BY id{self._lock}"
            ),
        )

    def insert_jobs(self, count: int) -> str:
        return self._text(
            "insert_jobs",
            count,
            lambda: (
                f"INSERT INTO jobs (repo, pr_number, {_REQUEST}, state, run_after, created_at, "
                f"updated_at, attempts) VALUES {self._rows(12, count, extra=', 0')} "
                "RETURNING id, repo, pr_number"
            ),
        )
