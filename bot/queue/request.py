"""What the webhook asks the worker to do: a plain value, decided without I/O, stored durably."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    """Why a review was asked for; decides the round and whether a head may be reviewed twice."""

    AUTO = "auto"  # opened / reopened / ready_for_review / synchronize: never the same head twice
    COMMAND = "command"  # `/review`: the next round, even for a head already reviewed
    FULL = "full"  # `/review full`: a fresh round one over base...head

    @property
    def rank(self) -> int:
        """When two requests for one PR coalesce, the stronger mode survives."""
        return {Mode.AUTO: 0, Mode.COMMAND: 1, Mode.FULL: 2}[self]


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    repo: str  # "owner/name"
    pr_number: int
    installation_id: int
    head_sha: str
    mode: Mode = Mode.AUTO
    comment_id: int | None = None  # the `/review` comment, for the 👀 reaction
    requested_by: str | None = None  # login of whoever asked (`/review`) or pushed
    # `/review` from someone whose author_association does not prove write access: the worker
    # asks GitHub for their permission before anything else, and drops the job without one.
    verify_permission: bool = False
