"""`LocalRepo`: the reads of the RepoClient port (bot/github/client.py) over a local checkout.

A review round reads a pull request, its diff, its commits, files at a commit and Beadle's
earlier reviews; here those come from `git diff`, `git log`, `git cat-file` and the reviews
remembered under `.git/beadle/` (bot/local/state.py). Nothing is written anywhere: the write
methods exist for the port's sake and refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.github.client import History, PullInfo, ReviewComment, TreeEntry
from bot.github.errors import GitHubError
from bot.local.git import Git
from bot.local.range import commit_messages

# `git diff` as GitHub computes a pull request's: renames found, binary files named, no
# external or text-conversion drivers, a/ and b/ prefixes whatever the user's config says.
_DIFF = (
    "diff",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


# git ls-tree's (type, mode) as the contents API names an entry's kind
_KINDS = {
    ("blob", "120"): "symlink",
    ("blob", ""): "file",
    ("tree", ""): "dir",
    ("commit", ""): "submodule",
}


class LocalWriteRefused(GitHubError):
    """A local review posts nothing: the round's courtesy writes (the check run) are refused
    like an installation without the permission, and it stops before posting."""

    def __init__(self) -> None:
        super().__init__("a local review is printed, never posted", status=403)


class LocalRepo:
    def __init__(
        self, git: Git, pull: PullInfo, *, full_name: str, earlier: Sequence[str] = ()
    ) -> None:
        self.git = git
        self.full_name = full_name
        self._pull = pull
        self._earlier = list(earlier)
        self._files: dict[tuple[str, str], str | None] = {}

    # -- reads -------------------------------------------------------------------------------
    def pull(self, number: int) -> PullInfo:
        return self._pull

    def pull_diff(self, number: int) -> str | None:
        return self.compare_diff(self._pull.base_sha, self._pull.head_sha)

    def compare_diff(self, base: str, head: str) -> str | None:
        """BASE..HEAD as the user's own `git diff BASE HEAD` shows it (never too large)."""
        return self.git.text(*_DIFF, base, head, "--")

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        return []  # only asked for when a diff is too large, which a local diff never is

    def commit_messages(self, number: int) -> list[str]:
        return commit_messages(self.git, self._pull.base_sha, self._pull.head_sha)

    def compare(self, base: str, head: str) -> dict[str, Any] | None:
        """No file list: the round then asks for the diff itself (`compare_diff`)."""
        return {} if self.git.commit(base) and self.git.commit(head) else None

    def history(self, old: str, new: str) -> History:
        """linear, merged (a merge commit in between) or rewritten (`old` is gone: a rebase,
        an amend)."""
        if self.git.commit(old) is None or not self.git.ok("merge-base", "--is-ancestor", old, new):
            return "rewritten"
        merges = self.git.line("rev-list", "--merges", "--max-count=1", f"{old}..{new}")
        return "merged" if merges else "linear"

    def file_text(self, path: str, ref: str) -> str | None:
        key = (path, ref)
        if key not in self._files:
            data = self.git.blob(ref, path)
            self._files[key] = None if data is None else data.decode("utf-8", errors="replace")
        return self._files[key]

    def own_review_bodies(self, number: int) -> list[str]:
        return list(self._earlier)

    # -- git data (the beads sources' port, bot/beads/sources/ports.py; the Dolt reader's) -----
    def tree_entries(self, path: str, ref: str) -> list[TreeEntry] | None:
        """The folder `path` at `ref` (`git ls-tree`); None when it is no folder there."""
        spec = f"{ref}:{path.strip('/')}" if path.strip("/") else f"{ref}^{{tree}}"
        done = self.git.run("ls-tree", "-l", "-z", spec, check=False)
        if done.returncode != 0:
            return None
        entries = []
        for record in done.stdout.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, sha, size = meta.decode().split()
            shown = _KINDS.get((kind, mode[:3]), _KINDS.get((kind, ""), kind))
            entries.append(
                TreeEntry(
                    name.decode("utf-8", "replace"), shown, sha, int(size) if size.isdigit() else 0
                )
            )
        return entries

    def blob(self, sha: str) -> bytes:
        return self.git.run("cat-file", "blob", sha).stdout

    def branch_sha(self, name: str) -> str | None:
        """A branch of this checkout, or of its `origin` (CI clones have few local branches)."""
        for ref in (f"refs/heads/{name}", f"refs/remotes/origin/{name}"):
            found = self.git.line("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            if found:
                return found
        return None

    def ref_sha(self, name: str) -> str | None:
        return self.git.line("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}") or None

    def commit_tree(self, commit_sha: str) -> str:
        return self.git.text("rev-parse", "--verify", f"{commit_sha}^{{tree}}").strip()

    def tree(self, tree_sha: str) -> list[tuple[str, str, str, int | None]]:
        out = []
        for record in self.git.run("ls-tree", "-r", "-t", "-l", "-z", tree_sha).stdout.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            _mode, kind, sha, size = meta.decode().split()
            out.append(
                (name.decode("utf-8", "replace"), kind, sha, int(size) if size.isdigit() else None)
            )
        return out

    def permission(self, login: str) -> str:
        return "admin"  # the person at the keyboard owns the checkout

    def own_review_comments(self, number: int) -> list[ReviewComment]:
        return []  # a local review posts no inline comments: no thread to follow up

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        return self.comment(number, body)  # refused, like every write

    # -- writes: none ------------------------------------------------------------------------
    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int:
        raise LocalWriteRefused()

    def comment(self, number: int, body: str) -> int:
        raise LocalWriteRefused()

    def react(self, comment_id: int, content: str = "eyes") -> None:
        raise LocalWriteRefused()

    def create_check(self, payload: dict[str, Any]) -> int:
        raise LocalWriteRefused()

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None:
        raise LocalWriteRefused()
