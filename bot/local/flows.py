"""How `beadle review` runs: every mode is the App's own round (`Reviewer.run`, as a `/review`
comment asks for it), so what is printed is what the App would post.

- a local range: the repository client is `LocalRepo` (git), the rounds come from
  `.git/beadle/`; nothing can be written;
- `OWNER/REPO#N`: the client is GitHub's; without `--post` it refuses every write before
  anything is sent, and the round stops before posting (as a worker whose lease was lost);
- `--dry-run`: the round stops once the prompt is built, before the model is asked.

The model is a parameter, so tests and benchmarks hand in any `ReviewModel`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.beads.sources import BeadsSources
from bot.github.client import RepoClient
from bot.github.errors import GitHubError
from bot.local import state
from bot.local.bd import Bd
from bot.local.git import Git, GitError
from bot.local.issue import IssueFinder, read_issue_file
from bot.local.output import Posted, Shown, Target, marker_of
from bot.local.pull import Connection, ReadOnly, Recording, repository_checkout
from bot.local.range import local_pull, resolve_range
from bot.local.repo import LocalRepo
from bot.model.prices import Price
from bot.model.reply import ModelReply, ReviewModel
from bot.queue.request import Mode, ReviewRequest
from bot.review.marker import latest_marker, render_marker
from bot.review.round import LeaseLost, ReviewConfig, Reviewer, RoundRecord


class UsageError(Exception):
    """What was asked cannot be done as asked; one line, exit status 2."""


class NotReviewed(Exception):
    """No review could be made (the pull request is closed, posting failed…); exit status 3.
    `outcome` holds the review when it was made but could not be posted, to print it."""

    def __init__(self, message: str, outcome: Shown | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


class Skipped(Exception):
    """`--post` decided, as the App would on a push, that there is nothing to review (the head
    was reviewed already, a draft, `auto_review: false`): exit status 0, the reason on stderr."""


@dataclass(frozen=True, slots=True)
class Options:
    model: str  # BEADLE_MODEL
    context_tokens: int
    answer_tokens: int
    issue_id: str | None = None
    issue_json: Path | None = None
    full: bool = False  # a fresh round one
    cache_dir: Path | None = None  # BEADLE_CACHE_DIR: Dolt blobs read from GitHub
    prices: Mapping[str, Price] = field(default_factory=dict)  # BEADLE_PRICES


def local_round(
    *,
    repo_dir: str,
    base: str | None,
    head: str | None,
    since: str | None,
    options: Options,
    model: ReviewModel | None,
) -> Shown:
    """A range of a checkout; with a model, the round is remembered in .git/beadle/."""
    r = resolve_range(Git(repo_dir), base=base, head=head or "HEAD")
    git = Git(r.root)
    where = state.state_file(git)
    memory = state.load(where)
    key = state.key(r.branch, base=r.base)
    # An explicit --base asks for that range: a round one over it, unless --since says to
    # continue the remembered rounds.
    fresh = options.full or (base is not None and since is None)
    bodies = [] if fresh else state.markers(memory, key)
    if since is not None:
        bodies = _since(git, since, bodies, branch=key, root=r.root)
    pr = local_pull(r)
    repo = LocalRepo(git, pr, full_name=r.full_name, earlier=bodies)
    finder = _finder(options, bd_cwd=r.root, cache=False)
    target = Target("local", r.full_name, None, r.root)
    outcome = _round(repo, pr.number, 0, options, finder, model, post=False, target=target)
    marker = marker_of(outcome.record.composed.body) if outcome.record.composed else None
    if where is not None and marker is not None:
        plan, issue = outcome.record.plan, outcome.record.gathered.issue
        entry = {
            "marker": marker,
            "round": plan.round,
            "base": plan.base,
            "head": plan.head,
            "issue": issue.id if issue else None,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        state.save(where, state.remembered(memory, key, entry))
    return outcome


def pull_round(
    *,
    connection: Connection,
    full_name: str,
    number: int,
    repo_dir: str,
    repo_dir_given: bool,
    options: Options,
    model: ReviewModel | None,
    post: bool,
) -> Shown:
    """A pull request; posted only with `post` (then model is not None)."""
    inner = connection.installations.repo(connection.installation_id, full_name)
    repo = Recording(inner) if post else ReadOnly(inner)
    checkout = repository_checkout(repo_dir, full_name, trusted=repo_dir_given)
    finder = _finder(options, bd_cwd=checkout, cache=True)
    target = Target("pull_request", full_name, number, "")
    outcome = _round(
        repo, number, connection.installation_id, options, finder, model, post=post, target=target
    )
    target = replace(target, where=outcome.record.pr.html_url)
    posted = None
    if post and outcome.record.composed is not None:
        pr_url = outcome.record.pr.html_url
        review_id = repo.posted[-1] if repo.posted else None  # None: an earlier POST landed
        posted = Posted(
            review_id, f"{pr_url}#pullrequestreview-{review_id}" if review_id else pr_url
        )
    return replace(outcome, target=target, posted=posted)


# -- the round -----------------------------------------------------------------------------
class _Stop(Exception):
    """Raised by the observer of a dry run once the prompt is built: the model is not asked."""


class _NoModel:
    """A dry run's model: never asked (the round stops first); refuses if it were."""

    def review(self, *, system: str, prompt: str, model: str, max_tokens: int) -> ModelReply:
        raise _Stop("a dry run asks no model")


