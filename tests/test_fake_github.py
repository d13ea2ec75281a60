"""The fake GitHub behaves like GitHub for what Beadle relies on.

Every check here is one a real client would notice: PyGithub reads and writes through it,
the diff media type, the 406/422/401 refusals, pagination, the OpenAPI contract and webhooks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import github
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

try:  # the project imports fakes as `tests.fakes` (repository root on sys.path)
    from tests.fakes import FakeGitHub, GitRepo, openapi, webhooks
except ModuleNotFoundError:  # plain `pytest`: only tests/ is on sys.path
    from fakes import FakeGitHub, GitRepo, openapi, webhooks

APP_ID = 4242
REPO = "octo/demo"


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rsa_keys() -> tuple[str, str]:
    """(private PEM, public PEM) of a throwaway App key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def git(tmp_path) -> GitRepo:
    repo = GitRepo(tmp_path / "demo")
    repo.commit(
        {"README.md": "# demo\n", "src/app.py": "".join(f"line {i}\n" for i in range(1, 41))},
        "init",
    )
    body = (
        "".join(f"line {i}\n" for i in range(1, 41))
        .replace("line 5\n", "line five\n")
        .replace("line 30\n", "line 30\nadded after 30\n")
    )
    repo.commit(
        {"src/app.py": body, "docs/plan.md": "plan\n"},
        "Implement plan (bd-a3f8)",
        branch="feature",
        author="alice",
    )
    return repo


@pytest.fixture
def gh(rsa_keys, git) -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=APP_ID, public_key_pem=rsa_keys[1]) as fake:
        fake.add_repo(REPO, git)
        yield fake


@pytest.fixture
def client(gh, rsa_keys) -> github.Github:
    auth = github.Auth.AppAuth(APP_ID, rsa_keys[0]).get_installation_auth(1)
    # PyGithub pauses 0.25 s between requests and 1 s between writes by default
    return github.Github(
        auth=auth,
        base_url=gh.base_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def app_jwt(private: str, **claims) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iat": now - 60, "exp": now + 540, "iss": str(APP_ID), **claims},
        private,
        algorithm="RS256",
    )


def http(gh: FakeGitHub, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"token {token or gh.issue_token(1)}"}
    return httpx.Client(base_url=gh.base_url, headers=headers)


# -- git ------------------------------------------------------------------------------------------
def test_gitrepo_diff_and_files_look_like_github(tmp_path):
    repo = GitRepo(tmp_path / "r")
    base = repo.commit(
        {"a.txt": "one\ntwo\n", "old.txt": "same\n" * 10, "img.bin": b"\0\1", "gone.txt": "x\n"},
        "init",
    )
    head = repo.commit(
        {
            "a.txt": "one\n2\n",
            "old.txt": None,
            "new.txt": "same\n" * 10 + "more\n",
            "img.bin": b"\0\2",
            "gone.txt": None,
        },
        "change",
        branch="topic",
    )
    assert repo.sha("topic") == head and repo.merge_base("main", "topic") == base
    assert repo.is_ancestor(base, head) and not repo.is_ancestor(head, base)
    assert repo.commits("main", "topic") == [(head, "change", "Beadle Tester")]
    assert repo.show(head, "a.txt") == b"one\n2\n" and repo.show(head, "gone.txt") is None

    text = repo.diff("main", "topic")
    assert (
        "diff --git a/a.txt b/a.txt" in text
        and "Binary files a/img.bin and b/img.bin differ" in text
    )
    assert "rename from old.txt" in text

    files = {f["filename"]: f for f in repo.changed_files("main", "topic", repo="o/r")}
    assert files["a.txt"]["status"] == "modified" and files["a.txt"]["patch"].startswith(
        "@@ -1,2 +1,2 @@"
    )
    assert (
        files["a.txt"]["additions"],
        files["a.txt"]["deletions"],
        files["a.txt"]["changes"],
    ) == (1, 1, 2)
    assert (
        files["new.txt"]["status"] == "renamed"
        and files["new.txt"]["previous_filename"] == "old.txt"
    )
    assert files["gone.txt"]["status"] == "removed"
    assert "patch" not in files["img.bin"]
    assert files["a.txt"]["raw_url"] == f"https://github.com/o/r/raw/{head}/a.txt"


