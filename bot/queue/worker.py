"""Workers: claim a job, run the review, heartbeat the lease, retry or give up visibly.

A job's lease is renewed while it runs. If the process dies, its registered peers (or its own
successor) see it gone within seconds and hand the job back (bot/queue/membership.py); the
lease lapsing is the last resort. Transient failures (model 429/5xx/timeouts, GitHub 5xx/rate
limits) are retried with exponential backoff and jitter, up to `max_attempts`; then the job is
dead and a note on the PR says so, with what the model cost it. A job taken over from a dead
process counts the attempt too, and one that comes back after its last is given up at the claim
(a review that kills its process every time). A retried job never posts twice: its review
carries the job's key; and it does not ask the model again: the answer is kept in its row.

A job whose requester's write access was never confirmed (the permission could not be read)
is given up quietly: Beadle posts nothing on behalf of someone it could not check.
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
from bot.model.metered import BudgetSpent
from bot.model.reply import ModelError
from bot.queue.book import JobBook
from bot.queue.jobs import Job
from bot.queue.schema import JobState
from bot.queue.store import Store
from bot.review.comment import failure_note
from bot.review.permission import PermissionUnread
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
            worker=self.name,
            lease=self.lease,
            now=self.clock(),
            process=self.process(),
            max_attempts=self.policy.max_attempts,
        )
        if job is None:
            return False
        if job.state is JobState.DEAD:  # given up at the claim: its attempts all crashed
            self._note_crash_loop(job)
            if self.metrics is not None:
                self.metrics.review("failed", 0.0)
            return True
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
        book = JobBook(self.store, job, worker=self.name, clock=self.clock)
        try:
            outcome = self.reviewer.run(r, job_key=job_key(job), still_held=still_held, ledger=book)
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
            if isinstance(exc, PermissionUnread):
                log.warning(
                    "job %s %s: given up without a note after %s attempts: %s (nothing is "
                    "posted for someone whose write access was never confirmed)",
                    job.id,
                    where,
                    job.attempts,
                    exc,
                )
                self.store.bury(job.id, worker=self.name, error=str(exc), now=self.clock())
                return "failed"
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
            posted=outcome.posted,
            noted=outcome.noted,
        )
        return "posted" if outcome.posted else "skipped"

    def _give_up(self, job: Job, reason: str) -> None:
        self.store.bury(job.id, worker=self.name, error=reason, now=self.clock())
        self._note(job, reason)

    def _note_crash_loop(self, job: Job) -> None:
        r = job.request
        if r.verify_permission:  # perhaps never confirmed: see the module's docstring
            log.warning(
                "job %s %s#%s given up at the claim, without a note", job.id, r.repo, r.pr_number
            )
            return
        self._note(
            job,
            "Each attempt stopped without finishing: the worker process running the review "
            "stopped (it may have run out of memory) or stopped answering, so Beadle will not "
            "take it up again on its own.",
        )

    def _note(self, job: Job, reason: str) -> None:
        """The failure note, with what the model cost the job over all its attempts."""
        r = job.request
        row = self._quietly_read(job)
        body = failure_note(
            reason=reason,
            head_sha=r.head_sha,
            attempts=job.attempts,
            spent=row.spent if row is not None else job.spent,
        )
        try:
            self.github.repo(r.installation_id, r.repo).comment(r.pr_number, body)
        except Exception:
            log.exception(
                "job %s: could not post the failure note on %s#%s", job.id, r.repo, r.pr_number
            )

    def _quietly_read(self, job: Job) -> Job | None:
        try:
            return self.store.job(job.id)
        except Exception:  # the note goes out with what the claim knew
            log.warning("job %s: could not read what it spent", job.id)
            return None


def _reason(exc: ModelError | GitHubError) -> str:
    if isinstance(exc, BudgetSpent):
        return f"The model gave no usable answer within this job's limits: {exc}."
    if isinstance(exc, ModelError):
        return f"The model could not be asked for a review: {exc}."
    return f"GitHub refused a request Beadle needed: {exc}."
