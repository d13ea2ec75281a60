"""What the webhook asks the worker to do: a plain value, decided without I/O, stored durably."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    # Several such requests folded into one job keep every asker (`askers`).
    verify_permission: bool = False

    def askers(self) -> list[tuple[str, Mode]]:
        """Who asked, with the mode each asked for, strongest first: one login, or the
        `login=mode,…` list `coalesce` writes when people still to be checked asked together."""
        text = self.requested_by or ""
        if "=" not in text:
            return [(text, Mode(self.mode))] if text else []
        pairs = []
        for part in text.split(","):
            login, _, mode = part.partition("=")
            if login and mode in Mode._value2member_map_:
                pairs.append((login, Mode(mode)))
        return sorted(pairs, key=lambda p: -p[1].rank)


MAX_ASKERS = 8  # people kept on one job waiting for their permission check


def with_askers(request: ReviewRequest, askers: list[tuple[str, Mode]]) -> ReviewRequest:
    """`request` carrying `askers` (deduplicated, strongest first, at most MAX_ASKERS, within
    the column's 255 characters); its mode the strongest asked for."""
    seen: dict[str, Mode] = {}
    for login, mode in askers:
        if login not in seen or mode.rank > seen[login].rank:
            seen[login] = mode
    ranked = sorted(seen.items(), key=lambda p: -p[1].rank)[:MAX_ASKERS]
    while len(",".join(f"{login}={mode.value}" for login, mode in ranked)) > 255:
        ranked = ranked[:-1]
    if len(ranked) == 1:
        return replace(request, requested_by=ranked[0][0], mode=ranked[0][1])
    text = ",".join(f"{login}={mode.value}" for login, mode in ranked)
    return replace(request, requested_by=text, mode=ranked[0][1] if ranked else request.mode)
