"""The Dolt database bd pushes under `refs/dolt/data`, as one more source (bot/beads/dolt/).

The shell around the reader: its git-data API is the repository client (`ref_sha`,
`commit_tree`, `tree`, `blob`), with what never changes kept — a commit's tree and a tree's
listing in the Memo by SHA, blobs in the on-disk BlobCache by SHA, and a blob GitHub does not
have remembered for ten minutes — so a warm read of unchanged data costs one request (the ref)
and a cold one fetches only the files the reader asks for.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import replace

from bot.beads.dolt import (
    DATA_REF,
    BeadsDolt,
    BlobCache,
    CachedFiles,
    DoltFiles,
    DoltReadError,
    GitDataFiles,
)
from bot.beads.jsonl import to_issue
from bot.beads.sources.catalogs import Hit, Origin
from bot.beads.sources.files import SourceFailed
from bot.beads.sources.memo import Memo
from bot.beads.sources.ports import BeadsRepo

_TREE_ENTRY_COST = 200  # bytes one listed path costs in memory, roughly
MISSING_BLOB_TTL = 600.0  # seconds a 404 for a blob is believed


class _GitData:
    """The reader's GitData over the repository client; immutable answers kept in the Memo."""

    def __init__(self, repo: BeadsRepo, memo: Memo) -> None:
        self.repo, self.memo = repo, memo
        self._refs: dict[str, str | None] = {}

    def ref_sha(self, name: str) -> str | None:
        if name not in self._refs:
            self._refs[name] = self.repo.ref_sha(name)
        return self._refs[name]

    def _missing_key(self, sha: str) -> tuple[str, str, str]:
        """A 404 belongs to one repository's data (the Memo is shared by all): keyed by the
        commit of its refs/dolt/data, which names that repository's tree."""
        return ("missing-blob", self._refs.get(DATA_REF) or "", sha)

    def commit_tree(self, commit_sha: str) -> str:
        return self.memo.load(
            ("commit-tree", commit_sha), lambda: (self.repo.commit_tree(commit_sha), 100)
        )

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        def listing() -> tuple[list[tuple[str, str, str, int | None]], int]:
            entries = list(self.repo.tree(tree_sha))
            return entries, _TREE_ENTRY_COST * (len(entries) + 1)

        return self.memo.load(("tree", tree_sha), listing)

    def blob(self, sha: str) -> bytes:
        """A blob GitHub said it does not have (404) is not asked for again for a while: an
        unchanged tree keeps naming it, and the review names it as missing either way."""
        known = self.memo.get(self._missing_key(sha))
        if known is not None and time.monotonic() - known[0] < MISSING_BLOB_TTL:
            raise known[1]
        try:
            return self.repo.blob(sha)
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                self.memo.put(self._missing_key(sha), (time.monotonic(), exc), 200)
            raise


class DoltCatalog:
    """Issues of the Dolt data; lookups that fail raise SourceFailed naming refs/dolt/data."""

    def __init__(self, beads: BeadsDolt, origin: Origin) -> None:
        self.beads, self.origin = beads, origin
        self._ids: list[str] | None = None

    def ids(self) -> Collection[str]:
        """Every id (empty when the issues table cannot be listed: lookups may still work)."""
        if self._ids is None:
            try:
                self._ids = self.beads.issue_ids()
            except DoltReadError:
                self._ids = []
        return self._ids

    def find(self, issue_id: str) -> Hit | None:
        try:
            found = self.beads.find_issue(issue_id)
        except DoltReadError as exc:
            raise SourceFailed(DATA_REF, None, str(exc)) from exc
        if found is None:
            return None
        unreadable = tuple(sorted(found.unreadable))
        issue = replace(to_issue({**found.record, "id": found.id}), unreadable=unreadable)
        return Hit(issue, problems=tuple(found.problems()))


def open_dolt(
    repo: BeadsRepo,
    memo: Memo,
    blobs: BlobCache | None,
    errors: tuple[type[Exception], ...],
) -> DoltCatalog | None:
    """The Dolt data's catalog; None when the repository has no `refs/dolt/data`.
    Raises SourceFailed when the data is there but cannot be read."""
    api = _GitData(repo, memo)
    caught: tuple[type[Exception], ...] = (DoltReadError, *errors)
    try:
        if api.ref_sha(DATA_REF) is None:
            return None
        files: DoltFiles = GitDataFiles(api)
        if blobs is not None:
            files = CachedFiles(files, blobs)
        beads = BeadsDolt(files)
    except caught as exc:
        raise SourceFailed(DATA_REF, None, str(exc) or type(exc).__name__) from exc
    commit = beads.source.data_commit or beads.source.dolt_commit
    return DoltCatalog(beads, Origin("dolt", DATA_REF, commit))
