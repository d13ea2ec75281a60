"""Beadle's tables and their migrations: the deliveries seen, the review jobs, the schema version.

Kept apart from `bot.queue.store` so the queue logic reads without the column list in the way, and so a
later migration has one obvious place to live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    insert,
    inspect,
    select,
    text,
)

from bot.queue.request import Mode


class JobState(StrEnum):
    """Where a review job is in its life; defined here because the `state` column is typed by it."""

    PENDING = "pending"  # waiting for run_after and for the PR's running job to end
    RUNNING = "running"  # leased to a worker until lease_until
    DONE = "done"  # finished (outcome says how), or superseded by the PR's newer job
    DEAD = "dead"  # buried: given up for good, last_error says why


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL's `timestamptz` keeps the instant. SQLite has no time zone type, so the value is
    converted to UTC and stored as naive text in one fixed format (SQLAlchemy always writes the
    microseconds), which keeps `<`/`>=` on the text correct; it is marked UTC again when read.
    A naive datetime is refused: its meaning depends on the machine that made it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _text_enum(enum: type[StrEnum]) -> Enum:
    """A StrEnum kept as its plain value in a VARCHAR: readable in psql, no native enum type to
    migrate when a member is added, and read back as the enum member."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


DELIVERY_ID_LENGTH = 128  # X-GitHub-Delivery is a 36-character GUID
EVENT_LENGTH = 64  # X-GitHub-Event and the payload's action: short names

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    # One row per applied migration step; the current version is the largest.
    Column("version", Integer, primary_key=True, autoincrement=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    # The ReviewRequest, one column per field.
    Column("repo", String(255), nullable=False),
    Column("pr_number", Integer, nullable=False),
    Column("installation_id", BigInteger, nullable=False),
    # 64: SHA-256 repositories; "" for a `/review` comment (its event names no head)
    Column("head_sha", String(64), nullable=False),
    Column("mode", _text_enum(Mode), nullable=False),
    Column("comment_id", BigInteger),  # comment ids are past 2**31 already
    Column("requested_by", String(255)),
    Column("verify_permission", Boolean, nullable=False, default=False),
    # Queue bookkeeping.
    Column("state", _text_enum(JobState), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("run_after", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("worker", String(255)),  # who holds it, or held it last
    # The worker process (worker_processes.id) of that worker: when it is gone, the job is
    # taken up again at once instead of after its lease. NULL: claimed by a Beadle before v2.
    Column("process_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("outcome", Text),
    # What the finished review's model call used and cost (v3); NULL: no model call, or a
    # Beadle before v3. cost_usd is NULL too for a model no price table knows.
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("cached_tokens", Integer),
    Column("cost_usd", Float),
    # What the job spent on the model over all its attempts, and the answer it keeps (v4):
    # a retried attempt posts the kept answer instead of asking again (bot/model/kept.py).
    # NULL counts as nothing spent (a job from before v4).
    Column("answer", Text),  # JSON: the round plan it answers, the model, tokens, the answer
    Column("model_requests", Integer),  # requests sent, each counted before it was sent
    Column("model_seconds", Float),  # time spent waiting for the model
    Column("model_tokens", Integer),  # prompt + completion tokens of the answered requests
    # For `max_reviews_per_hour` (.github/beadle.yml): when this job posted its review, and
    # when it said on the PR that the hour's limit was reached.
    Column("posted_at", UTCDateTime),
    Column("limit_noted_at", UTCDateTime),
    CheckConstraint("state IN ('pending', 'running', 'done', 'dead')", name="ck_jobs_state"),
    # Ids are never reused on SQLite either, so an old delivery never points at a newer job.
    sqlite_autoincrement=True,
)

# The queue's two invariants, held by the database itself so that two processes racing past the
# application's checks still cannot break them: one waiting job per PR (new pushes coalesce into
# it) and one review in flight per PR (two reviews of one PR would post over each other).
Index(
    "uq_jobs_one_pending_per_pr",
    jobs.c.repo,
    jobs.c.pr_number,
    unique=True,
    sqlite_where=text("state = 'pending'"),
    postgresql_where=text("state = 'pending'"),
)
Index(
    "uq_jobs_one_running_per_pr",
    jobs.c.repo,
    jobs.c.pr_number,
    unique=True,
    sqlite_where=text("state = 'running'"),
    postgresql_where=text("state = 'running'"),
)
Index("ix_jobs_state_created", jobs.c.state, jobs.c.created_at)  # claim
Index("ix_jobs_updated", jobs.c.updated_at)  # recent_jobs
Index("ix_jobs_pr", jobs.c.repo, jobs.c.pr_number)  # a PR's reviews in the last hour (v4)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(DELIVERY_ID_LENGTH), primary_key=True),
    Column("event", String(EVENT_LENGTH), nullable=False),
    Column("action", String(EVENT_LENGTH)),
    Column("received_at", UTCDateTime, nullable=False),
    Column("job_id", Integer, ForeignKey("jobs.id")),  # the job it created or joined
)


# The worker processes sharing the database, each with a heartbeat; on PostgreSQL each also holds
# a session advisory lock keyed by its id (bot/queue/registry.py), which dies with its connection.
worker_processes = Table(
    "worker_processes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("start", String(128), nullable=False),  # ProcessIdentity.start
    Column("started_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,  # a new process never inherits a dead one's id (or lock key)
)


def _initial(conn: Connection) -> None:
    """Version 1: the tables as `metadata.create_all` makes them; nothing to alter."""


def _process_ids(conn: Connection) -> None:
    """Version 2: jobs name the worker process that holds them (`worker_processes` itself is new,
    so `create_all` made it)."""
    if "process_id" not in {c["name"] for c in inspect(conn).get_columns("jobs")}:
        conn.execute(text("ALTER TABLE jobs ADD COLUMN process_id INTEGER"))


_COST_COLUMNS = ("prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd")


def _job_cost(conn: Connection) -> None:
    """Version 3: a finished job keeps its review's tokens and estimated cost (`beadle jobs`)."""
    have = {c["name"] for c in inspect(conn).get_columns("jobs")}
    for name in _COST_COLUMNS:
        if name not in have:
            kind = jobs.c[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE jobs ADD COLUMN {name} {kind}"))


_SPEND_COLUMNS = (
    "answer",
    "model_requests",
    "model_seconds",
    "model_tokens",
    "posted_at",
    "limit_noted_at",
)


def _job_spend(conn: Connection) -> None:
    """Version 4: a job keeps its model answer and what it spent on the model across attempts,
    and when it posted (per-PR limits), with an index to find a PR's jobs."""
    have = {c["name"] for c in inspect(conn).get_columns("jobs")}
    for name in _SPEND_COLUMNS:
        if name not in have:
            kind = jobs.c[name].type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE jobs ADD COLUMN {name} {kind}"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_jobs_pr ON jobs (repo, pr_number)"))


# version -> step. A step must be idempotent (e.g. `ADD COLUMN IF NOT EXISTS`): on a fresh
# database `create_all` has already built the newest tables before the steps run.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _initial,
    2: _process_ids,
    3: _job_cost,
    4: _job_spend,
}
SCHEMA_VERSION = max(MIGRATIONS)


def migrate(conn: Connection) -> int:
    """Apply the steps newer than the database's version, in order; return the version reached.

    Runs inside the caller's transaction (which serialises concurrent starts), so a failing step
    leaves the database at its old version.
    """
    current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this Beadle knows "
            f"({SCHEMA_VERSION}): upgrade Beadle, or point DATABASE_URL at another database"
        )
    for version in sorted(v for v in MIGRATIONS if v > current):
        MIGRATIONS[version](conn)
        conn.execute(insert(schema_version).values(version=version))
    return SCHEMA_VERSION
