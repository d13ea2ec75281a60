"""The writes of a review round: the review itself (once, whatever a failed POST did), and the
check run, which is a courtesy that never stops a review."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.errors import Transient
from bot.github.client import RepoClient
from bot.github.errors import GitHubError
from bot.review import check_run
from bot.review.compose import Composed
from bot.review.marker import parse_marker
from bot.review.plan import RoundPlan

log = logging.getLogger("beadle.review")
POST_ATTEMPTS = 3


def post_review(
    repo: RepoClient,
    number: int,
    head: str,
    composed: Composed,
    *,
    job_key: str,
    sleep: Callable[[float], None],
) -> int | None:
    """Post the review once. A failed POST may still have landed, so before trying again look
    for this job's marker. What outlasts POST_ATTEMPTS propagates: the job is retried, and the
    retry posts the answer the job kept (bot/model/kept.py) without asking the model again."""
    comments, failures = composed.comments, 0
    while True:
        try:
            return repo.post_review(number, commit_id=head, body=composed.body, comments=comments)
        except GitHubError as exc:
            if exc.status == 422 and comments:
                # GitHub refused an inline comment after all: every finding is in the
                # body, so post without them rather than not at all (not a failed attempt).
                log.warning("inline comments refused on %s#%s: %s", repo.full_name, number, exc)
                comments = []
                continue
            failures += 1
            if not isinstance(exc, Transient) or failures == POST_ATTEMPTS:
                raise
            log.warning("posting to %s#%s failed (%s); trying again", repo.full_name, number, exc)
            sleep(min(exc.retry_after or failures, 60))
        if any(
            (m := parse_marker(b)) is not None and m.job == job_key
            for b in repo.own_review_bodies(number)
        ):
            return None  # the failed POST had landed after all


def start_check(repo: RepoClient, plan: RoundPlan) -> int | None:
    """A check run is a courtesy: an installation without `checks: write` still gets reviews."""
    try:
        return repo.create_check(check_run.started(plan.head, round_=plan.round))
    except GitHubError as exc:
        log.warning("no check run on %s: %s", repo.full_name, exc)
        return None


def complete_check(repo: RepoClient, check_id: int, payload: dict[str, object]) -> None:
    """Never leave the check "in progress": if GitHub refuses an annotation, complete it
    without them (the review has every finding)."""
    try:
        repo.update_check(check_id, payload)
    except GitHubError as exc:
        if exc.status != 422:
            log.warning("check run update failed: %s", exc)
            return
        output = dict(payload["output"])  # type: ignore[call-overload]
        output.pop("annotations", None)
        quietly(repo.update_check, check_id, {**payload, "output": output})


def quietly(call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except GitHubError as exc:
        log.warning("%s failed: %s", getattr(call, "__name__", "a courtesy call"), exc)
