"""A fake GitHub REST server on loopback for end-to-end tests.

`FakeGitHub` serves the endpoints Beadle uses from in-memory state and real git repositories
(`GitRepo`), answers in the shapes of GitHub's official examples, enforces the same auth and
validation rules that matter to a bot (App JWT → installation token, 422 for lines outside the
diff, 406 for oversized diffs, 65,536-character bodies) and checks every request it receives
against the OpenAPI description (`contract_violations()`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import (  # noqa: F401  (importing a routes module registers its endpoints)
    github_routes_app,
    github_routes_checks,
    github_routes_git,
    github_routes_issues,
    github_routes_pulls,
    github_routes_reviews,
    github_web,
)
from . import github_shapes as shapes
from .github_auth import Auth
from .github_http import HttpFront
from .github_state import Pull, Repo
from .gitrepo import GitRepo

_PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")


class FakeGitHub(HttpFront):
    """`with FakeGitHub(app_id=1, public_key_pem=pem) as gh:` then point clients at `gh.base_url`."""

    diff_too_large_files: int = 300  # diffs touching more files answer 406 too_large
    diff_too_large_lines: int = 20_000  # … or more changed lines
    # drop `patch` from larger file entries, as GitHub does for huge files
    max_patch_bytes: int | None = None

    def __init__(
        self,
        *,
        app_id: int = 1,
        public_key_pem: str | bytes,
        slug: str = "beadle",
        client_id: str | None = None,
        owner: str = "beadle-dev",
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.slug = slug
        self.bot_login = f"{slug}[bot]"
        self.app_owner = owner
        self.auth = Auth(app_id=app_id, public_key_pem=public_key_pem, client_id=client_id)
        self.hook_deliveries: list[dict] = []
        self.redelivered: list[int] = []
        self.on_redeliver: Callable[[dict], None] | None = None  # called with the delivery item
        self._repos: dict[str, Repo] = {}
        self._reactions: list[dict] = []
        # the App manifest flow (github_web): forms posted, codes not yet converted, Apps made
        self.manifest_posts: list[dict] = []
        self.manifest_codes: dict[str, dict] = {}
        self.registered_apps: list[dict] = []
        self.app.router.routes[:0] = github_web.routes(self)  # web pages before the REST API

    @property
    def bot(self) -> dict:
        return shapes.user(self.base_url, self.bot_login, type="Bot", id=100_000 + self.app_id)

    # -- configuration -----------------------------------------------------------------------------
    def add_repo(
        self,
        full_name: str,
        git: GitRepo,
        default_branch: str = "main",
        *,
        installation_id: int = 1,
        owner_type: str = "User",
        private: bool = False,
    ) -> None:
        with self.lock:
            self._repos[full_name.lower()] = Repo(
                full_name, git, default_branch, self.new_id(), installation_id, owner_type, private
            )

    def repo(self, full_name: str) -> Repo:
        return self._repos[full_name.lower()]

    def find_repo(self, owner: str, name: str) -> Repo | None:
        return self._repos.get(f"{owner}/{name}".lower())

    def installations(self) -> set[int]:
        with self.lock:
            return {r.installation_id for r in self._repos.values()}

    def open_pull(
        self,
        repo: str,
        *,
        title: str,
        body: str | None = "",
        head: str = "feature",
        base: str = "main",
        draft: bool = False,
        author: str = "alice",
        author_association: str = "CONTRIBUTOR",
    ) -> int:
        """Open a PR from branch `head` into `base` at their current tips; returns its number."""
        with self.lock:
            r = self.repo(repo)
            stamp = shapes.now_iso()
            number = r.next_number
            r.next_number += 1
            r.pulls[number] = Pull(
                number,
                self.new_id(),
                title,
                body,
                head,
                base,
                r.git.sha(head),
                r.git.sha(base),
                draft,
                author,
                author_association,
                stamp,
                stamp,
            )
            return number

    def sync_pull(self, repo: str, number: int, *, base: bool = False) -> str:
        """Re-read the head branch tip (a push or force push); `base=True` re-reads the base too."""
        with self.lock:
            r = self.repo(repo)
            pr = r.pulls[number]
            new_head = r.git.sha(pr.head_ref)
            if new_head != pr.head_sha:
                pr.previous_head_sha, pr.head_sha = pr.head_sha, new_head
            if base:
                pr.base_sha = r.git.sha(pr.base_ref)
            pr.updated_at = shapes.now_iso()
            return pr.head_sha

    def edit_pull(self, repo: str, number: int, **fields: Any) -> None:
        """Change title/body/draft/state of a PR (e.g. `draft=False` before ready_for_review)."""
        with self.lock:
            pr = self.repo(repo).pulls[number]
            for key, value in fields.items():
                if key not in {"title", "body", "draft", "state"}:
                    raise TypeError(f"edit_pull: unknown field {key}")
                setattr(pr, key, value)
            pr.updated_at = shapes.now_iso()

    def pull(self, repo: str, number: int) -> dict:
        """The pull request as `GET /repos/{o}/{r}/pulls/{n}` returns it."""
        return github_routes_pulls.pull_json(self, self.repo(repo), self.repo(repo).pulls[number])

    def set_permission(self, repo: str, login: str, permission: str) -> None:
        if permission not in _PERMISSIONS:
            raise ValueError(f"permission must be one of {_PERMISSIONS}")
        with self.lock:
            self.repo(repo).permissions[login.lower()] = permission

    def add_issue_comment(
        self,
        repo: str,
        number: int,
        body: str,
        *,
        login: str,
        user_type: str = "User",
        author_association: str = "NONE",
    ) -> dict:
        """A comment written by someone else (e.g. `/review`); returns its REST JSON."""
        return github_routes_issues.store_issue_comment(
            self,
            self.repo(repo),
            number,
            body,
            user=shapes.user(self.base_url, login, type=user_type),
            author_association=author_association,
        )

    # -- auth --------------------------------------------------------------------------------------
    def issue_token(self, installation_id: int = 1) -> str:
        """An installation token without the JWT dance, for tests of other parts."""
        return self.auth.issue(installation_id)["token"]

    def revoke_tokens(self) -> None:
        """Every issued installation token stops working (401), as after expiry."""
        self.auth.revoke_all()

    # -- read-outs ---------------------------------------------------------------------------------
    def reviews(self, repo: str, number: int) -> list[dict]:
        with self.lock:
            r = self.repo(repo)
            return [
                github_routes_reviews.review_json(self, r, number, rec)
                for rec in r.pulls[number].reviews
            ]

    def review_comments(self, repo: str, number: int) -> list[dict]:
        with self.lock:
            r = self.repo(repo)
            return [
                shapes.review_comment(self.base_url, r.full_name, number, c)
                for c in r.pulls[number].review_comments
            ]

    def issue_comments(self, repo: str, number: int) -> list[dict]:
        with self.lock:
            r = self.repo(repo)
            return [
                github_routes_issues.issue_comment_json(self, r, c)
                for c in r.issue_comments
                if c["issue_number"] == number
            ]

    @property
    def reactions(self) -> list[dict]:
        """[{comment_id, content, user (login), repo, id}] in the order they were made."""
        with self.lock:
            return copy.deepcopy(self._reactions)

    def check_runs(self, repo: str) -> list[dict]:
        """Latest state of each check run, with `output.annotations` holding all annotations sent."""
        with self.lock:
            r = self.repo(repo)
            out = []
            for rec in r.check_runs.values():
                run = github_routes_checks.check_run_json(self, r, rec)
                run["output"]["annotations"] = copy.deepcopy(rec["annotations"])
                out.append(run)
            return out