# -- PyGithub against the fake ------------------------------------------------------------------
def test_pygithub_reads_a_pull_and_posts_a_review(gh, git, client):
    number = gh.open_pull(REPO, title="Implement plan (bd-a3f8)", body="Closes bd-a3f8")
    pr = client.get_repo(REPO).get_pull(number)
    assert (pr.title, pr.head.sha, pr.base.sha) == (
        "Implement plan (bd-a3f8)",
        git.sha("feature"),
        git.sha("main"),
    )
    assert (pr.changed_files, pr.additions, pr.deletions, pr.commits) == (2, 3, 1, 1)
    assert [c.commit.message for c in pr.get_commits()] == ["Implement plan (bd-a3f8)"]

    review = pr.create_review(
        body="<!-- beadle:review round=1 -->\nLooks fine.",
        event="COMMENT",
        comments=[{"path": "src/app.py", "line": 5, "side": "RIGHT", "body": "Why rename?"}],
    )
    assert (
        review.state == "COMMENTED"
        and review.user.login == "beadle[bot]"
        and review.user.type == "Bot"
    )
    assert review.commit_id == pr.head.sha
    [stored] = gh.reviews(REPO, number)
    assert (
        stored["body"].startswith("<!-- beadle:review") and stored["user"]["login"] == "beadle[bot]"
    )
    [inline] = gh.review_comments(REPO, number)
    assert (inline["path"], inline["line"], inline["side"]) == ("src/app.py", 5, "RIGHT")
    assert [r.id for r in pr.get_reviews()] == [review.id]
    assert gh.contract_violations() == []


def test_files_paginate_with_link_headers(gh, git, client):
    git.commit({f"many/f{i:03}.txt": f"{i}\n" for i in range(130)}, "many files", branch="feature")
    number = gh.open_pull(REPO, title="many")
    names = [f.filename for f in client.get_repo(REPO).get_pull(number).get_files()]
    assert len(names) == 132 and len(set(names)) == 132

    with http(gh) as h:
        first = h.get(f"/repos/{REPO}/pulls/{number}/files", params={"per_page": 100})
        assert len(first.json()) == 100
        assert first.links["next"]["url"].endswith("page=2") and first.links["last"][
            "url"
        ].endswith("page=2")
        second = httpx.get(first.links["next"]["url"], headers=h.headers)
        assert len(second.json()) == 32 and "next" not in second.links and "prev" in second.links


def test_pull_files_stop_at_3000(gh, git):
    git.branch("huge")
    git.commit({f"big/f{i:04}.txt": "x\n" for i in range(3001)}, "huge", branch="huge")
    number = gh.open_pull(REPO, title="huge", head="huge")
    with http(gh) as h:
        last = h.get(f"/repos/{REPO}/pulls/{number}/files", params={"per_page": 100, "page": 30})
        assert len(last.json()) == 100 and "next" not in last.links
        assert (
            h.get(
                f"/repos/{REPO}/pulls/{number}/files", params={"per_page": 100, "page": 31}
            ).json()
            == []
        )
        assert h.get(f"/repos/{REPO}/pulls/{number}").json()["changed_files"] == 3001


# -- the diff --------------------------------------------------------------------------------------
def test_diff_media_type_returns_the_unified_diff(gh, git):
    number = gh.open_pull(REPO, title="t")
    with http(gh) as h:
        for accept in ("application/vnd.github.diff", "application/vnd.github.v3.diff"):
            reply = h.get(f"/repos/{REPO}/pulls/{number}", headers={"Accept": accept})
            assert (
                reply.status_code == 200
                and reply.headers["content-type"] == "text/plain; charset=utf-8"
            )
            assert reply.text == git.diff("main", "feature")
            assert reply.text.startswith(
                "diff --git a/docs/plan.md b/docs/plan.md\nnew file mode 100644\n"
            )
        compare = h.get(
            f"/repos/{REPO}/compare/main...feature",
            headers={"Accept": "application/vnd.github.diff"},
        )
        assert compare.text == reply.text


