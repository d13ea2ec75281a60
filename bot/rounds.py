"""Which round a review is, and over which range: pure, from the last marker and the request.

Round one covers base...head. Round N+1 covers the head Beadle last reviewed up to the new head,
and carries the findings still open; after a force push the old head is not in the history, so
the round covers the whole PR again and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.jobspec import Mode
from bot.marker import Marker, TrackedFinding


@dataclass(frozen=True, slots=True)
class RoundPlan:
    round: int
    base: str  # BASE_SHA of the range the model sees
    head: str
    whole_pr: bool  # True: the diff is base...head of the PR (pull diff), else compare base..head
    earlier: tuple[TrackedFinding, ...] = ()
    counters: dict[str, int] = field(default_factory=dict)
    range_note: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str


def plan_round(*, mode: Mode, previous: Marker | None, pr_base: str, pr_head: str,
               is_ancestor: Callable[[str, str], bool]) -> RoundPlan | Skip:
    if previous is None or mode is Mode.FULL:
        return RoundPlan(round=1, base=pr_base, head=pr_head, whole_pr=True)
    carried = dict(round=previous.round + 1, head=pr_head, earlier=previous.findings,
                   counters=dict(previous.counters))
    if previous.head == pr_head:
        if mode is Mode.AUTO:
            return Skip(f"head {pr_head[:12]} was already reviewed in round {previous.round}")
        return RoundPlan(base=pr_base, whole_pr=True, **carried,  # type: ignore[arg-type]
                         range_note=(f"`/review` asked again for {pr_head[:12]}, which round "
                                     f"{previous.round} already reviewed: the whole pull request "
                                     f"is reviewed again."))
    if is_ancestor(previous.head, pr_head):
        return RoundPlan(base=previous.head, whole_pr=False, **carried)  # type: ignore[arg-type]
    return RoundPlan(base=pr_base, whole_pr=True, **carried,  # type: ignore[arg-type]
                     range_note=(f"the head reviewed in round {previous.round} "
                                 f"({previous.head[:12]}) is no longer in this branch's history "
                                 f"(force push or rebase), so this round reviews the whole pull "
                                 f"request again."))
