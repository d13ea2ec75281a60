"""One review round, start to finish: the worker calls `Reviewer.run(request, job_key=…)`.

The shell around the functional core: it reads from GitHub, calls the pure steps (plan the
round, budget, render, check findings, format) and writes one review and a check run. Failures
propagate as GitHubError / ModelError; the worker decides between a retry and a visible note.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.github.repo import GitHubError, PullInfo, RepoClient
from bot.model.client import ReviewModel
from bot.queue.request import Mode, ReviewRequest
from bot.review import check_run
from bot.review.budget import estimate_tokens, pack
from bot.review.comment import ReviewView, inline_comments, review_body
from bot.review.findings import check
from bot.review.gather import gather
from bot.review.marker import latest_marker, parse_marker
from bot.review.plan import RoundPlan, Skip, plan_round
from bot.review.prompt import PromptInput, render_prompt
from bot.review.repo_config import PATH as CONFIG_PATH
from bot.review.repo_config import LoadedConfig, parse_config

log = logging.getLogger("beadle.review")
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})
POST_ATTEMPTS = 3
CONFIG_TTL = 60.0  # seconds a repository's .github/beadle.yml is reused


class LeaseLost(Exception):
    """Another worker took this job over (our heartbeats failed); it will post, we must not."""


class Repos(Protocol):
    def repo(self, installation_id: int, full_name: str) -> RepoClient: ...


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    model: str
    context_tokens: int
    answer_tokens: int


@dataclass(frozen=True, slots=True)
class Outcome:
    posted: bool
    detail: str
    prompt_chars: int = 0


class Reviewer:
    def __init__(
        self,
        *,
        github: Repos,
        model: ReviewModel,
        config: ReviewConfig,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._github, self._model, self._config = github, model, config
        self._sleep, self._clock = sleep, clock
        self._repo_configs: dict[tuple[str, str], tuple[float, LoadedConfig]] = {}
        self._config_locks: dict[tuple[str, str], threading.Lock] = {}
        self._config_locks_lock = threading.Lock()

    def run(
        self, request: ReviewRequest, *, job_key: str, still_held: Callable[[], bool] = lambda: True
    ) -> Outcome:
        repo = self._github.repo(request.installation_id, request.repo)
        if request.verify_permission and request.requested_by:
            permission = repo.permission(request.requested_by)
            if permission not in WRITE_PERMISSIONS:
                return Outcome(
                    False, f"/review by {request.requested_by} refused (permission {permission!r})"
                )
        if request.comment_id is not None:  # a courtesy: a deleted comment must not stop the review
            _quietly(repo.react, request.comment_id, "eyes")
        pr = repo.pull(request.pr_number)
        if pr.state != "open":
            return Outcome(False, "pull request is not open")
        loaded = self._repo_config(repo, pr.default_branch)
        if request.mode is Mode.AUTO and not loaded.config.auto_review:
            return Outcome(False, f"automatic reviews are off in {CONFIG_PATH}")
        if request.mode is Mode.AUTO and pr.draft and not loaded.config.drafts:
            return Outcome(False, "draft pull request skipped")
        bodies = repo.own_review_bodies(pr.number)
        if any((m := parse_marker(b)) is not None and m.job == job_key for b in bodies):
            return Outcome(False, "already posted by an earlier attempt of this job")
        plan = plan_round(
            mode=request.mode,
            previous=latest_marker(bodies),
            pr_base=pr.base_sha,
            pr_head=pr.head_sha,
            history=repo.history,
        )
        if isinstance(plan, Skip):
            return Outcome(False, plan.reason)
        check_id = self._start_check(repo, plan)
        try:
            return self._review(
                repo, pr, plan, loaded, job_key=job_key, check_id=check_id, still_held=still_held
            )
        except Exception as exc:
            if check_id is not None:
                _quietly(
                    repo.update_check,
                    check_id,
                    check_run.failed(
                        f"This attempt failed ({exc}). Beadle retries transient failures and leaves "
                        f"a note on the pull request if it gives up."
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
    ) -> Outcome:
        cfg, repo_cfg = self._config, loaded.config
        got = gather(repo, pr, plan, documents=plan.round == 1)
        base_input = PromptInput(
            round=plan.round,
            pr_title=pr.title,
            pr_body=pr.body,
            base_sha=plan.base,
            head_sha=plan.head,
            diff="",
            issue=got.issue,
            issue_note=got.issue_note,
            range_note=plan.range_note,
            documents=got.documents,
            earlier=plan.earlier,
            extra_instructions=repo_cfg.instructions,
            previous_head=plan.previous_head,
        )
        frame = render_prompt(base_input)
        context = repo_cfg.context_tokens or cfg.context_tokens
        room = context - cfg.answer_tokens - estimate_tokens(frame.system + frame.user)
        packed = pack(got.files, budget_tokens=max(room - room // 20, 0), ignore=repo_cfg.ignore)
        if not packed.files:  # a lockfile-only PR, an empty range: nothing for the model
            if check_id is not None:
                _quietly(
                    repo.update_check,
                    check_id,
                    check_run.nothing_to_review([f"{o.path}: {o.reason}" for o in packed.omitted]),
                )
            return Outcome(False, f"nothing to review ({len(packed.omitted)} files left out)")
        prompt = render_prompt(replace(base_input, diff=packed.text, omitted=packed.omitted))
        reply = self._model.review(
            system=prompt.system,
            prompt=prompt.user,
            model=repo_cfg.model or cfg.model,
            max_tokens=cfg.answer_tokens,
        )
        checked = check(reply.answer, packed.files, earlier=plan.earlier, counters=plan.counters)
        notes = [n for n in (got.issue_note if got.issue is None else None, loaded.problem) if n]
        notes += got.notes
        if plan.range_note:
            notes.append(plan.range_note[0].upper() + plan.range_note[1:])
        view = ReviewView(
            round=plan.round,
            base_sha=plan.base,
            head_sha=plan.head,
            blob_url=f"{pr.repo_html_url}/blob/{plan.head}",
            issue_id=got.issue.id if got.issue else None,
            issue_title=got.issue.title if got.issue else None,
            answer=reply.answer,
            checked=checked,
            model=reply.model,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            omitted=packed.omitted,
            truncated=packed.truncated,
            notes=notes,
            job_key=job_key,
        )
        if not still_held():
            raise LeaseLost(f"job {job_key} was taken over before posting")
        review_id = self._post(
            repo,
            pr.number,
            commit_id=plan.head,
            body=review_body(view),
            comments=inline_comments(checked),
            job_key=job_key,
        )
        if check_id is not None:
            _complete_check(
                repo,
                check_id,
                check_run.completed(
                    checked,
                    reply.answer.assessment.ready_to_merge,
                    round_=plan.round,
                    review_url=f"{pr.html_url}#pullrequestreview-{review_id}" if review_id else "",
                    critical_fails=repo_cfg.critical_fails_check,
                ),
            )
        return Outcome(
            True, f"round {plan.round} posted for {plan.head[:12]}", prompt_chars=prompt.size
        )

    def _repo_config(self, repo: RepoClient, branch: str) -> LoadedConfig:
        """`.github/beadle.yml`, read once a minute per repository; threads that miss the cache
        together wait for one read instead of each reading it."""
        key = (repo.full_name, branch)
        with self._config_locks_lock:
            lock = self._config_locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._repo_configs.get(key)
            if cached is not None and cached[0] > self._clock():
                return cached[1]
            loaded = parse_config(repo.file_text(CONFIG_PATH, branch))
            self._repo_configs[key] = (self._clock() + CONFIG_TTL, loaded)
            return loaded

    def _start_check(self, repo: RepoClient, plan: RoundPlan) -> int | None:
        """A check run is a courtesy: an installation without `checks: write` still gets reviews."""
        try:
            return repo.create_check(check_run.started(plan.head, round_=plan.round))
        except GitHubError as exc:
            log.warning("no check run on %s: %s", repo.full_name, exc)
            return None

    def _post(
        self,
        repo: RepoClient,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: list[dict[str, object]],
        job_key: str,
    ) -> int | None:
        """Post the review once. A failed POST may still have landed, so before trying again
        look for this job's marker; a posting hiccup does not cost a second model call."""
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:
                return repo.post_review(number, commit_id=commit_id, body=body, comments=comments)
            except GitHubError as exc:
                if exc.status == 422 and comments:
                    # GitHub refused an inline comment after all: every finding is in the
                    # body, so post without them rather than not at all.
                    log.warning("inline comments refused on %s#%s: %s", repo.full_name, number, exc)
                    comments = []
                    continue
                if not exc.transient or attempt == POST_ATTEMPTS:
                    raise
                log.warning(
                    "posting to %s#%s failed (%s); trying again", repo.full_name, number, exc
                )
                self._sleep(min(exc.retry_after or attempt, 60))
            if any(
                (m := parse_marker(b)) is not None and m.job == job_key
                for b in repo.own_review_bodies(number)
            ):
                return None
        return None


def _complete_check(repo: RepoClient, check_id: int, payload: dict[str, object]) -> None:
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
        _quietly(repo.update_check, check_id, {**payload, "output": output})


def _quietly(call: Callable[..., object], *args: object) -> None:
    try:
        call(*args)
    except GitHubError as exc:
        log.warning("%s failed: %s", getattr(call, "__name__", "a courtesy call"), exc)