def test_oversized_diff_answers_406_too_large(gh, git):
    git.commit({f"wide/f{i}.txt": "x\n" for i in range(301)}, "wide", branch="wide")
    number = gh.open_pull(REPO, title="wide", head="wide")
    with http(gh) as h:
        reply = h.get(
            f"/repos/{REPO}/pulls/{number}", headers={"Accept": "application/vnd.github.diff"}
        )
        assert reply.status_code == 406
        assert reply.json()["errors"] == [
            {"resource": "PullRequest", "field": "diff", "code": "too_large"}
        ]
        assert "maximum number of files (300)" in reply.json()["message"]
        compare = h.get(
            f"/repos/{REPO}/compare/main...wide", headers={"Accept": "application/vnd.github.diff"}
        )
        assert compare.status_code == 406
        assert len(h.get(f"/repos/{REPO}/compare/main...wide").json()["files"]) == 300
        assert h.get(f"/repos/{REPO}/pulls/{number}").status_code == 200  # JSON is still fine


def test_compare_status_and_unknown_sha(gh, git):
    with http(gh) as h:
        ahead = h.get(f"/repos/{REPO}/compare/main...feature").json()
        assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 1, 0)
        assert ahead["merge_base_commit"]["sha"] == git.sha("main")
        assert [c["commit"]["message"] for c in ahead["commits"]] == ["Implement plan (bd-a3f8)"]
        git.commit({"main.txt": "m\n"}, "main moves")
        diverged = h.get(f"/repos/{REPO}/compare/{git.sha('main')}...{git.sha('feature')}").json()
        assert (diverged["status"], diverged["ahead_by"], diverged["behind_by"]) == (
            "diverged",
            1,
            1,
        )
        assert h.get(f"/repos/{REPO}/compare/feature...feature").json()["status"] == "identical"
        assert h.get(f"/repos/{REPO}/compare/main...{'0' * 40}").status_code == 404


# -- reviews: GitHub's refusals ------------------------------------------------------------------
def test_inline_comment_outside_the_diff_is_refused_whole(gh, client):
    number = gh.open_pull(REPO, title="t")
    pr = client.get_repo(REPO).get_pull(number)
    good = {"path": "src/app.py", "line": 31, "body": "ok"}  # "added after 30"
    for bad in (
        {"path": "src/app.py", "line": 20, "body": "not in a hunk"},
        {"path": "README.md", "line": 1, "body": "file not in the diff"},
        {"path": "src/app.py", "line": 31, "start_line": 5, "body": "spans two hunks"},
        {"path": "src/app.py", "line": 31, "start_line": 31, "body": "start_line must be < line"},
    ):
        with pytest.raises(github.GithubException) as refused:
            pr.create_review(body="b", event="COMMENT", comments=[good, bad])
        assert refused.value.status == 422
        assert refused.value.data["message"] == "Unprocessable Entity"
    assert gh.reviews(REPO, number) == [] and gh.review_comments(REPO, number) == []

    pr.create_review(
        body="b",
        event="COMMENT",
        comments=[
            good,
            {"path": "src/app.py", "line": 5, "side": "LEFT", "body": "old line 5"},
            {"path": "src/app.py", "start_line": 29, "line": 31, "body": "multi-line"},
            {"path": "docs/plan.md", "line": 1, "body": "new file"},
            {"path": "src/app.py", "position": 1, "body": "legacy position: first line of hunk 1"},
        ],
    )
    assert [(c["path"], c["line"], c["side"]) for c in gh.review_comments(REPO, number)] == [
        ("src/app.py", 31, "RIGHT"),
        ("src/app.py", 5, "LEFT"),
        ("src/app.py", 31, "RIGHT"),
        ("docs/plan.md", 1, "RIGHT"),
        ("src/app.py", 2, "RIGHT"),  # hunk `@@ -2,7 +2,7 @@` opens with context line 2
    ]


def test_bodies_over_65536_characters_are_refused(gh):
    number = gh.open_pull(REPO, title="t")
    with http(gh) as h:
        long = "x" * 65_537
        assert (
            h.post(
                f"/repos/{REPO}/pulls/{number}/reviews", json={"body": long, "event": "COMMENT"}
            ).status_code
            == 422
        )
        assert (
            h.post(f"/repos/{REPO}/issues/{number}/comments", json={"body": long}).status_code
            == 422
        )
        assert (
            h.post(
                f"/repos/{REPO}/issues/{number}/comments", json={"body": "x" * 65_536}
            ).status_code
            == 201
        )
    assert len(gh.issue_comments(REPO, number)) == 1 and gh.reviews(REPO, number) == []


