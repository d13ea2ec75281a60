"""Pull requests, their diff, files, commits and compare, with GitHub's limits: 406 `too_large`
diffs, 3,000 listed files, 300 compare files, 250 commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import github_shapes as shapes
from .github_state import (
    Call,
    Pull,
    Reply,
    Repo,
    error,
    not_found,
    paginate,
    route,
)

if TYPE_CHECKING:
    from .github import FakeGitHub

MAX_PR_FILES = 3_000
MAX_COMPARE_FILES = 300
MAX_COMMITS = 250
_DOC_PULL = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"


def pr_files(
    gh: FakeGitHub, repo: Repo, base: str, head: str, *, three_dot: bool = True
) -> list[dict]:
    files = repo.git.changed_files(
        base, head, three_dot=three_dot, repo=repo.full_name, api_url=gh.base_url
    )
    limit = gh.max_patch_bytes
    if limit is not None:
        for entry in files:
            if "patch" in entry and len(entry["patch"].encode()) > limit:
                del entry["patch"]
    return files


def _too_large(gh: FakeGitHub, files: list[dict]) -> Reply | None:
    """GitHub's answer when a diff is too big to render, or None."""
    if len(files) > gh.diff_too_large_files:
        limit = f"files ({gh.diff_too_large_files})"
    elif sum(f["changes"] for f in files) > gh.diff_too_large_lines:
        limit = f"lines ({gh.diff_too_large_lines})"
    else:
        return None
    return error(
        406,
        f"Sorry, the diff exceeded the maximum number of {limit}. Consider using "
        "'List pull requests files' API or locally cloning the repository instead.",
        errors=[{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
        doc=_DOC_PULL,
    )


def _diff_reply(
    gh: FakeGitHub, call: Call, repo: Repo, base: str, head: str, *, three_dot: bool = True
) -> Reply | None:
    """The diff or patch text when Accept asks for one (or the 406), else None for JSON."""
    if call.accepts("diff"):
        too_large = _too_large(gh, pr_files(gh, repo, base, head, three_dot=three_dot))
        if too_large is not None:
            return too_large
        text = repo.git.diff(base, head, three_dot=three_dot)
        return Reply(
            200,
            content=text,
            content_type="text/plain; charset=utf-8",
            headers={"x-github-media-type": "github.v3; param=diff"},
        )
    if call.accepts("patch"):
        too_large = _too_large(gh, pr_files(gh, repo, base, head, three_dot=three_dot))
        if too_large is not None:
            return too_large
        return Reply(
            200,
            content=repo.git.format_patch(base, head),
            content_type="text/plain; charset=utf-8",
            headers={"x-github-media-type": "github.v3; param=patch"},
        )
    return None


def _user_for_author(gh: FakeGitHub, name: str) -> dict:
    return shapes.user(gh.base_url, name.replace(" ", "-"))


def _commit_json(gh: FakeGitHub, repo: Repo, info: dict) -> dict:
    return shapes.commit(
        gh.base_url,
        repo.full_name,
        info,
        author=_user_for_author(gh, info["author"]["name"]),
        committer=_user_for_author(gh, info["committer"]["name"]),
    )


def pull_json(gh: FakeGitHub, repo: Repo, pr: Pull) -> dict:
    from .github_routes_app import repo_json

    files = pr_files(gh, repo, pr.base_sha, pr.head_sha)
    stats = {
        "commits": len(repo.git.log(pr.base_sha, pr.head_sha)),
        "additions": sum(f["additions"] for f in files),
        "deletions": sum(f["deletions"] for f in files),
        "changed_files": len(files),
    }
    with gh.lock:
        comments = sum(1 for c in repo.issue_comments if c["issue_number"] == pr.number)
        review_comments = len(pr.review_comments)
    return shapes.pull_request(
        gh.base_url,
        repo_json(gh, repo),
        pr,
        author=shapes.user(gh.base_url, pr.author),
        stats=stats,
        comments=comments,
        review_comments=review_comments,
    )


def find_pull(call: Call) -> tuple[Repo, Pull | None]:
    repo = call.repo
    assert repo is not None
    return repo, repo.pulls.get(call.int_param("pull_number"))


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}")
def get_pull(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found(_DOC_PULL)
    text = _diff_reply(gh, call, repo, pr.base_sha, pr.head_sha)
    return text or Reply(200, pull_json(gh, repo, pr))


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/files")
def list_pull_files(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    return paginate(gh, call, pr_files(gh, repo, pr.base_sha, pr.head_sha), limit=MAX_PR_FILES)


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number:int}/commits")
def list_pull_commits(gh: FakeGitHub, call: Call) -> Reply:
    repo, pr = find_pull(call)
    if pr is None:
        return not_found()
    commits = [
        _commit_json(gh, repo, c) for c in repo.git.log(pr.base_sha, pr.head_sha)[:MAX_COMMITS]
    ]
    return paginate(gh, call, commits)


@route("GET", "/repos/{owner}/{repo}/commits/{ref}")
def get_commit(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    try:
        info = repo.git.info(call.params["ref"])
    except KeyError:
        return error(422, f"No commit found for SHA: {call.params['ref']}")
    parent = info["parents"][0] if info["parents"] else None
    if parent is None:
        files: list[dict] = []
    else:
        text = _diff_reply(gh, call, repo, parent, info["sha"], three_dot=False)
        if text is not None:
            return text
        files = pr_files(gh, repo, parent, info["sha"], three_dot=False)
    out = _commit_json(gh, repo, info)
    adds, dels = sum(f["additions"] for f in files), sum(f["deletions"] for f in files)
    out.update(
        stats={"total": adds + dels, "additions": adds, "deletions": dels},
        files=files[:MAX_COMPARE_FILES],
    )
    return Reply(200, out)


@route("GET", "/repos/{owner}/{repo}/compare/{basehead:path}")
def compare(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    basehead = call.params["basehead"]
    three_dot = "..." in basehead
    parts = basehead.split("..." if three_dot else "..", 1)
    if len(parts) != 2:
        return not_found()
    refs = []
    for ref in parts:
        owner, colon, branch = ref.partition(":")
        if colon:
            if owner.lower() != repo.owner.lower():
                return not_found()
            ref = branch
        try:
            refs.append(repo.git.sha(ref))
        except KeyError:
            return not_found()
    base, head = refs
    merge_base = repo.git.merge_base(base, head)
    if merge_base is None:
        return error(404, f"No common ancestor between {parts[0]} and {parts[1]}.")
    text = _diff_reply(gh, call, repo, base, head, three_dot=three_dot)
    if text is not None:
        return text
    ahead = repo.git.log(base, head)
    behind_by = len(repo.git.log(head, base))
    status = (
        "identical"
        if base == head
        else "ahead"
        if merge_base == base
        else "behind"
        if merge_base == head
        else "diverged"
    )
    out = shapes.localize(shapes.example("commit-comparison"), gh.base_url, repo.full_name)
    api, html = f"{gh.base_url}/repos/{repo.full_name}", f"https://github.com/{repo.full_name}"
    out.update(
        url=f"{api}/compare/{basehead}",
        html_url=f"{html}/compare/{basehead}",
        permalink_url=f"{html}/compare/{repo.owner}:{base}...{repo.owner}:{head}",
        diff_url=f"{html}/compare/{basehead}.diff",
        patch_url=f"{html}/compare/{basehead}.patch",
        base_commit=_commit_json(gh, repo, repo.git.info(base)),
        merge_base_commit=_commit_json(gh, repo, repo.git.info(merge_base)),
        status=status,
        ahead_by=len(ahead),
        behind_by=behind_by,
        total_commits=len(ahead),
        commits=[_commit_json(gh, repo, c) for c in ahead[:MAX_COMMITS]],
        files=pr_files(gh, repo, base, head, three_dot=three_dot)[:MAX_COMPARE_FILES],
    )
    return Reply(200, out)
