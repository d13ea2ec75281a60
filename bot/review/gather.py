"""Gather what a review round needs from GitHub: the diff, the beads issue, the documents it names.

The I/O is a handful of RepoClient calls; every decision is a pure function from bot.beads and
bot.review.diff. Requests are spent only when needed: commit messages are read only if the title, body
and branch name did not name an issue. The issue comes from bot/beads/sources (which source, in
which order, with which caches); its notes are worded by prompts/beads_notes.md.j2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.beads.issue import BeadsIssue, Related
from bot.beads.paths import referenced_paths
from bot.beads.sources import BeadsSources, Note, Origin, PullText, SourceSettings
from bot.github.client import PullInfo, RepoClient
from bot.github.errors import GitHubError
from bot.review.diff import FileDiff, from_pr_files, parse_diff
from bot.review.plan import RoundPlan
from bot.review.prompt import Document
from bot.review.templates import render

MAX_DOCUMENTS = 3
COMPARE_FILE_LIMIT = 300  # the compare API lists at most 300 files
MAX_DOCUMENT_CHARS = 40_000
DOCUMENT_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
# For callers that bring no sources of their own (tests, tools): process-wide caches, no disk.
DEFAULT_SOURCES = BeadsSources(errors=(GitHubError,))


@dataclass(frozen=True, slots=True)
class Gathered:
    files: list[FileDiff]
    issue: BeadsIssue | None
    issue_note: str  # when issue is None: why, in words a PR author understands
    documents: list[Document] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said in the review
    issue_source: Origin | None = None  # where the issue was read (the review names it)
    other_issues: tuple[Related, ...] = ()  # other ids the pull request names


def gather(
    repo: RepoClient,
    pr: PullInfo,
    plan: RoundPlan,
    *,
    documents: bool = True,
    beads: SourceSettings | None = None,
    sources: BeadsSources | None = None,
) -> Gathered:
    """`documents=False` for later rounds: the plan was read in round one, and a follow-up
    review is about the new commits and the earlier findings. `beads` is the repository's
    `beads:` setting, `sources` the process's beads sources and their caches."""
    files, notes = _diff(repo, pr, plan)
    found = (sources or DEFAULT_SOURCES).find(
        repo,
        head=pr.head_sha,
        pull=PullText(pr.title, pr.body, pr.head_ref),
        commit_messages=lambda: repo.commit_messages(pr.number),
        settings=beads or SourceSettings(),
    )
    issue = found.issue
    in_diff = {f.path for f in files}
    docs = _documents(repo, issue, pr.head_sha, skip=in_diff) if issue and documents else []
    return Gathered(
        files=files,
        issue=issue,
        issue_note=beads_note(found.reason) if found.reason else "",
        documents=docs,
        notes=[*notes, *(beads_note(n) for n in found.notes)],
        issue_source=found.origin,
        other_issues=found.others,
    )


def beads_note(note: Note) -> str:
    """A beads note in words (prompts/beads_notes.md.j2), repository text escaped."""
    return " ".join(render("beads_notes.md.j2", note=note).split("\n")).strip()


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
