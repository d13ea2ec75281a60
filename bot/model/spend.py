"""What a job has spent on the model over all its attempts, and the bounds it must stay in; pure.

Every request counts, retried ones included: Beadle turns the openai SDK's own retries off in
the App and retries itself (bot/model/metered.py), so nothing is asked that is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_QUICK_WAIT = 60.0  # seconds a quick retry may wait (retry-after); longer: the queue waits


@dataclass(frozen=True, slots=True)
class Spend:
    """The model's cost to a job so far: requests sent, seconds waited, tokens answered."""

    requests: int = 0
    seconds: float = 0.0
    tokens: int = 0  # prompt + completion tokens of the requests that were answered


@dataclass(frozen=True, slots=True)
class Budget:
    """BEADLE_MODEL_MAX_REQUESTS, BEADLE_MODEL_MAX_SECONDS and BEADLE_MODEL_RETRIES."""

    max_requests: int = 3  # per job, over every attempt
    max_seconds: float = 900.0  # model time per job, over every attempt
    retries: int = 1  # quick retries of a transient failure within one attempt


def exhausted(spent: Spend, budget: Budget) -> str | None:
    """Why no further request may be sent for this job, or None while one may."""
    if spent.requests >= budget.max_requests:
        were = "was" if spent.requests == 1 else "were"
        return (
            f"{_requests(spent.requests)} {were} sent for this job, the most one job may send "
            f"(BEADLE_MODEL_MAX_REQUESTS={budget.max_requests})"
        )
    if spent.seconds >= budget.max_seconds:
        return (
            f"this job waited {spent.seconds:,.0f} s for the model, the most one job may wait "
            f"(BEADLE_MODEL_MAX_SECONDS={budget.max_seconds:g})"
        )
    return None


def quick_wait(tries: int, retry_after: float | None, *, jitter: float) -> float | None:
    """Seconds before quick retry number `tries` (1, 2, …) within one attempt; None when the
    server asked for a longer wait than a worker should sit through (the queue waits instead).
    `jitter` in [0, 1) spreads retries of many workers apart."""
    if retry_after is not None:
        return retry_after if retry_after <= MAX_QUICK_WAIT else None
    return min(8.0, 0.5 * 2.0 ** (tries - 1)) * (0.75 + jitter / 2)


def describe(spent: Spend) -> str:
    """`3 model requests, 905 s of model time, 12,345 tokens`: what the failure note says."""
    seconds = f"{spent.seconds:,.0f}" if spent.seconds >= 10 else f"{spent.seconds:.1f}"
    tokens = f"{spent.tokens:,} tokens" if spent.tokens else "no tokens (no answer came back)"
    return f"{_requests(spent.requests)}, {seconds} s of model time, {tokens}"


def _requests(n: int) -> str:
    return f"{n} model request{'' if n == 1 else 's'}"
