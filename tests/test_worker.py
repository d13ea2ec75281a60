"""Workers, the pool and the process registry against a real database, with a stub reviewer."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from bot.queue.identity import this_process
from bot.queue.jobs import Delivery
from bot.queue.membership import Membership
from bot.queue.pool import WorkerPool
from bot.queue.request import ReviewRequest
from bot.queue.store import JobState, Store
from bot.queue.worker import Worker
from bot.review.round import Outcome
from tests.harness import wait_for

LEASE = timedelta(minutes=2)


class StubReviewer:
    """Takes `seconds` per review and counts them; nothing is posted anywhere."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds, self.runs = seconds, 0

    def run(self, request: ReviewRequest, *, job_key: str, **_: object) -> Outcome:
        self.runs += 1
        time.sleep(self.seconds)
        return Outcome(f"reviewed {request.head_sha}")


class StoreWhoseFinishFails(Store):
    """The database goes away for good just as the outcome is recorded, `failures` times."""

    failures = 1

    def finish(
        self, job_id: int, *, worker: str, outcome: str, now: datetime, **spent: Any
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("UPDATE jobs ...", {}, ConnectionError("server closed"))
        super().finish(job_id, worker=worker, outcome=outcome, now=now, **spent)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store(database_url) as s:
        yield s


def queue_one(store: Store, pr: int = 1) -> int:
    request = ReviewRequest(repo="octo/repo", pr_number=pr, installation_id=7, head_sha="a" * 40)
    now = datetime.now(UTC)
    job_id = store.record_delivery(Delivery(f"d-{pr}", "pull_request", "opened", request, now))
    assert job_id.job_id is not None
    return job_id.job_id


def _state(store: Store, job_id: int) -> JobState | None:
    job = store.job(job_id)
    return None if job is None else job.state


def worker(store: Store, reviewer: StubReviewer, name: str = "w", process: int | None = None):
    return Worker(
        store=store,
        reviewer=reviewer,  # type: ignore[arg-type]
        github=None,  # type: ignore[arg-type]  # only for failure notes, which these never need
        name=name,
        poll=0.02,
        process=lambda: process,
    )


def test_a_review_running_at_shutdown_gets_the_whole_grace(store: Store) -> None:
    """The grace is one deadline for the pool, not divided among its (mostly idle) threads."""
    reviewer = StubReviewer(seconds=1.5)
    pool = WorkerPool(lambda name: worker(store, reviewer, name), size=4, prefix="test")
    job_id = queue_one(store)
    pool.start()
    wait_for(lambda: reviewer.runs, what="the review to start")
    pool.stop(grace=4.0)

    job = store.job(job_id)
    assert job is not None and (job.state, job.outcome) == (JobState.DONE, f"reviewed {'a' * 40}")


def test_a_failed_finish_is_logged_as_such_and_the_job_taken_up_again(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with StoreWhoseFinishFails(database_url) as store:
        process = store.register_process(this_process(), now=datetime.now(UTC))
        reviewer = StubReviewer()
        job_id = queue_one(store)
        stop = threading.Event()
        loop = threading.Thread(target=worker(store, reviewer, process=process).run, args=(stop,))
        with caplog.at_level(logging.INFO, logger="beadle.worker"):
            loop.start()
            try:
                wait_for(lambda: _state(store, job_id) == JobState.DONE, what="the job done")
            finally:
                stop.set()
                loop.join(10)
        job = store.job(job_id)

    assert f"job {job_id}: could not record its outcome" in caplog.text
    assert "could not claim" not in caplog.text
    assert reviewer.runs == 2  # taken up again by the same worker at once, not after the lease
    assert job is not None and job.last_error is not None
    assert "outcome was never recorded" in job.last_error


def test_a_restarted_process_takes_up_its_predecessor_s_job_before_claiming(
    store: Store, database_url: str
) -> None:
    code = (
        "import sys; from datetime import UTC, datetime;"
        "from bot.queue.identity import this_process; from bot.queue.store import Store;"
        "s = Store(sys.argv[1]); print(s.register_process(this_process(), now=datetime.now(UTC)))"
    )
    dead = int(
        subprocess.run(
            [sys.executable, "-c", code, database_url], capture_output=True, text=True, check=True
        ).stdout
    )
    job_id = queue_one(store)
    assert store.claim(worker="dead:0", lease=LEASE, now=datetime.now(UTC), process=dead)
    woken = threading.Event()
    membership = Membership(store, this_process(), every=60, on_reaped=woken.set)

    membership.start()
    try:
        assert woken.is_set()
        job = store.job(job_id)
        assert job is not None and job.state == JobState.PENDING  # claimable now, not in 2 min
        assert [p.id for p in store.processes()] == [membership.id]
    finally:
        membership.stop()
    assert store.processes() == []


def test_a_process_whose_registration_was_reaped_registers_again(store: Store) -> None:
    membership = Membership(store, this_process(), every=0.05)
    membership.start()
    try:
        first = membership.id
        assert first is not None
        store.unregister_process(first)  # as a peer does to a process it judged dead
        wait_for(lambda: membership.id not in (None, first), what="a new registration")
        assert [p.id for p in store.processes()] == [membership.id]
    finally:
        membership.stop()
