"""The durable pipeline through the contract, on SQLite and on PostgreSQL: nothing lost,
nothing duplicated, nothing stuck."""

import pytest

from bot.review.marker import parse_marker
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver, settings_env, wait_for


@pytest.fixture
def env(github, model, app_key, database_url):
    return settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=database_url,
        BEADLE_MODEL_RETRIES="0",
        BEADLE_MAX_ATTEMPTS="3",
    )


def jobs_settled(beadle):
    jobs = beadle.runtime.store.recent_jobs()
    return jobs and all(j.state.value in ("done", "dead") for j in jobs)


def test_the_same_delivery_three_times_gives_one_job_and_one_review(github, model, beadle):
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    payload = pull_request_payload(github, REPO, number, "opened")
    codes = [
        deliver(beadle.url, "pull_request", payload, delivery="same-guid").status_code
        for _ in range(3)
    ]
    assert codes == [202, 200, 200]
    wait_for(lambda: jobs_settled(beadle), what="the job to settle")
    assert len(beadle.runtime.store.recent_jobs()) == 1
    assert len(github.reviews(REPO, number)) == 1 and len(model.requests) == 1


def test_rapid_pushes_review_the_newest_head_and_never_an_older_one_after(
    github, model, beadle, git
):
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    heads = []
    for i in range(5):
        git.commit({f"widgets/w{i}.py": f"W = {i}\n"}, f"Step {i} (bd-a3f8)", branch="feature")
        heads.append(github.sync_pull(REPO, number))
        deliver(
            beadle.url,
            "pull_request",
            pull_request_payload(github, REPO, number, "synchronize" if i else "opened"),
        )
    wait_for(lambda: jobs_settled(beadle) and github.reviews(REPO, number), what="reviews")
    reviewed = [parse_marker(r["body"]).head for r in github.reviews(REPO, number)]
    assert reviewed[-1] == heads[-1]
    order = [heads.index(h) for h in reviewed]
    assert order == sorted(set(order)), f"an older head was reviewed after a newer one: {order}"
    assert len(beadle.runtime.store.recent_jobs()) <= 5


def test_model_429_twice_then_success_gives_one_review(github, model, beadle):
    model.fail_next(429, times=2, retry_after=0)
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(lambda: github.reviews(REPO, number), what="a review")
    wait_for(lambda: jobs_settled(beadle), what="the job to settle")
    assert len(github.reviews(REPO, number)) == 1
    [job] = beadle.runtime.store.recent_jobs()
    assert job.state.value == "done" and job.attempts == 3
    assert github.issue_comments(REPO, number) == []


def test_model_500_forever_ends_in_a_dead_job_and_a_visible_note(github, model, beadle):
    model.fail_next(500, times=100)
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(lambda: jobs_settled(beadle), what="the job to die")
    [job] = beadle.runtime.store.recent_jobs()
    assert job.state.value == "dead" and job.attempts == 3 and "500" in job.last_error
    [note] = wait_for(lambda: github.issue_comments(REPO, number), what="the failure note")
    assert "could not review" in note["body"] and "500" in note["body"]
    assert github.reviews(REPO, number) == []


def test_github_502_on_posting_is_retried_and_posts_once(github, model, beadle):
    github.fail_next("POST", r"/pulls/\d+/reviews$", 502)
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(lambda: jobs_settled(beadle), timeout=30, what="the job to settle")
    assert len(github.reviews(REPO, number)) == 1
    assert len(model.requests) == 1  # the model was not asked again for a posting hiccup


def test_a_store_that_cannot_record_answers_503(github, env):
    with Beadle(env) as beadle:
        beadle.runtime.store.close()
        beadle.runtime.store.record_deliveries = _broken
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        response = deliver(
            beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened")
        )
        assert response.status_code == 503


def _broken(batch):
    raise OSError("disk full")
