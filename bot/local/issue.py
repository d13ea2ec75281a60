"""The beads issue a command-line review is checked against, from wherever it is at hand
(docs/design.md §8): `--issue-json FILE`, else `bd show ID --json` when bd is on PATH, else
the repository's own data (the JSONL the App reads, then bot/local/beads_data.py).

`IssueFinder.gather` has the signature of bot/review/gather.py's `gather`, so the same finder
serves a local round, a printed pull-request round and the App's own `Reviewer` (`--post`).
It remembers where the issue came from (`source`), which the output names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.beads.ids import find_issue_id
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import parse_issues
from bot.github.client import PullInfo, RepoClient
from bot.local.bd import Bd, records
from bot.local.beads_data import JSONL_PATHS, RepoBeads
from bot.review.gather import Gathered, _documents, gather
from bot.review.plan import RoundPlan

CONVENTION = "the beads convention: `Fix login (bd-a3f8)`"


class IssueFileError(Exception):
    """`--issue-json FILE` cannot be used; a usage error, said in one line."""


def read_issue_file(path: Path) -> dict[str, BeadsIssue]:
    """Issues from a file: any `bd show --json` shape, or beads JSONL lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise IssueFileError(f"--issue-json {path}: {exc.strerror or exc}") from None
    try:
        lines = [json.dumps(r) for r in records(json.loads(text))]
    except ValueError:
        lines = text.splitlines()  # not one JSON document: JSONL
    issues = parse_issues("\n".join(lines))
    if not issues:
        raise IssueFileError(f"--issue-json {path}: no beads issue in it (bd show --json or JSONL)")
    return issues


@dataclass
class IssueFinder:
    issue_id: str | None = None  # --issue
    from_file: tuple[str, dict[str, BeadsIssue]] | None = None  # --issue-json: (name, issues)
    bd: Bd | None = None
    git_root: str | None = None  # a checkout whose refs/dolt/data may hold the issues
    local: bool = False  # the repository is the checkout (branch name, commits are local)
    source: str = ""  # where the issue came from, once gathered ("" when none)
    problems: list[str] = field(default_factory=list)

    def gather(
        self, repo: RepoClient, pr: PullInfo, plan: RoundPlan, *, documents: bool = True
    ) -> Gathered:
        got = gather(repo, pr, plan, documents=documents)
        wanted = self.issue_id or (got.issue.id if got.issue else None)
        wanted = wanted or _named_id(repo, pr, known=None)
        tried: list[str] = []
        found: tuple[BeadsIssue, str] | None = None
        if self.from_file is not None:
            found = self._from_file(wanted, tried)
        elif self.bd is not None and wanted:
            answer = self.bd.show(wanted)
            if answer.issue is not None:
                found = (answer.issue, f"`bd show {wanted} --json`")
            else:
                tried.append(answer.problem or "`bd show` found nothing")
        elif self.bd is None:
            tried.append("no `bd` on PATH")
        if found is None and self.from_file is None:
            if got.issue is not None and (self.issue_id is None or _same(got.issue, wanted)):
                self.source = self._app_source(repo, pr)
                return got
            data = RepoBeads(repo.file_text, pr.head_sha, self.git_root)
            wanted = wanted or _named_id(repo, pr, known=data.known_ids())
            if wanted:
                hit = data.lookup(wanted)
                if hit.issue is not None:
                    found = (hit.issue, hit.source)
                    self.problems.extend(hit.problems)
                else:
                    tried.append(hit.missing)
        if found is None:
            self.source = ""
            return replace(got, issue=None, documents=[], issue_note=_why_none(wanted, tried, pr))
        issue, self.source = found
        in_diff = {f.path for f in got.files}
        docs = _documents(repo, issue, pr.head_sha, skip=in_diff) if documents else []
        return replace(
            got, issue=issue, issue_note="", documents=docs, notes=[*got.notes, *self.problems]
        )

    def _from_file(self, wanted: str | None, tried: list[str]) -> tuple[BeadsIssue, str] | None:
        assert self.from_file is not None
        name, issues = self.from_file
        where = f"`--issue-json {name}`"
        if len(issues) == 1:
            return next(iter(issues.values())), where
        if wanted and wanted.lower() in issues:
            return issues[wanted.lower()], where
        tried.append(f"{where} holds {len(issues)} issues, none of them `{wanted or '?'}`")
        return None

    def _app_source(self, repo: RepoClient, pr: PullInfo) -> str:
        """Where the App's own reading found the issue: a JSONL file at the head."""
        if self.local:
            for path in JSONL_PATHS:
                if repo.file_text(path, pr.head_sha) is not None:
                    return f"`{path}` at {pr.head_sha[:12]}"
        return f"the repository's beads JSONL at {pr.head_sha[:12]}"


def _named_id(repo: RepoClient, pr: PullInfo, *, known: set[str] | None) -> str | None:
    """The id the title, body, branch name and (when those name none) commits name, as the
    App looks for it (bot/review/gather.py)."""
    found = find_issue_id(
        title=pr.title, body=pr.body, branch=pr.head_ref, commit_messages=(), known_ids=known
    )
    if found is None:
        found = find_issue_id(
            title=pr.title,
            body=pr.body,
            branch=pr.head_ref,
            commit_messages=repo.commit_messages(pr.number),
            known_ids=known,
        )
    return found


def _same(issue: BeadsIssue, wanted: str | None) -> bool:
    return wanted is not None and issue.id.lower() == wanted.strip().lower()


def _why_none(wanted: str | None, tried: list[str], pr: PullInfo) -> str:
    """Why no issue is available, and what to do about it; pure."""
    if wanted is None:
        where = (
            "branch name or commit messages"
            if pr.number == 0
            else "pull request's title, description, branch name or commit messages"
        )
        return f"No beads issue id was found in the {where} ({CONVENTION}); `--issue ID` names one."
    reasons = "; ".join(t for t in tried if t) or "no source of beads issues was found"
    return f"The beads issue `{wanted}` could not be read: {reasons}."
