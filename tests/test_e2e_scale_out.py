"""Several processes on one PostgreSQL: `beadle serve --no-worker` plus two `beadle worker`s.
Also: open, push, push, `/review`, an outsider, through `beadle serve` alone; SIGTERM."""

import signal
import time

import pytest

from bot.queue.store import Store
from bot.review.marker import parse_marker
from tests.fakes.model import FakeModel
from tests.fakes.server import free_port
from tests.fakes.webhooks import issue_comment_payload, pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, serve, settings_env, spawn, wait_for

RECOVERED_WITHIN = 30.0  # docs/design.md §9: taken up again from another machine within 30 s


@pytest.fixture
def model():
    with FakeModel(latency=0.3) as fake:
        yield fake


def stop(*procs):
    """SIGTERM, then a clean exit (uvicorn re-raises the signal after its graceful shutdown)."""
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        assert proc.wait(30) in (0, -signal.SIGTERM), proc.stderr.read().decode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_worker_processes_never_review_one_pr_at_once(
    github, model, app_key, git, database_url
):
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=database_url,
        BEADLE_WORKERS="3",
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    web = serve(env, port, "--no-worker")
    workers = [spawn(env, "worker") for _ in range(2)]
    url = f"http://127.0.0.1:{port}"
    try:
        numbers = []
        for k in range(4):
            git.branch(f"f{k}", "main")
            git.commit({f"w{k}.py": "A = 0\n"}, f"Start {k} (bd-a3f8)", branch=f"f{k}")
            numbers.append(github.open_pull(REPO, title=f"PR {k} (bd-a3f8)", head=f"f{k}"))
            deliver(url, "pull_request", pull_request_payload(github, REPO, numbers[-1], "opened"))
        for step in range(2):
            for k, number in enumerate(numbers):
                git.commit({f"w{k}.py": f"A = {step + 1}\n"}, f"Step {step}", branch=f"f{k}")
                github.sync_pull(REPO, number)
                deliver(
                    url, "pull_request", pull_request_payload(github, REPO, number, "synchronize")
                )
        final = {n: github.pull(REPO, n)["head"]["sha"] for n in numbers}
        wait_for(
            lambda: all(
                any(parse_marker(r["body"]).head == final[n] for r in github.reviews(REPO, n))
                for n in numbers
            ),
            timeout=60,
            what="every PR's newest head reviewed",
        )
    finally:
        stop(web, *workers)
    answered = [r for r in model.requests if r.get("answered")]
    for k, number in enumerate(numbers):
        calls = sorted(
            (r["started"], r["ended"])
            for r in answered
            if f"PR {k} (bd-a3f8)" in r["messages"][-1]["content"]
        )
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(calls, calls[1:])), (
            f"two reviews of PR {k} overlapped"
        )
        rounds = [parse_marker(r["body"]).round for r in github.reviews(REPO, number)]
        assert rounds == list(range(1, len(rounds) + 1))  # no duplicate, no gap
        heads = [parse_marker(r["body"]).head for r in github.reviews(REPO, number)]
        assert len(heads) == len(set(heads))


def test_open_push_push_review_outsider_through_beadle_serve(github, model, app_key, git, tmp_path):
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        LOG_LEVEL="WARNING",
    )
    port = free_port()
    proc = serve(env, port)
    url = f"http://127.0.0.1:{port}"
    try:
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        deliver(url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
        wait_for(lambda: len(github.reviews(REPO, number)) == 1, what="review 1")
        for n, name in ((2, "a"), (3, "b")):
            git.commit({f"widgets/{name}.py": "X = 1\n"}, f"Push {name}", branch="feature")
            github.sync_pull(REPO, number)
            deliver(url, "pull_request", pull_request_payload(github, REPO, number, "synchronize"))
            wait_for(lambda n=n: len(github.reviews(REPO, number)) == n, what=f"review {n}")
        github.set_permission(REPO, "maria", "write")  # MEMBER alone is no longer trusted
        deliver(
            url,
            "issue_comment",
            issue_comment_payload(
                github, REPO, number, "/review", login="maria", author_association="MEMBER"
            ),
        )
        wait_for(lambda: len(github.reviews(REPO, number)) == 4, what="review 4")
        github.set_permission(REPO, "mallory", "none")
        asked = len(model.requests)
        deliver(
            url,
            "issue_comment",
            issue_comment_payload(
                github, REPO, number, "/review", login="mallory", author_association="NONE"
            ),
        )
        wait_for(
            lambda: any(
                r.path.endswith("/collaborators/mallory/permission") for r in github.requests
            ),
            what="the permission check",
        )
        time.sleep(1.0)
    finally:
        stop(proc)
    assert [parse_marker(r["body"]).round for r in github.reviews(REPO, number)] == [1, 2, 3, 4]
    assert len(model.requests) == asked


def test_sigterm_lets_the_running_review_finish(github, app_key, tmp_path):
    with FakeModel(latency=2.0) as slow:
        env = settings_env(
            github,
            slow,
            private_key=app_key[0],
            database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
            LOG_LEVEL="WARNING",
        )
        port = free_port()
        web = serve(env, port, "--no-worker")
        worker = spawn(env, "worker")
        try:
            number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
            deliver(
                f"http://127.0.0.1:{port}",
                "pull_request",
                pull_request_payload(github, REPO, number, "opened"),
            )
            wait_for(lambda: slow.requests, what="the model call")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
        finally:
            stop(web)
        assert len(github.reviews(REPO, number)) == 1  # finished, not abandoned


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_worker_process_killed_on_another_machine_is_replaced_within_seconds(
    github, app_key, database_url
):
    """kill -9 of the `beadle worker` holding a review, with the default lease. Each process
    names another host, so neither can judge the other by pid: only the session lock that
    PostgreSQL drops with the dead process's connection can free the job."""
    with FakeModel(latency=1.5) as slow:
        env = settings_env(
            github, slow, private_key=app_key[0], database_url=database_url, LOG_LEVEL="WARNING"
        )
        port = free_port()
        web = serve(env, port, "--no-worker")
        hosts = ("machine-a", "machine-b")
        workers = {h: spawn({**env, "BEADLE_WORKER_HOST": h}, "worker") for h in hosts}
        try:
            with Store(database_url) as store:
                wait_for(lambda: len(store.processes()) == 2, what="both workers registered")
                number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
                payload = pull_request_payload(github, REPO, number, "opened")
                deliver(f"http://127.0.0.1:{port}", "pull_request", payload)
                wait_for(lambda: slow.requests, what="the model call")
                [job] = store.recent_jobs()
                holder = workers.pop(str(job.worker).split(":", 1)[0])
                holder.send_signal(signal.SIGKILL)
                holder.wait(10)
                killed = time.monotonic()

                left = RECOVERED_WITHIN - (time.monotonic() - killed)
                wait_for(lambda: github.reviews(REPO, number), timeout=left, what="the review")
                time.sleep(2.0)  # nothing else may arrive
                assert len(github.reviews(REPO, number)) == 1
                done = store.job(job.id)
            assert done is not None and (done.state, done.attempts) == ("done", 2)
            assert done.last_error is not None and "lost its database session" in done.last_error
        finally:
            stop(web, *workers.values())
