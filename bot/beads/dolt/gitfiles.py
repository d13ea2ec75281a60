"""DoltFiles over git: a local repository's `refs/dolt/data`, or any git-data API (GitHub's).

Dolt's git remote (`go/store/blobstore/git_blobstore.go`, `git_refs.go`) keeps the whole store
as the tree of one commit under `refs/dolt/data`: one path per storage key, large objects as
trees of numbered parts. Both adapters list that tree once (recursively) and fetch blobs by id.
Blob bytes are checked against their git blob id, so a wrong answer from an API cannot pass.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from typing import Protocol

from .errors import DoltReadError, MissingBlob, NotFound
from .files import Entry, git_blob_id

DATA_REF = "refs/dolt/data"


class GitData(Protocol):
    """What Beadle's GitHub client offers (git data endpoints); raise anything on failure."""

    def ref_sha(self, name: str) -> str | None: ...

    def commit_tree(self, commit_sha: str) -> str: ...

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        """Every entry below the tree, recursively: (path, type, sha, size); it must raise
        rather than return a truncated listing (GitHub's recursive tree API can truncate)."""
        ...

    def blob(self, sha: str) -> bytes: ...


def _checked(path: str, sha: str, data: bytes) -> bytes:
    if git_blob_id(data) != sha:
        raise MissingBlob(path, sha, "the bytes fetched do not match the blob id")
    return data


class GitDataFiles:
    """The tree of `refs/dolt/data` through a GitData API. `commit` is the ref's commit sha."""

    def __init__(self, api: GitData, ref: str = DATA_REF) -> None:
        self.api = api
        commit = api.ref_sha(ref)
        if commit is None:
            raise NotFound(f"the repository has no {ref} (no beads Dolt data was pushed)")
        self.commit = commit
        self._entries = {
            path: Entry(sha, size)
            for path, kind, sha, size in api.tree(api.commit_tree(commit))
            if kind == "blob"
        }

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def read(self, path: str) -> bytes:
        entry = self._entries.get(path)
        if entry is None:
            raise MissingBlob(path, None, f"{DATA_REF} has no such path")
        try:
            data = self.api.blob(entry.blob)
        except DoltReadError:
            raise
        except Exception as exc:  # the API's own errors: name the blob, keep the cause
            raise MissingBlob(path, entry.blob, str(exc) or type(exc).__name__) from exc
        return _checked(path, entry.blob, data)


class LocalGitFiles:
    """The tree of `refs/dolt/data` in a local git repository, read with the git command."""

    def __init__(self, repo: str, ref: str = DATA_REF, git: str = "git") -> None:
        self.repo = repo
        self.git = git
        done = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip()
            why = f": {said}" if said.startswith("fatal") else " (no beads Dolt data was pushed)"
            raise NotFound(f"the repository at {repo} has no {ref}{why}")
        self.commit = done.stdout.decode().strip()
        listing = self._git("ls-tree", "-r", "-l", "-z", self.commit).stdout
        entries: dict[str, Entry] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            _mode, kind, sha, size = meta.decode().split()
            if kind == "blob":
                entries[name.decode()] = Entry(sha, int(size) if size.isdigit() else None)
        self._entries = entries

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                [self.git, "-C", self.repo, *args], capture_output=True, check=check
            )
        except subprocess.CalledProcessError as exc:
            raise NotFound(
                f"git {args[0]} failed in {self.repo}: "
                f"{exc.stderr.decode(errors='replace').strip()}"
            ) from None

    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def read(self, path: str) -> bytes:
        entry = self._entries.get(path)
        if entry is None:
            raise MissingBlob(path, None, f"{DATA_REF} has no such path")
        done = self._git("cat-file", "blob", entry.blob, check=False)
        if done.returncode != 0:
            raise MissingBlob(path, entry.blob, "the object is not in the local repository")
        return done.stdout
