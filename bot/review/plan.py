"""Which round a review is, and over which range: pure, from the last marker and the request.

Round one covers base...head. Round N+1 covers the head Beadle last reviewed up to the new head,
and carries the findings still open; after a force push the old head is not in the history, so
the round covers the whole PR again and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.github.client import History
from bot.queue.request import Mode
from bot.review.marker import Marker, TrackedFinding


@dataclass(frozen=True, slots=True)
class RoundPlan:
    round: int
    base: str  # BASE_SHA of the range the model sees
    head: str
    whole_pr: bool  # True: the diff is base...head of the PR (pull diff), else compare base..head
    earlier: tuple[TrackedFinding, ...] = ()
    counters: dict[str, int] = field(default_factory=dict)
    range_note: str | None = None
    previous_head: str | None = None  # the head the previous round reviewed


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def plan_round(
    *,
    mode: Mode,
    previous: Marker | None,
    pr_base: str,
    pr_head: str,
    history: Callable[[str, str], History],
) -> RoundPlan | Skip:
    """`history(old, new)` tells how the branch moved from the head last reviewed to this one."""
    if previous is None or mode is Mode.FULL:
        return RoundPlan(round=1, base=pr_base, head=pr_head, whole_pr=True)

    def next_round(base: str, *, whole_pr: bool, note: str | None = None) -> RoundPlan:
        return RoundPlan(
            round=previous.round + 1,
            base=base,
            head=pr_head,
            whole_pr=whole_pr,
            earlier=previous.findings,
            counters=dict(previous.counters),
            range_note=note,
            previous_head=previous.head,
        )

    if previous.head == pr_head:
        if mode is Mode.AUTO:
            return Skip(f"head {pr_head[:12]} was already reviewed in round {previous.round}")
        return next_round(
            pr_base,
            whole_pr=True,
            note=(
                f"`/review` asked again for {pr_head[:12]}, which round {previous.round} already "
                f"reviewed: the whole pull request is reviewed again."
            ),
        )
    moved = history(previous.head, pr_head)
    if moved == "linear":
        return next_round(previous.head, whole_pr=False)
    if moved == "merged":
        return next_round(
            pr_base,
            whole_pr=True,
            note=(
                f"the base branch was merged into this branch since round {previous.round} "
                f"({previous.head[:12]}), so this round reviews the whole pull request rather than "
                f"the base branch's changes."
            ),
        )
    return next_round(
        pr_base,
        whole_pr=True,
        note=(
            f"the head reviewed in round {previous.round} ({previous.head[:12]}) is no longer in "
            f"this branch's history (force push or rebase), so this round reviews the whole pull "
            f"request again."
        ),
    )
