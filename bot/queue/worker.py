"""Workers: claim a job, run the review, heartbeat the lease, retry or give up visibly.

A job's lease is renewed while it runs. If the process dies, its registered peers (or its own
successor) see it gone within seconds and hand the job back (bot/queue/membership.py); the
lease lapsing is the last resort. Transient failures (model 429/5xx/timeouts, GitHub 5xx/rate
limits) are retried with exponential backoff and jitter, up to `max_attempts`; then the job is
dead and a note on the PR says so. A retried job never posts twice: its review carries the job's key.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot import logs
from bot.errors import Transient
from bot.github.client import Installations
from bot.github.errors import GitHubError
from bot.model.client import ModelError
from bot.queue.jobs import Job
from bot.queue.store import Store
from bot.review.comment import failure_note
from bot.review.round import LeaseLost, Reviewer

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger("beadle.worker")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def job_key(job: Job) -> str:
    """Unique across database resets (ids restart; creation times do not repeat)."""
    return f"{job.id}-{int(job.created_at.timestamp())}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base: float = 5.0  # seconds before the second attempt
    cap: float = 600.0

    def delay(self, attempts: int, retry_after: float | None, *, rng: random.Random) -> float:
        backoff = min(self.cap, self.base * 2.0 ** max(attempts - 1, 0)) * rng.uniform(0.5, 1.5)
        return max(backoff, min(retry_after or 0.0, self.cap))


class Worker:
    def __init__(
        self,
        *,
        store: Store,
        reviewer: Reviewer,
        github: Installations,
        name: str,
        policy: RetryPolicy = RetryPolicy(),
        lease: timedelta = timedelta(minutes=2),
        poll: float = 1.0,
        clock: Clock = utcnow,
        process: Callable[[], int | None] = lambda: None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store, self.reviewer, self.github, self.name = store, reviewer, github, name
        self.metrics = metrics  # reviews by result and their duration (bot/metrics.py)
        self.policy, self.lease, self.poll, self.clock = policy, lease, poll, clock
        self.process = process  # the registered worker process (Membership.id), if any
        self.current: Job | None = None
        self._rng = random.Random()

    def run(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        while not stop.is_set():
            try:
                worked = self.run_once(stop)
            except Exception:  # the store is down: wait and try again, never die
                log.exception("worker %s: could not claim a job", self.name)
                worked = False
            if not worked:
                (wake or stop).wait(self.poll)
                if wake is not None:
                    wake.clear()

    def run_once(self, stop: threading.Event | None = None) -> bool:
        """Claim one job and run it; False when there was nothing to claim. Only a failed claim
        raises: a job's own failures end in its row (or, if even that fails, in the log)."""
        job = self.store.claim(
            worker=self.name, lease=self.lease, now=self.clock(), process=self.process()
        )
        if job is None:
            return False
        self.current = job
        done, lost = threading.Event(), threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, done, lost), daemon=True)
        beat.start()
        started, result = time.monotonic(), "error"
        try:
            with logs.context(job_id=job.id):
                result = self._run(job, still_held=lambda: self._still_held(job, lost))
        except Exception:
            log.exception(
                "job %s: could not record its outcome; it stays running, and this worker "
                "takes it up again at its next claim (the review is not posted twice)",
                job.id,
            )
        finally:
            done.set()
            self.current = None
            if self.metrics is not None:
                self.metrics.review(result, time.monotonic() - started)
        return True

    def _still_held(self, job: Job, lost: threading.Event) -> bool:
        """Asked just before posting. The database has the last word: a peer may have judged
        this process dead and handed the job back since the last heartbeat."""
        if lost.is_set():
            return False
        try:
            return self.store.holds(job.id, worker=self.name)
        except Exception:  # the database is away: the lease, renewed until now, still stands
            log.warning("job %s: could not confirm the lease before posting", job.id)
            return True

    def _heartbeat(self, job: Job, done: threading.Event, lost: threading.Event) -> None:
        while not done.wait(self.lease.total_seconds() / 3):
            try:
                if not self.store.heartbeat(
                    job.id, worker=self.name, lease=self.lease, now=self.clock()
                ):
                    log.warning("job %s: lease lost to another worker", job.id)
                    lost.set()
                    return
            except Exception:
                log.exception("job %s: heartbeat failed", job.id)

    def _run(self, job: Job, *, still_held: Callable[[], bool]) -> str:
        """Run the review and record how it ended; returns the result `beadle_reviews_total`
        counts: posted, skipped (done without a review), retry, failed, lost (and error, in
        `run_once`, when even the outcome could not be recorded)."""
        r = job.request
        where = f"{r.repo}#{r.pr_number}"
        try:
            outcome = self.reviewer.run(r, job_key=job_key(job), still_held=still_held)
        except LeaseLost as exc:  # the new holder finishes it; the job row is not ours to touch
            log.warning("job %s %s: %s", job.id, where, exc)
            return "lost"
        except (ModelError, GitHubError) as exc:
            if isinstance(exc, Transient) and job.attempts < self.policy.max_attempts:
                delay = self.policy.delay(job.attempts, exc.retry_after, rng=self._rng)
                log.warning(
                    "job %s %s attempt %s failed (%s); retry in %.0fs",
                    job.id,
                    where,
                    job.attempts,
                    exc,
                    delay,
                )
                self.store.retry_later(
                    job.id,
                    worker=self.name,
                    error=str(exc),
                    run_after=self.clock() + timedelta(seconds=delay),
                    now=self.clock(),
                )
                return "retry"
            self._give_up(job, _reason(exc))
            return "failed"
        except Exception as exc:  # a bug: retrying would repeat it, so say so and stop
            log.exception("job %s %s crashed", job.id, where)
            self._give_up(job, f"Beadle hit an internal error ({type(exc).__name__}).")
            return "failed"
        log.info("job %s %s: %s", job.id, where, outcome.detail)
        self.store.finish(
            job.id,
            worker=self.name,
            outcome=outcome.detail,
            now=self.clock(),
            usage=outcome.usage,
            cost_usd=outcome.cost_usd,
        )
        return "posted" if outcome.posted else "skipped"

    def _give_up(self, job: Job, reason: str) -> None:
        r = job.request
        self.store.bury(job.id, worker=self.name, error=reason, now=self.clock())
        body = failure_note(reason=reason, head_sha=r.head_sha, attempts=job.attempts)
        try:
            self.github.repo(r.installation_id, r.repo).comment(r.pr_number, body)
        except Exception:
            log.exception(
                "job %s: could not post the failure note on %s#%s", job.id, r.repo, r.pr_number
            )


def _reason(exc: ModelError | GitHubError) -> str:
    if isinstance(exc, ModelError):
        return f"The model could not be asked for a review: {exc}."
    return f"GitHub refused a request Beadle needed: {exc}."
