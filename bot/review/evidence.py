"""The code at every earlier finding, at the new head: what a follow-up round's verdicts rest on.

A follow-up round reviews only the new commits, so an earlier finding in a file the push did not
touch would be judged without seeing its code. For each still-open finding that names a file
and a line, this finds where that line is now (through the diff from the head reviewed earlier
to this one: bot/review/linemap.py) and cuts a few lines around it from the file at the new head.

The diff is GitHub's comparison of the two heads, which the round plan already fetched to learn
how the branch moved (RestRepo remembers it). It maps lines only when the old head is an
ancestor of the new one: after a force push GitHub compares from the merge base, which says
nothing about the old head's lines, so the excerpt says the line could not be mapped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.github.client import RepoClient
from bot.github.errors import GitHubError
from bot.review.diff import FileDiff, from_pr_files
from bot.review.linemap import map_line
from bot.review.marker import TrackedFinding
from bot.review.plan import RoundPlan
from bot.review.sources import HeadFiles, Unreadable

log = logging.getLogger("beadle.review")
MAX_FINDINGS = 40  # earlier findings shown with their code
MAX_FILES = 10  # files read for them, one request each
BEFORE, AFTER = 3, 3  # lines shown either side
MAX_LINE_CHARS = 300
COMPARE_FILE_LIMIT = 300  # GitHub's comparison lists at most 300 files


@dataclass(frozen=True, slots=True)
class Evidence:
    """One earlier finding's place at the new head.

    state: unchanged / moved (the same line, at `now`), changed (rewritten; the new code starts
    at `now`), deleted (removed; `now` follows where it was), file_deleted, absent (the file is
    not at this head), unmapped (`reason` says why), not_read (over the file limit), unreadable,
    past_end (the file is now shorter than the line).
    """

    id: str
    title: str
    path: str  # where the file is at the new head (a rename moves it)
    line: int  # the line the earlier round named
    state: str
    now: int | None = None
    excerpt: str = ""  # numbered lines around `now`; the line itself marked with `>`
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Changes:
    """How the files changed from the head reviewed earlier to this one."""

    mappable: bool
    by_old_path: Mapping[str, FileDiff]
    complete: bool = True  # every changed file is listed (a comparison lists at most 300)
    reason: str = ""


def changes_between(compared: Mapping[str, Any] | None, *, same_head: bool = False) -> Changes:
    """Pure: the comparison `GET /compare/OLD...NEW` answered, as a map of changed files."""
    if same_head:
        return Changes(mappable=True, by_old_path={})
    if compared is None or compared.get("status") not in ("ahead", "identical"):
        return Changes(
            mappable=False,
            by_old_path={},
            reason="the head reviewed earlier is not an ancestor of this one (force push or "
            "rebase), so its line numbers cannot be carried over",
        )
    entries = compared.get("files") or []
    files = from_pr_files(entries)
    by_old = {f.old_path or f.path: f for f in files if not (f.status == "added" and f.old_path)}
    return Changes(mappable=True, by_old_path=by_old, complete=len(entries) < COMPARE_FILE_LIMIT)


def locate(finding: TrackedFinding, changes: Changes) -> Evidence:
    """Pure: where the finding's line is at the new head (no excerpt yet)."""
    assert finding.line is not None
    base = Evidence(finding.id, finding.title, finding.file, finding.line, "unmapped")
    if not changes.mappable:
        return replace(base, reason=changes.reason)
    diff = changes.by_old_path.get(finding.file)
    if diff is None:
        if not changes.complete:
            reason = "more files changed than GitHub's comparison lists, so it cannot tell"
            return replace(base, reason=reason)
        return replace(base, state="unchanged", now=finding.line)
    if diff.status == "removed":
        return replace(base, state="file_deleted")
    if diff.is_binary or diff.patch_missing:
        return replace(base, path=diff.path, reason="GitHub gave no line diff for this file")
    mapped = map_line(diff, finding.line)
    return replace(base, path=diff.path, state=mapped.state, now=mapped.line)


def excerpt(text: str, line: int, *, mark: bool = True) -> str:
    """Pure: lines `line - BEFORE` to `line + AFTER` of `text`, numbered; `>` marks `line`."""
    lines = text.splitlines()
    first, last = max(line - BEFORE, 1), min(line + AFTER, len(lines))
    width = len(str(last))
    out = []
    for number in range(first, last + 1):
        code = lines[number - 1]
        if len(code) > MAX_LINE_CHARS:
            code = code[: MAX_LINE_CHARS - 1] + "…"
        pointer = ">" if mark and number == line else " "
        out.append(f"{pointer} {number:>{width}} | {code}".rstrip())
    return "\n".join(out)


def with_excerpt(found: Evidence, text: str | Unreadable | None) -> Evidence:
    """Pure: the located finding with the code around its place, or the reason there is none."""
    if found.state not in ("unchanged", "moved", "changed", "deleted") or found.now is None:
        return found
    if text is None:
        return replace(found, state="absent", now=None)
    if isinstance(text, Unreadable):
        return replace(found, state="unreadable", reason=text.reason)
    length = len(text.splitlines())
    if found.state != "deleted" and found.now > length:
        return replace(found, state="past_end", reason=f"the file has {length} lines")
    now = min(found.now, max(length, 1))
    return replace(found, now=now, excerpt=excerpt(text, now, mark=found.state != "deleted"))


def collect_evidence(repo: RepoClient, plan: RoundPlan, files: HeadFiles) -> tuple[Evidence, ...]:
    """The shell of this module: one comparison (already fetched by the round plan) and one
    read per file of an open finding, at most MAX_FILES of them."""
    wanted = [f for f in plan.earlier if f.file and f.line][:MAX_FINDINGS]
    if plan.round < 2 or not wanted or plan.previous_head is None:
        return ()
    same = plan.previous_head == plan.head
    compared = None
    if not same:
        try:
            compared = repo.compare(plan.previous_head, plan.head)
        except GitHubError as exc:
            log.warning("no comparison for the earlier findings' lines: %s", exc)
    changes = changes_between(compared, same_head=same)
    located = [locate(f, changes) for f in wanted]
    return tuple(_read(located, files))


def _read(located: Sequence[Evidence], files: HeadFiles) -> list[Evidence]:
    needs = [e for e in located if e.now is not None]
    allowed = list(dict.fromkeys(e.path for e in needs))[:MAX_FILES]
    out = []
    for found in located:
        if found.now is None:
            out.append(found)
        elif found.path in allowed:
            out.append(with_excerpt(found, files.read(found.path)))
        else:
            out.append(replace(found, state="not_read", reason=f"only {MAX_FILES} files are read"))
    return out
