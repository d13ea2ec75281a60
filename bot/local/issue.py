"""The beads issue a command-line review is checked against, from wherever it is at hand
(docs/design.md §8): `--issue-json FILE`, else `bd show ID --json` when bd is on PATH, else the
repository's own data exactly as the App reads it (bot/beads/sources, through the round's
repository client: a local checkout's git, or GitHub).

`IssueFinder.gather` has the signature of bot/review/gather.py's `gather`, so it is the App's
`Reviewer`'s gatherer for every `beadle review`. It remembers where the issue came from
(`source`), which the output names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.beads.ids import find_issue_id
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import parse_issues
from bot.beads.sources import BeadsSources, Origin, PullText
from bot.github.client import PullInfo, RepoClient
from bot.local.bd import Bd, records
from bot.review.gather import Gathered, _documents, beads_note, gather
from bot.review.plan import RoundPlan
from bot.review.repo_config import PATH as CONFIG_PATH
from bot.review.repo_config import parse_config

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
    sources: BeadsSources  # the repository's data, and its caches
    issue_id: str | None = None  # --issue
    from_file: tuple[str, dict[str, BeadsIssue]] | None = None  # --issue-json: (name, issues)
    bd: Bd | None = None
    source: str = ""  # where the issue came from, once gathered ("" when none)
    tried: list[str] = field(default_factory=list)

    def gather(
        self, repo: RepoClient, pr: PullInfo, plan: RoundPlan, *, documents: bool = True
    ) -> Gathered:
        settings = parse_config(repo.file_text(CONFIG_PATH, pr.default_branch)).config.beads
        beads = settings.settings()
        got = gather(repo, pr, plan, documents=documents, beads=beads, sources=self.sources)
        wanted = self.issue_id or (got.issue.id if got.issue else None) or _named_id(repo, pr)
        found: tuple[BeadsIssue, str, Origin | None] | None = None
        tried: list[str] = []
        if self.from_file is not None:
            found = self._from_file(wanted, tried)
        elif self.bd is not None and wanted:
            answer = self.bd.show(wanted)
            if answer.issue is not None:
                found = (answer.issue, f"`bd show {wanted} --json`", None)
            else:
                tried.append(answer.problem or "`bd show` found nothing")
        if found is None and self.from_file is None:
            if got.issue is not None and (self.issue_id is None or _same(got.issue, wanted)):
                self.source = describe(got.issue_source)
                return got
            if self.issue_id:  # the id asked for, from the repository's data
                hit = self.sources.find(
                    repo,
                    head=pr.head_sha,
                    pull=PullText(f"({self.issue_id})", None, ""),
                    commit_messages=lambda: (),
                    settings=beads,
                )
                if hit.issue is not None:
                    found = (hit.issue, describe(hit.origin), hit.origin)
                elif hit.reason is not None:
                    tried.append(beads_note(hit.reason))
            elif got.issue_note:
                tried.append(got.issue_note)
        self.tried = tried
        if found is None:
            self.source = ""
            note = _why_none(wanted, tried, pr, bd_missing=self.bd is None and not self.from_file)
            return replace(got, issue=None, issue_source=None, documents=[], issue_note=note)
        issue, self.source, origin = found
        in_diff = {f.path for f in got.files}
        docs = _documents(repo, issue, pr.head_sha, skip=in_diff) if documents else []
        return replace(got, issue=issue, issue_note="", issue_source=origin, documents=docs)

    def _from_file(
        self, wanted: str | None, tried: list[str]
    ) -> tuple[BeadsIssue, str, Origin | None] | None:
        assert self.from_file is not None
        name, issues = self.from_file
        where = f"`--issue-json {name}`"
        if len(issues) == 1:
            return next(iter(issues.values())), where, None
        if wanted and wanted.lower() in issues:
            return issues[wanted.lower()], where, None
        tried.append(f"{where} holds {len(issues)} issues, none of them `{wanted or '?'}`")
        return None


def describe(origin: Origin | None) -> str:
    """Where the repository's data gave the issue, in the review's words; pure."""
    if origin is None:
        return "the repository's beads data"
    if origin.kind == "dolt":
        return f"beads Dolt data at {origin.short} (`{origin.path}`)"
    on = f" on branch `{origin.branch}`" if origin.branch else ""
    return f"`{origin.path}`{on} at {origin.short}"


def _named_id(repo: RepoClient, pr: PullInfo) -> str | None:
    """The id the title, body, branch name and (when those name none) the commits name."""
    found = find_issue_id(title=pr.title, body=pr.body, branch=pr.head_ref, commit_messages=())
    if found is None:
        found = find_issue_id(
            title=pr.title,
            body=pr.body,
            branch=pr.head_ref,
            commit_messages=repo.commit_messages(pr.number),
        )
    return found


def _same(issue: BeadsIssue, wanted: str | None) -> bool:
    return wanted is not None and issue.id.lower() == wanted.strip().lower()


def _why_none(wanted: str | None, tried: list[str], pr: PullInfo, *, bd_missing: bool) -> str:
    """Why no issue is available, and what to do about it, one sentence a source; pure."""
    if wanted is None:
        where = (
            "branch name or commit messages"
            if pr.number == 0
            else "pull request's title, description, branch name or commit messages"
        )
        return f"No beads issue id was found in the {where} ({CONVENTION}); `--issue ID` names one."
    said = [t.strip() if t.strip().endswith(".") else t.strip() + "." for t in tried if t.strip()]
    if bd_missing:
        said.insert(0, "`bd` is not on PATH.")
    if not said:
        return f"The beads issue `{wanted}` could not be read."
    if not said[-1].startswith("No beads issue"):  # the repository's note names the id itself
        said[0] = f"The beads issue `{wanted}` could not be read: {said[0]}"
    return " ".join(said)
