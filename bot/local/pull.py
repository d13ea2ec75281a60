"""`beadle review OWNER/REPO#N`: a pull request reached from a shell or CI, through the App's
credentials or a token (`GITHUB_TOKEN`: a personal token, or the one GitHub Actions gives).

With the App, the installation on the repository is looked up (`GET /repos/{o}/{r}/installation`)
and the review is Beadle's own, continuing the App's rounds. With a token, reviews carry the
token's login: `BEADLE_BOT_LOGIN` if set, `github-actions[bot]` inside GitHub Actions, else the
login `GET /user` names; Beadle follows the earlier rounds of that login only.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.github.client import History, Installations, PullInfo, RepoClient, ReviewComment, TreeEntry
from bot.github.errors import GitHubError
from bot.local.git import Git, GitError
from bot.local.range import repository_names
from bot.settings import GitHubSettings, SettingsError

log = logging.getLogger("beadle.review")
TARGET = re.compile(r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(?P<number>[1-9][0-9]{0,9})")
ACTIONS_LOGIN = "github-actions[bot]"


def parse_target(text: str) -> tuple[str, int] | None:
    """("OWNER/REPO", N) from `OWNER/REPO#N`, else None; pure."""
    match = TARGET.fullmatch(text.strip())
    return (match["repo"], int(match["number"])) if match else None


def repository_checkout(repo_dir: str, full_name: str, *, trusted: bool) -> str | None:
    """The top folder of a local checkout of `full_name` at `repo_dir`, else None: where bd
    and the Dolt data of refs/dolt/data are read. A folder given with `--repo` is taken at its
    word; the working directory counts only when its `origin` is `full_name` (in CI it is)."""
    git = Git(repo_dir)
    try:
        top = git.line("rev-parse", "--show-toplevel")
        remote = git.line("remote", "get-url", "origin") or ""
    except GitError:
        return None
    if not top:
        return None
    if trusted:
        return top
    name, _ = repository_names(remote, folder="")
    return top if name.lower() == full_name.lower() else None


@dataclass(frozen=True, slots=True)
class Connection:
    installations: Installations
    installation_id: int
    how: str  # "the GitHub App" / "GITHUB_TOKEN", for messages


def connect(settings: GitHubSettings, full_name: str) -> Connection:
    """The App when APP_ID and its key are set, else GITHUB_TOKEN; SettingsError without
    either. GitHubError when GitHub refuses (no installation on the repository, a bad token)."""
    pem = settings.app_key_pem()
    if pem is not None:
        from bot.github.app import GitHubApp

        app = GitHubApp(
            app_id=str(settings.app_id),
            private_key_pem=pem,
            base_url=settings.github_api_url,
            bot_login=settings.bot_login,
        )
        return Connection(app, app.installation_id(full_name), "the GitHub App")
    token = settings.token()
    if token is None:
        raise SettingsError(
            "a pull request needs GITHUB_TOKEN, or the App's APP_ID and PRIVATE_KEY "
            "(or PRIVATE_KEY_PATH)"
        )
    return Connection(TokenInstallations(token, settings), 0, "GITHUB_TOKEN")


class TokenInstallations:
    """Every repository through one token's PyGithub client (the Installations port)."""

    def __init__(self, token: str, settings: GitHubSettings) -> None:
        import github
        from github.GithubRetry import GithubRetry

        self._gh = github.Github(
            auth=github.Auth.Token(token),
            base_url=settings.github_api_url.rstrip("/"),
            timeout=30,
            # reads only: a write that failed may have landed (as in bot/github/app.py)
            retry=GithubRetry(
                total=3, backoff_factor=0.5, allowed_methods=frozenset({"GET", "HEAD"})
            ),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._login = settings.bot_login or self._whoami()

    def _whoami(self) -> str:
        if os.environ.get("GITHUB_ACTIONS") == "true":
            return ACTIONS_LOGIN
        from github.GithubException import GithubException

        try:
            _, me = self._gh.requester.requestJsonAndCheck("GET", "/user")
        except GithubException:
            log.warning(
                "whose token this is is unknown (set BEADLE_BOT_LOGIN): earlier reviews are not followed"
            )
            return ""
        return str((me or {}).get("login") or "")

    def repo(self, installation_id: int, full_name: str) -> RepoClient:
        from bot.github.rest import RestRepo

        return RestRepo(self._gh, full_name, bot_login=self._login)


@dataclass
class Recording:
    """A RepoClient that notes the reviews posted through it (to print their links)."""

    inner: RepoClient
    posted: list[int] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return self.inner.full_name

    def pull(self, number: int) -> PullInfo:
        return self.inner.pull(number)

    def pull_diff(self, number: int) -> str | None:
        return self.inner.pull_diff(number)

    def compare_diff(self, base: str, head: str) -> str | None:
        return self.inner.compare_diff(base, head)

    def pull_files(self, number: int) -> list[dict[str, Any]]:
        return self.inner.pull_files(number)

    def commit_messages(self, number: int) -> list[str]:
        return self.inner.commit_messages(number)

    def compare(self, base: str, head: str) -> dict[str, Any] | None:
        return self.inner.compare(base, head)

    def history(self, old: str, new: str) -> History:
        return self.inner.history(old, new)

    def file_text(self, path: str, ref: str) -> str | None:
        return self.inner.file_text(path, ref)

    def own_review_bodies(self, number: int) -> list[str]:
        return self.inner.own_review_bodies(number)

    # git data: the beads sources' reads (bot/beads/sources/ports.py)
    def tree_entries(self, path: str, ref: str) -> Sequence[TreeEntry] | None:
        return self.inner.tree_entries(path, ref)

    def blob(self, sha: str) -> bytes:
        return self.inner.blob(sha)

    def branch_sha(self, name: str) -> str | None:
        return self.inner.branch_sha(name)

    def ref_sha(self, name: str) -> str | None:
        return self.inner.ref_sha(name)

    def commit_tree(self, commit_sha: str) -> str:
        return self.inner.commit_tree(commit_sha)

    def tree(self, tree_sha: str) -> Sequence[tuple[str, str, str, int | None]]:
        return self.inner.tree(tree_sha)

    def permission(self, login: str) -> str:
        return self.inner.permission(login)

    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int:
        review_id = self.inner.post_review(
            number, commit_id=commit_id, body=body, comments=comments
        )
        self.posted.append(review_id)
        return review_id

    def comment(self, number: int, body: str) -> int:
        return self.inner.comment(number, body)

    def react(self, comment_id: int, content: str = "eyes") -> None:
        self.inner.react(comment_id, content)

    def create_check(self, payload: dict[str, Any]) -> int:
        return self.inner.create_check(payload)

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None:
        self.inner.update_check(check_id, payload)

    def own_review_comments(self, number: int) -> list[ReviewComment]:
        return self.inner.own_review_comments(number)

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        return self.inner.reply_to_review_comment(number, comment_id, body)


class ReadOnly(Recording):
    """Reads pass through; every write is refused before anything is sent (no `--post`)."""

    def post_review(
        self, number: int, *, commit_id: str, body: str, comments: Sequence[dict[str, object]] = ()
    ) -> int:
        raise _refused()

    def comment(self, number: int, body: str) -> int:
        raise _refused()

    def react(self, comment_id: int, content: str = "eyes") -> None:
        raise _refused()

    def create_check(self, payload: dict[str, Any]) -> int:
        raise _refused()

    def update_check(self, check_id: int, payload: dict[str, Any]) -> None:
        raise _refused()

    def reply_to_review_comment(self, number: int, comment_id: int, body: str) -> int:
        raise _refused()


def _refused() -> GitHubError:
    return GitHubError("nothing is written to GitHub without --post", status=403)
