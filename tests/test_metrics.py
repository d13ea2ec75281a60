"""The metrics' names and labels, read back with prometheus_client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_counters_say_what_happened() -> None:
    m = Metrics(job_counts=lambda: {"pending": 2, "done": 5})
    m.delivery("pull_request", "queued")
    m.delivery("pull_request", "queued")
    m.delivery("star", "ignored")
    m.review("posted", 12.5)
    m.model_call(prompt=1000, completion=200, cached=300, cost_usd=0.004)
    m.model_call(prompt=10, completion=1, cached=0, cost_usd=None)  # unknown price: no cost
    m.github_request(200)
    m.github_request(None)
    got = samples(m)
    assert got[("beadle_deliveries_total", (("event", "pull_request"), ("outcome", "queued")))] == 2
    assert got[("beadle_deliveries_total", (("event", "star"), ("outcome", "ignored")))] == 1
    assert got[("beadle_reviews_total", (("result", "posted"),))] == 1
    assert got[("beadle_review_seconds_count", ())] == 1
    assert got[("beadle_review_seconds_sum", ())] == 12.5
    assert got[("beadle_model_tokens_total", (("kind", "prompt"),))] == 1010
    assert got[("beadle_model_tokens_total", (("kind", "cached_prompt"),))] == 300
    assert abs(got[("beadle_model_cost_usd_total", ())] - 0.004) < 1e-12
    assert got[("beadle_github_requests_total", (("status", "200"),))] == 1
    assert got[("beadle_github_requests_total", (("status", "error"),))] == 1
    assert got[("beadle_jobs", (("state", "pending"),))] == 2
    assert got[("beadle_jobs", (("state", "running"),))] == 0


def test_a_database_that_is_down_does_not_fail_the_scrape() -> None:
    def down() -> dict[str, int]:
        raise OSError("connection refused")

    got = samples(Metrics(job_counts=down))
    assert not any(name == "beadle_jobs" for name, _ in got)
