"""Endpoints around the App and the repository: tokens, hook deliveries, rate limit, repo,
permissions and contents."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import github_shapes as shapes
from .github_state import Call, Reply, Repo, error, not_found, route

if TYPE_CHECKING:
    from .github import FakeGitHub

_ROLE = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}


# -- App ------------------------------------------------------------------------------------------
def app_json(gh: FakeGitHub) -> dict:
    owner = shapes.user(gh.base_url, gh.app_owner, type="Organization")
    return shapes.app(gh.base_url, app_id=gh.app_id, slug=gh.slug, owner=owner)


def installation_json(gh: FakeGitHub, installation_id: int) -> dict | None:
    with gh.lock:
        repos = [r for r in gh._repos.values() if r.installation_id == installation_id]
    if not repos:
        return None
    account = shapes.user(gh.base_url, repos[0].owner, type=repos[0].owner_type)
    return shapes.installation(
        gh.base_url,
        installation_id=installation_id,
        app_id=gh.app_id,
        slug=gh.slug,
        account=account,
    )


@route("GET", "/app", auth="jwt")
def get_app(gh: FakeGitHub, call: Call) -> Reply:
    return Reply(200, app_json(gh))


@route("GET", "/app/installations/{installation_id:int}", auth="jwt")
def get_installation(gh: FakeGitHub, call: Call) -> Reply:
    found = installation_json(gh, call.int_param("installation_id"))
    return Reply(200, found) if found else not_found()


@route("GET", "/repos/{owner}/{repo}/installation", auth="jwt")
def get_repo_installation(gh: FakeGitHub, call: Call) -> Reply:
    assert call.repo is not None
    return Reply(200, installation_json(gh, call.repo.installation_id))


@route("POST", "/app/installations/{installation_id:int}/access_tokens", auth="jwt")
def create_token(gh: FakeGitHub, call: Call) -> Reply:
    installation_id = call.int_param("installation_id")
    if installation_id not in gh.installations():
        return not_found(
            "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
        )
    issued = gh.auth.issue(installation_id)
    body = shapes.localize(shapes.example("installation-token"), gh.base_url)
    body.pop("repositories", None)
    wanted = (call.json or {}).get("permissions")
    body.update(
        issued,
        permissions=wanted
        or {
            "checks": "write",
            "contents": "read",
            "issues": "write",
            "metadata": "read",
            "pull_requests": "write",
        },
        repository_selection="all",
    )
    return Reply(201, body)


@route("GET", "/app/hook/deliveries", auth="jwt")
def list_deliveries(gh: FakeGitHub, call: Call) -> Reply:
    """Cursor pagination as GitHub does it: `cursor` is opaque, the Link header carries the next one."""
    with gh.lock:
        items = [copy.deepcopy(d) for d in gh.hook_deliveries]
    status = call.query.get("status")
    if status == "success":
        items = [d for d in items if d.get("status_code", 200) < 400 and d.get("status") == "OK"]
    elif status == "failure":
        items = [
            d for d in items if not (d.get("status_code", 200) < 400 and d.get("status") == "OK")
        ]
    try:
        per_page = max(1, min(100, int(call.query.get("per_page", 30))))
        start = int(call.query["cursor"].removeprefix("v1_")) if call.query.get("cursor") else 0
    except ValueError:
        return error(422, "Invalid request.\n\nper_page and cursor must be valid.")
    page = items[start : start + per_page]
    headers = {}
    if start + per_page < len(items):
        query = "&".join(
            f"{k}={v}"
            for k, v in {
                **call.query,
                "per_page": per_page,
                "cursor": f"v1_{start + per_page}",
            }.items()
        )
        headers["link"] = f'<{gh.base_url}{call.raw_path}?{query}>; rel="next"'
    return Reply(200, page, headers=headers)


def _delivery(gh: FakeGitHub, delivery_id: int) -> dict | None:
    with gh.lock:
        return next((d for d in gh.hook_deliveries if d.get("id") == delivery_id), None)


@route("GET", "/app/hook/deliveries/{delivery_id:int}", auth="jwt")
def get_delivery(gh: FakeGitHub, call: Call) -> Reply:
    found = _delivery(gh, call.int_param("delivery_id"))
    if found is None:
        return not_found()
    body = {
        "url": "",
        "request": {"headers": {}, "payload": {}},
        "response": {"headers": {}, "payload": ""},
        **copy.deepcopy(found),
    }
    return Reply(200, body)


@route("POST", "/app/hook/deliveries/{delivery_id:int}/attempts", auth="jwt")
def redeliver(gh: FakeGitHub, call: Call) -> Reply:
    delivery_id = call.int_param("delivery_id")
    found = _delivery(gh, delivery_id)
    if found is None:
        return not_found()
    with gh.lock:
        gh.redelivered.append(delivery_id)
    if gh.on_redeliver is not None:
        gh.on_redeliver(copy.deepcopy(found))
    return Reply(202, {})


@route("POST", "/app-manifests/{code}/conversions", auth="none")
def convert_manifest_code(gh: FakeGitHub, call: Call) -> Reply:
    """The manifest flow's last step: the code (once, no auth) becomes the App with its secrets.

    https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest
    """
    with gh.lock:
        app = gh.manifest_codes.pop(call.params["code"], None)
        if app is not None:
            app["converted"] = True
    if app is None:
        return not_found(
            "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"
        )
    manifest = app["manifest"]
    body = shapes.localize(shapes.example("integration-from-manifest"), gh.base_url)
    stamp = shapes.now_iso()
    body.update(
        id=app["id"],
        slug=app["slug"],
        node_id=shapes.node_id("Integration", app["id"]),
        owner=shapes.user(gh.base_url, app["owner"], type=app["owner_type"]),
        name=app["name"],
        description=manifest.get("description", ""),
        external_url=manifest["url"],
        html_url=f"{gh.base_url}/apps/{app['slug']}",
        created_at=stamp,
        updated_at=stamp,
        permissions=dict(manifest.get("default_permissions", {})),
        events=list(manifest.get("default_events", [])),
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        webhook_secret=app["webhook_secret"],
        pem=app["pem"],
    )
    return Reply(201, body)


@route("GET", "/rate_limit", auth="none")
def rate_limit(gh: FakeGitHub, call: Call) -> Reply:
    body = shapes.example("rate-limit-overview")
    return Reply(200, body)


# -- repository -----------------------------------------------------------------------------------
def repo_json(gh: FakeGitHub, repo: Repo) -> dict:
    owner = shapes.user(gh.base_url, repo.owner, type=repo.owner_type)
    return shapes.repository(
        gh.base_url,
        repo.full_name,
        id=repo.id,
        owner=owner,
        default_branch=repo.default_branch,
        private=repo.private,
    )


@route("GET", "/repos/{owner}/{repo}")
def get_repo(gh: FakeGitHub, call: Call) -> Reply:
    assert call.repo is not None
    return Reply(200, repo_json(gh, call.repo))


@route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
def get_permission(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    login = call.params["username"]
    with gh.lock:
        default = "admin" if login.lower() == repo.owner.lower() else "read"
        role = repo.permissions.get(login.lower(), default)
    user = shapes.user(gh.base_url, login)
    user["permissions"] = {
        "admin": role == "admin",
        "maintain": role in ("admin", "maintain"),
        "push": role in ("admin", "maintain", "write"),
        "triage": role != "none" and role != "read",
        "pull": role != "none",
    }
    user["role_name"] = role
    return Reply(200, {"permission": _ROLE[role], "role_name": role, "user": user})


@route("GET", "/repos/{owner}/{repo}/contents/{path:path}")
@route("GET", "/repos/{owner}/{repo}/contents")
def get_contents(gh: FakeGitHub, call: Call) -> Reply:
    repo = call.repo
    assert repo is not None
    ref = call.query.get("ref") or repo.default_branch
    path = call.params.get("path", "").strip("/")
    try:
        sha = repo.git.sha(ref)
    except KeyError:
        return error(404, f"No commit found for the ref {ref}")
    data = repo.git.show(sha, path) if path else None
    if data is not None:
        if call.accepts("raw", "raw+json"):
            return Reply(200, content=data, content_type="text/plain; charset=utf-8")
        blob = repo.git.blob_sha(sha, path) or ""
        return Reply(
            200,
            shapes.content_file(
                gh.base_url, repo.full_name, path=path, ref=ref, blob_sha=blob, data=data
            ),
        )
    entries = repo.git.ls_tree(sha, path)
    if entries is None:
        return not_found("https://docs.github.com/rest/repos/contents#get-repository-content")
    return Reply(
        200, [shapes.content_entry(gh.base_url, repo.full_name, e, ref=ref) for e in entries]
    )
