"""What Beadle has done, for Prometheus: `GET /metrics` (docs/design.md §8).

One `Metrics` per process, on a registry of its own (tests build as many as they like). The
adapters count where the work happens: the web endpoint counts deliveries, the worker reviews
and their duration, the model adapter tokens and cost, the GitHub adapter requests by status.
`beadle_jobs{state}` is read from the database when scraped, so every process reports the whole
queue; the counters are each process's own (with `serve --no-worker` plus `worker` processes,
scrape each process: the counters add up across them).
No label holds a repository name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
JOB_STATES = ("pending", "running", "done", "dead")


class _JobsCollector(Collector):
    def __init__(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "beadle_jobs", "Review jobs in the queue, by state", labels=["state"]
        )
        try:
            counts = self._counts()
        except Exception:  # the database is down: report nothing rather than fail the scrape
            return [family]
        for state in sorted({*JOB_STATES, *counts}):
            family.add_metric([state], float(counts.get(state, 0)))
        return [family]


class Metrics:
    def __init__(self, *, job_counts: Callable[[], Mapping[str, int]] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.deliveries = Counter(
            "beadle_deliveries_total",
            "Webhook deliveries answered, by event and outcome",
            ["event", "outcome"],
            registry=r,
        )
        self.reviews = Counter(
            "beadle_reviews_total", "Review jobs finished, by result", ["result"], registry=r
        )
        self.review_seconds = Histogram(
            "beadle_review_seconds",
            "Time from claiming a review job to its end",
            buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.model_tokens = Counter(
            "beadle_model_tokens_total", "Model tokens, by kind", ["kind"], registry=r
        )
        self.model_cost = Counter(
            "beadle_model_cost_usd_total",
            "Estimated model cost in US dollars (models with a known price only)",
            registry=r,
        )
        self.github_requests = Counter(
            "beadle_github_requests_total", "GitHub API requests, by status", ["status"], registry=r
        )
        if job_counts is not None:
            r.register(_JobsCollector(job_counts))

    def delivery(self, event: str, outcome: str) -> None:
        self.deliveries.labels(event=event[:40] or "unknown", outcome=outcome).inc()

    def review(self, result: str, seconds: float) -> None:
        self.reviews.labels(result=result).inc()
        self.review_seconds.observe(seconds)

    def model_call(
        self, *, prompt: int, completion: int, cached: int, cost_usd: float | None
    ) -> None:
        self.model_tokens.labels(kind="prompt").inc(prompt)
        self.model_tokens.labels(kind="completion").inc(completion)
        self.model_tokens.labels(kind="cached_prompt").inc(cached)
        if cost_usd is not None:
            self.model_cost.inc(cost_usd)

    def github_request(self, status: int | None) -> None:
        self.github_requests.labels(status=str(status) if status else "error").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
