"""The git database: refs (one, or those matching a prefix), commits, trees, blobs, read from the
repository's real git objects, so a ref written with `GitRepo.put_ref_tree` (`refs/dolt/data`)
is served as GitHub serves it. https://docs.github.com/rest/git"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from . import github_shapes as shapes
from .github_state import Call, Reply, Repo, error, not_found, route

if TYPE_CHECKING:
    from .github import FakeGitHub

MAX_TREE_ENTRIES = 100_000  # GitHub truncates a recursive listing beyond this (or 7 MB)
_DOC_REF = "https://docs.github.com/rest/git/refs#get-a-reference"
_DOC_BLOB = "https://docs.github.com/rest/git/blobs#get-a-blob"
_DOC_TREE = "https://docs.github.com/rest/git/trees#get-a-tree"
_DOC_COMMIT = "https://docs.github.com/rest/git/commits#get-a-commit-object"


def _repo(call: Call) -> Repo:
    assert call.repo is not None
    return call.repo


def _api(gh: FakeGitHub, repo: Repo) -> str:
    return f"{gh.base_url}/repos/{repo.full_name}/git"


def ref_json(gh: FakeGitHub, repo: Repo, name: str, sha: str, kind: str) -> dict:
    out = shapes.localize(shapes.example("git-ref"), gh.base_url, repo.full_name)
    out.update(
        ref=name,
        node_id=shapes.node_id("Ref", f"{repo.full_name}:{name}"),
        url=f"{_api(gh, repo)}/{name}",
        object={"type": kind, "sha": sha, "url": f"{_api(gh, repo)}/{kind}s/{sha}"},
    )
    return out


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref:path}")
def get_ref(gh: FakeGitHub, call: Call) -> Reply:
    repo = _repo(call)
    wanted = "refs/" + call.params["ref"]
    for name, sha, kind in repo.git.refs():
        if name == wanted:
            return Reply(200, ref_json(gh, repo, name, sha, kind))
    return not_found(_DOC_REF)


@route("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref:path}")
def matching_refs(gh: FakeGitHub, call: Call) -> Reply:
    """Every ref whose name starts with `refs/<ref>` (a plain string prefix, as GitHub says)."""
    repo = _repo(call)
    prefix = "refs/" + call.params["ref"]
    found = [ref_json(gh, repo, *r) for r in repo.git.refs() if r[0].startswith(prefix)]
    return Reply(200, found)


@route("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_commit(gh: FakeGitHub, call: Call) -> Reply:
    repo = _repo(call)
    sha = call.params["commit_sha"]
    if repo.git.object_type(sha) != "commit":
        return not_found(_DOC_COMMIT)
    info = repo.git.info(sha)
    api = _api(gh, repo)
    out = shapes.localize(shapes.example("git-commit"), gh.base_url, repo.full_name)
    out.update(
        sha=info["sha"],
        node_id=shapes.node_id("Commit", info["sha"]),
        url=f"{api}/commits/{info['sha']}",
        html_url=f"https://github.com/{repo.full_name}/commit/{info['sha']}",
        author=info["author"],
        committer=info["committer"],
        message=info["message"],
        tree={"sha": info["tree"], "url": f"{api}/trees/{info['tree']}"},
        parents=[
            {
                "sha": p,
                "url": f"{api}/commits/{p}",
                "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
            }
            for p in info["parents"]
        ],
    )
    return Reply(200, out)


@route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(gh: FakeGitHub, call: Call) -> Reply:
    """A tree by its sha, a commit's sha or a branch name; `recursive` set to anything lists
    every entry below it, truncated past `gh.max_tree_entries` (default GitHub's 100,000;
    a test may set it lower)."""
    repo = _repo(call)
    sha = call.params["tree_sha"]
    kind = repo.git.object_type(sha)
    if kind != "tree":
        try:
            sha = repo.git.info(sha)["tree"]
        except KeyError:
            return not_found(_DOC_TREE)
    recursive = "recursive" in call.query
    listing = repo.git.tree_listing(sha, recursive=recursive)
    if listing is None:
        return not_found(_DOC_TREE)
    limit = getattr(gh, "max_tree_entries", MAX_TREE_ENTRIES) if recursive else len(listing)
    api = _api(gh, repo)
    entries = []
    for e in listing[:limit]:
        item = {"path": e["path"], "mode": e["mode"], "type": e["type"], "sha": e["sha"]}
        if e["type"] == "blob" and e["size"] is not None:
            item["size"] = e["size"]
        item["url"] = f"{api}/{e['type']}s/{e['sha']}"
        entries.append(item)
    body = {"sha": sha, "url": f"{api}/trees/{sha}", "tree": entries}
    return Reply(200, {**body, "truncated": len(listing) > limit})


@route("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(gh: FakeGitHub, call: Call) -> Reply:
    """The bytes with `Accept: application/vnd.github.raw(+json)`, else JSON with the content
    in base64 (lines of 60 characters, as GitHub wraps it); 404 for a blob it does not have."""
    repo = _repo(call)
    sha = call.params["file_sha"]
    data = repo.git.blob_data(sha)
    if data is None:
        return not_found(_DOC_BLOB)
    if len(data) > 100 * 1024 * 1024:
        return error(403, "This API returns blobs up to 100 MB in size.", doc=_DOC_BLOB)
    if call.accepts("raw", "raw+json"):
        return Reply(200, content=data, content_type="application/vnd.github.raw")
    encoded = base64.b64encode(data).decode()
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    out = shapes.localize(shapes.example("blob"), gh.base_url, repo.full_name)
    out.update(
        sha=sha,
        node_id=shapes.node_id("Blob", sha),
        size=len(data),
        url=f"{_api(gh, repo)}/blobs/{sha}",
        content=wrapped + ("\n" if wrapped else ""),
        encoding="base64",
    )
    return Reply(200, out)
