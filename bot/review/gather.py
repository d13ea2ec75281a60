"""Gather what a review round needs from GitHub: the diff, the beads issue, the documents it names.

The I/O is a handful of RepoClient calls; every decision is a pure function from bot.beads.jsonl and
bot.review.diff. Requests are spent only when needed: commit messages are read only if the title, body
and branch name did not name an issue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.beads.ids import find_issue_id
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import BEADS_PATHS, parse_issues
from bot.beads.paths import referenced_paths
from bot.github.client import PullInfo, RepoClient
from bot.review.diff import FileDiff, from_pr_files, parse_diff
from bot.review.plan import RoundPlan
from bot.review.prompt import Document

MAX_DOCUMENTS = 3
COMPARE_FILE_LIMIT = 300  # the compare API lists at most 300 files
MAX_DOCUMENT_CHARS = 40_000
DOCUMENT_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")


@dataclass(frozen=True, slots=True)
class Gathered:
    files: list[FileDiff]
    issue: BeadsIssue | None
    issue_note: str  # when issue is None: why, in words a PR author understands
    documents: list[Document] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the review


def gather(repo: RepoClient, pr: PullInfo, plan: RoundPlan, *, documents: bool = True) -> Gathered:
    """`documents=False` for later rounds: the plan was read in round one, and a follow-up
    review is about the new commits and the earlier findings."""
    files, notes = _diff(repo, pr, plan)
    issue, issue_note = _issue(repo, pr)
    in_diff = {f.path for f in files}
    docs = _documents(repo, issue, pr.head_sha, skip=in_diff) if issue and documents else []
    return Gathered(files=files, issue=issue, issue_note=issue_note, documents=docs, notes=notes)


def _diff(repo: RepoClient, pr: PullInfo, plan: RoundPlan) -> tuple[list[FileDiff], list[str]]:
    if not plan.whole_pr:
        compared = repo.compare(plan.base, plan.head) or {}
        files = compared.get("files") or []
        if 0 < len(files) < COMPARE_FILE_LIMIT and all("patch" in f for f in files):
            return from_pr_files(files), []  # the comparison the round plan fetched anyway
    text = repo.pull_diff(pr.number) if plan.whole_pr else repo.compare_diff(plan.base, plan.head)
    if text is not None:
        return parse_diff(text), []
    # GitHub answers 406 too_large above 300 files or 20,000 lines: rebuild from the file list
    # (whole PR: up to 3,000 files). For a follow-up round this reviews the whole PR.
    note = (
        "GitHub's diff for this range was too large to fetch in one piece, so it was rebuilt "
        "from the pull request's file list"
    )
    if not plan.whole_pr:
        note += "; this round therefore covers every file the pull request changes"
    return from_pr_files(repo.pull_files(pr.number)), [note + "."]


def _issue(repo: RepoClient, pr: PullInfo) -> tuple[BeadsIssue | None, str]:
    issues: dict[str, BeadsIssue] | None = None
    for path in BEADS_PATHS:
        text = repo.file_text(path, pr.head_sha)
        if text is not None:
            issues = parse_issues(text)
            break
    known = set(issues) if issues is not None else None
    found = find_issue_id(
        title=pr.title, body=pr.body, branch=pr.head_ref, commit_messages=(), known_ids=known
    )
    if found is None or (known is not None and found not in known):
        found = find_issue_id(
            title=pr.title,
            body=pr.body,
            branch=pr.head_ref,
            commit_messages=repo.commit_messages(pr.number),
            known_ids=known,
        )
    if issues is None:
        where = " or ".join(f"`{p}`" for p in BEADS_PATHS)
        named = f" The pull request names `{found}`, but" if found else ""
        return None, (
            f"No beads issue could be read:{named} the repository has no {where} at "
            f"this head (newer beads keep issues in Dolt; `bd export` writes the file)."
        )
    if found is None:
        return None, (
            "No beads issue id was found in the pull request's title, description, "
            "branch name or commit messages (the beads convention: `Fix login (bd-a3f8)`)."
        )
    if found not in issues:
        return None, f"The pull request names `{found}`, but no such issue is in the beads file."
    return issues[found], ""


def _documents(repo: RepoClient, issue: BeadsIssue, ref: str, *, skip: set[str]) -> list[Document]:
    """Plans and notes the issue names (`docs/plans/….md`); code it names is in the diff."""
    documents: list[Document] = []
    wanted = [
        p
        for p in referenced_paths(issue)
        if p.lower().endswith(DOCUMENT_SUFFIXES) and p not in skip
    ]
    for path in wanted[: MAX_DOCUMENTS * 2]:
        if len(documents) >= MAX_DOCUMENTS:
            break
        text = repo.file_text(path, ref)
        if text is None:
            continue
        cut = len(text) > MAX_DOCUMENT_CHARS
        documents.append(Document(path=path, text=text[:MAX_DOCUMENT_CHARS], truncated=cut))
    return documents
