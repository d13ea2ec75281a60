"""One review round, start to finish: the worker calls `Reviewer.run(request, job_key=…)`.

The shell around the functional core: it reads from the repository client, calls the pure steps
(`plan_round`, `build_prompt`, `compose_review` in bot/review/compose.py) and writes one review
and a check run. Failures propagate as GitHubError / ModelError; the worker decides between a
retry and a visible note.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.beads.sources import BeadsSources
from bot.github.client import Installations, PullInfo, RepoClient
from bot.github.errors import GitHubError
from bot.model import metered
from bot.model.kept import KeptAnswer
from bot.model.prices import Price, Usage
from bot.model.reply import ModelReply, ReviewModel
from bot.model.spend import Budget
from bot.queue.request import Mode, ReviewRequest
from bot.review import check_run
from bot.review.comment import no_room_note
from bot.review.compose import (
    MIN_CONTEXT_ROOM,
    Built,
    Composed,
    Limits,
    NothingToReview,
    add_context,
    build_prompt,
    completed_check,
    compose_review,
)
from bot.review.config_cache import TtlCache
from bot.review.context import context_items, source_paths
from bot.review.evidence import collect_evidence
from bot.review.gather import Gathered, gather
from bot.review.ledger import Ledger, kept_for, plan_key
from bot.review.marker import latest_marker, parse_marker
from bot.review.pace import hold_back
from bot.review.permission import WRITE_PERMISSIONS, permitted
from bot.review.plan import RoundPlan, Skip, plan_round
from bot.review.posting import complete_check, post_review, quietly, start_check
from bot.review.repo_config import PATH as CONFIG_PATH
from bot.review.repo_config import LoadedConfig, parse_config
from bot.review.sources import HeadFiles
from bot.review.threads import finish_recorded, fixed_in, follow_up

log = logging.getLogger("beadle.review")
__all__ = ["WRITE_PERMISSIONS", "LeaseLost", "Outcome", "ReviewConfig", "Reviewer", "RoundRecord"]
CONFIG_TTL = 60.0  # seconds a repository's .github/beadle.yml is reused
PERMISSION_TTL = 60.0  # seconds a person's permission on a repository is believed


class LeaseLost(Exception):
    """Another worker took this job over (our heartbeats failed); it will post, we must not."""


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    model: str
    context_tokens: int
    answer_tokens: int
    cache_dir: Path | None = None  # BEADLE_CACHE_DIR: the beads Dolt blobs (None: no disk cache)
    prices: Mapping[str, Price] = field(default_factory=dict)  # BEADLE_PRICES, for the cost
    budget: Budget = field(default_factory=Budget)  # what one job may spend on the model


@dataclass(frozen=True, slots=True)
class Outcome:
    detail: str  # what happened, for the job's log line and `beadle jobs`
    posted: bool = False  # a review was posted by this attempt
    usage: Usage | None = None  # its model call's tokens
    cost_usd: float | None = None  # their estimated cost (None: no price known)
    noted: bool = False  # said on the PR that max_reviews_per_hour was reached


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """What a round has, handed to an observer: once the prompt is built (reply and composed
    None; also when nothing was left to review), and again when the review is composed, before
    it is posted. `beadle review` prints it, and stops a dry run at the first."""

    pr: PullInfo
    plan: RoundPlan
    loaded: LoadedConfig
    gathered: Gathered
    built: Built | NothingToReview
    reply: ModelReply | None = None
    composed: Composed | None = None


class Gatherer(Protocol):
    """bot/review/gather.py's `gather`, or one that also reads the issue elsewhere (`bd`)."""

    def __call__(
        self, repo: RepoClient, pr: PullInfo, plan: RoundPlan, *, documents: bool
    ) -> Gathered: ...


