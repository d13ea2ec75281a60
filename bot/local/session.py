"""One command-line review round: the App's pure steps around a repository that is only read.

    plan_round → gather (+ the issue from bd or a file) → build_prompt → [model] → compose_review

The same steps as bot/review/round.py's `Reviewer`, minus everything that writes (check run,
review, reactions): a printed review and a dry run post nothing. `beadle review --post` runs
the App's own `Reviewer` instead (bot/local/pull.py), with the same finder, so both print the
same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from bot.github.client import History, PullInfo, RepoClient
from bot.model.client import ModelReply, ReviewModel
from bot.queue.request import Mode
from bot.review.compose import (
    Built,
    Composed,
    Limits,
    NothingToReview,
    build_prompt,
    compose_review,
)
from bot.review.gather import Gathered
from bot.review.marker import Marker
from bot.review.plan import RoundPlan, Skip, plan_round
from bot.review.repo_config import PATH as CONFIG_PATH
from bot.review.repo_config import LoadedConfig, parse_config


class Gatherer(Protocol):
    """bot/review/gather.py's `gather`, or bot/local/issue.py's `IssueFinder.gather`."""

    def __call__(
        self, repo: RepoClient, pr: PullInfo, plan: RoundPlan, *, documents: bool
    ) -> Gathered: ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything up to the prompt: what a dry run shows, and what the model is asked."""

    pr: PullInfo
    plan: RoundPlan
    loaded: LoadedConfig
    gathered: Gathered
    built: Built | NothingToReview
    model: str  # the model the prompt is for (.github/beadle.yml may name another)


@dataclass(frozen=True, slots=True)
class Reviewed:
    prepared: Prepared
    built: Built
    reply: ModelReply
    composed: Composed


def prepare(
    repo: RepoClient,
    pr: PullInfo,
    *,
    previous: Marker | None,
    mode: Mode,
    limits: Limits,
    model: str,
    gatherer: Gatherer,
    local: bool = False,
) -> Prepared | Skip:
    loaded = parse_config(repo.file_text(CONFIG_PATH, pr.default_branch))
    moved: list[History] = []

    def history(old: str, new: str) -> History:
        moved.append(repo.history(old, new))
        return moved[-1]

    plan = plan_round(
        mode=mode, previous=previous, pr_base=pr.base_sha, pr_head=pr.head_sha, history=history
    )
    if isinstance(plan, Skip):
        return plan
    if local and previous is not None and plan.range_note:
        plan = replace(plan, range_note=local_range_note(plan, previous, moved))
    got = gatherer(repo, pr, plan, documents=plan.round == 1)
    built = build_prompt(plan, pr, got, loaded, limits)
    return Prepared(pr, plan, loaded, got, built, loaded.config.model or model)


def review(prepared: Prepared, model: ReviewModel, *, answer_tokens: int, job_key: str) -> Reviewed:
    """Ask the model and compose the review; `prepared.built` must be a Built."""
    built = prepared.built
    assert isinstance(built, Built), "nothing to review: no model call"
    reply = model.review(
        system=built.prompt.system,
        prompt=built.prompt.user,
        model=prepared.model,
        max_tokens=answer_tokens,
    )
    p = prepared
    composed = compose_review(p.plan, p.pr, p.gathered, p.loaded, built, reply, job_key=job_key)
    return Reviewed(prepared, built, reply, composed)


def local_range_note(plan: RoundPlan, previous: Marker, moved: list[History]) -> str:
    """Why a follow-up round of a local range covers the whole range, in a checkout's words
    (the App's speak of pull requests and `/review`); pure."""
    was = f"round {previous.round} ({previous.head[:12]})"
    if previous.head == plan.head:
        return f"HEAD {plan.head[:12]} was already reviewed in {was}: the whole range is reviewed again."
    if moved and moved[-1] == "merged":
        return (
            f"a merge came into this branch since {was}, so this round reviews the whole range "
            f"rather than what the merge brought in."
        )
    return (
        f"the head reviewed in {was} is no longer in this branch's history (rebase or amend), "
        f"so this round reviews the whole range again."
    )
