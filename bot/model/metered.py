"""Ask the model for one job within its budget: every request counted, before it is sent.

The job's spend lives in its row (bot/queue/book.py), so the bounds hold across attempts,
workers and processes: a model that hangs past BEADLE_MODEL_TIMEOUT costs at most
BEADLE_MODEL_MAX_REQUESTS requests and about BEADLE_MODEL_MAX_SECONDS (one request may start
just under the bound, so at most one timeout more), and then the job is given up with a note.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Protocol

from bot.errors import Transient
from bot.model.reply import ModelError, ModelReply, ReviewModel
from bot.model.spend import Budget, Spend, exhausted, quick_wait

log = logging.getLogger("beadle.model")


class Meter(Protocol):
    """A job's model spend, kept where every attempt of the job sees it."""

    def spent(self) -> Spend: ...

    def started(self) -> None:
        """One request is about to be sent: counted now, so a crash mid-request counts too."""

    def ended(self, seconds: float, tokens: int) -> None:
        """The request took `seconds` and was answered with `tokens` (0: no answer)."""


class BudgetSpent(ModelError):
    """The job may ask the model no more: it is given up (not retried) with a note."""


def ask(
    model: ReviewModel,
    meter: Meter,
    budget: Budget,
    *,
    system: str,
    prompt: str,
    model_name: str,
    max_tokens: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    jitter: Callable[[], float] = random.random,
) -> ModelReply:
    """One answer, with up to `budget.retries` quick retries of a transient failure, never past
    the job's budget. A transient failure that outlasts them propagates (the queue retries the
    job later), unless the budget is spent by then: that is BudgetSpent."""
    tries, last = 0, None
    while True:
        reason = exhausted(meter.spent(), budget)
        if reason is not None:
            raise _spent(reason, last)
        meter.started()
        began = clock()
        try:
            reply = model.review(
                system=system, prompt=prompt, model=model_name, max_tokens=max_tokens
            )
        except ModelError as exc:
            meter.ended(clock() - began, 0)
            if not isinstance(exc, Transient):
                raise
            last, tries = exc, tries + 1
            wait = quick_wait(tries, exc.retry_after, jitter=jitter())
            if tries > budget.retries or wait is None:
                reason = exhausted(meter.spent(), budget)
                if reason is not None:
                    raise _spent(reason, exc) from None
                raise
            log.warning("model request failed (%s); asking again in %.1fs", exc, wait)
            sleep(wait)
            continue
        meter.ended(clock() - began, reply.prompt_tokens + reply.completion_tokens)
        return reply


def _spent(reason: str, last: ModelError | None) -> BudgetSpent:
    return BudgetSpent(f"{reason}; the last request: {last}" if last is not None else reason)
