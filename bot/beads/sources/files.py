"""Read the JSONL sources a plan names: folder listings, blobs by SHA, parses kept in a Memo.

The imperative shell of the file sources. A file is found in its folder's listing (one request
for the whole folder, which also gives each file's blob SHA and size) and read as a raw git blob
by SHA, so a 20 MB export costs the same one request as a small one and GitHub's 1 MB limit on
the contents API never applies. The parse is kept by blob SHA: an unchanged file is neither
fetched nor parsed again, whichever branch or pull request it is read for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from bot.beads import backup
from bot.beads.jsonl_index import JsonlIndex
from bot.beads.sources.catalogs import BackupCatalog, Catalog, JsonlCatalog, Origin
from bot.beads.sources.memo import Memo
from bot.beads.sources.plan import FileSource
from bot.beads.sources.ports import BeadsRepo, Entry

T = TypeVar("T")
_ROW_COST = 4  # parsed side-table rows weigh about four times their bytes


class SourceFailed(Exception):
    """A read of a source failed for good (after the client's own retries)."""

    def __init__(self, path: str, branch: str | None, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.branch, self.reason = path, branch, reason


class RoundReads:
    """One round's reads: each folder listing, blob and branch head is asked for once, and a
    read that failed is not tried again in the same round (the client already retried it)."""

    def __init__(
        self, repo: BeadsRepo, head: str, memo: Memo, errors: tuple[type[Exception], ...]
    ) -> None:
        self.repo, self.head, self.memo, self.errors = repo, head, memo, errors
        self._commits: dict[str, str | None] = {}
        self._folders: dict[tuple[str, str], Mapping[str, Entry] | None] = {}
        self._failed: dict[str, SourceFailed] = {}

    def attempt(self, path: str, branch: str | None, read: Callable[[], T], key: str = "") -> T:
        """`read()`, with the client's failures turned into a SourceFailed naming the path; a
        `key` that failed before fails again at once."""
        if key in self._failed:
            raise self._failed[key]
        try:
            return read()
        except self.errors as exc:
            failed = SourceFailed(path, branch, str(exc) or type(exc).__name__)
            if key:
                self._failed[key] = failed
            raise failed from exc

    def commit(self, branch: str | None) -> str | None:
        """The head for None, else the branch's commit (None: no such branch)."""
        if branch is None:
            return self.head
        if branch not in self._commits:
            self._commits[branch] = self.attempt(
                branch, branch, lambda: self.repo.branch_sha(branch), key=f"branch {branch}"
            )
        return self._commits[branch]

    def folder(self, path: str, commit: str, branch: str | None) -> Mapping[str, Entry] | None:
        key = (path, commit)
        parent, _, name = path.rpartition("/")
        if f"{commit}:{parent}" in self._failed:  # the folder above could not be listed
            raise self._failed[f"{commit}:{parent}"]
        if key not in self._folders and (parent, commit) in self._folders:
            above = self._folders[(parent, commit)]  # listed already: no request for what
            child = above.get(name) if above is not None else None  # it shows is not there
            if child is None or child.kind != "dir":
                self._folders[key] = None
        if key not in self._folders:
            listed = self.attempt(
                path, branch, lambda: self.repo.tree_entries(path, commit), key=f"{commit}:{path}"
            )
            self._folders[key] = None if listed is None else {e.name: e for e in listed}
        return self._folders[key]

    def blob(self, entry: Entry, path: str, branch: str | None) -> bytes:
        return self.attempt(path, branch, lambda: self.repo.blob(entry.sha), key=entry.sha)

    def text(self, path: str) -> tuple[str, str] | None:
        """A small file at the head as text, with its blob SHA (for config files)."""
        folder, _, name = path.rpartition("/")
        listing = self.folder(folder, self.head, None)
        entry = listing.get(name) if listing else None
        if entry is None or entry.kind != "file":
            return None
        data = self.memo.load(
            ("text", entry.sha), lambda: _costed(self.blob(entry, path, None), len)
        )
        return data.decode("utf-8", errors="replace"), entry.sha


def load(reads: RoundReads, source: FileSource) -> tuple[Catalog | None, list[SourceFailed]]:
    """The source's catalog (None when its file is not there) and the side tables of a backup
    that could not be read (the issue is still used without them). Raises SourceFailed."""
    commit = reads.commit(source.branch)
    if commit is None:
        return None, []
    listing = reads.folder(source.folder, commit, source.branch)
    entry = listing.get(source.name) if listing else None
    if listing is None or entry is None or entry.kind != "file":
        return None, []
    index = reads.memo.load(
        ("jsonl", entry.sha), lambda: _index(reads.blob(entry, source.path, source.branch))
    )
    origin = Origin(source.kind, source.path, commit, source.branch)
    if source.kind == "jsonl":
        return JsonlCatalog(origin, index), []
    tables: dict[str, backup.Rows] = {}
    failed: list[SourceFailed] = []
    for name in backup.SIDE_TABLES:
        side = listing.get(name)
        if side is None or side.kind != "file":
            continue
        path = f"{source.folder}/{name}"
        try:
            tables[name] = reads.memo.load(
                ("rows", side.sha),
                lambda: _rows(reads.blob(side, path, source.branch)),  # noqa: B023
            )
        except SourceFailed as exc:
            failed.append(exc)
    return BackupCatalog(origin, index, tables), failed


def _index(data: bytes) -> tuple[JsonlIndex, int]:
    index = JsonlIndex.build(data)
    return index, index.nbytes


def _rows(data: bytes) -> tuple[backup.Rows, int]:
    return backup.group_rows(data), len(data) * _ROW_COST


def _costed(value: T, cost: Callable[[T], int]) -> tuple[T, int]:
    return value, cost(value)
