"""What the beads sources read a repository through: a few git reads, as plain values.

`RepoClient` (bot/github/client.py) has these methods, so `RestRepo` (GitHub's REST API) and
the in-memory fake (tests/fakes/memory.py) serve them; a local checkout can too (`git ls-tree`,
`git cat-file`, `git rev-parse`). Every method may raise whatever its client raises on failure;
the sources catch it, name the source in a note and go on without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Entry(Protocol):
    """One item of a folder at a commit: `kind` is "file" or "dir" (others are skipped)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def sha(self) -> str: ...

    @property
    def size(self) -> int: ...


class BeadsRepo(Protocol):
    """The reads beads data needs (the Dolt ones are the reader's GitData protocol,
    bot/beads/dolt/gitfiles.py)."""

    def tree_entries(self, path: str, ref: str) -> Sequence[Entry] | None:
        """What folder `path` holds at `ref` (a commit sha or branch); None: no such folder."""
        ...

    def blob(self, sha: str) -> bytes:
        """A git blob's bytes, whatever its size (GitHub: up to 100 MB)."""
        ...

    def branch_sha(self, name: str) -> str | None:
        """The commit branch `name` points at; None when there is no such branch."""
        ...

    def ref_sha(self, name: str) -> str | None:
        """The commit a full ref name (`refs/dolt/data`) points at; None when it is absent."""
        ...

    def commit_tree(self, commit_sha: str) -> str:
        """The tree of a commit."""
        ...

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        """Every entry below a tree, recursively: (path, "blob"/"tree", sha, size)."""
        ...
