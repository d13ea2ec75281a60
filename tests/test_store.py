"""The durable store and job queue, against real SQLite and PostgreSQL databases.

Every test runs on both backends (the `database_url` fixture). Time is passed in, so the queue is
driven by a fixed clock; only the concurrency tests use the real one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import random
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from bot.queue.identity import ProcessIdentity, this_process
from bot.queue.registry import LOCK_CLASS
from bot.queue.request import Mode, ReviewRequest
from bot.queue.schema import SCHEMA_VERSION, jobs, schema_version
from bot.queue.store import Delivery, JobState, Store, coalesce, normalise_url

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def req(pr: int = 1, sha: str = "a" * 40, mode: Mode = Mode.AUTO, **kw: object) -> ReviewRequest:
    return ReviewRequest(
        repo=str(kw.pop("repo", "octo/repo")),
        pr_number=pr,
        installation_id=7,
        head_sha=sha,
        mode=mode,
        **kw,  # type: ignore[arg-type]
    )


def push(delivery_id: str, request: ReviewRequest | None, when: datetime = T0) -> Delivery:
    return Delivery(delivery_id, "pull_request", "synchronize", request, when)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as s:
        yield s


# -- deliveries --------------------------------------------------------------------------------


def test_the_same_delivery_three_times_queues_one_job(store: Store) -> None:
    first, *again = [store.record_delivery(push("d-1", req())) for _ in range(3)]

    assert not first.duplicate and first.job_id is not None
    assert [(r.duplicate, r.job_id) for r in again] == [(True, None), (True, None)]
    assert [j.id for j in store.recent_jobs()] == [first.job_id]


def test_a_batch_keeps_its_order_and_spots_its_own_duplicates(store: Store) -> None:
    store.record_delivery(push("old", req(pr=9)))
    ping = Delivery("p", "ping", None, None, T0)
    batch = [push("a", req(pr=1)), push("b", req(pr=2)), push("a", req(pr=1)), ping]
    batch += [push("b", req(pr=2)), push("old", req(pr=9)), ping]

    results = store.record_deliveries(batch)

    assert [(r.delivery_id, r.duplicate) for r in results] == [
        ("a", False),
        ("b", False),
        ("a", True),
        ("p", False),
        ("b", True),
        ("old", True),
        ("p", True),
    ]
    assert results[3].job_id is None  # recorded only
    assert results[0].job_id != results[1].job_id
    assert len(store.recent_jobs()) == 3
    assert store.record_deliveries([]) == []


def test_seen_deliveries(store: Store) -> None:
    ids = [f"d-{n}" for n in range(1200)]  # more than one IN (...) chunk
    store.record_deliveries([push(i, None) for i in ids[::2]])

    assert store.seen_deliveries(ids) == set(ids[::2])
    assert store.seen_deliveries(iter(["d-0", "nope"])) == {"d-0"}
    assert store.seen_deliveries([]) == set()


# -- coalescing --------------------------------------------------------------------------------


def test_five_pushes_coalesce_into_one_pending_job_at_the_newest_head(store: Store) -> None:
    recorded = [store.record_delivery(push(f"d-{n}", req(sha=f"sha{n}"), at(n))) for n in range(5)]

    assert len({r.job_id for r in recorded}) == 1
    (job,) = store.recent_jobs()
    assert job.id == recorded[0].job_id
    assert (job.state, job.request.head_sha) == (JobState.PENDING, "sha4")
    assert (job.created_at, job.run_after, job.updated_at) == (T0, at(4), at(4))


def test_pushes_in_one_batch_coalesce_too(store: Store) -> None:
    results = store.record_deliveries([push(f"d-{n}", req(sha=f"sha{n}"), at(n)) for n in range(5)])

    assert len({r.job_id for r in results}) == 1
    (job,) = store.recent_jobs()
    assert (job.request.head_sha, job.run_after) == ("sha4", at(4))


def test_the_stronger_mode_survives_and_a_comment_keeps_the_pushed_head(store: Store) -> None:
    store.record_delivery(push("1", req(sha="s1", requested_by="pusher")))
    full = req(sha="", mode=Mode.FULL, comment_id=11, requested_by="alice")
    store.record_delivery(Delivery("2", "issue_comment", "created", full, at(1)))
    command = req(sha="", mode=Mode.COMMAND, comment_id=12, requested_by="bob")
    store.record_delivery(Delivery("3", "issue_comment", "created", command, at(2)))
    store.record_delivery(push("4", req(sha="s2"), at(3)))

    (job,) = store.recent_jobs()
    assert job.request == req(sha="s2", mode=Mode.FULL, comment_id=12, requested_by="bob")


def test_a_request_needing_a_permission_check_never_outranks_a_trusted_one() -> None:
    untrusted = req(
        sha="", mode=Mode.COMMAND, comment_id=5, requested_by="mallory", verify_permission=True
    )
    later_push = req(sha="s2", requested_by="pusher")
    trusted = req(sha="", mode=Mode.COMMAND, comment_id=6, requested_by="alice")

    # the push is reviewed as a push; the stranger's command is not left to be refused
    assert coalesce(untrusted, later_push) == later_push
    assert coalesce(later_push, untrusted) == later_push
    assert coalesce(trusted, untrusted) == trusted
    # A stranger's `/review full` does not swallow a maintainer's `/review`.
    stranger_full = req(
        sha="", mode=Mode.FULL, comment_id=7, requested_by="mallory", verify_permission=True
    )
    assert coalesce(trusted, stranger_full) == trusted
    # Two strangers: the stronger mode, and the login of whoever asked for it, are checked.
    assert coalesce(stranger_full, untrusted) == req(
        sha="", mode=Mode.FULL, comment_id=5, requested_by="mallory", verify_permission=True
    )


def test_every_request_field_survives_the_database(store: Store) -> None:
    """Catches a field added to ReviewRequest without a column to keep it."""
    request = ReviewRequest(
        repo="octo/other",
        pr_number=2**31 - 1,
        installation_id=2**40,
        head_sha="f" * 64,
        mode=Mode.FULL,
        comment_id=2**33,
        requested_by="alice",
        verify_permission=True,
    )
    assert all(getattr(request, f.name) != f.default for f in fields(ReviewRequest) if f.default)
    job_id = store.record_delivery(push("d", request)).job_id
    assert job_id is not None
    job = store.job(job_id)
    assert job is not None and job.request == request
    assert store.job(job_id + 1000) is None


def test_times_come_back_as_utc_and_naive_ones_are_refused(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    store.record_delivery(push("d", req(), T0.astimezone(plus_two)))
    (job,) = store.recent_jobs()
    assert job.created_at == T0 and job.created_at.tzinfo == UTC

    with pytest.raises(ValueError, match="timezone-aware"):
        push("e", req(pr=2), datetime(2026, 1, 1))
    with pytest.raises(StatementError, match="naive datetime"):
        store.claim(worker="w", lease=LEASE, now=datetime(2026, 1, 1))


def test_a_delivery_the_database_would_refuse_fails_alone() -> None:
    """Headers are not signed: a bogus one must not sink the other deliveries of its batch."""
    with pytest.raises(ValueError, match="delivery id"):
        push("x" * 129, req())
    with pytest.raises(ValueError, match="delivery id"):
        push("", req())
    with pytest.raises(ValueError, match="event"):
        Delivery("d", "e" * 65, None, None, T0)
    with pytest.raises(ValueError, match="action"):
        Delivery("d", "pull_request", "a" * 65, None, T0)


# -- claiming ----------------------------------------------------------------------------------


def test_claim_takes_the_oldest_due_job(store: Store) -> None:
    for pr, seconds in [(1, 2), (2, 0), (3, 1)]:
        store.record_delivery(push(f"d-{pr}", req(pr=pr), at(seconds)))

    assert store.claim(worker="w", lease=LEASE, now=at(0.5)) is not None  # PR 2, due at 0
    assert store.claim(worker="w", lease=LEASE, now=at(0.5)) is None  # the others are not due
    claimed = [store.claim(worker="w", lease=LEASE, now=at(10)) for _ in range(3)]
    assert [j.request.pr_number if j else None for j in claimed] == [3, 1, None]

    job = claimed[0]
    assert job is not None
    assert (job.state, job.worker, job.attempts, job.lease_until) == (
        JobState.RUNNING,
        "w",
        1,
        at(10) + LEASE,
    )
    assert store.job(job.id) == job


def test_no_second_running_job_for_a_pr(store: Store) -> None:
    store.record_delivery(push("1", req(sha="s1")))
    first = store.claim(worker="w1", lease=LEASE, now=at(1))
    assert first is not None
    second_id = store.record_delivery(push("2", req(sha="s2"), at(2))).job_id
    assert second_id != first.id  # a running job never takes a new head

    assert store.claim(worker="w2", lease=LEASE, now=at(3)) is None
    store.finish(first.id, worker="w1", outcome="reviewed s1", now=at(4))
    second = store.claim(worker="w2", lease=LEASE, now=at(5))
    assert second is not None and (second.id, second.request.head_sha) == (second_id, "s2")


def test_an_expired_lease_is_taken_over_and_the_old_worker_is_locked_out(store: Store) -> None:
    store.record_delivery(push("1", req()))
    job = store.claim(worker="w1", lease=LEASE, now=at(0))
    assert job is not None
    assert store.heartbeat(job.id, worker="w1", lease=LEASE, now=at(60))  # lease to 6 min
    assert store.claim(worker="w2", lease=LEASE, now=at(300)) is None  # still alive

    taken = store.claim(worker="w2", lease=LEASE, now=at(361))
    assert taken is not None and taken.id == job.id
    assert (taken.worker, taken.attempts) == ("w2", 2)
    assert taken.last_error is not None and "w1" in taken.last_error

    # The old worker wakes up: nothing it does may touch the new holder's job.
    assert not store.heartbeat(job.id, worker="w1", lease=LEASE, now=at(362))
    store.finish(job.id, worker="w1", outcome="stale", now=at(362))
    store.retry_later(job.id, worker="w1", error="stale", run_after=at(400), now=at(362))
    store.bury(job.id, worker="w1", error="stale", now=at(362))
    store.release(job.id, worker="w1", now=at(362))
    assert store.job(job.id) == taken

    assert store.heartbeat(job.id, worker="w2", lease=LEASE, now=at(363))
    store.finish(job.id, worker="w2", outcome="reviewed", now=at(364))
    done = store.job(job.id)
    assert done is not None
    assert (done.state, done.outcome, done.lease_until) == (JobState.DONE, "reviewed", None)
    store.finish(job.id, worker="w2", outcome="twice", now=at(365))
    assert store.job(job.id) == done


def test_an_expired_running_job_goes_before_the_pending_job_of_its_pr(store: Store) -> None:
    store.record_delivery(push("1", req(sha="s1"), at(10)))
    running = store.claim(worker="w1", lease=LEASE, now=at(10))
    assert running is not None
    # A web process with a slow clock: the pending job looks older than the running one.
    pending_id = store.record_delivery(push("2", req(sha="s2"), at(5))).job_id

    taken = store.claim(worker="w2", lease=LEASE, now=at(1000))
    assert taken is not None and taken.id == running.id
    assert store.claim(worker="w3", lease=LEASE, now=at(1000)) is None
    store.finish(running.id, worker="w2", outcome="ok", now=at(1001))
    after = store.claim(worker="w3", lease=LEASE, now=at(1001))
    assert after is not None and after.id == pending_id


def test_retry_later_is_respected(store: Store) -> None:
    store.record_delivery(push("1", req()))
    job = store.claim(worker="w", lease=LEASE, now=at(0))
    assert job is not None
    store.retry_later(job.id, worker="w", error="HTTP 502", run_after=at(60), now=at(1))

    waiting = store.job(job.id)
    assert waiting is not None
    assert (waiting.state, waiting.attempts, waiting.last_error) == (
        JobState.PENDING,
        1,
        "HTTP 502",
    )
    assert (waiting.lease_until, waiting.run_after) == (None, at(60))
    assert store.claim(worker="w", lease=LEASE, now=at(59)) is None
    again = store.claim(worker="w", lease=LEASE, now=at(60))
    assert again is not None and (again.id, again.attempts) == (job.id, 2)


def test_retry_later_folds_into_a_newer_pending_job(store: Store) -> None:
    full = req(sha="s1", mode=Mode.FULL, comment_id=3, requested_by="alice")
    store.record_delivery(push("1", full))
    job = store.claim(worker="w", lease=LEASE, now=at(0))
    assert job is not None
    newer_id = store.record_delivery(push("2", req(sha="s2"), at(1))).job_id

    store.retry_later(job.id, worker="w", error="HTTP 429", run_after=at(30), now=at(2))

    old, newer = store.job(job.id), store.job(newer_id or 0)
    assert old is not None and newer is not None
    assert (old.state, old.outcome) == (JobState.DONE, f"superseded by job {newer_id}")
    assert old.last_error == "HTTP 429"
    assert newer.state == JobState.PENDING
    assert newer.request == req(sha="s2", mode=Mode.FULL, comment_id=3, requested_by="alice")
    assert newer.run_after == at(30)  # the back-off asked for still holds


def test_bury(store: Store) -> None:
    store.record_delivery(push("1", req()))
    job = store.claim(worker="w", lease=LEASE, now=at(0))
    assert job is not None
    store.bury(job.id, worker="w", error="x" * 20_000, now=at(1))

    dead = store.job(job.id)
    assert dead is not None and dead.state == JobState.DEAD and dead.lease_until is None
    assert dead.last_error is not None and len(dead.last_error) == 10_000
    assert store.claim(worker="w", lease=LEASE, now=at(10_000)) is None
    # A buried job does not block the PR: the next push is a new job.
    assert store.record_delivery(push("2", req(), at(2))).job_id not in (None, job.id)


def test_release_hands_the_job_back_without_counting_the_attempt(store: Store) -> None:
    store.record_delivery(push("1", req()))
    job = store.claim(worker="w1", lease=LEASE, now=at(0))
    assert job is not None
    store.release(job.id, worker="w1", now=at(1))

    released = store.job(job.id)
    assert released is not None
    assert (released.state, released.attempts, released.lease_until) == (JobState.PENDING, 0, None)
    again = store.claim(worker="w2", lease=LEASE, now=at(1))
    assert again is not None and (again.id, again.worker, again.attempts) == (job.id, "w2", 1)


def test_release_folds_into_a_newer_pending_job(store: Store) -> None:
    store.record_delivery(push("1", req(sha="s1")))
    job = store.claim(worker="w", lease=LEASE, now=at(0))
    assert job is not None
    newer_id = store.record_delivery(push("2", req(sha="s2"), at(1))).job_id
    store.release(job.id, worker="w", now=at(2))

    old = store.job(job.id)
    assert old is not None and old.state == JobState.DONE
    assert [j.id for j in store.recent_jobs() if j.state == JobState.PENDING] == [newer_id]


def test_recent_jobs_newest_change_first(store: Store) -> None:
    ids = [store.record_delivery(push(f"d-{pr}", req(pr=pr), at(pr))).job_id for pr in range(4)]
    first = store.claim(worker="w", lease=LEASE, now=at(10))
    assert first is not None and first.id == ids[0]

    assert [j.id for j in store.recent_jobs()] == [ids[0], ids[3], ids[2], ids[1]]
    assert [j.id for j in store.recent_jobs(limit=2)] == [ids[0], ids[3]]


# -- the database --------------------------------------------------------------------------------


def test_everything_survives_a_restart(database_url: str) -> None:
    with Store(database_url) as store:
        job_id = store.record_delivery(push("1", req(sha="s1"))).job_id
        assert job_id is not None
        claimed = store.claim(worker="w", lease=LEASE, now=at(1))
        store.record_delivery(push("2", req(sha="s2"), at(2)))
    with Store(database_url) as store:
        assert store.job(job_id) == claimed
        assert store.seen_deliveries(["1", "2", "3"]) == {"1", "2"}
        assert store.record_delivery(push("1", req())).duplicate
        assert len(store.recent_jobs()) == 2
    engine = create_engine(normalise_url(database_url))
    with engine.connect() as conn:
        versions = conn.execute(select(schema_version.c.version).order_by("version")).scalars()
        assert versions.all() == list(range(1, SCHEMA_VERSION + 1))  # one row a step applied
    engine.dispose()


def test_the_database_itself_allows_one_pending_and_one_running_job_per_pr(
    store: Store, database_url: str
) -> None:
    store.record_delivery(push("1", req()))
    assert store.claim(worker="w", lease=LEASE, now=at(0)) is not None
    store.record_delivery(push("2", req(), at(1)))
    row = {
        "repo": "octo/repo",
        "pr_number": 1,
        "installation_id": 7,
        "head_sha": "b" * 40,
        "mode": "auto",
        "attempts": 0,
        "run_after": T0,
        "created_at": T0,
        "updated_at": T0,
    }
    engine = create_engine(normalise_url(database_url))
    try:
        for state in ("pending", "running"):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(insert(jobs).values(**row, state=state))
        with engine.begin() as conn:  # other PRs and finished jobs are not limited
            conn.execute(insert(jobs).values(**row, state="done"))
            conn.execute(insert(jobs).values(**{**row, "pr_number": 2}, state="running"))
    finally:
        engine.dispose()


def test_a_lost_race_for_the_pending_slot_is_redone(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two web processes queue the first job of one PR at once: the loser coalesces."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE: this race cannot happen")
    with Store(database_url) as a, Store(database_url) as b:
        raced: list[str] = []

        @event.listens_for(a._engine, "before_cursor_execute")
        def _competitor(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            # `a` has looked for a pending job and found none; `b` queues one right now.
            if statement.startswith("INSERT INTO jobs") and not raced:
                raced.append(b.record_delivery(push("b", req(sha="from-b"))).delivery_id)

        with caplog.at_level(logging.INFO, logger="bot.queue.store"):
            recorded = a.record_delivery(push("a", req(sha="from-a"), at(1)))

        assert raced == ["b"]
        assert "lost a race" in caplog.text  # a's INSERT hit the unique index and was redone
        (job,) = b.recent_jobs()
        assert (recorded.job_id, job.request.head_sha) == (job.id, "from-a")


def test_urls_and_repr(database_url: str) -> None:
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"

    if database_url.startswith("postgresql"):  # trust auth: any password is accepted
        database_url = database_url.replace("://postgres@", "://postgres:s3cret@", 1)
        database_url = database_url.replace("://root@", "://root:s3cret@", 1)
    with Store(database_url) as store:
        text = repr(store)
    assert "s3cret" not in text
    assert text.startswith("Store(") and ("***" in text or "sqlite" in text)


# -- concurrency -------------------------------------------------------------------------------

PRS = 4
FOLLOW_UPS = 12  # pushes each worker makes to the PR it is reviewing
Done = list[tuple[int, int, float, float]]  # (pr, job id, start, end) per job a worker finished


def _work(store: Store, worker: str, seed: int) -> Done:
    """Claim and finish jobs until the queue stays empty.

    While holding a job the worker sometimes pushes to the same PR, so a pending job waits
    behind a running one and the other workers must pass it by. `start`/`end` are taken inside
    the claim..finish window, on the machine-wide monotonic clock (comparable across processes).
    """
    rng = random.Random(seed)
    follow_ups = FOLLOW_UPS
    done: Done = []
    idle = 0
    while idle < 30:
        job = store.claim(worker=worker, lease=LEASE, now=datetime.now(UTC))
        if job is None:
            idle += 1
            time.sleep(0.002)
            continue
        idle = 0
        start = time.monotonic()
        if follow_ups and rng.random() < 0.7:
            follow_ups -= 1
            request = req(pr=job.request.pr_number, sha=f"{worker}-{follow_ups}")
            store.record_delivery(push(f"{worker}-{follow_ups}", request, datetime.now(UTC)))
        time.sleep(rng.uniform(0, 0.004))
        end = time.monotonic()
        store.finish(job.id, worker=worker, outcome="ok", now=datetime.now(UTC))
        done.append((job.request.pr_number, job.id, start, end))
    return done


def _worker_process(url: str, worker: str, seed: int, ready: Any, results: Any) -> None:
    """A worker process of its own: its own Store on the same database."""
    try:
        with Store(url) as store:
            ready.wait(timeout=60)  # both processes start claiming together
            results.put((worker, _work(store, worker, seed)))
    except BaseException:
        results.put((worker, traceback.format_exc()))
        raise


def _assert_each_job_done_once_and_never_two_at_a_time_per_pr(store: Store, done: Done) -> None:
    all_jobs = store.recent_jobs(limit=10_000)
    assert len(all_jobs) > PRS  # follow-ups were queued behind running jobs
    assert {j.state for j in all_jobs} == {JobState.DONE}
    assert all(j.attempts == 1 for j in all_jobs)
    finished = Counter(job_id for _, job_id, _, _ in done)
    assert finished == Counter({j.id: 1 for j in all_jobs})
    by_pr: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for pr, _, start, end in done:
        by_pr[pr].append((start, end))
    for pr, intervals in by_pr.items():
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            assert start >= end, f"two reviews of PR {pr} overlapped"


def _seed(store: Store) -> None:
    store.record_deliveries([push(f"seed-{pr}", req(pr=pr)) for pr in range(PRS)])


def test_threads_share_one_store(database_url: str) -> None:
    with Store(database_url) as store:
        _seed(store)
        ready = threading.Barrier(4)

        def run(n: int) -> Done:
            ready.wait(timeout=10)
            return _work(store, f"t{n}", seed=n)

        with ThreadPoolExecutor(4) as pool:
            runs = list(pool.map(run, range(4)))  # re-raises a worker's exception
        _assert_each_job_done_once_and_never_two_at_a_time_per_pr(
            store, [d for run in runs for d in run]
        )


def test_processes_share_the_queue(database_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Barrier(2), ctx.Queue()
    with Store(database_url) as store:
        _seed(store)
        processes = [
            ctx.Process(target=_worker_process, args=(database_url, f"p{n}", n, ready, results))
            for n in range(2)
        ]
        for process in processes:
            process.start()
        runs = dict(results.get(timeout=120) for _ in processes)
        for process in processes:
            process.join(timeout=30)
        for worker, run in runs.items():
            if isinstance(run, str):
                pytest.fail(f"worker {worker} failed:\n{run}")
        if database_url.startswith("postgresql"):  # SQLite's file lock is not fair to a process
            assert all(runs.values()), "each process finished some jobs"
        done = [d for run in runs.values() for d in run]
        _assert_each_job_done_once_and_never_two_at_a_time_per_pr(store, done)


# -- worker processes: a dead owner's jobs go back to the queue at once ------------------------

REGISTER_AND_EXIT = """
import sys
from datetime import UTC, datetime
from bot.queue.identity import this_process
from bot.queue.store import Store
store = Store(sys.argv[1])
print(store.register_process(this_process(), now=datetime.now(UTC)), flush=True)
"""  # and exit without a word: the pid is gone, and so is the PostgreSQL session


def _process_that_exited(database_url: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", REGISTER_AND_EXIT, database_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(done.stdout)


def _reap(store: Store, me: int | None, when: datetime = T0) -> dict[int, str]:
    return store.reap(me=me, host=this_process().host, now=when, stale_after=timedelta(seconds=20))


def test_the_jobs_of_a_process_that_died_are_pending_again_at_once(
    store: Store, database_url: str
) -> None:
    me = store.register_process(this_process(), now=T0)
    dead = _process_that_exited(database_url)
    store.record_delivery(push("1", req(pr=1)))
    store.record_delivery(push("2", req(pr=2)))
    lost = store.claim(worker="dead:0", lease=LEASE, now=at(1), process=dead)
    kept = store.claim(worker="me:0", lease=LEASE, now=at(1), process=me)
    assert lost is not None and kept is not None

    handed_back = _reap(store, me, at(2))

    assert list(handed_back) == [lost.id]
    again = store.job(lost.id)
    assert again is not None
    assert (again.state, again.run_after, again.attempts) == (JobState.PENDING, at(2), 1)
    assert again.last_error is not None and "worker process" in again.last_error
    assert [p.id for p in store.processes()] == [me]  # the dead one is forgotten
    taken = store.claim(worker="me:1", lease=LEASE, now=at(2), process=me)  # long before the lease
    assert taken is not None and (taken.id, taken.attempts) == (lost.id, 2)
    assert store.job(kept.id) == kept  # a live process keeps its job
    assert _reap(store, me, at(3)) == {}


def test_a_live_process_keeps_its_jobs_and_old_jobs_keep_their_lease(store: Store) -> None:
    me = store.register_process(this_process(), now=T0)
    peer = store.register_process(this_process(), now=T0)  # alive: this very process
    store.record_deliveries([push(f"d{n}", req(pr=n)) for n in range(3)])
    mine = store.claim(worker="peer:0", lease=LEASE, now=at(1), process=peer)
    legacy = store.claim(worker="old-beadle", lease=LEASE, now=at(1))  # no process recorded

    assert _reap(store, me, at(1000)) == {}
    assert {p.id for p in store.processes()} == {me, peer}
    assert mine is not None and legacy is not None
    assert store.job(mine.id) == mine and store.job(legacy.id) == legacy


def test_the_jobs_of_a_process_no_longer_registered_are_handed_back(store: Store) -> None:
    me = store.register_process(this_process(), now=T0)
    gone = store.register_process(this_process(), now=T0)
    store.record_delivery(push("1", req()))
    job = store.claim(worker="gone:0", lease=LEASE, now=at(1), process=gone)
    assert job is not None
    store.unregister_process(gone)  # stopped without releasing its job

    assert list(_reap(store, me, at(2))) == [job.id]
    again = store.job(job.id)
    assert again is not None and again.state == JobState.PENDING


def test_a_reaped_job_folds_into_the_pending_job_of_its_pr(store: Store, database_url: str) -> None:
    me = store.register_process(this_process(), now=T0)
    dead = _process_that_exited(database_url)
    store.record_delivery(push("1", req(sha="s1", mode=Mode.FULL)))
    job = store.claim(worker="dead:0", lease=LEASE, now=at(1), process=dead)
    assert job is not None
    newer_id = store.record_delivery(push("2", req(sha="s2"), at(2))).job_id

    assert list(_reap(store, me, at(3))) == [job.id]
    old, newer = store.job(job.id), store.job(newer_id or 0)
    assert old is not None and newer is not None
    assert (old.state, old.outcome) == (JobState.DONE, f"superseded by job {newer_id}")
    assert (newer.state, newer.request.head_sha, newer.request.mode) == (
        JobState.PENDING,
        "s2",
        Mode.FULL,
    )


def test_a_reaped_worker_cannot_touch_the_job_again(store: Store, database_url: str) -> None:
    """A process judged dead that was merely cut off: its late heartbeat and finish are refused,
    and it learns before posting that the job is no longer its own."""
    me = store.register_process(this_process(), now=T0)
    dead = _process_that_exited(database_url)
    store.record_delivery(push("1", req()))
    job = store.claim(worker="dead:0", lease=LEASE, now=at(1), process=dead)
    assert job is not None and store.holds(job.id, worker="dead:0")
    _reap(store, me, at(2))

    assert not store.holds(job.id, worker="dead:0")
    assert not store.heartbeat(job.id, worker="dead:0", lease=LEASE, now=at(3))
    store.finish(job.id, worker="dead:0", outcome="late", now=at(3))
    again = store.job(job.id)
    assert again is not None and again.state == JobState.PENDING


def test_a_worker_s_own_job_whose_outcome_was_lost_is_handed_back_first(store: Store) -> None:
    me = store.register_process(this_process(), now=T0)
    store.record_deliveries([push("1", req(pr=1)), push("2", req(pr=2), at(1))])
    first = store.claim(worker="me:0", lease=LEASE, now=at(2), process=me)
    assert first is not None
    # ... its finish never reached the database; the same worker asks for its next job:
    again = store.claim(worker="me:0", lease=LEASE, now=at(3), process=me)
    assert again is not None and again.id == first.id
    assert again.last_error is not None and "outcome was never recorded" in again.last_error
    other = store.claim(worker="me:1", lease=LEASE, now=at(3), process=me)
    assert other is not None and other.request.pr_number == 2  # other workers are not affected


def test_a_process_judged_dead_registers_again(store: Store) -> None:
    me = store.register_process(this_process(), now=T0)
    assert store.process_heartbeat(me, now=at(1))
    (row,) = store.processes()
    assert (row.id, row.identity, row.seen_at) == (me, this_process(), at(1))
    store.unregister_process(me)  # what a peer's reap does to a process it judged dead
    assert not store.process_heartbeat(me, now=at(2))


def test_a_finish_that_loses_its_connection_is_retried(
    database_url: str, postgres_admin_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to lose")
    with Store(database_url) as store, _killer(store, postgres_admin_url, times=2) as killed:
        store.record_delivery(push("1", req()))
        job = store.claim(worker="w", lease=LEASE, now=at(1), process=1)
        assert job is not None
        killed.arm("UPDATE jobs")
        with caplog.at_level(logging.WARNING, logger="bot.queue.store"):
            store.finish(job.id, worker="w", outcome="reviewed", now=at(2))

        assert killed.count == 2  # two connections died under the finish
        assert caplog.text.count("lost the database connection") == 2
        done = store.job(job.id)
        assert done is not None and (done.state, done.outcome) == (JobState.DONE, "reviewed")


def test_a_finish_lost_for_good_is_reconciled_at_the_next_claim(
    database_url: str, postgres_admin_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection to lose")
    with Store(database_url, reconnect_within=0.3) as store:
        store.record_delivery(push("1", req()))
        job = store.claim(worker="w", lease=LEASE, now=at(1), process=1)
        assert job is not None
        with _killer(store, postgres_admin_url, times=1000) as killed:
            killed.arm("UPDATE jobs")
            with pytest.raises(OperationalError):
                store.finish(job.id, worker="w", outcome="reviewed", now=at(2))
        stuck = store.job(job.id)
        assert stuck is not None and stuck.state == JobState.RUNNING
        assert store.claim(worker="other", lease=LEASE, now=at(3), process=2) is None

        again = store.claim(worker="w", lease=LEASE, now=at(3), process=1)
        assert again is not None and again.id == job.id  # not two minutes later
        store.finish(job.id, worker="w", outcome="already posted", now=at(4))
        done = store.job(job.id)
        assert done is not None and done.state == JobState.DONE


def test_a_broken_lock_session_is_a_dead_process(
    database_url: str, postgres_admin_url: str
) -> None:
    """PostgreSQL: the server drops the advisory lock with the session, and peers on any host
    take that as the process's death, whatever its heartbeat says."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite processes are judged by pid and heartbeat")
    with Store(database_url) as mine, Store(database_url) as theirs:
        me = mine.register_process(this_process(), now=T0)
        them = theirs.register_process(ProcessIdentity("elsewhere", 1, "x"), now=T0)
        theirs.record_delivery(push("1", req()))
        job = theirs.claim(worker="them:0", lease=LEASE, now=at(1), process=them)
        assert job is not None
        assert _reap(mine, me, at(1)) == {}  # its lock is held: alive on whatever host

        _terminate_lock_session(postgres_admin_url, database_url, them)
        assert list(_reap(mine, me, at(2))) == [job.id]
        assert not theirs.process_heartbeat(them, now=at(3))  # it finds out, and re-registers
        assert theirs.register_process(ProcessIdentity("elsewhere", 1, "x"), now=at(3)) > them


