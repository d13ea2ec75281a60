"""What a review round keeps with its job besides what it posts: the model's answer, what the
model has cost, and the pull request's reviews of the last hour.

The worker hands the Reviewer a ledger backed by the job's row (bot/queue/book.py); `beadle
review` runs without one (one run, nothing kept, no limits). `plan_key` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.model.kept import KeptAnswer
from bot.model.metered import Meter
from bot.review.plan import RoundPlan


@dataclass(frozen=True, slots=True)
class Recent:
    """The pull request's last hour, from the store: reviews posted, and whether Beadle already
    said on the PR that the hour's limit was reached."""

    posted: int
    noted: bool


class Ledger(Meter, Protocol):
    def kept(self) -> KeptAnswer | None:
        """The answer an earlier attempt of this job was given, if any."""

    def keep(self, kept: KeptAnswer) -> None:
        """Keep the model's answer, before posting: a retry posts it instead of asking again."""

    def recent(self) -> Recent: ...


def plan_key(plan: RoundPlan) -> str:
    """The round a kept answer belongs to: another round, range or head is another question.
    Pure."""
    return f"round={plan.round} base={plan.base} head={plan.head} whole={int(plan.whole_pr)}"


def kept_for(ledger: Ledger | None, plan: RoundPlan) -> KeptAnswer | None:
    """The kept answer when it answers this very round; one for another is discarded (the PR
    moved on) and overwritten once the model answers again."""
    kept = ledger.kept() if ledger is not None else None
    return kept if kept is not None and kept.key == plan_key(plan) else None
