"""The issues a repository keeps itself (docs/design.md §5): a JSONL export at the reviewed
commit, else the Dolt data bd pushes to `refs/dolt/data`.

Stands in for the repository's beads sources until `bot/beads/sources` reads every layout
(`.beads/config.yaml` export.path and sync-branch, `.beads/backup/*.jsonl`): this reads the
three JSONL names beads has used and the Dolt data of a local checkout (bot/beads/dolt's
`LocalGitFiles`). Files are read through a callable, so a pull request's JSONL can come from
GitHub while its Dolt data comes from the CI checkout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.beads.dolt import DATA_REF, BeadsDolt, DoltReadError, LocalGitFiles, NotFound
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import parse_issues

JSONL_PATHS = (".beads/issues.jsonl", ".beads/export.jsonl", ".beads/beads.jsonl")
FETCH_HINT = "`git fetch origin refs/dolt/data:refs/dolt/data` brings bd's Dolt data"

ReadFile = Callable[[str, str], str | None]  # (path, ref) -> text or None


@dataclass(frozen=True, slots=True)
class RepoIssue:
    issue: BeadsIssue | None
    source: str = ""  # where it was read, in words ("`.beads/issues.jsonl` at 1a2b3c4d5e6f")
    problems: tuple[str, ...] = ()  # fields that could not be read, for the review to show
    missing: str = ""  # when issue is None: where it was looked for, and why it is not there


@dataclass
class RepoBeads:
    """One repository's beads data at one commit; each store is read once, when first asked."""

    read_file: ReadFile
    ref: str
    git_root: str | None  # a local checkout whose refs/dolt/data may hold bd's data
    _jsonl: tuple[str, dict[str, BeadsIssue]] | None = None
    _jsonl_read: bool = False
    _dolt: BeadsDolt | None = None
    _dolt_problem: str | None = None
    _dolt_read: bool = False
    _ids: set[str] | None = field(default=None)

    def lookup(self, issue_id: str) -> RepoIssue:
        jsonl = self._jsonl_file()
        if jsonl is not None:
            path, issues = jsonl
            issue = issues.get(issue_id.strip().lower())
            if issue is not None:
                return RepoIssue(issue, f"`{path}` at {self.ref[:12]}")
        dolt = self._dolt_store()
        if dolt is not None:
            try:
                found = dolt.find_issue(issue_id)
            except DoltReadError as exc:
                return RepoIssue(None, missing=f"the beads Dolt data could not be read ({exc})")
            if found is not None:
                line = json.dumps(found.record, default=str)
                issue = next(iter(parse_issues(line).values()), None)
                if issue is not None:
                    source = f"beads Dolt data at {dolt.source.short} (`refs/dolt/data`)"
                    return RepoIssue(issue, source, tuple(found.problems()))
        return RepoIssue(None, missing=self._where_not(issue_id, jsonl))

    def known_ids(self) -> set[str] | None:
        """Every id the data holds (for the id search), None when there is no data."""
        if self._ids is None:
            jsonl = self._jsonl_file()
            ids = {i.id for i in jsonl[1].values()} if jsonl else set()
            dolt = self._dolt_store()
            if dolt is not None:
                try:
                    ids.update(dolt.issue_ids())
                except DoltReadError:
                    pass
            self._ids = ids
        return self._ids or None

    def _jsonl_file(self) -> tuple[str, dict[str, BeadsIssue]] | None:
        if not self._jsonl_read:
            self._jsonl_read = True
            for path in JSONL_PATHS:
                text = self.read_file(path, self.ref)
                if text is not None:
                    self._jsonl = (path, parse_issues(text))
                    break
        return self._jsonl

    def _dolt_store(self) -> BeadsDolt | None:
        if not self._dolt_read:
            self._dolt_read = True
            if self.git_root is None:
                self._dolt_problem = "no local checkout to read `refs/dolt/data` from"
            else:
                try:
                    files = LocalGitFiles(self.git_root)
                except NotFound:
                    self._dolt_problem = f"no `{DATA_REF}` in the checkout ({FETCH_HINT})"
                    return None
                try:
                    self._dolt = BeadsDolt(files)
                except DoltReadError as exc:
                    self._dolt_problem = f"the beads Dolt data could not be read ({exc})"
        return self._dolt

    def _where_not(self, issue_id: str, jsonl: tuple[str, dict[str, BeadsIssue]] | None) -> str:
        parts = []
        if jsonl is not None:
            parts.append(f"`{jsonl[0]}` at {self.ref[:12]} has no `{issue_id}`")
        else:
            names = ", ".join(f"`{p}`" for p in JSONL_PATHS)
            parts.append(f"no {names} at {self.ref[:12]}")
        if self._dolt is not None:
            parts.append(f"the beads Dolt data at {self._dolt.source.short} has no `{issue_id}`")
        elif self._dolt_problem:
            parts.append(self._dolt_problem)
        return "; ".join(parts)
