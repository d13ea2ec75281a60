"""`max_reviews_per_hour`: a pull request reviewed that often in the last hour is not reviewed
again (no model call); the first refusal in the hour says so on the PR, later ones only in the
job's outcome.

Counted from the store (bot/queue/book.py): the jobs of this PR whose review was posted in the
last hour, whichever Beadle process posted them. A lost database forgets the count, which errs
on the side of reviewing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.github.client import RepoClient
from bot.github.errors import GitHubError
from bot.review.comment import limit_note
from bot.review.ledger import Ledger

log = logging.getLogger("beadle.review")


@dataclass(frozen=True, slots=True)
class HeldBack:
    detail: str  # the job's outcome
    noted: bool  # this job posted the hour's note


def hold_back(
    repo: RepoClient, number: int, *, head: str, ledger: Ledger, limit: int
) -> HeldBack | None:
    """None when the PR may be reviewed now; else what the job ends with."""
    recent = ledger.recent()
    if recent.posted < limit:
        return None
    detail = (
        f"not reviewed: {recent.posted} reviews of this pull request in the last hour, "
        f"max_reviews_per_hour is {limit}"
    )
    if recent.noted:
        return HeldBack(detail, noted=False)
    try:
        repo.comment(number, limit_note(posted=recent.posted, limit=limit, head_sha=head))
    except GitHubError as exc:  # a courtesy: the outcome and the log still say it
        log.warning("the limit note on %s#%s failed: %s", repo.full_name, number, exc)
        return HeldBack(detail, noted=False)
    return HeldBack(detail, noted=True)
