"""The three ways `beadle review` runs, each from plain arguments to an `Outcome` to print:

- `local_round`: a range of a local checkout; only git and the model; remembers the round;
- `pull_round`: a pull request, read through GitHub and printed; nothing written;
- `posted_round`: the same pull request reviewed and posted by the App's own `Reviewer`.

The model is a parameter (`None` for a dry run), so tests and benchmarks hand in any
`ReviewModel`; bot/cli/review.py builds the real one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.github.client import PullInfo, RepoClient
from bot.local import state
from bot.local.bd import Bd
from bot.local.git import Git
from bot.local.issue import IssueFinder, read_issue_file
from bot.local.output import Posted, Target, marker_of
from bot.local.pull import Connection, RecordingInstallations, repository_checkout
from bot.local.range import local_pull, resolve_range
from bot.local.repo import LocalRepo
from bot.local.session import Prepared, Reviewed, prepare, review
from bot.model.client import ReviewModel
from bot.queue.request import Mode, ReviewRequest
from bot.review.compose import Built, Limits
from bot.review.marker import Marker, latest_marker
from bot.review.plan import Skip
from bot.review.round import ReviewConfig, Reviewer, RoundRecord


class UsageError(Exception):
    """What was asked cannot be done as asked; one line, exit status 2."""


class NotReviewed(Exception):
    """No review could be made (the pull request is closed, posting failed…); exit status 3.
    `outcome` holds the review when it was made but could not be posted, to print it."""

    def __init__(self, message: str, outcome: Outcome | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class Options:
    limits: Limits
    model: str  # BEADLE_MODEL
    issue_id: str | None = None
    issue_json: Path | None = None
    full: bool = False  # a fresh round one


@dataclass(frozen=True, slots=True)
class Outcome:
    target: Target
    prepared: Prepared
    issue_source: str
    reviewed: Reviewed | None = None  # None: a dry run, or nothing to review
    posted: Posted | None = None


def local_round(
    *,
    repo_dir: str,
    base: str | None,
    head: str | None,
    since: str | None,
    options: Options,
    model: ReviewModel | None,
) -> Outcome:
    git = Git(repo_dir)
    r = resolve_range(git, base=base, head=head or "HEAD")
    git = Git(r.root)
    where = state.state_file(git)
    memory = state.load(where)
    bodies = [] if options.full else state.markers(memory, r.branch)
    previous = latest_marker(bodies)
    if since is not None:
        since_sha = git.commit(since)
        if since_sha is None:
            raise UsageError(f"--since {since}: no such commit in {r.root}")
        if previous is None:
            raise UsageError(
                f"--since: no earlier review of {r.branch or 'this HEAD'} is remembered in "
                ".git/beadle/ (review once without --since first)"
            )
        previous = replace(previous, head=since_sha)
    pr = local_pull(r)
    repo = LocalRepo(git, pr, full_name=r.full_name, earlier=bodies)
    finder = _finder(options, bd_cwd=r.root, git_root=r.root, local=True)
    target = Target("local", r.full_name, None, r.root)
    mode = Mode.FULL if options.full else Mode.COMMAND
    prepared = _prepare(repo, pr, previous, mode, options, finder, local=True)
    if model is None or not isinstance(prepared.built, Built):
        return Outcome(target, prepared, finder.source)
    reviewed = review(prepared, model, answer_tokens=options.limits.answer_tokens, job_key="local")
    marker = marker_of(reviewed.composed.body)
    if where is not None and marker is not None:
        entry = {
            "marker": marker,
            "round": prepared.plan.round,
            "base": prepared.plan.base,
            "head": prepared.plan.head,
            "issue": prepared.gathered.issue.id if prepared.gathered.issue else None,
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        state.save(where, state.remembered(memory, r.branch, entry))
    return Outcome(target, prepared, finder.source, reviewed)


def pull_round(
    *,
    connection: Connection,
    full_name: str,
    number: int,
    repo_dir: str,
    repo_dir_given: bool,
    options: Options,
    model: ReviewModel | None,
) -> Outcome:
    repo = connection.installations.repo(connection.installation_id, full_name)
    pr = repo.pull(number)
    previous = None if options.full else latest_marker(repo.own_review_bodies(number))
    checkout = repository_checkout(repo_dir, full_name, trusted=repo_dir_given)
    finder = _finder(options, bd_cwd=checkout, git_root=checkout, local=False)
    target = Target("pull_request", full_name, number, pr.html_url)
    mode = Mode.FULL if options.full else Mode.COMMAND
    prepared = _prepare(repo, pr, previous, mode, options, finder, local=False)
    if model is None or not isinstance(prepared.built, Built):
        return Outcome(target, prepared, finder.source)
    job_key = f"cli-{uuid.uuid4().hex[:12]}"
    reviewed = review(prepared, model, answer_tokens=options.limits.answer_tokens, job_key=job_key)
    return Outcome(target, prepared, finder.source, reviewed)


def posted_round(
    *,
    connection: Connection,
    full_name: str,
    number: int,
    repo_dir: str,
    repo_dir_given: bool,
    options: Options,
    model: ReviewModel,
) -> Outcome:
    """The App's own round (`Reviewer.run`, as a `/review` comment would ask for it): one
    review with its marker and inline comments, the check run when the credentials may."""
    checkout = repository_checkout(repo_dir, full_name, trusted=repo_dir_given)
    finder = _finder(options, bd_cwd=checkout, git_root=checkout, local=False)
    recording = RecordingInstallations(connection.installations)
    records: list[RoundRecord] = []
    reviewer = Reviewer(
        github=recording,
        model=model,
        config=ReviewConfig(
            model=options.model,
            context_tokens=options.limits.context_tokens,
            answer_tokens=options.limits.answer_tokens,
        ),
        gatherer=finder.gather,
        observe=records.append,
    )
    request = ReviewRequest(
        repo=full_name,
        pr_number=number,
        installation_id=connection.installation_id,
        head_sha="",
        mode=Mode.FULL if options.full else Mode.COMMAND,
    )
    try:
        done = reviewer.run(request, job_key=f"cli-{uuid.uuid4().hex[:12]}")
    except Exception as exc:
        made = _reviewed(records[-1], options) if records else None
        if made is None:
            raise
        target = Target("pull_request", full_name, number, made.prepared.pr.html_url)
        kept = Outcome(target, made.prepared, finder.source, made)
        raise NotReviewed(f"the review was made but not posted: {exc}", kept) from exc
    if not records:
        raise NotReviewed(done.detail)
    record = records[-1]
    target = Target("pull_request", full_name, number, record.pr.html_url)
    made = _reviewed(record, options)
    prepared = made.prepared if made else _prepared(record, options)
    posted = None
    if made is not None and recording.last is not None and recording.last.posted:
        review_id = recording.last.posted[-1]
        posted = Posted(review_id, f"{record.pr.html_url}#pullrequestreview-{review_id}")
    elif made is not None:
        posted = Posted(None, record.pr.html_url)  # posted by an earlier attempt's POST
    return Outcome(target, prepared, finder.source, made, posted)


# -- shared --------------------------------------------------------------------------------
def _finder(
    options: Options, *, bd_cwd: str | None, git_root: str | None, local: bool
) -> IssueFinder:
    from_file = None
    if options.issue_json is not None:
        from_file = (str(options.issue_json), read_issue_file(options.issue_json))
    bd = Bd.on_path(cwd=bd_cwd) if bd_cwd is not None and from_file is None else None
    return IssueFinder(
        issue_id=options.issue_id, from_file=from_file, bd=bd, git_root=git_root, local=local
    )


def _prepare(
    repo: RepoClient,
    pr: PullInfo,
    previous: Marker | None,
    mode: Mode,
    options: Options,
    finder: IssueFinder,
    *,
    local: bool,
) -> Prepared:
    prepared = prepare(
        repo,
        pr,
        previous=previous,
        mode=mode,
        limits=options.limits,
        model=options.model,
        gatherer=finder.gather,
        local=local,
    )
    if isinstance(prepared, Skip):  # only Mode.AUTO skips, and the command never asks for it
        raise NotReviewed(prepared.reason)
    return prepared


def _prepared(record: RoundRecord, options: Options) -> Prepared:
    model = record.loaded.config.model or options.model
    return Prepared(record.pr, record.plan, record.loaded, record.gathered, record.built, model)


def _reviewed(record: RoundRecord, options: Options) -> Reviewed | None:
    if record.reply is None or record.composed is None or not isinstance(record.built, Built):
        return None
    return Reviewed(_prepared(record, options), record.built, record.reply, record.composed)
