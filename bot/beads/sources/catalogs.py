"""One source's issues, as the lookup sees them: the ids it knows and one issue by id.

Pure over values already read: a JSONL index, the backup tables, or (bot/beads/sources/dolt.py)
the Dolt reader. Each catalog carries its `Origin`, which the review names in one line.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from bot.beads import backup
from bot.beads.duplicates import Ambiguity
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import to_issue
from bot.beads.jsonl_index import JsonlIndex


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an issue was read: a file on a branch or at the head, or the Dolt data."""

    kind: Literal["jsonl", "backup", "dolt"]
    path: str  # the JSONL file, or `refs/dolt/data`
    commit: str  # the git commit read (for Dolt: the commit of refs/dolt/data)
    branch: str | None = None  # None: the pull request's head

    @property
    def short(self) -> str:
        return self.commit[:8]

    def describe(self) -> str:
        """Plain text for logs; the review renders the same facts with its own markup."""
        if self.kind == "dolt":
            return f"beads Dolt data at {self.short}"
        on = f" on branch {self.branch}" if self.branch else ""
        return f"{self.path}{on} at {self.short}"


@dataclass(frozen=True, slots=True)
class Hit:
    """An id a source holds. `issue` is None when its record there is a tombstone."""

    issue: BeadsIssue | None
    line: int | None = None  # JSONL: the line of the record used
    ambiguities: tuple[Ambiguity, ...] = ()
    problems: tuple[str, ...] = ()  # fields that could not be read, in sentences


class Catalog(Protocol):
    origin: Origin

    def ids(self) -> Collection[str]: ...

    def find(self, issue_id: str) -> Hit | None:
        """None when the source does not hold the id."""
        ...


class JsonlCatalog:
    def __init__(self, origin: Origin, index: JsonlIndex) -> None:
        self.origin = origin
        self.index = index

    def ids(self) -> Collection[str]:
        return self.index.ids()

    def find(self, issue_id: str) -> Hit | None:
        found = self.index.find(issue_id)
        if found is None:
            return None
        return Hit(found.issue, found.line, found.ambiguities)


class BackupCatalog:
    """`.beads/backup/issues.jsonl` joined with the side tables that could be read."""

    def __init__(self, origin: Origin, index: JsonlIndex, tables: dict[str, backup.Rows]) -> None:
        self.origin = origin
        self.index = index
        self.tables = tables  # by file name: comments.jsonl, labels.jsonl, dependencies.jsonl

    def ids(self) -> Collection[str]:
        return self.index.ids()

    def find(self, issue_id: str) -> Hit | None:
        found = self.index.find(issue_id)
        if found is None:
            return None
        if found.issue is None:
            return Hit(None, found.line, found.ambiguities)

        def rows(name: str) -> list[dict[str, object]]:
            return list(self.tables.get(name, {}).get(issue_id, ()))

        joined = backup.join(
            found.record,
            comments=rows("comments.jsonl"),
            labels=rows("labels.jsonl"),
            dependencies=rows("dependencies.jsonl"),
        )
        issue = replace(to_issue(joined), id=found.issue.id)
        return Hit(issue, found.line, found.ambiguities)
