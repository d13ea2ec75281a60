"""What a job keeps across its attempts, in the store: the model's answer, what the model cost,
when it posted; a crash loop given up at the claim. Both backends (the `database_url` fixture)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.model.spend import Spend
from bot.queue.identity import this_process
from bot.queue.jobs import Delivery
from bot.queue.request import ReviewRequest
from bot.queue.schema import SCHEMA_VERSION, schema_version
from bot.queue.store import JobState, Store, normalise_url
from bot.queue.worker import RetryPolicy, Worker
from bot.review.round import Outcome
from tests.fakes.memory import MemoryInstallations

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queue(store: Store, delivery: str = "1", pr: int = 1, sha: str = "a" * 40, **kw: object) -> int:
    request = ReviewRequest(
        repo="octo/repo",
        pr_number=pr,
        installation_id=7,
        head_sha=sha,
        **kw,  # type: ignore[arg-type]
    )
    job_id = store.record_delivery(Delivery(delivery, "pull_request", "opened", request, T0)).job_id
    assert job_id is not None
    return job_id


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as s:
        yield s


def _dead_process(database_url: str) -> int:
    """The id of a worker process that registered and then exited."""
    code = (
        "import sys; from datetime import UTC, datetime;"
        "from bot.queue.identity import this_process; from bot.queue.store import Store;"
        "s = Store(sys.argv[1]); print(s.register_process(this_process(), now=datetime.now(UTC)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, database_url], capture_output=True, text=True, check=True
    )
    return int(run.stdout)


def test_spend_adds_up_across_attempts_and_only_for_the_holder(store: Store) -> None:
    job_id = queue(store)
    job = store.claim(worker="w1", lease=LEASE, now=at(1))
    assert job is not None and job.spent == Spend()
    assert store.spend(job_id, worker="w1", requests=1)
    assert store.spend(job_id, worker="w1", seconds=2.5, tokens=1200)
    assert not store.spend(job_id, worker="someone-else", requests=1)
    store.retry_later(job_id, worker="w1", error="502", run_after=at(2), now=at(2))
    assert store.claim(worker="w2", lease=LEASE, now=at(3)) is not None
    assert store.spend(job_id, worker="w2", requests=1, seconds=0.5)

    again = store.job(job_id)
    assert again is not None and again.spent == Spend(2, 3.0, 1200)


def test_the_answer_is_kept_with_the_job_and_goes_along_when_it_is_folded(store: Store) -> None:
    job_id = queue(store)
    assert store.claim(worker="w", lease=LEASE, now=at(1)) is not None
    assert store.keep_answer(job_id, worker="w", answer='{"v": 1}', now=at(2))
    assert not store.keep_answer(job_id, worker="other", answer="{}", now=at(2))
    newer = queue(store, "2", mode="command")  # a `/review` while it runs
    store.retry_later(job_id, worker="w", error="502", run_after=at(3), now=at(3))

    old, pending = store.job(job_id), store.job(newer)
    assert old is not None and old.state is JobState.DONE  # superseded by the newer job
    assert pending is not None and pending.answer == '{"v": 1}'


def test_recent_reviews_count_a_prs_posted_reviews_and_notes_in_the_window(store: Store) -> None:
    for n, when in enumerate((at(0), at(1800), at(3000))):
        job_id = queue(store, f"d{n}")
        assert store.claim(worker="w", lease=LEASE, now=when) is not None
        store.finish(job_id, worker="w", outcome="posted", now=when, posted=True)
    other = queue(store, "other-pr", pr=2)
    assert store.claim(worker="w", lease=LEASE, now=at(3100)) is not None
    store.finish(other, worker="w", outcome="posted", now=at(3100), posted=True)

    assert store.recent_reviews("octo/repo", 1, since=at(3600) - timedelta(hours=1)) == (3, False)
    assert store.recent_reviews("octo/repo", 1, since=at(3700) - timedelta(hours=1)) == (2, False)
    limited = queue(store, "limited")
    assert store.claim(worker="w", lease=LEASE, now=at(3700)) is not None
    store.finish(limited, worker="w", outcome="limit", now=at(3700), noted=True)
    assert store.recent_reviews("octo/repo", 1, since=at(3700) - timedelta(hours=1)) == (2, True)
    assert store.recent_reviews("octo/repo", 1, since=at(7400) - timedelta(hours=1)) == (0, False)


def test_a_crash_loop_is_given_up_at_the_claim_once_it_had_its_attempts(
    store: Store, database_url: str
) -> None:
    """Each attempt kills its process (an out-of-memory, say); each restart takes the job over
    from the dead one, which counts, until the claim gives it up instead of running it again."""
    max_attempts = 3
    job_id = queue(store)
    for n in range(1, max_attempts + 1):
        dead = _dead_process(database_url)
        taken = store.claim(
            worker=f"p{n}:0", lease=LEASE, now=at(n), process=dead, max_attempts=max_attempts
        )
        assert taken is not None and (taken.state, taken.attempts) == (JobState.RUNNING, n)
        me = store.register_process(this_process(), now=at(n))
        assert list(store.reap(me=me, host=this_process().host, now=at(n), stale_after=LEASE))
        store.unregister_process(me)

    given_up = store.claim(worker="p9:0", lease=LEASE, now=at(10), max_attempts=max_attempts)
    assert given_up is not None and given_up.id == job_id
    assert (given_up.state, given_up.attempts) == (JobState.DEAD, max_attempts)
    assert given_up.last_error is not None and "given up at the claim" in given_up.last_error
    assert store.job(job_id) == given_up
    assert store.claim(worker="p9:0", lease=LEASE, now=at(11), max_attempts=max_attempts) is None


def test_a_job_whose_lease_ran_out_each_time_is_given_up_at_the_claim(store: Store) -> None:
    queue(store)
    for n in range(1, 3):
        taken = store.claim(worker=f"w{n}", lease=LEASE, now=at(n * 1000), max_attempts=2)
        assert taken is not None and taken.state is JobState.RUNNING
    given_up = store.claim(worker="w3", lease=LEASE, now=at(3000), max_attempts=2)
    assert given_up is not None and given_up.state is JobState.DEAD
    assert "lease of w2 expired" in (given_up.last_error or "")


class _NeverRuns:
    def run(self, request: ReviewRequest, **_: object) -> Outcome:
        raise AssertionError("a job given up at the claim must not run")


@pytest.mark.parametrize("stranger", [False, True])
def test_the_worker_says_so_on_the_pr_when_the_claim_gives_a_job_up(
    store: Store, stranger: bool
) -> None:
    kw = {"verify_permission": True, "requested_by": "mallory"} if stranger else {}
    queue(store, **kw)
    for n in range(1, 3):  # two attempts whose leases ran out
        assert store.claim(worker=f"w{n}", lease=LEASE, now=datetime.now(UTC) - LEASE * (3 - n))
    github = MemoryInstallations()
    worker = Worker(
        store=store,
        reviewer=_NeverRuns(),  # type: ignore[arg-type]
        github=github,
        name="w3",
        policy=RetryPolicy(max_attempts=2),
    )

    assert worker.run_once()
    [job] = store.recent_jobs()
    assert job.state is JobState.DEAD
    notes = github.repo(7, "octo/repo").notes
    if stranger:  # write access never confirmed here: nothing on their behalf
        assert notes == []
    else:
        [(number, body)] = notes
        assert number == 1 and "stopped without finishing" in body
        assert "after 2 attempts" in body


def test_a_version_3_database_is_migrated_to_keep_answers(database_url: str) -> None:
    engine = create_engine(normalise_url(database_url))
    try:
        with Store(database_url) as store:
            job_id = queue(store)
        with engine.begin() as conn:  # back to version 3
            conn.execute(text("DROP INDEX ix_jobs_pr"))
            for name in ("answer", "model_requests", "model_seconds", "model_tokens"):
                conn.execute(text(f"ALTER TABLE jobs DROP COLUMN {name}"))
            for name in ("posted_at", "limit_noted_at"):
                conn.execute(text(f"ALTER TABLE jobs DROP COLUMN {name}"))
            conn.execute(text("DELETE FROM schema_version WHERE version > 3"))
        with Store(database_url) as store:
            job = store.job(job_id)
            assert job is not None and job.spent == Spend() and job.answer is None
            assert store.claim(worker="w", lease=LEASE, now=at(1)) is not None
            assert store.spend(job_id, worker="w", requests=1)
            assert store.keep_answer(job_id, worker="w", answer="{}", now=at(1))
        with engine.connect() as conn:
            version = conn.execute(select(func.max(schema_version.c.version))).scalar()
            assert version == SCHEMA_VERSION == 4
    finally:
        engine.dispose()
