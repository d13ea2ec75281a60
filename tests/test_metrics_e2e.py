"""`GET /metrics` after real reviews: counters that say what happened, read back with
prometheus_client's own parser; the bearer token; `serve --no-worker` and `beadle worker
--metrics-port`, each process with its own counters."""

from __future__ import annotations

import collections
import signal
import subprocess

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.model.prices import DEFAULT_PRICES, Usage, cost_usd
from tests.fakes.server import free_port
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, Beadle, deliver, serve, spawn, wait_for

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(url: str, **headers: str) -> Samples:
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def reported_usage(model) -> Usage:
    [request] = [r for r in model.requests if r.get("answered")]
    u = request["usage"]
    return Usage(u["prompt_tokens"], u["completion_tokens"], 0)


def by_label(got: Samples, name: str, label: str) -> dict[str, float]:
    return {dict(labels)[label]: value for (n, labels), value in got.items() if n == name}


def test_a_round_one_review_through_beadle_serve_is_counted(github, model, env, git):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = serve({**env, "BEADLE_MODEL": "gpt-4.1"}, port)
    try:
        number = github.open_pull(REPO, title="Validate widget sizes", head="feature")
        answer = deliver(url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
        assert answer.status_code == 202
        wait_for(lambda: github.reviews(REPO, number), what="a review")
        got = wait_for(
            lambda: (s := scrape(url)).get(("beadle_reviews_total", (("result", "posted"),))) and s,
            what="the review counted",
        )
    finally:
        stop(proc)

    assert by_label(got, "beadle_deliveries_total", "outcome") == {"queued": 1}
    assert got[("beadle_deliveries_total", (("event", "pull_request"), ("outcome", "queued")))] == 1
    assert by_label(got, "beadle_reviews_total", "result") == {"posted": 1}
    assert got[("beadle_review_seconds_count", ())] == 1
    assert 0 < got[("beadle_review_seconds_sum", ())] < 60
    usage = reported_usage(model)
    assert by_label(got, "beadle_model_tokens_total", "kind") == {
        "prompt": usage.prompt_tokens,
        "completion": usage.completion_tokens,
        "cached_prompt": 0,
    }
    expected = cost_usd(usage, DEFAULT_PRICES["gpt-4.1"])
    assert expected and got[("beadle_model_cost_usd_total", ())] == pytest.approx(expected)
    statuses = collections.Counter(str(r.status) for r in github.requests)
    assert by_label(got, "beadle_github_requests_total", "status") == statuses
    assert statuses["201"] == 2  # the installation token and the check run (a review is 200)
    assert by_label(got, "beadle_jobs", "state") == {
        "pending": 0,
        "running": 0,
        "done": 1,
        "dead": 0,
    }
    assert not any(REPO in str(labels) for _, labels in got)  # no repository in any label


def test_deliveries_are_counted_by_event_and_outcome_and_strangers_as_unverified(
    github, model, beadle, git
):
    number = github.open_pull(REPO, title="Validate widget sizes", head="feature")
    payload = pull_request_payload(github, REPO, number, "opened")
    first = deliver(beadle.url, "pull_request", payload, delivery="d-1")
    assert first.status_code == 202
    assert deliver(beadle.url, "pull_request", payload, delivery="d-1").status_code == 200
    assert deliver(beadle.url, "ping", {"zen": "Keep it simple."}).status_code == 200
    assert deliver(beadle.url, "star", {"action": "created"}).status_code == 202
    forged = deliver(beadle.url, "made-up-by-a-stranger", payload, secret="wrong")
    assert forged.status_code == 401
    got = scrape(beadle.url)
    counted = {
        (dict(labels)["event"], dict(labels)["outcome"]): value
        for (name, labels), value in got.items()
        if name == "beadle_deliveries_total"
    }
    assert counted == {
        ("pull_request", "queued"): 1,
        ("pull_request", "duplicate"): 1,
        ("ping", "handled"): 1,
        ("star", "ignored"): 1,
        ("unverified", "refused"): 1,
    }


def test_metrics_want_the_bearer_token_when_one_is_set(env):
    with Beadle({**env, "BEADLE_METRICS_TOKEN": "scrape-me-7f3a"}) as app:
        bare = httpx.get(f"{app.url}/metrics", timeout=10)
        assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
        assert "scrape-me" not in bare.text
        wrong = httpx.get(f"{app.url}/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = httpx.get(f"{app.url}/metrics", headers={"Authorization": "scrape-me-7f3a"})
        assert basic.status_code == 401
        got = scrape(app.url, Authorization="Bearer scrape-me-7f3a")
        assert ("beadle_jobs", (("state", "pending"),)) in got


def test_web_and_worker_processes_each_expose_their_own(github, model, env, git):
    web_port, metrics_port = free_port(), free_port()
    web_url, worker_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{metrics_port}"
    web = serve(env, web_port, "--no-worker")
    worker = spawn(
        env, "worker", "--metrics-host", "127.0.0.1", "--metrics-port", str(metrics_port)
    )
    try:
        number = github.open_pull(REPO, title="Validate widget sizes", head="feature")
        deliver(web_url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
        mine = wait_for(
            lambda: _posted(worker_url), timeout=30, what="the worker's /metrics with the review"
        )
        theirs = scrape(web_url)
    finally:
        stop(web)
        stop(worker)
    assert by_label(mine, "beadle_reviews_total", "result") == {"posted": 1}
    assert by_label(mine, "beadle_deliveries_total", "outcome") == {}
    usage = reported_usage(model)
    assert by_label(mine, "beadle_model_tokens_total", "kind")["prompt"] == usage.prompt_tokens
    assert by_label(theirs, "beadle_deliveries_total", "outcome") == {"queued": 1}
    assert by_label(theirs, "beadle_reviews_total", "result") == {}
    # the queue is the database's: both processes report it whole
    assert by_label(theirs, "beadle_jobs", "state")["done"] == 1
    assert by_label(mine, "beadle_jobs", "state")["done"] == 1
    # the two processes' GitHub requests add up to what GitHub saw
    both = collections.Counter(by_label(mine, "beadle_github_requests_total", "status"))
    both.update(by_label(theirs, "beadle_github_requests_total", "status"))
    assert both == collections.Counter(str(r.status) for r in github.requests)


def _posted(url: str) -> Samples | None:
    try:
        got = scrape(url)
    except httpx.HTTPError:
        return None
    return got if got.get(("beadle_reviews_total", (("result", "posted"),))) else None
