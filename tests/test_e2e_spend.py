"""Nothing spent for nothing, end to end through the real app: a retry posts the answer the job
kept instead of asking the model again, a hanging model costs a bounded number of requests and
a bounded time, a pull request is reviewed at most `max_reviews_per_hour` times an hour, a burst
of `/review full` is one review, and a stranger's `/review` during a permission outage says
nothing on the pull request."""

import time

import pytest

from tests.fakes.webhooks import issue_comment_payload, pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver, settings_env, wait_for


@pytest.fixture
def env(github, model, app_key, tmp_path):
    return settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=f"sqlite:///{tmp_path / 'beadle.sqlite3'}",
        BEADLE_MAX_ATTEMPTS="3",
        BEADLE_MODEL_RETRIES="0",
    )


def settled(beadle):
    jobs = beadle.runtime.store.recent_jobs()
    return jobs and all(j.state.value in ("done", "dead") for j in jobs)


def open_pull(github, beadle):
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    return number


def beadle_comments(github, number):
    """What Beadle said on the PR (the fake stores the `/review` comments too)."""
    return [c for c in github.issue_comments(REPO, number) if c["user"]["type"] == "Bot"]


def the_note(github, number):
    """Beadle's one comment on the PR (it follows the job's end by a moment)."""
    [note] = wait_for(lambda: beadle_comments(github, number), what="the note")
    time.sleep(0.5)  # no second one follows
    assert len(beadle_comments(github, number)) == 1
    return note


def test_posting_502_forever_asks_the_model_once_and_the_note_says_what_it_cost(
    github, model, beadle
):
    github.fail_next("POST", r"/pulls/\d+/reviews$", 502, times=1000)
    number = open_pull(github, beadle)
    wait_for(lambda: settled(beadle), timeout=60, what="the job to be given up")

    [job] = beadle.runtime.store.recent_jobs()
    assert job.state.value == "dead" and job.attempts == 3
    assert len(model.requests) == 1  # every later attempt posted the kept answer
    assert job.spent.requests == 1 and job.spent.tokens > 0
    assert job.answer is not None
    note = the_note(github, number)
    assert "could not review" in note["body"] and "502" in note["body"]
    assert "1 model request," in note["body"]
    assert f"{job.spent.tokens:,} tokens" in note["body"]
    assert github.reviews(REPO, number) == []


def test_a_kept_answer_is_posted_by_the_retry_once_github_is_back(github, model, beadle):
    github.fail_next("POST", r"/pulls/\d+/reviews$", 502, times=3)  # one attempt's posts
    number = open_pull(github, beadle)
    wait_for(lambda: settled(beadle), timeout=60, what="the job to settle")

    [job] = beadle.runtime.store.recent_jobs()
    assert (job.state.value, job.attempts) == ("done", 2)
    assert "kept from an earlier attempt" in (job.outcome or "")
    assert len(github.reviews(REPO, number)) == 1 and len(model.requests) == 1
    assert job.usage is not None and job.usage.prompt_tokens > 0  # the kept answer's tokens


@pytest.mark.parametrize(
    ("bounds", "requests"),
    [
        ({"BEADLE_MODEL_MAX_REQUESTS": "3"}, 3),  # the request bound
        ({"BEADLE_MODEL_MAX_REQUESTS": "20", "BEADLE_MODEL_MAX_SECONDS": "1.2"}, None),  # time
    ],
)
def test_a_hanging_model_costs_bounded_requests_and_time_then_a_note(
    github, model, app_key, tmp_path, bounds, requests
):
    model.latency = 3.0  # past the timeout: every request times out
    env = settings_env(
        github,
        model,
        private_key=app_key[0],
        database_url=f"sqlite:///{tmp_path / 'beadle.sqlite3'}",
        BEADLE_MODEL_TIMEOUT="0.4",
        BEADLE_MODEL_RETRIES="1",
        BEADLE_MAX_ATTEMPTS="10",
        **bounds,
    )
    with Beadle(env) as beadle:
        number = open_pull(github, beadle)
        wait_for(lambda: settled(beadle), timeout=60, what="the job to be given up")
        [job] = beadle.runtime.store.recent_jobs()
        note = the_note(github, number)

    assert job.state.value == "dead" and job.attempts < 10  # the budget ended it, not attempts
    assert len(model.requests) == job.spent.requests
    if requests is not None:
        assert job.spent.requests == requests
        assert job.spent.seconds < requests * (0.4 + 0.5)
    else:  # stopped by time: at least the bound, at most one timeout (and some slack) more
        assert 1.2 <= job.spent.seconds < 1.2 + 0.4 + 0.5
        assert job.spent.requests < 20
    assert "could not review" in note["body"]
    assert f"{job.spent.requests} model requests" in note["body"]
    assert "no tokens" in note["body"]
    assert "BEADLE_MODEL_MAX_" in note["body"]