# -- auth ------------------------------------------------------------------------------------------
def test_installation_token_needs_a_valid_app_jwt(gh, rsa_keys):
    private = rsa_keys[0]
    now = int(time.time())
    header, payload, signature = app_jwt(private).split(".")
    forged = ".".join(
        [header, payload, signature[:-8] + ("A" * 8 if signature[-8:] != "A" * 8 else "B" * 8)]
    )
    url = f"{gh.base_url}/app/installations/1/access_tokens"
    for bad in (
        forged,
        app_jwt(private, iss="999"),
        app_jwt(private, exp=now - 1),
        app_jwt(private, exp=now + 3600),
        "not-a-jwt",
    ):
        assert httpx.post(url, headers={"Authorization": f"Bearer {bad}"}).status_code == 401
    reply = httpx.post(url, headers={"Authorization": f"Bearer {app_jwt(private)}"})
    assert reply.status_code == 201 and reply.json()["token"].startswith("ghs_")
    token = reply.json()["token"]
    assert (
        httpx.get(
            f"{gh.base_url}/repos/{REPO}", headers={"Authorization": f"token {token}"}
        ).status_code
        == 200
    )
    assert (
        httpx.get(
            f"{gh.base_url}/repos/{REPO}", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )
    denied = httpx.get(f"{gh.base_url}/repos/{REPO}", headers={"Authorization": "token ghs_nope"})
    assert denied.status_code == 401 and denied.json()["message"] == "Bad credentials"
    assert (
        httpx.post(
            f"{gh.base_url}/app/installations/77/access_tokens",
            headers={"Authorization": f"Bearer {app_jwt(private)}"},
        ).status_code
        == 404
    )


def test_ghes_style_base_url_works(gh, rsa_keys):
    auth = github.Auth.AppAuth(APP_ID, rsa_keys[0]).get_installation_auth(1)
    client = github.Github(
        auth=auth, base_url=f"{gh.base_url}/api/v3", retry=None, seconds_between_requests=0
    )
    assert client.get_repo(REPO).default_branch == "main"
    assert {r.path for r in gh.requests} == {"/app/installations/1/access_tokens", f"/repos/{REPO}"}


# -- retries, deliveries, contents, permissions, checks --------------------------------------------
def test_fail_next_injects_errors_then_recovers(gh):
    gh.fail_next("GET", r"/pulls/\d+$", 502, times=2)
    gh.fail_next(
        "POST",
        r"/reviews$",
        403,
        headers={"retry-after": "7"},
        json={"message": "secondary rate limit"},
    )
    number = gh.open_pull(REPO, title="t")
    with http(gh) as h:
        statuses = [h.get(f"/repos/{REPO}/pulls/{number}").status_code for _ in range(3)]
        assert statuses == [502, 502, 200]
        limited = h.post(
            f"/repos/{REPO}/pulls/{number}/reviews", json={"body": "b", "event": "COMMENT"}
        )
        assert (limited.status_code, limited.headers["retry-after"]) == (403, "7")
        assert (
            h.post(
                f"/repos/{REPO}/pulls/{number}/reviews", json={"body": "b", "event": "COMMENT"}
            ).status_code
            == 200
        )
    assert [r.status for r in gh.requests if r.method == "POST"] == [403, 200]


def test_hook_deliveries_list_and_redeliver(gh, rsa_keys):
    gh.hook_deliveries = [
        {
            **openapi.example("hook-delivery-items")[0],
            "id": i,
            "status": "Timeout" if i % 2 else "OK",
            "status_code": 0 if i % 2 else 200,
        }
        for i in range(1, 6)
    ]
    headers = {"Authorization": f"Bearer {app_jwt(rsa_keys[0])}"}
    with httpx.Client(base_url=gh.base_url, headers=headers) as h:
        first = h.get("/app/hook/deliveries", params={"per_page": 2})
        assert [d["id"] for d in first.json()] == [1, 2]
        second = h.get(first.links["next"]["url"])
        assert [d["id"] for d in second.json()] == [3, 4]
        assert h.post("/app/hook/deliveries/3/attempts").status_code == 202
        assert h.post("/app/hook/deliveries/99/attempts").status_code == 404
    assert gh.redelivered == [3]
    assert (
        httpx.get(
            f"{gh.base_url}/app/hook/deliveries", headers={"Authorization": "token x"}
        ).status_code
        == 401
    )


def test_contents_json_raw_and_missing(gh, git):
    with http(gh) as h:
        meta = h.get(f"/repos/{REPO}/contents/docs/plan.md", params={"ref": "feature"})
        assert meta.json()["type"] == "file" and meta.json()["encoding"] == "base64"
        raw = h.get(
            f"/repos/{REPO}/contents/docs/plan.md",
            params={"ref": git.sha("feature")},
            headers={"Accept": "application/vnd.github.raw+json"},
        )
        assert raw.content == b"plan\n"
        assert h.get(f"/repos/{REPO}/contents/docs/plan.md").status_code == 404  # not on main
        assert h.get(f"/repos/{REPO}/contents/.beads/issues.jsonl").json()["message"] == "Not Found"


def test_permissions_comments_reactions_and_check_runs(gh, git, client):
    gh.set_permission(REPO, "carol", "write")
    repo = client.get_repo(REPO)
    assert repo.get_collaborator_permission("carol") == "write"
    assert repo.get_collaborator_permission("mallory") == "read"
    assert repo.get_collaborator_permission("octo") == "admin"  # the owner

    number = gh.open_pull(REPO, title="t")
    asked = gh.add_issue_comment(
        REPO, number, "/review", login="carol", author_association="COLLABORATOR"
    )
    repo.get_issue(number).get_comment(asked["id"]).create_reaction("eyes")
    [reaction] = gh.reactions
    assert (reaction["comment_id"], reaction["content"], reaction["user"]) == (
        asked["id"],
        "eyes",
        "beadle[bot]",
    )
    repo.get_pull(number).create_issue_comment("working on it")
    assert [c["user"]["login"] for c in gh.issue_comments(REPO, number)] == ["carol", "beadle[bot]"]

    run = repo.create_check_run(name="Beadle", head_sha=git.sha("feature"), status="in_progress")
    note = {
        "path": "src/app.py",
        "start_line": 5,
        "end_line": 5,
        "annotation_level": "warning",
        "message": "m",
    }
    run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 50})
    run.edit(conclusion="neutral", output={"title": "done", "summary": "s2", "annotations": [note]})
    [stored] = gh.check_runs(REPO)
    assert (stored["status"], stored["conclusion"], stored["output"]["title"]) == (
        "completed",
        "neutral",
        "done",
    )
    assert len(stored["output"]["annotations"]) == 51
    with pytest.raises(github.GithubException) as refused:
        run.edit(output={"title": "t", "summary": "s", "annotations": [note] * 51})
    assert refused.value.status == 422
    [problem] = gh.contract_violations()  # the schema says maxItems 50, as GitHub's validation does
    assert problem.startswith("PATCH") and "annotations" in problem