def _round(
    repo: RepoClient,
    number: int,
    installation_id: int,
    options: Options,
    finder: IssueFinder,
    model: ReviewModel | None,
    *,
    post: bool,
    target: Target,
) -> Shown:
    records: list[RoundRecord] = []

    def observe(record: RoundRecord) -> None:
        records.append(record)
        if model is None and record.reply is None:
            raise _Stop("the prompt is built")

    reviewer = Reviewer(
        github=_Installations(repo),
        model=model or _NoModel(),
        config=ReviewConfig(
            model=options.model,
            context_tokens=options.context_tokens,
            answer_tokens=options.answer_tokens,
            cache_dir=options.cache_dir,
            prices=options.prices,
        ),
        gatherer=finder.gather,
        observe=observe,
    )
    request = ReviewRequest(
        repo=repo.full_name,
        pr_number=number,
        installation_id=installation_id,
        head_sha="",
        # Posting is the App's push: a head already reviewed, a draft or `auto_review: false`
        # is skipped, so a re-run CI job posts no second review. Printing reviews regardless.
        mode=Mode.FULL if options.full else Mode.AUTO if post else Mode.COMMAND,
    )
    job_key = f"cli-{uuid.uuid4().hex[:12]}"
    quiet = logging.getLogger("beadle.review")
    level = quiet.level
    if not post:  # "no check run on …": nothing is meant to be written
        quiet.setLevel(logging.ERROR)
    try:
        done = reviewer.run(request, job_key=job_key, still_held=lambda: post)
    except (_Stop, LeaseLost):
        done = None  # stopped where asked: before the model, or before posting
    except Exception as exc:
        made = _outcome(records, finder, options, target)
        if made is None or made.record.composed is None:
            raise
        raise NotReviewed(f"the review was made but not posted: {exc}", made) from exc
    finally:
        quiet.setLevel(level)
    made = _outcome(records, finder, options, target)
    if made is None:
        if post and done is not None:
            raise Skipped(done.detail)
        raise NotReviewed(done.detail if done else "the round stopped before it began")
    return made


class _Installations:
    """The Installations port over one repository client (the round asks for it by name)."""

    def __init__(self, repo: RepoClient) -> None:
        self._repo = repo

    def repo(self, installation_id: int, full_name: str) -> RepoClient:
        return self._repo


def _outcome(
    records: Sequence[RoundRecord], finder: IssueFinder, options: Options, target: Target
) -> Shown | None:
    if not records:
        return None
    record = records[-1]
    model = record.loaded.config.model or options.model
    return Shown(target, record, finder.source, model)


def _finder(options: Options, *, bd_cwd: str | None, cache: bool) -> IssueFinder:
    from_file = None
    if options.issue_json is not None:
        from_file = (str(options.issue_json), read_issue_file(options.issue_json))
    bd = Bd.on_path(cwd=bd_cwd) if bd_cwd is not None and from_file is None else None
    sources = BeadsSources(
        errors=(GitHubError, GitError), cache_dir=options.cache_dir if cache else None
    )
    return IssueFinder(sources, issue_id=options.issue_id, from_file=from_file, bd=bd)


def _since(git: Git, since: str, bodies: list[str], *, branch: str, root: str) -> list[str]:
    """--since REV: the newest remembered round, as if it had reviewed REV."""
    since_sha = git.commit(since)
    if since_sha is None:
        raise UsageError(f"--since {since}: no such commit in {root}")
    previous = latest_marker(bodies)
    if previous is None:
        raise UsageError(
            f"--since: no earlier review of {branch or 'this HEAD'} is remembered in "
            ".git/beadle/ (review once without --since first)"
        )
    return [*bodies, render_marker(replace(previous, head=since_sha, job=None))]
