"""The Reviewer's ledger for one job, kept in the job's row: the model's answer, what the
model has cost over every attempt, and the PR's reviews of the last hour (bot/review/ledger.py).

A write the store refuses because the job is no longer this worker's (a peer took it over)
raises LeaseLost: the new holder goes on, this worker must stop before it asks or posts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.model import kept as kept_answer
from bot.model.kept import KeptAnswer
from bot.model.spend import Spend
from bot.queue.jobs import Job
from bot.queue.store import Store
from bot.review.ledger import Recent
from bot.review.round import LeaseLost

Clock = Callable[[], datetime]
WINDOW = timedelta(hours=1)  # max_reviews_per_hour counts this far back


class JobBook:
    def __init__(self, store: Store, job: Job, *, worker: str, clock: Clock) -> None:
        self._store, self._job, self._worker, self._clock = store, job, worker, clock

    def _row(self) -> Job:
        row = self._store.job(self._job.id)
        if row is None:
            raise LeaseLost(f"job {self._job.id} is gone from the store")
        return row

    def kept(self) -> KeptAnswer | None:
        return kept_answer.load(self._row().answer)

    def keep(self, kept: KeptAnswer) -> None:
        text = kept_answer.dump(kept)
        if not self._store.keep_answer(
            self._job.id, worker=self._worker, answer=text, now=self._clock()
        ):
            raise LeaseLost(
                f"job {self._job.id} was taken over before posting, while the model answered"
            )

    def spent(self) -> Spend:
        return self._row().spent

    def started(self) -> None:
        if not self._store.spend(self._job.id, worker=self._worker, requests=1):
            raise LeaseLost(f"job {self._job.id} was taken over before the model was asked")

    def ended(self, seconds: float, tokens: int) -> None:
        # Not ours any more: the time is lost to the count, and the next write stops us.
        self._store.spend(self._job.id, worker=self._worker, seconds=seconds, tokens=tokens)

    def recent(self) -> Recent:
        r = self._job.request
        posted, noted = self._store.recent_reviews(
            r.repo, r.pr_number, since=self._clock() - WINDOW
        )
        return Recent(posted=posted, noted=noted)