# -- the contract ----------------------------------------------------------------------------------
def test_contract_check_flags_unknown_paths_and_bad_bodies(gh):
    review = "/repos/o/r/pulls/1/reviews"
    assert (
        openapi.check_request(
            "POST",
            review,
            {
                "body": "b",
                "event": "COMMENT",
                "comments": [{"path": "a", "line": 1, "side": "RIGHT", "body": "c"}],
            },
        )
        == []
    )
    assert openapi.check_request("GET", "/api/v3/repos/o/r/contents/a/b/c.md?ref=main") == []
    assert openapi.check_request("POST", "/app/installations/1/access_tokens") == []
    assert any(
        "BOGUS" in p for p in openapi.check_request("POST", review, {"body": "b", "event": "BOGUS"})
    )
    assert openapi.check_request("GET", "/repos/o/r/pulls/1/frobnicate")
    assert openapi.check_request("DELETE", "/rate_limit")
    assert openapi.check_request("GET", "/repos/o/r/pulls/abc")

    number = gh.open_pull(REPO, title="t")
    with http(gh) as h:
        assert h.get(f"/repos/{REPO}/pulls/{number}/frobnicate").status_code == 404
        bogus = h.post(
            f"/repos/{REPO}/pulls/{number}/reviews", json={"body": "b", "event": "BOGUS"}
        )
        assert bogus.status_code == 422 and "BOGUS" in bogus.json()["message"]
    problems = gh.contract_violations()
    assert len(problems) == 2 and "frobnicate" in problems[0] and "BOGUS" in problems[1]


