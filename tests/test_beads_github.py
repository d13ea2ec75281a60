"""The beads reads through the real REST client and the loopback fake GitHub: blobs of any size
as raw bytes, the Dolt ref and its fallback, trees GitHub truncated."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from bot.github.app import GitHubApp
from bot.github.errors import GitHubError
from tests.fakes.github import FakeGitHub
from tests.fakes.gitrepo import GitRepo
from tests.harness import app_key  # noqa: F401  (fixture)

REPO = "octo/widgets"


def big_jsonl(size: int) -> str:
    lines, total, i = [], 0, 0
    while total < size:
        text = json.dumps({"id": f"bd-{i:05x}", "title": f"Issue {i}", "description": "d" * 900})
        lines.append(text)
        total += len(text) + 1
        i += 1
    return "\n".join(lines) + "\n"


@pytest.fixture
def world(tmp_path, app_key):  # noqa: F811
    git = GitRepo(tmp_path / "widgets")
    head = git.commit({".beads/issues.jsonl": big_jsonl(1_500_000), "README.md": "x\n"}, "init")
    with FakeGitHub(app_id=1, public_key_pem=app_key[1]) as gh:
        gh.add_repo(REPO, git)
        app = GitHubApp(app_id="1", private_key_pem=app_key[0], base_url=gh.base_url)
        yield gh, git, app.repo(1, REPO), head


def test_a_file_over_one_megabyte_is_read_as_a_raw_blob(world) -> None:
    gh, git, repo, head = world
    gh.reset_requests()
    [entry] = repo.tree_entries(".beads", head) or []
    assert entry.size > 1_000_000 and entry.kind == "file"
    data = repo.blob(entry.sha)
    assert data == git.show(head, ".beads/issues.jsonl")
    listing, blob = [r for r in gh.requests if r.path.startswith("/repos/")]
    assert (listing.path, listing.query) == (f"/repos/{REPO}/contents/.beads", {"ref": head})
    assert blob.path == f"/repos/{REPO}/git/blobs/{entry.sha}"
    assert blob.headers["accept"] == "application/vnd.github.raw+json"
    assert gh.contract_violations() == []


def test_blobs_are_bytes_and_an_absent_one_is_a_404(world) -> None:
    _, git, repo, _ = world
    payload = bytes(range(256)) * 10  # not text: must come back byte for byte
    commit = git.put_ref_tree("refs/dolt/data", {"manifest": payload, "d/0001": b"part"})
    tree = repo.tree(repo.commit_tree(commit))
    by_path = {path: (kind, sha, size) for path, kind, sha, size in tree}
    assert by_path["d"][0] == "tree" and by_path["d/0001"][2] == 4
    assert repo.blob(by_path["manifest"][1]) == payload
    with pytest.raises(GitHubError) as caught:
        repo.blob("0" * 40)
    assert caught.value.status == 404


def test_the_fake_answers_a_blob_in_base64_json_too(world) -> None:
    gh, git, _, head = world
    sha = git.blob_sha(head, "README.md")
    token = gh.issue_token()
    answer = httpx.get(
        f"{gh.base_url}/repos/{REPO}/git/blobs/{sha}",
        headers={"Authorization": f"token {token}", "Accept": "application/vnd.github+json"},
    ).json()
    assert answer["encoding"] == "base64" and answer["size"] == 2
    assert base64.b64decode(answer["content"]) == b"x\n"


def test_the_dolt_ref_and_its_matching_refs_fallback(world) -> None:
    gh, git, repo, _ = world
    assert repo.ref_sha("refs/dolt/data") is None
    commit = git.put_ref_tree("refs/dolt/data", {"manifest": b"5:__DOLT__:x"})
    assert repo.ref_sha("refs/dolt/data") == commit
    gh.reset_requests()
    gh.fail_next("GET", r"/git/ref/dolt/data$", 404)
    assert repo.ref_sha("refs/dolt/data") == commit
    assert [r.path for r in gh.requests] == [
        f"/repos/{REPO}/git/ref/dolt/data",
        f"/repos/{REPO}/git/matching-refs/dolt",
    ]
    assert repo.branch_sha("main") == git.sha("main") and repo.branch_sha("nope") is None
    assert gh.contract_violations() == []


def test_a_truncated_recursive_tree_is_completed_subtree_by_subtree(world) -> None:
    gh, git, repo, _ = world
    files = {f"t/{i:04d}": b"%d" % i for i in range(12)} | {"manifest": b"m", "a/b/c": b"c"}
    tree = repo.commit_tree(git.put_ref_tree("refs/dolt/data", files))
    whole = sorted(repo.tree(tree))
    gh.max_tree_entries = 5  # type: ignore[attr-defined]
    assert sorted(repo.tree(tree)) == whole
    assert {p for p, kind, _, _ in whole if kind == "blob"} == set(files)
