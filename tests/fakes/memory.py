"""In-memory fakes of Beadle's ports, for unit tests of a review round: no server, no git.

`MemoryRepo` implements `bot.github.client.RepoClient` over dicts and records what was written;
`fail(method, error, times=…)` makes the next calls of a method raise. `MemoryModel` implements
`bot.model.reply.ReviewModel` with the same reviewer-like answer as the loopback FakeModel.
The loopback fake GitHub (tests/fakes/github.py) stays the contract and end-to-end fake.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.github.client import History, PullInfo, ReviewComment, TreeEntry
from bot.github.errors import github_error
from bot.model.answer import ReviewAnswer
from bot.model.reply import ModelReply
from tests.fakes.model import reviewer_answer

HEAD = "b" * 40
BASE = "a" * 40


def pull_info(number: int = 1, **changes: Any) -> PullInfo:
    pr = PullInfo(
        number=number,
        title="Validate widget sizes (bd-a3f8)",
        body="Implements the size check.",
        draft=False,
        state="open",
        head_sha=HEAD,
        head_ref="feature/sizes",
        base_sha=BASE,
        html_url=f"https://github.com/octo/widgets/pull/{number}",
        repo_html_url="https://github.com/octo/widgets",
        default_branch="main",
    )
    return replace(pr, **changes)


def blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def file_diff(path: str, lines: Sequence[str], *, start: int = 1) -> str:
    """A unified diff that adds `lines` to a new file `path`."""
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +{start},{len(lines)} @@\n{body}"
    )


@dataclass
class MemoryRepo:
    full_name: str = "octo/widgets"
    pulls: dict[int, PullInfo] = field(default_factory=lambda: {1: pull_info()})
    diffs: dict[str, str | None] = field(default_factory=dict)  # "pull/N" or "BASE...HEAD"
    files: dict[tuple[str, str], str | bytes] = field(default_factory=dict)  # (path, ref) -> text
    pr_files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    compares: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)
    histories: dict[tuple[str, str], History] = field(default_factory=dict)
    messages: dict[int, list[str]] = field(default_factory=dict)
    permissions: dict[str, str] = field(default_factory=dict)
    bot_login: str = "beadle[bot]"
    # git data: branch heads, other refs (`refs/dolt/data`), commits' trees, trees, blobs
    branches: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    commit_trees: dict[str, str] = field(default_factory=dict)
    trees: dict[str, list[tuple[str, str, str, int | None]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)  # blob shas that answer 404 (lost objects)
    # what was written
    reviews: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    reactions: list[tuple[int, str]] = field(default_factory=list)
    checks: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)  # in review comment threads
    _failures: dict[str, list[Exception]] = field(default_factory=dict)

    def fail(self, method: str, error: Exception | int, *, times: int = 1) -> None:
        """The next `times` calls of `method` raise `error` (a status: a GitHubError of it)."""
        if isinstance(error, int):
            error = github_error(f"{method} answered {error}", status=error)
        self._failures.setdefault(method, []).extend([error] * times)

    def _call(self, method: str) -> None:
        self.calls.append(method)
        pending = self._failures.get(method)
        if pending:
            raise pending.pop(0)

    # -- reads -------------------------------------------------------------------------------
    def pull(self, number: int) -> PullInfo:
        self._call("pull")
        return self.pulls[number]

    def pull_diff(self, number: int) -> str | None:
        self._call("pull_diff")
        return self.diffs.get(f"pull/{number}", "")

    def compare_diff(self, base: str, head: str) -> str | None:
        self._call("compare_diff")
        return self.diffs.get(f"{base}...{head}", "")

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        self._call("pull_files")
        return self.pr_files.get(number, [])

    def commit_messages(self, number: int) -> list[str]:
        self._call("commit_messages")
        return self.messages.get(number, [])

    def compare(self, base: str, head: str) -> dict[str, Any] | None:
        self._call("compare")
        return self.compares.get((base, head), {"status": "ahead", "commits": [], "files": []})

    def history(self, old: str, new: str) -> History:
        self._call("history")
        return self.histories.get((old, new), "linear")

    def file_text(self, path: str, ref: str) -> str | None:
        self._call("file_text")
        found = self.files.get((path, ref))
        return found.decode() if isinstance(found, bytes) else found

    def tree_entries(self, path: str, ref: str) -> list[TreeEntry] | None:
        """The folder's entries, from `files` at `ref` (a branch in `branches` means its head)."""
        self._call("tree_entries")
        ref = self.branches.get(ref, ref)
        folder = path.strip("/") + "/" if path.strip("/") else ""
        entries: dict[str, TreeEntry] = {}
        for (name, at), content in self.files.items():
            if at != ref or not name.startswith(folder):
                continue
            rest = name[len(folder) :]
            if "/" in rest:
                sub = rest.split("/", 1)[0]
                entries.setdefault(sub, TreeEntry(sub, "dir", blob_id(sub.encode()), 0))
            else:
                data = content.encode() if isinstance(content, str) else content
                self.blobs.setdefault(blob_id(data), data)
                entries[rest] = TreeEntry(rest, "file", blob_id(data), len(data))
        return sorted(entries.values()) if entries else None

    def blob(self, sha: str) -> bytes:
        self._call("blob")
        if sha not in self.blobs or sha in self.absent:
            raise github_error(f"GET /git/blobs/{sha} answered 404", status=404)
        return self.blobs[sha]

    def branch_sha(self, name: str) -> str | None:
        self._call("branch_sha")
        return self.branches.get(name)

    def ref_sha(self, name: str) -> str | None:
        self._call("ref_sha")
        return self.refs.get(name)

    def commit_tree(self, commit_sha: str) -> str:
        self._call("commit_tree")
        if commit_sha not in self.commit_trees:
            raise github_error(f"GET /git/commits/{commit_sha} answered 404", status=404)
        return self.commit_trees[commit_sha]

    def tree(self, tree_sha: str) -> list[tuple[str, str, str, int | None]]:
        self._call("tree")
        if tree_sha not in self.trees:
            raise github_error(f"GET /git/trees/{tree_sha} answered 404", status=404)
        return list(self.trees[tree_sha])

    def put_ref_tree(
        self, ref: str, files: Mapping[str, bytes | None], *, commit: str | None = None
    ) -> str:
        """Point `ref` at a commit whose tree holds `files` (None: listed, blob absent, as a
        fetch that fails); returns the commit sha."""
        entries: list[tuple[str, str, str, int | None]] = []
        for path, data in sorted(files.items()):
            sha = blob_id(data if data is not None else path.encode() + b"\0absent")
            if data is not None:
                self.blobs[sha] = data
            entries.append((path, "blob", sha, len(data) if data is not None else None))
        tree = blob_id(repr(entries).encode())
        commit = commit or blob_id(f"commit {ref} {tree}".encode())
        self.trees[tree] = entries
        self.commit_trees[commit] = tree
        self.refs[ref] = commit
        return commit

    def own_review_bodies(self, number: int) -> list[str]:
        self._call("own_review_bodies")
        return [r["body"] for r in self.reviews if r["number"] == number]

    def permission(self, login: str) -> str:
        self._call("permission")
        return self.permissions.get(login, "none")

    # -- writes ------------------------------------------------------------------------------
    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int:
        self._call("post_review")
        self.reviews.append(
            {"number": number, "commit_id": commit_id, "body": body, "comments": list(comments)}
        )
        return 1000 + len(self.reviews)

    def comment(self, number: int, body: str) -> int:
        self._call("comment")
        self.notes.append((number, body))
        return 2000 + len(self.notes)

    def react(self, comment_id: int, content: str = "eyes") -> None:
        self._call("react")
        self.reactions.append((comment_id, content))

    def create_check(self, payload: dict[str, Any]) -> int:
        self._call("create_check")
        check_id = 3000 + len(self.checks)
        self.checks[check_id] = dict(payload)
        return check_id

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None:
        self._call("update_check")
        self.checks[check_id] = {**self.checks[check_id], **payload}

    # -- review threads ----------------------------------------------------------------------
    def own_review_comments(self, number: int) -> list[ReviewComment]:
        """The inline comments of `reviews` (ids 5000 + their order) and the `replies`."""
        self._call("own_review_comments")
        starts = [c for r in self.reviews if r["number"] == number for c in r["comments"]]
        comments = [ReviewComment(5000 + i, str(c["body"]), None) for i, c in enumerate(starts)]
        comments += [
            ReviewComment(r["id"], r["body"], r["comment_id"])
            for r in self.replies
            if r["number"] == number
        ]
        return sorted(comments, key=lambda c: c.id)

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        self._call("reply_to_review_comment")
        reply_id = 9000 + len(self.replies)
        self.replies.append(
            {"number": number, "comment_id": comment_id, "body": body, "id": reply_id}
        )
        return reply_id


@dataclass
class MemoryInstallations:
    repos: dict[str, MemoryRepo] = field(default_factory=dict)

    def repo(self, installation_id: int, full_name: str) -> MemoryRepo:
        return self.repos.setdefault(full_name, MemoryRepo(full_name=full_name))


@dataclass
class MemoryModel:
    """Answers like a reviewer (tests/fakes/model.py's `reviewer_answer`), or as scripted."""

    answer: Callable[[str], dict[str, Any]] = reviewer_answer
    prompts: list[str] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def review(self, *, system: str, prompt: str, model: str, max_tokens: int) -> ModelReply:
        self.prompts.append(prompt)
        if self.failures:
            raise self.failures.pop(0)
        answer = ReviewAnswer.model_validate(self.answer(prompt))
        return ModelReply(answer=answer, model=model, prompt_tokens=100, completion_tokens=20)