def test_over_max_reviews_per_hour_no_model_call_and_one_note(github, model, beadle, git):
    git.commit({".github/beadle.yml": "max_reviews_per_hour: 1\n"}, "Beadle settings")
    number = open_pull(github, beadle)
    wait_for(lambda: github.reviews(REPO, number), what="review 1")
    for _ in range(3):  # the owner asks again, and again
        comment = issue_comment_payload(
            github, REPO, number, "/review", login="octo", author_association="OWNER"
        )
        deliver(beadle.url, "issue_comment", comment)
        wait_for(lambda: settled(beadle), what="the request to settle")

    assert len(github.reviews(REPO, number)) == 1 and len(model.requests) == 1
    note = the_note(github, number)  # one note in the hour, not one per request
    assert "max_reviews_per_hour: 1" in note["body"]
    outcomes = [j.outcome or "" for j in beadle.runtime.store.recent_jobs()]
    assert sum("max_reviews_per_hour is 1" in o for o in outcomes) == 3


def test_a_burst_of_review_full_is_one_review(github, model, env):
    with Beadle(env, with_workers=False) as web:  # queue the burst before any worker runs
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        comments = []
        for _ in range(5):
            comment = issue_comment_payload(
                github, REPO, number, "/review full", login="octo", author_association="OWNER"
            )
            comments.append(comment["comment"]["id"])
            assert deliver(web.url, "issue_comment", comment).status_code == 202
        assert len(web.runtime.store.recent_jobs()) == 1
    with Beadle(env) as beadle:
        wait_for(lambda: github.reviews(REPO, number), what="the review")
        wait_for(lambda: settled(beadle), what="the job to settle")
    assert len(github.reviews(REPO, number)) == 1 and len(model.requests) == 1
    assert [r["comment_id"] for r in github.reactions] == [comments[-1]]  # 👀 on the newest


def test_a_strangers_review_during_a_permission_outage_posts_nothing(github, model, beadle):
    number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
    github.fail_next("GET", r"/collaborators/[^/]+/permission$", 502, times=1000)
    comment = issue_comment_payload(
        github, REPO, number, "/review", login="mallory", author_association="NONE"
    )
    deliver(beadle.url, "issue_comment", comment)
    wait_for(lambda: settled(beadle), timeout=90, what="the job to be given up")

    time.sleep(1.0)  # a note, were one posted, would follow the job's end by a moment
    [job] = beadle.runtime.store.recent_jobs()
    assert job.state.value == "dead" and job.attempts == 3
    assert "permission of mallory could not be read" in (job.last_error or "")
    assert beadle_comments(github, number) == []  # no failure note on the stranger's behalf
    assert github.reviews(REPO, number) == [] and github.reactions == []
    assert model.requests == []


def test_a_trusted_request_that_fails_keeps_its_note(github, model, beadle):
    model.fail_next(400, times=1)  # refused for good: given up at once
    number = open_pull(github, beadle)
    wait_for(lambda: settled(beadle), what="the job to be given up")
    note = the_note(github, number)
    assert "could not review" in note["body"] and "1 model request," in note["body"]
