"""`beadle jobs` and `beadle redeliver`: what the queue holds, and webhooks GitHub failed to deliver."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.model.prices import format_cost

if TYPE_CHECKING:
    from bot.queue.jobs import Job
    from bot.queue.store import Store
    from bot.runtime import Runtime


def register(sub: Any) -> None:
    jobs = sub.add_parser("jobs", help="list recent review jobs")
    jobs.add_argument("--limit", type=int, default=30)
    jobs.set_defaults(run=_jobs, needs_store=True)  # only DATABASE_URL
    again = sub.add_parser("redeliver", help="redeliver failed deliveries Beadle never recorded")
    again.add_argument("--since", default="24h", type=duration, help="e.g. 30m, 24h, 3d")
    again.set_defaults(run=_redeliver, needs_runtime=True)


def duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise argparse.ArgumentTypeError("use a number and a unit: 30m, 24h, 3d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


def _jobs(store: Store, args: argparse.Namespace) -> int:
    print(
        f"{'id':>6}  {'state':8} {'tries':>5}  {'pull request':32} {'head':12}  "
        f"{'tokens':>8} {'cost':>9}  last error"
    )
    for job in store.recent_jobs(args.limit):
        r = job.request
        error = (job.last_error or "").replace("\n", " ")[:80]
        tokens, cost = _spent(job)
        print(
            f"{job.id:>6}  {job.state.value:8} {job.attempts:>5}  "
            f"{r.repo + '#' + str(r.pr_number):32} {r.head_sha[:12]:12}  "
            f"{tokens:>8} {cost:>9}  {error}"
        )
    return 0


def _spent(job: Job) -> tuple[str, str]:
    """The tokens and estimated cost of the job's review: `-` for a job that asked no model,
    `unknown` for a model no price table knows."""
    if job.usage is None:
        return "-", "-"
    tokens = job.usage.prompt_tokens + job.usage.completion_tokens
    cost = "unknown" if job.cost_usd is None else format_cost(job.cost_usd)
    return str(tokens), cost


def _redeliver(runtime: Runtime, args: argparse.Namespace) -> int:
    from bot.github.errors import GitHubError
    from bot.github.redeliver import redeliver_missed

    try:
        done = redeliver_missed(runtime.github, runtime.store, since=datetime.now(UTC) - args.since)
    except GitHubError as exc:
        print(f"beadle redeliver: {exc}", file=sys.stderr)
        return 1
    for attempt in done:
        print(f"redelivered {attempt.get('guid')} ({attempt.get('event')}.{attempt.get('action')})")
    print(f"{len(done)} deliveries redelivered")
    return 0