def test_an_old_database_is_migrated(database_url: str) -> None:
    engine = create_engine(normalise_url(database_url))
    try:
        with Store(database_url) as store:
            job_id = store.record_delivery(push("1", req())).job_id
        with engine.begin() as conn:  # back to version 1
            conn.execute(text("ALTER TABLE jobs DROP COLUMN process_id"))
            conn.execute(text("DROP TABLE worker_processes"))
            conn.execute(text("DELETE FROM schema_version WHERE version > 1"))
        with Store(database_url) as store:
            job = store.job(job_id or 0)
            assert job is not None and job.process_id is None
            me = store.register_process(this_process(), now=T0)
            claimed = store.claim(worker="w", lease=LEASE, now=at(1), process=me)
            assert claimed is not None and claimed.process_id == me
        with engine.connect() as conn:
            version = conn.execute(select(func.max(schema_version.c.version))).scalar()
            assert version == SCHEMA_VERSION
    finally:
        engine.dispose()


class _Killer:
    """Terminates the PostgreSQL backend under the store's next statements that start with a
    given text, for real (pg_terminate_backend), up to `times` times."""

    def __init__(self, admin_url: str, times: int) -> None:
        self.admin = psycopg.connect(_libpq(admin_url), autocommit=True)
        self.times, self.count, self.prefix = times, 0, None

    def arm(self, prefix: str) -> None:
        self.prefix = prefix

    def before(self, _conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.prefix and statement.startswith(self.prefix) and self.count < self.times:
            self.count += 1
            pid = cursor.connection.info.backend_pid
            self.admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


@contextlib.contextmanager
def _killer(store: Store, admin_url: str, *, times: int) -> Iterator[_Killer]:
    killer = _Killer(admin_url, times)
    event.listen(store._engine, "before_cursor_execute", killer.before)
    try:
        yield killer
    finally:
        event.remove(store._engine, "before_cursor_execute", killer.before)
        killer.admin.close()


def _terminate_lock_session(admin_url: str, database_url: str, process_id: int) -> None:
    """Terminate the session that holds this process's advisory lock, as a network cut would."""
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory'"
            " AND classid = %s AND objid = %s AND objsubid = 2"
            " AND database = (SELECT oid FROM pg_database WHERE datname = %s)",
            (LOCK_CLASS, process_id, database_url.rsplit("/", 1)[1]),
        ).fetchall()
    assert rows == [(True,)]


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]