def test_answers_match_the_documented_response_schemas(gh):
    number = gh.open_pull(REPO, title="t")
    with http(gh) as h:
        comment = h.post(f"/repos/{REPO}/issues/{number}/comments", json={"body": "hi"})
        review = h.post(
            f"/repos/{REPO}/pulls/{number}/reviews",
            json={
                "body": "b",
                "event": "COMMENT",
                "comments": [{"path": "src/app.py", "line": 31, "body": "c"}],
            },
        )
        for method, path, reply in [
            ("POST", f"/repos/{REPO}/issues/{number}/comments", comment),
            ("POST", f"/repos/{REPO}/pulls/{number}/reviews", review),
            *[
                ("GET", p, h.get(p))
                for p in (
                    f"/repos/{REPO}",
                    f"/repos/{REPO}/pulls/{number}",
                    f"/repos/{REPO}/pulls/{number}/files",
                    f"/repos/{REPO}/pulls/{number}/commits",
                    f"/repos/{REPO}/pulls/{number}/reviews",
                    f"/repos/{REPO}/pulls/{number}/comments",
                    f"/repos/{REPO}/compare/main...feature",
                    f"/repos/{REPO}/contents/README.md",
                    f"/repos/{REPO}/collaborators/bob/permission",
                )
            ],
        ]:
            assert reply.status_code in (200, 201)
            assert openapi.check_response(method, path, reply.status_code, reply.json()) == [], path


# -- webhooks --------------------------------------------------------------------------------------
def test_webhook_payloads_pass_the_schema(gh, git):
    number = gh.open_pull(REPO, title="Implement plan (bd-a3f8)", draft=True)
    for action in ("opened", "reopened", "ready_for_review"):
        payload = webhooks.pull_request_payload(gh, REPO, number, action)
        assert openapi.check_webhook("pull_request", action, payload) == []
        assert payload["pull_request"]["draft"] is True and payload["installation"]["id"] == 1

    old_head = git.sha("feature")
    git.commit({"src/app.py": "rewritten\n"}, "fix", branch="feature")
    gh.sync_pull(REPO, number)
    sync = webhooks.pull_request_payload(gh, REPO, number, "synchronize")
    assert (sync["before"], sync["after"]) == (old_head, git.sha("feature"))
    assert openapi.check_webhook("pull_request", "synchronize", sync) == []

    on_pull = webhooks.issue_comment_payload(
        gh, REPO, number, "/review full", login="carol", author_association="MEMBER"
    )
    assert "pull_request" in on_pull["issue"] and on_pull["comment"]["body"] == "/review full"
    assert gh.issue_comments(REPO, number)[0]["id"] == on_pull["comment"]["id"]
    on_issue = webhooks.issue_comment_payload(
        gh,
        REPO,
        99,
        "/review",
        login="dependabot[bot]",
        user_type="Bot",
        author_association="NONE",
        on_pull=False,
        comment_id=5,
    )
    assert "pull_request" not in on_issue["issue"] and on_issue["sender"]["type"] == "Bot"
    for payload in (on_pull, on_issue):
        assert openapi.check_webhook("issue_comment", "created", payload) == []
    assert openapi.check_webhook("ping", None, webhooks.ping_payload(gh)) == []
    # an incomplete payload is flagged
    assert openapi.check_webhook("pull_request", "opened", {"action": "opened"})


def test_webhook_signature_and_headers():
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert webhooks.sign(b"Hello, World!", "It's a Secret to Everybody") == expected
    body, headers = webhooks.delivery("ping", {"zen": "z"}, "s3cret")
    assert headers["X-Hub-Signature-256"] == webhooks.sign(body, "s3cret")
    assert headers["X-GitHub-Event"] == "ping" and headers["User-Agent"].startswith(
        "GitHub-Hookshot/"
    )
    assert len(headers["X-GitHub-Delivery"]) == 36 and headers["Content-Type"] == "application/json"
    again = webhooks.headers("ping", body, "s3cret", delivery=headers["X-GitHub-Delivery"])
    assert again["X-GitHub-Delivery"] == headers["X-GitHub-Delivery"]
