"""What a review cost: the footer of a posted review (a priced model, an unknown one, BEADLE_PRICES,
a repository's `prices:`), the job's tokens and cost in `beadle jobs`, and the schema step that
keeps them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from bot.model.prices import DEFAULT_PRICES, Price, Usage, cost_usd, format_cost
from bot.queue.jobs import Delivery
from bot.queue.request import ReviewRequest
from bot.queue.schema import JobState
from bot.queue.sql import normalise_url
from bot.queue.store import Store
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver, run_beadle, wait_for

FOOTER = re.compile(
    r"<sub>Beadle · round 1 over .*? · model `(?P<model>[^`]+)` · (?P<prompt>\d+) prompt "
    r".*?\+ (?P<completion>\d+) completion tokens · (?P<cost>[^·]+?) · `/review`"
)
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def reviewed(env: dict[str, str], github, *, config: str | None = None, git=None) -> tuple:
    """One round-one review through the real app; (its footer, the job)."""
    if config is not None:
        git.commit({".github/beadle.yml": config}, "Beadle settings", branch="main")
    with Beadle(env) as app:
        number = github.open_pull(REPO, title="Validate widget sizes", head="feature")
        payload = pull_request_payload(github, REPO, number, "opened")
        assert deliver(app.url, "pull_request", payload).status_code == 202
        [review] = wait_for(lambda: github.reviews(REPO, number), what="a review")
        [job] = wait_for(
            lambda: [j for j in app.runtime.store.recent_jobs() if j.state == JobState.DONE],
            what="the job done",
        )
    footer = FOOTER.search(review["body"])
    assert footer, review["body"][-600:]
    return footer, job


def answered(model) -> Usage:
    [request] = [r for r in model.requests if r.get("answered")]
    return Usage(request["usage"]["prompt_tokens"], request["usage"]["completion_tokens"])


def test_a_priced_model_shows_its_estimated_cost_in_the_footer(env, github, model, git):
    footer, job = reviewed({**env, "BEADLE_MODEL": "gpt-4.1"}, github)
    usage = answered(model)
    dollars = cost_usd(usage, DEFAULT_PRICES["gpt-4.1"])
    assert footer["model"] == "gpt-4.1"
    assert (int(footer["prompt"]), int(footer["completion"])) == (
        usage.prompt_tokens,
        usage.completion_tokens,
    )
    assert footer["cost"] == f"≈ {format_cost(dollars)}" and footer["cost"].startswith("≈ $0.")
    assert job.usage == Usage(usage.prompt_tokens, usage.completion_tokens, 0)
    assert job.cost_usd == dollars


def test_a_model_no_table_knows_says_cost_unknown(env, github, model, git):
    footer, job = reviewed(env, github)  # BEADLE_MODEL=fake-model
    assert footer["model"] == "fake-model" and footer["cost"] == "cost unknown"
    assert job.usage is not None and job.cost_usd is None


def test_beadle_prices_prices_a_model_the_table_lacks(env, github, model, git):
    prices = '{"fake-model": {"input": 1.0, "cached_input": 0.1, "output": 4.0}}'
    footer, job = reviewed({**env, "BEADLE_PRICES": prices}, github)
    dollars = cost_usd(answered(model), Price(input=1.0, cached_input=0.1, output=4.0))
    assert footer["cost"] == f"≈ {format_cost(dollars)}" and job.cost_usd == dollars


def test_a_repository_prices_a_model_beadle_does_not_know(env, github, model, git):
    config = "prices:\n  fake-model: {input: 3.0, output: 12.0}\n"
    footer, _ = reviewed(env, github, config=config, git=git)
    dollars = cost_usd(answered(model), Price(input=3.0, output=12.0))
    assert footer["cost"] == f"≈ {format_cost(dollars)}"


def test_a_repository_cannot_reprice_a_model_the_operator_prices(env, github, model, git):
    config = "prices:\n  gpt-4.1: {input: 0, output: 0}\n"
    footer, job = reviewed({**env, "BEADLE_MODEL": "gpt-4.1"}, github, config=config, git=git)
    assert job.cost_usd == cost_usd(answered(model), DEFAULT_PRICES["gpt-4.1"]) > 0
    assert footer["cost"] == f"≈ {format_cost(job.cost_usd)}"


def test_a_bad_prices_setting_in_the_repository_is_named_on_the_review(env, github, model, git):
    footer, _ = reviewed(env, github, config="prices:\n  m: {input: -1}\n", git=git)
    assert footer["cost"] == "cost unknown"
    [review] = github.reviews(REPO, 1)
    assert "`prices.m.input`" in review["body"] and "`prices.m.output`" in review["body"]


# -- beadle jobs ---------------------------------------------------------------------------------


def _finished(store: Store, number: int, usage: Usage | None, dollars: float | None) -> int:
    request = ReviewRequest(repo=REPO, pr_number=number, installation_id=1, head_sha="a" * 40)
    [recorded] = store.record_deliveries(
        [Delivery(f"d-{number}", "pull_request", "opened", request, T0)]
    )
    job = store.claim(worker="w", lease=timedelta(minutes=2), now=T0 + timedelta(minutes=number))
    assert job is not None and job.id == recorded.job_id
    store.finish(
        job.id,
        worker="w",
        outcome="round 1 posted",
        now=T0 + timedelta(minutes=number, seconds=30),
        usage=usage,
        cost_usd=dollars,
    )
    return job.id


def test_beadle_jobs_prints_each_jobs_tokens_and_cost(env, tmp_path):
    with Store(env["DATABASE_URL"]) as store:
        priced = _finished(store, 1, Usage(10_000, 2_000, 0), 0.036)
        unknown = _finished(store, 2, Usage(500, 100, 0), None)
        none = _finished(store, 3, None, None)
    done = run_beadle("jobs", env={"DATABASE_URL": env["DATABASE_URL"]}, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[-5:] == ["head", "tokens", "cost", "last", "error"]
    by_id = {int(r.split()[0]): r.split() for r in rows}
    assert by_id[priced][5:7] == ["12000", "$0.0360"]
    assert by_id[unknown][5:7] == ["600", "unknown"]
    assert by_id[none][5:7] == ["-", "-"]


def test_a_version_2_database_gains_the_cost_columns(env):
    url = env["DATABASE_URL"]
    with Store(url) as store:
        old = _finished(store, 1, None, None)
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:  # back to version 2
        for column in ("prompt_tokens", "completion_tokens", "cached_tokens", "cost_usd"):
            conn.execute(text(f"ALTER TABLE jobs DROP COLUMN {column}"))
        conn.execute(text("DELETE FROM schema_version WHERE version > 2"))
    engine.dispose()
    with Store(url) as store:
        job = store.job(old)
        assert job is not None and job.usage is None and job.cost_usd is None
        new = _finished(store, 2, Usage(100, 20, 40), 0.5)
        again = store.job(new)
        assert again is not None and again.usage == Usage(100, 20, 40) and again.cost_usd == 0.5
        assert store.job_counts() == {"done": 2}
