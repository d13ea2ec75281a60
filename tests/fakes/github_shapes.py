"""JSON bodies in GitHub's shapes: each starts from the official example and overwrites fields.

Every URL points at the fake (`api`), so a client that follows `url` fields stays on loopback.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from typing import Any
from urllib.parse import quote

from .openapi import example

_EXAMPLE_REPOS = ("octocat/Hello-World", "octokit/octokit.rb", "github/hello-world")


def now_iso(offset: dt.timedelta = dt.timedelta(0)) -> str:
    return (dt.datetime.now(dt.UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0:{kind}{ident}".encode()).decode().rstrip("=")


def localize(obj: Any, api: str, full_name: str = "owner/repo") -> Any:
    """Point an example's URLs at the fake and its repository names at `full_name`."""
    if isinstance(obj, dict):
        return {k: localize(v, api, full_name) for k, v in obj.items()}
    if isinstance(obj, list):
        return [localize(v, api, full_name) for v in obj]
    if isinstance(obj, str) and ("github.com" in obj or "/" in obj):
        for name in _EXAMPLE_REPOS:
            obj = obj.replace(name, full_name)
        return obj.replace("https://api.github.com", api)
    return obj


def user_id(login: str) -> int:
    """A stable id per login, so the same user looks the same in every answer."""
    return 10_000 + int.from_bytes(login.lower().encode()[:6].ljust(6, b"\0"), "big") % 89_000_000


@functools.cache
def _user_template() -> dict[str, Any]:
    return example("pull-request")["user"]


def user(api: str, login: str, *, type: str = "User", id: int | None = None) -> dict[str, Any]:
    template = _user_template()
    quoted = quote(login)
    out = {}
    for key, value in template.items():
        if isinstance(value, str):
            value = value.replace("https://api.github.com/users/octocat", f"{api}/users/{quoted}")
            value = value.replace("https://github.com/octocat", f"https://github.com/{quoted}")
        out[key] = value
    uid = id if id is not None else user_id(login)
    kind = "Bot" if type == "Bot" else ("Organization" if type == "Organization" else "User")
    out.update(login=login, id=uid, node_id=node_id(kind, uid), type=type, site_admin=False)
    out["avatar_url"] = f"https://avatars.githubusercontent.com/u/{uid}?v=4"
    if type == "Bot":
        out["html_url"] = f"https://github.com/apps/{quote(login.removesuffix('[bot]'))}"
    return out


def repository(
    api: str, full_name: str, *, id: int, owner: dict, default_branch: str, private: bool
) -> dict:
    repo = localize(example("full-repository"), api, full_name)
    for key in ("parent", "source", "template_repository", "organization", "security_and_analysis"):
        repo.pop(key, None)
    if owner["type"] == "Organization":
        repo["organization"] = owner
    name = full_name.split("/", 1)[1]
    repo.update(
        id=id,
        node_id=node_id("Repository", id),
        name=name,
        full_name=full_name,
        owner=owner,
        private=private,
        visibility="private" if private else "public",
        default_branch=default_branch,
        master_branch=default_branch,
        description=f"{name} (fake GitHub)",
        fork=False,
        archived=False,
        disabled=False,
        topics=[],
        has_discussions=False,
        open_issues_count=0,
        open_issues=0,
        forks_count=0,
        forks=0,
        network_count=0,
        subscribers_count=0,
        permissions={
            "admin": False,
            "maintain": False,
            "push": False,
            "triage": False,
            "pull": True,
        },
    )
    return repo


def pull_request(
    api: str, repo: dict, pr: Any, *, author: dict, stats: dict, comments: int, review_comments: int
) -> dict:
    """`pr` is the fake's Pull record; `repo` the repository JSON; `stats` from the diff."""
    full = repo["full_name"]
    number = pr.number
    out = localize(example("pull-request"), api, full)
    for key, value in list(out.items()):
        if isinstance(value, str):
            out[key] = value.replace("/1347", f"/{number}").replace(
                "6dcb09b5b57875f334f61aebed695e2e4193db5e", pr.head_sha
            )
    out["_links"] = {
        k: {
            "href": v["href"]
            .replace("/1347", f"/{number}")
            .replace("6dcb09b5b57875f334f61aebed695e2e4193db5e", pr.head_sha)
        }
        for k, v in out["_links"].items()
    }
    owner_login = repo["owner"]["login"]
    out.update(
        id=pr.id,
        node_id=node_id("PullRequest", pr.id),
        number=number,
        state=pr.state,
        locked=False,
        active_lock_reason=None,
        title=pr.title,
        body=pr.body,
        user=author,
        labels=[],
        milestone=None,
        assignee=None,
        assignees=[],
        requested_reviewers=[],
        requested_teams=[],
        created_at=pr.created_at,
        updated_at=pr.updated_at,
        closed_at=pr.closed_at,
        merged_at=pr.merged_at,
        merge_commit_sha=None,
        author_association=pr.author_association,
        auto_merge=None,
        draft=pr.draft,
        merged=pr.merged_at is not None,
        mergeable=None,
        rebaseable=None,
        mergeable_state="unknown",
        merged_by=None,
        comments=comments,
        review_comments=review_comments,
        maintainer_can_modify=False,
        commits=stats["commits"],
        additions=stats["additions"],
        deletions=stats["deletions"],
        changed_files=stats["changed_files"],
    )
    for side, ref, sha in (("head", pr.head_ref, pr.head_sha), ("base", pr.base_ref, pr.base_sha)):
        out[side] = {
            "label": f"{owner_login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": repo["owner"],
            "repo": repo,
        }
    return out


