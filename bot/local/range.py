"""Which commits a local review covers, and the pull-request-shaped value the round reads.

`resolve_range` asks git (the default branch, the merge base, the branch name, the commit
messages); `local_pull` and the helpers below are pure: a local range becomes a `PullInfo`
whose title and description come from its commits, so the prompt's "what was implemented" is
the author's own words, as on a pull request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.github.client import PullInfo
from bot.local.git import Git, GitError

LOCAL_NUMBER = 0  # the "pull request number" of a local range
_GITHUB_REMOTE = re.compile(
    r"(?:https?://(?:[^@/]+@)?|ssh://git@|git@)(?P<host>[^/:]+)[/:](?P<name>[\w.-]+/[\w.-]+?)"
    r"(?:\.git)?/?$"
)


class RangeError(Exception):
    """The range asked for cannot be resolved (an unknown REV, no default branch): a usage
    error, said in one line."""


@dataclass(frozen=True, slots=True)
class LocalRange:
    root: str  # the checkout's top folder
    base: str
    head: str
    branch: str  # the head's branch name, "" when detached
    default_ref: str  # where .github/beadle.yml is read (the default branch), or the head
    messages: tuple[str, ...]  # commit messages base..head, oldest first
    full_name: str  # OWNER/REPO from the origin remote, else the folder's name
    web_url: str  # https://HOST/OWNER/REPO when origin is a GitHub-style URL, else ""


def resolve_range(git: Git, *, base: str | None, head: str) -> LocalRange:
    """`head` defaults to HEAD upstream of here; `base` None means the merge base with the
    default branch (origin/HEAD, else main, else master)."""
    top = git.line("rev-parse", "--show-toplevel")
    if top is None:
        raise RangeError(f"{git.root} is not inside a git checkout (use --repo DIR)")
    head_sha = git.commit(head)
    if head_sha is None:
        raise RangeError(f"--head {head}: no such commit in {top}")
    default = default_branch(git)
    if base is None:
        if default is None:
            raise RangeError("no default branch found (origin/HEAD, main, master): pass --base REV")
        base_sha = git.line("merge-base", default, head_sha)
        if not base_sha:
            raise RangeError(f"{default} and {head} share no history: pass --base REV")
    else:
        found = git.commit(base)
        if found is None:
            raise RangeError(f"--base {base}: no such commit in {top}")
        base_sha = found
    branch = branch_name(git, head)
    remote = git.line("remote", "get-url", "origin") or ""
    full_name, web_url = repository_names(remote, folder=top.rstrip("/").rsplit("/", 1)[-1])
    return LocalRange(
        root=top,
        base=base_sha,
        head=head_sha,
        branch=branch,
        default_ref=default or head_sha,
        messages=tuple(commit_messages(git, base_sha, head_sha)),
        full_name=full_name,
        web_url=web_url,
    )


def default_branch(git: Git) -> str | None:
    remote_head = git.line("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if remote_head:
        return remote_head.removeprefix("refs/remotes/")
    for ref in ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/main"):
        if git.ok("rev-parse", "--verify", "--quiet", ref):
            return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    if git.ok("rev-parse", "--verify", "--quiet", "refs/remotes/origin/master"):
        return "origin/master"
    return None


def branch_name(git: Git, head: str) -> str:
    """The branch `head` names (HEAD: the current one), "" when it names none."""
    if head == "HEAD":
        return git.line("symbolic-ref", "--quiet", "--short", "HEAD") or ""
    if git.ok("rev-parse", "--verify", "--quiet", f"refs/heads/{head}"):
        return head
    return ""


def commit_messages(git: Git, base: str, head: str, *, limit: int = 250) -> list[str]:
    """Messages of the commits base..head, oldest first, as the pull request's commits list
    gives them (at most 250)."""
    try:
        out = git.text(
            "log", "--reverse", f"--max-count={limit}", "--format=%B%x00", base + ".." + head
        )
    except GitError:
        return []
    return [m.strip() for m in out.split("\0") if m.strip()]


def repository_names(remote_url: str, *, folder: str) -> tuple[str, str]:
    """(OWNER/REPO, https://HOST/OWNER/REPO) from a remote URL; pure."""
    match = _GITHUB_REMOTE.match(remote_url.strip())
    if match is None:
        return folder, ""
    return match["name"], f"https://{match['host']}/{match['name']}"


def local_pull(r: LocalRange) -> PullInfo:
    """The range as a pull request: one commit's subject is the title; several are summed up,
    and every message is the description. Pure."""
    subjects = [m.splitlines()[0] for m in r.messages]
    if len(subjects) == 1:
        title = subjects[0]
    else:
        where = f" on {r.branch}" if r.branch else ""
        title = f"{len(subjects)} commits{where}"
    body = "\n\n".join(f"- {m}" for m in r.messages) if r.messages else None
    return PullInfo(
        number=LOCAL_NUMBER,
        title=title,
        body=body,
        draft=False,
        state="open",
        head_sha=r.head,
        head_ref=r.branch,
        base_sha=r.base,
        html_url="",
        repo_html_url=r.web_url,
        default_branch=r.default_ref,
    )