class Reviewer:
    def __init__(
        self,
        *,
        github: Installations,
        model: ReviewModel,
        config: ReviewConfig,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        gatherer: Gatherer | None = None,
        observe: Callable[[RoundRecord], None] = lambda record: None,
    ) -> None:
        self._github, self._model, self._config = github, model, config
        self._sleep = sleep
        self._gather, self._observe = gatherer, observe
        # the beads sources of every repository this process reviews, and their caches
        self._beads = BeadsSources(errors=(GitHubError,), cache_dir=config.cache_dir)
        self._repo_configs: TtlCache[LoadedConfig] = TtlCache(ttl=CONFIG_TTL, clock=clock)
        self._permissions: TtlCache[str] = TtlCache(ttl=PERMISSION_TTL, size=4096, clock=clock)

    def run(
        self,
        request: ReviewRequest,
        *,
        job_key: str,
        still_held: Callable[[], bool] = lambda: True,
        ledger: Ledger | None = None,
    ) -> Outcome:
        """One round for `request`. With a `ledger` (the worker's: the job's row) the model's
        answer is kept before posting and a retry posts it without asking again, the model's
        requests and time stay within `config.budget`, and `max_reviews_per_hour` holds."""
        repo = self._github.repo(request.installation_id, request.repo)
        allowed = permitted(repo, request, self._permissions)
        if isinstance(allowed, str):
            return Outcome(allowed)
        request = allowed
        if request.comment_id is not None:  # a courtesy: a deleted comment must not stop the review
            quietly(repo.react, request.comment_id, "eyes")
        pr = repo.pull(request.pr_number)
        if pr.state != "open":
            return Outcome("pull request is not open")
        loaded = self._repo_configs.get(
            (repo.full_name, pr.default_branch),
            lambda: parse_config(repo.file_text(CONFIG_PATH, pr.default_branch)),
        )
        if request.mode is Mode.AUTO and not loaded.config.auto_review:
            return Outcome(f"automatic reviews are off in {CONFIG_PATH}")
        if request.mode is Mode.AUTO and pr.draft and not loaded.config.drafts:
            return Outcome("draft pull request skipped")
        bodies = repo.own_review_bodies(pr.number)
        posted = [b for b in bodies if (m := parse_marker(b)) is not None and m.job == job_key]
        if posted:
            finish_recorded(repo, pr.number, posted[-1])  # replies a crash may have cut short
            return Outcome("already posted by an earlier attempt of this job")
        plan = plan_round(
            mode=request.mode,
            previous=latest_marker(bodies),
            pr_base=pr.base_sha,
            pr_head=pr.head_sha,
            history=repo.history,
        )
        if isinstance(plan, Skip):
            return Outcome(plan.reason)
        kept = kept_for(ledger, plan)
        if kept is None and ledger is not None:  # an answer already paid for is always posted
            limit = loaded.config.max_reviews_per_hour
            held = hold_back(repo, pr.number, head=plan.head, ledger=ledger, limit=limit)
            if held is not None:
                return Outcome(held.detail, noted=held.noted)
        check_id = start_check(repo, plan)
        try:
            return self._review(
                repo,
                pr,
                plan,
                loaded,
                job_key=job_key,
                check_id=check_id,
                still_held=still_held,
                ledger=ledger,
                kept=kept,
            )
        except Exception as exc:
            if check_id is not None:
                quietly(
                    repo.update_check,
                    check_id,
                    check_run.failed(
                        f"This attempt failed ({exc}). Beadle retries transient failures and "
                        f"leaves a note on the pull request if it gives up."
                    ),
                )
            raise

    def _review(
        self,
        repo: RepoClient,
        pr: PullInfo,
        plan: RoundPlan,
        loaded: LoadedConfig,
        *,
        job_key: str,
        check_id: int | None,
        still_held: Callable[[], bool],
        ledger: Ledger | None,
        kept: KeptAnswer | None,
    ) -> Outcome:
        """Gather, build the prompt, ask the model (or take the answer this job kept for this
        round: the diff and the issue are read again, which composing needs to place each
        finding, but the model is not asked), compose, post."""
        cfg = self._config
        got = self._gathered(repo, pr, plan, loaded)
        files = HeadFiles(repo, plan.head)  # each file read at most once this round
        evidence = collect_evidence(repo, plan, files)
        limits = Limits(cfg.context_tokens, cfg.answer_tokens)
        built = build_prompt(plan, pr, got, loaded, limits, evidence=evidence)
        if isinstance(built, NothingToReview):
            self._observe(RoundRecord(pr, plan, loaded, got, built))
            if check_id is not None:
                payload = check_run.nothing_to_review(built.check_summary())
                quietly(repo.update_check, check_id, payload)
            if built.over_budget:  # not a change with nothing to review: say it on the PR
                repo.comment(pr.number, no_room_note(plan.head, built.packed.omitted, built.cuts))
                return Outcome("not reviewed: the diff found no room in the model's window")
            return Outcome(f"nothing to review ({len(built.packed.omitted)} files left out)")
        if kept is None:
            built = _with_context(built, files)  # context shapes the question, not the packing
        self._observe(RoundRecord(pr, plan, loaded, got, built))  # the prompt, before the model
        reply = kept.reply if kept is not None else self._ask(built, loaded, plan, ledger)
        composed = compose_review(
            plan, pr, got, loaded, built, reply, job_key=job_key, prices=cfg.prices
        )
        self._observe(RoundRecord(pr, plan, loaded, got, built, reply, composed))
        if not still_held():
            raise LeaseLost(f"job {job_key} was taken over before posting")
        review_id = post_review(
            repo, pr.number, plan.head, composed, job_key=job_key, sleep=self._sleep
        )
        if check_id is not None:
            complete_check(repo, check_id, completed_check(composed, plan, pr, loaded, review_id))
        follow_up(repo, pr.number, fixed_in(composed.checked.earlier), head=plan.head)
        return Outcome(
            f"round {plan.round} posted for {plan.head[:12]}"
            + (" (the answer kept from an earlier attempt)" if kept is not None else ""),
            posted=True,
            usage=composed.usage,
            cost_usd=composed.cost_usd,
        )

    def _ask(
        self, built: Built, loaded: LoadedConfig, plan: RoundPlan, ledger: Ledger | None
    ) -> ModelReply:
        """The model's answer: asked once without a ledger; with one, within the job's budget,
        and kept in the job's row before anything is posted."""
        cfg = self._config
        model = loaded.config.model or cfg.model
        system, prompt = built.prompt.system, built.prompt.user
        if ledger is None:
            return self._model.review(
                system=system, prompt=prompt, model=model, max_tokens=cfg.answer_tokens
            )
        reply = metered.ask(
            self._model,
            ledger,
            cfg.budget,
            system=system,
            prompt=prompt,
            model_name=model,
            max_tokens=cfg.answer_tokens,
            sleep=self._sleep,
        )
        ledger.keep(KeptAnswer(plan_key(plan), reply))
        return reply

    def _gathered(
        self, repo: RepoClient, pr: PullInfo, plan: RoundPlan, loaded: LoadedConfig
    ) -> Gathered:
        """The round's diff and issue: through the gatherer given (the command line's), or
        `gather` with this repository's `beads:` setting and the process's beads caches."""
        if self._gather is not None:
            return self._gather(repo, pr, plan, documents=plan.round == 1)
        return gather(
            repo,
            pr,
            plan,
            documents=plan.round == 1,
            beads=loaded.config.beads.settings(),
            sources=self._beads,
        )


def _with_context(built: Built, files: HeadFiles) -> Built:
    """Context beyond the diff, read only for the files the prompt holds and only when the
    diff left room for it."""
    paths = source_paths(built.packed)
    if not paths:
        return built
    if built.context_room < MIN_CONTEXT_ROOM:
        return add_context(built, None)
    return add_context(built, context_items(built.packed.files, files.read_many(paths)))
