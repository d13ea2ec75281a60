"""Issues as far as a PR bot needs them: the issue of a PR, its comments and reactions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import github_shapes as shapes
from .github_state import Call, Reply, Repo, error, not_found, paginate, route, validation_failed

if TYPE_CHECKING:
    from .github import FakeGitHub

MAX_BODY = 65_536


# -- issue comments and reactions -----------------------------------------------------------------
def issue_comment_json(gh: FakeGitHub, repo: Repo, rec: dict) -> dict:
    with gh.lock:
        contents = [r["content"] for r in gh._reactions if r["comment_id"] == rec["id"]]
    out = shapes.issue_comment(gh.base_url, repo.full_name, rec)
    out["reactions"] = shapes.reaction_rollup(out["url"], contents)
    return out


def store_issue_comment(
    gh: FakeGitHub, repo: Repo, number: int, body: str, *, user: dict, author_association: str
) -> dict:
    stamp = shapes.now_iso()
    rec = {
        "id": gh.new_id(),
        "issue_number": number,
        "body": body,
        "user": user,
        "created_at": stamp,
        "updated_at": stamp,
        "author_association": author_association,
    }
    with gh.lock:
        repo.issue_comments.append(rec)
    return issue_comment_json(gh, repo, rec)


def issue_json(gh: FakeGitHub, r: Repo, number: int, *, on_pull: bool) -> dict:
    """The issue object of an issue_comment payload (a PR is an issue with `pull_request`)."""
    out = shapes.localize(shapes.example("issue"), gh.base_url, r.full_name)
    pr = r.pulls.get(number)
    api, html = f"{gh.base_url}/repos/{r.full_name}", f"https://github.com/{r.full_name}"
    issue_id = pr.id if pr else 900_000 + number
    out.update(
        id=issue_id,
        node_id=shapes.node_id("Issue", issue_id),
        url=f"{api}/issues/{number}",
        repository_url=api,
        labels_url=f"{api}/issues/{number}/labels{{/name}}",
        comments_url=f"{api}/issues/{number}/comments",
        events_url=f"{api}/issues/{number}/events",
        html_url=f"{html}/{'pull' if on_pull else 'issues'}/{number}",
        number=number,
        state=pr.state if pr else "open",
        title=pr.title if pr else f"Issue {number}",
        body=pr.body if pr else "",
        user=shapes.user(gh.base_url, pr.author if pr else "alice"),
        labels=[],
        assignee=None,
        assignees=[],
        milestone=None,
        locked=False,
        active_lock_reason=None,
        comments=sum(1 for c in r.issue_comments if c["issue_number"] == number),
        closed_at=None,
        closed_by=None,
        created_at=pr.created_at if pr else shapes.now_iso(),
        updated_at=pr.updated_at if pr else shapes.now_iso(),
        author_association=pr.author_association if pr else "NONE",
        draft=pr.draft if pr else False,
        performed_via_github_app=None,
        reactions=shapes.reaction_rollup(f"{api}/issues/{number}", []),
    )
    for key in (
        "sub_issues_summary",
        "issue_dependencies_summary",
        "type",
        "pinned_comment",
        "parent_issue_url",
    ):
        out.pop(key, None)
    if on_pull:
        out["pull_request"] = {
            "url": f"{api}/pulls/{number}",
            "html_url": f"{html}/pull/{number}",
            "diff_url": f"{html}/pull/{number}.diff",
            "patch_url": f"{html}/pull/{number}.patch",
            "merged_at": None,
        }
    else:
        out.pop("pull_request", None)
        out.pop("draft", None)
    return out


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number:int}")
def get_issue(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    number = call.int_param("issue_number")
    if not _issue_exists(repo, number):
        return not_found()
    return Reply(200, issue_json(gh, repo, number, on_pull=True))


def _issue_exists(repo: Repo, number: int) -> bool:
    return number in repo.pulls


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments")
def list_issue_comments(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    number = call.int_param("issue_number")
    if not _issue_exists(repo, number):
        return not_found()
    with gh.lock:
        recs = [c for c in repo.issue_comments if c["issue_number"] == number]
    return paginate(gh, call, [issue_comment_json(gh, repo, c) for c in recs])


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number:int}/comments")
def create_issue_comment(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    number = call.int_param("issue_number")
    if not _issue_exists(repo, number):
        return not_found()
    body = call.json["body"]
    if len(body) > MAX_BODY:
        return validation_failed(
            "IssueComment",
            "data",
            f"Body is too long (maximum is {MAX_BODY} characters)",
            code="unprocessable",
        )
    return Reply(
        201, store_issue_comment(gh, repo, number, body, user=gh.bot, author_association="NONE")
    )


def _find_comment(gh: FakeGitHub, repo: Repo, comment_id: int) -> dict | None:
    with gh.lock:
        return next((c for c in repo.issue_comments if c["id"] == comment_id), None)


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id:int}")
def get_issue_comment(gh: FakeGitHub, call: Call) -> Reply:
    assert call.repo is not None
    rec = _find_comment(gh, call.repo, call.int_param("comment_id"))
    return Reply(200, issue_comment_json(gh, call.repo, rec)) if rec else not_found()


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id:int}")
def update_issue_comment(gh: FakeGitHub, call: Call) -> Reply:
    assert call.repo is not None
    rec = _find_comment(gh, call.repo, call.int_param("comment_id"))
    if rec is None:
        return not_found()
    if rec["user"]["login"] != gh.bot_login:
        return error(403, "Resource not accessible by integration")
    body = call.json["body"]
    if len(body) > MAX_BODY:
        return validation_failed(
            "IssueComment",
            "data",
            f"Body is too long (maximum is {MAX_BODY} characters)",
            code="unprocessable",
        )
    with gh.lock:
        rec.update(body=body, updated_at=shapes.now_iso())
    return Reply(200, issue_comment_json(gh, call.repo, rec))


@route("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions")
def create_reaction(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    comment_id = call.int_param("comment_id")
    if _find_comment(gh, repo, comment_id) is None:
        return not_found()
    content = call.json["content"]
    with gh.lock:
        for rec in gh._reactions:
            if (
                rec["comment_id"] == comment_id
                and rec["content"] == content
                and rec["user"] == gh.bot_login
            ):
                return Reply(200, shapes.reaction(gh.base_url, {**rec, "user": gh.bot}))
        rec = {
            "id": gh.new_id(),
            "repo": repo.full_name,
            "comment_id": comment_id,
            "content": content,
            "user": gh.bot_login,
            "created_at": shapes.now_iso(),
        }
        gh._reactions.append(rec)
    return Reply(201, shapes.reaction(gh.base_url, {**rec, "user": gh.bot}))
