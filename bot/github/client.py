"""The port the review layer talks to: one repository's reads and writes, as plain values.

`RestRepo` (bot/github/rest.py) implements it over GitHub's REST API; tests/fakes/memory.py has
an in-memory one for unit tests of a review round; the command-line review implements it over a
local checkout. Every method raises GitHubError (bot/github/errors.py) when it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol

# How the branch moved from the head last reviewed to the new one. linear: new commits on top;
# merged: on top but with a merge in between (the base branch pulled in, whose changes would
# show in old..new); rewritten: the old head is gone from the history (force push, rebase).
History = Literal["linear", "merged", "rewritten"]


@dataclass(frozen=True, slots=True)
class PullInfo:
    number: int
    title: str
    body: str | None
    draft: bool
    state: str
    head_sha: str
    head_ref: str
    base_sha: str
    html_url: str
    repo_html_url: str
    default_branch: str


class TreeEntry(NamedTuple):
    """One item of a folder at a commit, as the contents API lists it."""

    name: str
    kind: str  # "file", "dir", "symlink" or "submodule"
    sha: str  # the blob (file) or tree (dir) SHA
    size: int


@dataclass(frozen=True, slots=True)
class ReviewComment:
    """One of Beadle's own inline review comments: a thread's first comment, or a reply in it."""

    id: int
    body: str
    in_reply_to: int | None  # the thread's first comment, for a reply


class RepoClient(Protocol):
    """One repository, as one installation (or one token) may read and write it."""

    @property
    def full_name(self) -> str: ...

    # -- reads ---------------------------------------------------------------------------------
    def pull(self, number: int) -> PullInfo: ...

    def pull_diff(self, number: int) -> str | None:
        """The PR's diff base...head; None when GitHub says it is too large (406)."""
        ...

    def compare_diff(self, base: str, head: str) -> str | None: ...

    def pull_files(self, number: int) -> list[dict[str, Any]]: ...

    def commit_messages(self, number: int) -> list[str]: ...

    def compare(self, base: str, head: str) -> dict[str, Any] | None:
        """`GET /compare/base...head` (status, commits, files); None for an unknown commit."""
        ...

    def history(self, old: str, new: str) -> History: ...

    def file_text(self, path: str, ref: str) -> str | None:
        """The file at `ref`, or None if it is absent."""
        ...

    # -- git data: beads sources (bot/beads/sources/ports.py) and the Dolt reader ------------
    def tree_entries(self, path: str, ref: str) -> Sequence[TreeEntry] | None:
        """What folder `path` holds at `ref` (commit SHA or branch); None: no such folder."""
        ...

    def blob(self, sha: str) -> bytes:
        """A git blob's bytes, whatever their size (GitHub: up to 100 MB)."""
        ...

    def branch_sha(self, name: str) -> str | None:
        """The commit branch `name` points at; None when there is no such branch."""
        ...

    def ref_sha(self, name: str) -> str | None:
        """The commit a full ref name (`refs/dolt/data`) points at; None when it is absent."""
        ...

    def commit_tree(self, commit_sha: str) -> str:
        """The tree SHA of a commit."""
        ...

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        """Every entry below a tree, recursively: (path, "blob"/"tree"/"commit", sha, size)."""
        ...

    def own_review_bodies(self, number: int) -> list[str]:
        """Bodies of Beadle's own reviews on the PR, oldest first."""
        ...

    def permission(self, login: str) -> str:
        """`admin`, `maintain`, `write`, `triage`, `read` or `none`."""
        ...

    # -- writes --------------------------------------------------------------------------------
    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int: ...

    def comment(self, number: int, body: str) -> int: ...

    def react(self, comment_id: int, content: str = "eyes") -> None: ...

    def create_check(self, payload: dict[str, Any]) -> int: ...

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None: ...

    # -- review threads: replies in the inline threads of fixed findings (bot/review/threads.py)
    def own_review_comments(self, number: int) -> list[ReviewComment]:
        """Beadle's own inline review comments on the PR, thread starts and replies, oldest
        first."""
        ...

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        """Reply in the thread that comment `comment_id` (a thread's first comment) starts."""
        ...


class Installations(Protocol):
    """Where a job's repository client comes from (the GitHub App, or a token)."""

    def repo(self, installation_id: int, full_name: str) -> RepoClient: ...
