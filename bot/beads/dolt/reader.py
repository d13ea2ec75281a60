"""beads' issues from its Dolt data: one issue by id, with its labels, dependencies, comments.

bd (>= v1.0.5) keeps issues in Dolt and pushes them to the project's own repository under
`refs/dolt/data`; this reads branch `main` of that database. A value that cannot be read (its
blob absent, say) does not sink the record: the field is left out of `record` and its error is
in `unreadable`, so the caller can name it; the issue's own row (title, status, priority...) must
still read, or the lookup raises. Nothing is guessed: unknown formats raise.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from . import record as shape
from .database import DoltDatabase
from .errors import DoltReadError
from .files import DoltFiles
from .rows.table import Row, TableRows
from .rows.values import OutOfLine, Undecodable, Value

ISSUES = "issues"


@dataclass(frozen=True)
class DataSource:
    """What was read: the git commit of refs/dolt/data (when known) and the Dolt commit."""

    data_commit: str | None
    dolt_commit: str
    branch: str
    height: int

    @property
    def short(self) -> str:
        """The short sha a review names ("beads Dolt data at <short>")."""
        return (self.data_commit or self.dolt_commit)[:8]


@dataclass(frozen=True)
class IssueRecord:
    """An issue as beads' JSONL has it (`record`), and the fields that could not be read."""

    id: str
    record: dict[str, object]
    unreadable: dict[str, DoltReadError] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """One sentence per unreadable field, for the review to show."""
        return [
            f"{name} of {self.id} could not be read: {err}" for name, err in self.unreadable.items()
        ]


class BeadsDolt:
    """Read beads' issues from a Dolt store's files (see files.py, gitfiles.py, blobcache.py).

    Opening it reads the branch's commit (so `source` names what is read). One instance may
    serve several threads: its caches are locked or hold content-addressed data, so a race can
    only repeat work."""

    def __init__(self, files: DoltFiles, branch: str = "main") -> None:
        self.db = DoltDatabase(files, branch)
        self.source = DataSource(
            self.db.data_commit, self.db.commit_address, branch, self.db.commit.height
        )
        self._grouped: dict[str, dict[str, list[Row]]] = {}
        self._lock = threading.Lock()

    def issue_ids(self) -> list[str]:
        """Every id in the issues table, in key order."""
        issues = self.db.table(ISSUES)
        key = issues.key_columns[0].name
        return [str(row[key]) for row in issues.keys()]

    def find_issue(self, issue_id: str) -> IssueRecord | None:
        """The issue with this id, or None when the issues table has no such row."""
        issues = self.db.table(ISSUES)
        row = issues.find({issues.key_columns[0].name: issue_id})
        if row is None:
            return None
        unreadable: dict[str, DoltReadError] = {}
        fields = _resolved(issues, row, unreadable)
        out = shape.issue_fields({k: shape.plain(k, v) for k, v in fields.items()})
        loaders: tuple[tuple[str, Loader], ...] = (
            ("labels", self._labels),
            ("dependencies", self._dependencies),
            ("comments", self._comments),
        )
        for name, load in loaders:
            try:
                found = load(issue_id, unreadable)
            except DoltReadError as exc:
                unreadable[name] = exc.with_traceback(None)
                continue
            if found:
                out[name] = found
        return IssueRecord(issue_id, out, unreadable)

    # -- the tables beside issues ---------------------------------------------------------

    def _rows_of(self, table: str, issue_id: str) -> list[Row]:
        """Rows of `table` whose issue_id is this id (the table is scanned once, then kept)."""
        with self._lock:
            if table not in self._grouped:
                grouped: dict[str, list[Row]] = {}
                for row in self.db.table(table).rows():
                    grouped.setdefault(str(row.get("issue_id")), []).append(row)
                self._grouped[table] = grouped
            return self._grouped[table].get(issue_id, [])

    def _labels(self, issue_id: str, unreadable: dict[str, DoltReadError]) -> list[object]:
        return [
            label for label in sorted(str(r["label"]) for r in self._rows_of("labels", issue_id))
        ]

    def _dependencies(self, issue_id: str, unreadable: dict[str, DoltReadError]) -> list[object]:
        """Dependencies; an unreadable optional column (metadata) is left out of each and
        named once in `unreadable` as dependencies.<column>."""
        table = self.db.table("dependencies")
        out: list[object] = []
        for row in self._rows_of("dependencies", issue_id):
            errors: dict[str, DoltReadError] = {}
            resolved = _resolved(table, row, errors)
            for column, exc in errors.items():
                if column in shape.DEPENDENCY_REQUIRED:
                    raise exc
                unreadable.setdefault(f"dependencies.{column}", exc)
            out.append(shape.dependency(resolved))
        return out

    def _comments(self, issue_id: str, unreadable: dict[str, DoltReadError]) -> list[object]:
        """Comments, oldest first; one unreadable comment makes the list unreadable."""
        table = self.db.table("comments")
        rows: list[dict[str, Value]] = []
        for row in self._rows_of("comments", issue_id):
            errors: dict[str, DoltReadError] = {}
            rows.append(_resolved(table, row, errors))
            if errors:
                raise next(iter(errors.values()))
        rows.sort(key=lambda r: (_sort_time(r.get("created_at")), str(r.get("id") or "")))
        return [shape.comment({k: shape.plain(k, v) for k, v in r.items()}) for r in rows]


Loader = Callable[[str, dict[str, DoltReadError]], list[object]]


def _sort_time(value: Value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else _NEVER


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _resolved(table: TableRows, row: Row, unreadable: dict[str, DoltReadError]) -> dict[str, Value]:
    """The row with out-of-line values fetched; failures go to `unreadable` by column."""
    out: dict[str, Value] = {}
    for name, value in row.items():
        if isinstance(value, Undecodable):
            unreadable[name] = value.error
            continue
        if isinstance(value, OutOfLine):
            try:
                value = table.resolve(value, name)
            except DoltReadError as exc:
                unreadable[name] = exc.with_traceback(None)
                continue
        out[name] = value
    return out
