"""`RestRepo`: one repository through an installation's PyGithub client (the RepoClient port).

Thin: each method is one REST call (or one paginated list) and returns plain values, so the
pipeline above it is tested against a fake GitHub on loopback, not against mocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import github
import requests
from github.GithubException import GithubException

from bot.github.calls import StatusHook, ignore, request_json
from bot.github.client import History, PullInfo, ReviewComment, TreeEntry
from bot.github.errors import GitHubError, github_error, rate_limit_wait
from bot.github.raw import RawReader

DIFF = {"Accept": "application/vnd.github.diff"}
RAW = {"Accept": "application/vnd.github.raw+json"}
RAW_BLOB = "application/vnd.github.raw+json"  # git/blobs: the bytes, not base64 in JSON
_STANDARD_REFS = ("refs/heads/", "refs/tags/")
_TREE_WALK_LIMIT = 200  # subtrees fetched one by one when a recursive listing was truncated


def _pull_info(d: dict[str, Any]) -> PullInfo:
    base_repo = d["base"].get("repo") or {}
    return PullInfo(
        number=d["number"],
        title=d.get("title") or "",
        body=d.get("body"),
        draft=bool(d.get("draft")),
        state=d.get("state") or "open",
        head_sha=d["head"]["sha"],
        head_ref=d["head"].get("ref", ""),
        base_sha=d["base"]["sha"],
        html_url=d.get("html_url", ""),
        repo_html_url=base_repo.get("html_url", ""),
        default_branch=base_repo.get("default_branch") or "main",
    )


class RestRepo:
    def __init__(
        self,
        gh: github.Github,
        full_name: str,
        *,
        bot_login: str,
        on_request: StatusHook = ignore,
    ) -> None:
        self._gh = gh
        self._requester = gh.requester
        self._counted = on_request  # each request's status, for /metrics (bot/metrics.py)
        self.full_name = full_name
        self._path = f"/repos/{full_name}"
        self.bot_login = bot_login
        self._compared: dict[tuple[str, str], dict[str, Any] | None] = {}

    def _json(
        self,
        verb: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        try:
            _, data = request_json(
                self._requester,
                verb,
                self._path + path,
                on_status=self._counted,
                parameters=params,
                input=body,
                headers=headers,
            )
        except GithubException as exc:
            raise _error(exc, f"{verb} {path}") from None
        except requests.RequestException as exc:
            raise github_error(f"{verb} {path}: {type(exc).__name__}", status=None) from None
        return data

    def _text(self, path: str, headers: dict[str, str]) -> tuple[int, str]:
        try:
            status, resp_headers, text = self._requester.requestJson(
                "GET", self._path + path, headers=headers
            )
        except GithubException as exc:  # PyGithub's retry gave up (a 403 or 5xx on a read)
            self._counted(exc.status)
            raise _error(exc, f"GET {path}") from None
        except requests.RequestException as exc:
            self._counted(None)
            raise github_error(f"GET {path}: {type(exc).__name__}", status=None) from None
        self._counted(status)
        if status >= 500 or status in (403, 429):
            wait = rate_limit_wait(resp_headers)
            raise github_error(
                f"GET {path} answered {status}",
                status=status,
                retry_after=wait,
                rate_limited=wait is not None or "rate limit" in text.lower(),
            )
        return status, text

    def _pages(self, path: str, *, limit: int = 3000) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while len(items) < limit:
            batch = self._json("GET", path, params={"per_page": 100, "page": page})
            items.extend(batch or [])
            if not batch or len(batch) < 100:
                break
            page += 1
        return items[:limit]

    # -- reads -------------------------------------------------------------------------------
    def pull(self, number: int) -> PullInfo:
        return _pull_info(self._json("GET", f"/pulls/{number}"))

    def pull_diff(self, number: int) -> str | None:
        """The PR's diff base...head; None when GitHub says it is too large (406)."""
        return self._diff(f"/pulls/{number}")

    def compare_diff(self, base: str, head: str) -> str | None:
        return self._diff(f"/compare/{base}...{head}")

    def _diff(self, path: str) -> str | None:
        status, text = self._text(path, DIFF)
        if status == 406:
            return None
        if status >= 400:
            raise github_error(f"GET {path} (diff) answered {status}", status=status)
        return text

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        return self._pages(f"/pulls/{number}/files")

    def commit_messages(self, number: int) -> list[str]:
        return [c["commit"]["message"] for c in self._pages(f"/pulls/{number}/commits", limit=250)]

    def compare(self, base: str, head: str) -> dict[str, Any] | None:
        """`GET /compare/base...head` (status, commits, up to 300 files with patches); None for
        an unknown commit. Remembered for this client's job: the round plan and the diff of a
        follow-up round are one request."""
        key = (base, head)
        if key not in self._compared:
            try:
                self._compared[key] = self._json("GET", f"/compare/{base}...{head}")
            except GitHubError as exc:
                if exc.status != 404:
                    raise
                self._compared[key] = None
        return self._compared[key]

    def history(self, old: str, new: str) -> History:
        """How the branch moved from `old` to `new`: "linear", "merged" (a merge commit in
        between, e.g. "Update branch") or "rewritten" (`old` is gone: force push, rebase)."""
        data = self.compare(old, new)
        if data is None or data.get("status") not in ("ahead", "identical"):
            return "rewritten"
        merges = any(len(c.get("parents") or ()) > 1 for c in data.get("commits") or ())
        return "merged" if merges else "linear"

    def file_text(self, path: str, ref: str) -> str | None:
        """The file at `ref`, or None if it is absent."""
        status, text = self._text(f"/contents/{quote(path)}?ref={quote(ref)}", RAW)
        if status == 404:
            return None
        if status >= 400:
            raise github_error(f"GET contents {path} answered {status}", status=status)
        return text

    # -- git data ----------------------------------------------------------------------------
    def tree_entries(self, path: str, ref: str) -> list[TreeEntry] | None:
        """A folder's listing through the contents API: one request gives every file's blob SHA
        and size, so files of any size are then read as blobs.
        https://docs.github.com/rest/repos/contents#get-repository-content"""
        try:
            data = self._json("GET", f"/contents/{quote(path.strip('/'))}", params={"ref": ref})
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, list):
            return None  # a file, not a folder
        return [
            TreeEntry(str(e["name"]), str(e["type"]), str(e["sha"]), int(e.get("size") or 0))
            for e in data
        ]

    def blob(self, sha: str) -> bytes:
        """A blob's bytes, raw (up to 100 MB; the contents API stops at 1 MB).
        https://docs.github.com/rest/git/blobs#get-a-blob"""
        path = f"/git/blobs/{quote(sha)}"
        try:
            status, headers, body = RawReader.of(self._requester).get(
                self._path + path, accept=RAW_BLOB
            )
        except requests.RequestException as exc:
            self._counted(None)
            raise github_error(f"GET {path}: {type(exc).__name__}", status=None) from None
        self._counted(status)
        if status == 200:
            return body
        wait = rate_limit_wait(headers)
        raise github_error(
            f"GET {path} answered {status}",
            status=status,
            retry_after=wait,
            rate_limited=wait is not None or b"rate limit" in body[:500].lower(),
        )

    def branch_sha(self, name: str) -> str | None:
        return self.ref_sha(f"refs/heads/{name}")

    def ref_sha(self, name: str) -> str | None:
        """`GET /git/ref/{ref}` (the ref without `refs/`); for a ref outside heads and tags,
        a 404 is checked against `GET /git/matching-refs/{namespace}/`, since GitHub does not
        document the single-ref form for other namespaces.
        https://docs.github.com/rest/git/refs#get-a-reference"""
        short = name.removeprefix("refs/")
        try:
            data = self._json("GET", f"/git/ref/{quote(short)}")
        except GitHubError as exc:
            if exc.status != 404:
                raise
            data = None
        if data is None and not name.startswith(_STANDARD_REFS):
            namespace = short.split("/", 1)[0]
            try:
                data = self._json("GET", f"/git/matching-refs/{quote(namespace)}/")
            except GitHubError as exc:
                if exc.status != 404:
                    raise
        for item in data if isinstance(data, list) else [data] if data else []:
            if isinstance(item, dict) and item.get("ref") == name:
                target = item.get("object") or {}
                return str(target["sha"]) if target.get("sha") else None
        return None

    def commit_tree(self, commit_sha: str) -> str:
        data = self._json("GET", f"/git/commits/{quote(commit_sha)}")
        return str(data["tree"]["sha"])

    def tree(self, tree_sha: str) -> list[tuple[str, str, str, int | None]]:
        """Every entry below the tree. A recursive listing GitHub truncated (over 100,000
        entries or 7 MB) is completed by listing its subtrees one by one.
        https://docs.github.com/rest/git/trees#get-a-tree"""
        data = self._json("GET", f"/git/trees/{quote(tree_sha)}", params={"recursive": "1"})
        entries = [_tree_entry(e, "") for e in data.get("tree") or []]
        if not data.get("truncated"):
            return entries
        entries, pending, walked = [], [("", tree_sha)], 0
        while pending and walked < _TREE_WALK_LIMIT:
            prefix, sha = pending.pop()
            walked += 1
            for e in self._json("GET", f"/git/trees/{quote(sha)}").get("tree") or []:
                entry = _tree_entry(e, prefix)
                entries.append(entry)
                if entry[1] == "tree":
                    pending.append((entry[0] + "/", entry[2]))
        return entries

    def own_review_bodies(self, number: int) -> list[str]:
        """Bodies of Beadle's own reviews on the PR, oldest first."""
        return [
            r.get("body") or ""
            for r in self._pages(f"/pulls/{number}/reviews")
            if (r.get("user") or {}).get("login") == self.bot_login
        ]

    def permission(self, login: str) -> str:
        try:
            data = self._json("GET", f"/collaborators/{quote(login)}/permission")
        except GitHubError as exc:
            if exc.status == 404:
                return "none"
            raise
        return str(data.get("permission") or "none")

    # -- writes ------------------------------------------------------------------------------
    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int:
        payload: dict[str, Any] = {"commit_id": commit_id, "body": body, "event": "COMMENT"}
        if comments:
            payload["comments"] = list(comments)
        return int(self._json("POST", f"/pulls/{number}/reviews", body=payload)["id"])

    def comment(self, number: int, body: str) -> int:
        return int(self._json("POST", f"/issues/{number}/comments", body={"body": body})["id"])

    def react(self, comment_id: int, content: str = "eyes") -> None:
        self._json("POST", f"/issues/comments/{comment_id}/reactions", body={"content": content})

    def create_check(self, payload: dict[str, Any]) -> int:
        return int(self._json("POST", "/check-runs", body=payload)["id"])

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None:
        self._json("PATCH", f"/check-runs/{check_id}", body=payload)

    # -- review threads ----------------------------------------------------------------------
    def own_review_comments(self, number: int) -> list[ReviewComment]:
        """Beadle's own review comments, oldest first (GitHub lists them by id, 100 a page).
        https://docs.github.com/en/rest/pulls/comments#list-review-comments-on-a-pull-request"""
        return [
            ReviewComment(
                id=int(c["id"]),
                body=c.get("body") or "",
                in_reply_to=int(c["in_reply_to_id"]) if c.get("in_reply_to_id") else None,
            )
            for c in self._pages(f"/pulls/{number}/comments")
            if (c.get("user") or {}).get("login") == self.bot_login
        ]

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        path = f"/pulls/{number}/comments/{comment_id}/replies"
        return int(self._json("POST", path, body={"body": body})["id"])


def _tree_entry(e: dict[str, Any], prefix: str) -> tuple[str, str, str, int | None]:
    size = e.get("size")
    return (
        prefix + str(e["path"]),
        str(e["type"]),
        str(e["sha"]),
        int(size) if size is not None else None,
    )


def _error(exc: GithubException, what: str) -> GitHubError:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    wait = rate_limit_wait(exc.headers or {})
    limited = wait is not None or "rate limit" in str(message or "").lower()
    return github_error(
        f"{what} answered {exc.status}: {message or 'no message'}",
        status=exc.status,
        retry_after=wait,
        rate_limited=limited,
    )