def commit(
    api: str, full_name: str, info: dict, *, author: dict | None, committer: dict | None
) -> dict:
    """A commit list item (`commit-items`) from GitRepo.log()'s record."""
    sha = info["sha"]
    out = localize(example("commit-items")[0], api, full_name)
    base = f"{api}/repos/{full_name}"
    out.update(
        sha=sha,
        node_id=node_id("Commit", sha),
        url=f"{base}/commits/{sha}",
        html_url=f"https://github.com/{full_name}/commit/{sha}",
        comments_url=f"{base}/commits/{sha}/comments",
        author=author,
        committer=committer,
        parents=[
            {
                "sha": p,
                "url": f"{base}/commits/{p}",
                "html_url": f"https://github.com/{full_name}/commit/{p}",
            }
            for p in info["parents"]
        ],
    )
    out["commit"].update(
        url=f"{base}/git/commits/{sha}",
        author=dict(info["author"]),
        committer=dict(info["committer"]),
        message=info["message"],
        tree={"sha": info["tree"], "url": f"{base}/git/trees/{info['tree']}"},
        comment_count=0,
        verification={
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    )
    return out


def review(api: str, full_name: str, number: int, rec: dict) -> dict:
    out = localize(example("pull-request-review"), api, full_name)
    html = f"https://github.com/{full_name}/pull/{number}#pullrequestreview-{rec['id']}"
    out.update(
        id=rec["id"],
        node_id=node_id("PullRequestReview", rec["id"]),
        user=rec["user"],
        body=rec["body"],
        state=rec["state"],
        html_url=html,
        pull_request_url=f"{api}/repos/{full_name}/pulls/{number}",
        _links={
            "html": {"href": html},
            "pull_request": {"href": f"{api}/repos/{full_name}/pulls/{number}"},
        },
        commit_id=rec["commit_id"],
        author_association=rec["author_association"],
    )
    if rec["submitted_at"] is None:
        out.pop("submitted_at", None)
    else:
        out["submitted_at"] = rec["submitted_at"]
    return out


def review_comment(api: str, full_name: str, number: int, rec: dict) -> dict:
    out = localize(example("pull-request-review-comment"), api, full_name)
    url = f"{api}/repos/{full_name}/pulls/comments/{rec['id']}"
    html = f"https://github.com/{full_name}/pull/{number}#discussion_r{rec['id']}"
    pull_url = f"{api}/repos/{full_name}/pulls/{number}"
    out.pop("in_reply_to_id", None)
    out.update(
        {
            k: rec[k]
            for k in (
                "id",
                "pull_request_review_id",
                "diff_hunk",
                "path",
                "commit_id",
                "user",
                "body",
                "created_at",
                "line",
                "side",
                "start_line",
                "start_side",
                "author_association",
            )
        }
    )
    out.update(
        node_id=node_id("PullRequestReviewComment", rec["id"]),
        url=url,
        html_url=html,
        pull_request_url=pull_url,
        position=rec.get("position"),
        original_position=rec.get("position"),
        original_commit_id=rec["commit_id"],
        original_line=rec["line"],
        original_start_line=rec["start_line"],
        updated_at=rec["created_at"],
        subject_type="line",
        _links={"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
    )
    return out


def issue_comment(api: str, full_name: str, rec: dict) -> dict:
    out = localize(example("issue-comment"), api, full_name)
    out.update(
        id=rec["id"],
        node_id=node_id("IssueComment", rec["id"]),
        url=f"{api}/repos/{full_name}/issues/comments/{rec['id']}",
        html_url=f"https://github.com/{full_name}/pull/{rec['issue_number']}#issuecomment-{rec['id']}",
        body=rec["body"],
        user=rec["user"],
        created_at=rec["created_at"],
        updated_at=rec["updated_at"],
        issue_url=f"{api}/repos/{full_name}/issues/{rec['issue_number']}",
        author_association=rec["author_association"],
        performed_via_github_app=None,
    )
    out.setdefault("reactions", None)
    out["reactions"] = rec.get("reactions_summary") or reaction_rollup(out["url"], [])
    return out


def reaction_rollup(url: str, contents: list[str]) -> dict:
    keys = ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"]
    return {
        "url": f"{url}/reactions",
        "total_count": len(contents),
        **{k: contents.count(k) for k in keys},
    }


def reaction(api: str, rec: dict) -> dict:
    out = localize(example("reaction"), api)
    out.update(
        id=rec["id"],
        node_id=node_id("Reaction", rec["id"]),
        user=rec["user"],
        content=rec["content"],
        created_at=rec["created_at"],
    )
    return out


def app(api: str, *, app_id: int, slug: str, owner: dict) -> dict:
    out = localize(example("integration"), api)
    out.update(
        id=app_id,
        slug=slug,
        node_id=node_id("Integration", app_id),
        owner=owner,
        name=slug.capitalize(),
        html_url=f"https://github.com/apps/{slug}",
        permissions={
            "checks": "write",
            "contents": "read",
            "issues": "write",
            "metadata": "read",
            "pull_requests": "write",
        },
        events=["issue_comment", "pull_request"],
    )
    return out


def installation(api: str, *, installation_id: int, app_id: int, slug: str, account: dict) -> dict:
    out = localize(example("installation"), api)
    out.update(
        id=installation_id,
        account=account,
        access_tokens_url=f"{api}/app/installations/{installation_id}/access_tokens",
        repositories_url=f"{api}/installation/repositories",
        html_url=f"https://github.com/settings/installations/{installation_id}",
        app_id=app_id,
        app_slug=slug,
        target_id=account["id"],
        target_type=account["type"],
        permissions={
            "checks": "write",
            "contents": "read",
            "issues": "write",
            "metadata": "read",
            "pull_requests": "write",
        },
        events=["issue_comment", "pull_request"],
        single_file_name=None,
        single_file_paths=[],
        has_multiple_single_files=False,
    )
    return out


def check_run(api: str, full_name: str, rec: dict, *, app_json: dict, pulls: list[dict]) -> dict:
    out = localize(example("check-run"), api, full_name)
    url = f"{api}/repos/{full_name}/check-runs/{rec['id']}"
    out.update(
        id=rec["id"],
        node_id=node_id("CheckRun", rec["id"]),
        head_sha=rec["head_sha"],
        external_id=rec.get("external_id") or "",
        url=url,
        html_url=f"https://github.com/{full_name}/runs/{rec['id']}",
        details_url=rec.get("details_url") or app_json["html_url"],
        status=rec["status"],
        conclusion=rec.get("conclusion"),
        started_at=rec.get("started_at"),
        completed_at=rec.get("completed_at"),
        name=rec["name"],
        check_suite={"id": rec["check_suite_id"]},
        app=app_json,
        pull_requests=pulls,
    )
    output = rec.get("output") or {}
    out["output"] = {
        "title": output.get("title"),
        "summary": output.get("summary"),
        "text": output.get("text"),
        "annotations_count": len(rec.get("annotations", [])),
        "annotations_url": f"{url}/annotations",
    }
    return out


def content_file(
    api: str, full_name: str, *, path: str, ref: str, blob_sha: str, data: bytes
) -> dict:
    out = localize(example("content-file"), api, full_name)
    name = path.rsplit("/", 1)[-1]
    encoded = base64.encodebytes(data).decode(
        "ascii"
    )  # GitHub wraps at 60/76 columns, with newlines
    out.update(
        type="file",
        encoding="base64",
        size=len(data),
        name=name,
        path=path,
        content=encoded,
        sha=blob_sha,
        **_content_links(api, full_name, path=path, ref=ref, sha=blob_sha, kind="file"),
    )
    return out


def content_entry(api: str, full_name: str, entry: dict, *, ref: str) -> dict:
    kind = entry["type"]
    return {
        "type": kind,
        "size": entry["size"],
        "name": entry["name"],
        "path": entry["path"],
        "sha": entry["sha"],
        **_content_links(api, full_name, path=entry["path"], ref=ref, sha=entry["sha"], kind=kind),
    }


def _content_links(api: str, full_name: str, *, path: str, ref: str, sha: str, kind: str) -> dict:
    self_url = f"{api}/repos/{full_name}/contents/{quote(path)}?ref={quote(ref)}"
    git_url = f"{api}/repos/{full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html_url = f"https://github.com/{full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    download = (
        None if kind == "dir" else f"https://raw.githubusercontent.com/{full_name}/{ref}/{path}"
    )
    return {
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": download,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }
