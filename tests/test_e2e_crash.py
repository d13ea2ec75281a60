"""kill -9 during a model call, restart on the same database: exactly one review (subprocess)."""

import signal
import time

import pytest

from tests.fakes.model import FakeModel
from tests.fakes.server import free_port
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, serve, settings_env, wait_for


@pytest.fixture
def model():
    with FakeModel(latency=1.5) as fake:
        yield fake


def test_kill_9_during_the_model_call_then_restart_gives_exactly_one_review(
    github, model, app_key, database_url
):
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=database_url,
        BEADLE_LEASE_SECONDS="2",
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    first = serve(env, port)
    try:
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        response = deliver(
            f"http://127.0.0.1:{port}",
            "pull_request",
            pull_request_payload(github, REPO, number, "opened"),
        )
        assert response.status_code == 202
        wait_for(lambda: model.requests, what="the model call to start")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert github.reviews(REPO, number) == []  # it died before posting

    second = serve(env, free_port())
    try:
        wait_for(lambda: github.reviews(REPO, number), timeout=30, what="the review")
        time.sleep(2.5)  # a lease's worth more: nothing else may arrive
        assert len(github.reviews(REPO, number)) == 1
    finally:
        second.terminate()
        second.wait(30)
