"""kill -9 during a model call, restart on the same database: exactly one review, in seconds.

The lease (two minutes by default) is the last resort. A restarted process sees at once that the
job's owner is gone (same host, its pid no longer runs; on PostgreSQL, its session lock is gone)
and takes the job up again; a worker that only hung keeps its job until the lease runs out, and
when it wakes it does not post.
"""

import signal
import time

import pytest

from bot.queue.store import Store
from tests.fakes.model import FakeModel
from tests.fakes.server import free_port
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, serve, settings_env, spawn, wait_for

RESTARTED_WITHIN = 10.0  # docs/design.md §9: taken up again within 10 s of a restart


@pytest.fixture
def model():
    with FakeModel(latency=1.5) as fake:
        yield fake


def open_and_deliver(github, port: int) -> int:
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    response = deliver(
        f"http://127.0.0.1:{port}",
        "pull_request",
        pull_request_payload(github, REPO, number, "opened"),
    )
    assert response.status_code == 202
    return number


def test_kill_9_during_the_model_call_then_restart_reviews_once_within_seconds(
    github, model, app_key, database_url
):
    env = settings_env(
        github, model, private_key=app_key[0], database_url=database_url, LOG_LEVEL="WARNING"
    )  # the default lease: two minutes
    port = free_port()
    first = serve(env, port)
    try:
        number = open_and_deliver(github, port)
        wait_for(lambda: model.requests, what="the model call to start")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert github.reviews(REPO, number) == []  # it died before posting

    restarted = time.monotonic()
    second = serve(env, free_port())
    try:
        left = RESTARTED_WITHIN - (time.monotonic() - restarted)
        wait_for(lambda: github.reviews(REPO, number), timeout=left, what="the review")
        time.sleep(2.0)  # nothing else may arrive
        assert len(github.reviews(REPO, number)) == 1
        with Store(database_url) as store:
            [job] = store.recent_jobs()
        assert (job.state, job.attempts) == ("done", 2)
        assert job.last_error is not None and f"worker process {first.pid}" in job.last_error
    finally:
        second.terminate()
        second.wait(30)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_hung_worker_loses_its_job_to_the_lease_and_does_not_post_when_it_wakes(
    github, model, app_key, database_url
):
    """SIGSTOP: the process is there (pid, session lock), so only its lease can free the job.

    PostgreSQL only: an SQLite process stopped inside a write would hold the file's lock and
    stop everyone, which is a fact of SQLite and not what this test is about.
    """
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=database_url,
        BEADLE_LEASE_SECONDS="2",
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    hung = serve(env, port)
    other = None
    try:
        number = open_and_deliver(github, port)
        wait_for(lambda: model.requests, what="the model call to start")
        hung.send_signal(signal.SIGSTOP)
        other = spawn(env, "worker")
        wait_for(lambda: github.reviews(REPO, number), timeout=30, what="the other's review")
        hung.send_signal(signal.SIGCONT)
        wait_for(lambda: len(model.requests) >= 2, what="both model calls")
        time.sleep(3.0)  # the woken worker has its answer by now, and must not post it
        assert len(github.reviews(REPO, number)) == 1
    finally:
        hung.send_signal(signal.SIGCONT)
        for proc in (hung, other):
            if proc is not None:
                proc.terminate()
                proc.wait(30)
    assert "was taken over before posting" in hung.stderr.read().decode()
