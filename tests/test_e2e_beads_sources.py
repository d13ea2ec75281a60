"""Each place a repository keeps its beads issues, end to end: a signed `pull_request.opened` in,
the real app and REST client against the fake GitHub, and the issue (title, description,
acceptance criteria, comments) in the prompt the model saw, its source named in the review.

Each test also records how many GitHub requests its round made (printed with `pytest -s`)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.data.dolt.fixture import build_repo
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import ISSUE, REPO, deliver, wait_for

COMMENTS = [
    {
        "id": "c1",
        "author": "ana",
        "text": "Zero is a valid size.",
        "created_at": "2026-11-01T11:00:00Z",
    },
    {
        "id": "c2",
        "author": "bo",
        "text": "Agreed, keep zero.",
        "created_at": "2026-11-01T12:00:00Z",
    },
]
FULL = {**ISSUE, "comments": COMMENTS, "created_at": "2026-10-30T09:00:00Z"}
REQUESTS: dict[str, int] = {}


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def review_round(github, beadle, model, *, title: str, label: str) -> tuple[str, str]:
    """Open a PR from `feature`, wait for its review; (review body, prompt). Counts requests."""
    github.reset_requests()
    number = github.open_pull(REPO, title=title, body="Rejects negatives.", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    [review] = wait_for(lambda: github.reviews(REPO, number), what="a review")
    REQUESTS[label] = len(github.requests)
    print(f"\n{label}: {len(github.requests)} GitHub requests:")
    for r in github.requests:
        print(f"  {r.method} {r.path} {r.status}")
    assert github.contract_violations() == []
    [prompt] = model.prompts
    return review["body"], prompt


def assert_issue_in_prompt(prompt: str, issue: dict[str, Any] = FULL) -> None:
    assert f"### Beads Issue ID: {issue['id']}" in prompt
    assert f"Title: {issue['title']}" in prompt
    assert issue["description"] in prompt
    assert issue["acceptance_criteria"] in prompt
    for comment in issue.get("comments", []):
        assert f"Comment by {comment['author']} at {comment['created_at']}:" in prompt
        assert comment["text"] in prompt


def test_a_path_and_branch_from_beadle_yml(github, model, beadle, git):
    git.commit(
        {".github/beadle.yml": "beads:\n  path: tracker/issues.jsonl\n  ref: tracking\n"},
        "Settings",
        branch="main",
    )
    git.branch("tracking", "main")
    tracked = {**FULL, "title": "Validate widget sizes (tracked)"}
    tip = git.commit({"tracker/issues.jsonl": jsonl(tracked)}, "Track", branch="tracking")
    body, prompt = review_round(
        github, beadle, model, title="Sizes (bd-a3f8)", label="(a) beadle.yml"
    )
    assert_issue_in_prompt(prompt, tracked)
    assert f"<sub>Issue from `tracker/issues.jsonl` on branch `tracking` at {tip[:8]}</sub>" in body


def test_export_path_from_config_yaml(github, model, beadle, git):
    head = git.commit(
        {
            ".beads/issues.jsonl": None,
            ".beads/config.yaml": "issue-prefix: bd\nexport:\n  path: export.jsonl\n",
            ".beads/export.jsonl": jsonl(FULL),
        },
        "Move the export",
        branch="feature",
    )
    body, prompt = review_round(
        github, beadle, model, title="Sizes (bd-a3f8)", label="(b) export.path"
    )
    assert_issue_in_prompt(prompt)
    assert f"<sub>Issue from `.beads/export.jsonl` at {head[:8]}</sub>" in body


def test_the_sync_branch_from_config_yaml(github, model, beadle, git):
    git.commit({".beads/config.yaml": 'sync-branch: "beads-sync"\n'}, "Sync mode", branch="feature")
    git.branch("beads-sync", "main")
    tip = git.commit({".beads/issues.jsonl": jsonl(FULL)}, "bd sync", branch="beads-sync")
    body, prompt = review_round(
        github, beadle, model, title="Sizes (bd-a3f8)", label="(b) sync-branch"
    )
    assert_issue_in_prompt(prompt)
    assert (
        f"<sub>Issue from `.beads/issues.jsonl` on branch `beads-sync` at {tip[:8]}</sub>" in body
    )


def test_a_default_jsonl_over_one_megabyte(github, model, beadle, git):
    others = [
        {"id": f"bd-{i:04x}z", "title": f"Other {i}", "description": "d" * 1000}
        for i in range(1200)
    ]
    head = git.commit({".beads/issues.jsonl": jsonl(*others, FULL)}, "Big", branch="feature")
    assert len(git.show(head, ".beads/issues.jsonl") or b"") > 1_000_000
    body, prompt = review_round(
        github, beadle, model, title="Sizes (bd-a3f8)", label="(c) issues.jsonl"
    )
    assert_issue_in_prompt(prompt)
    assert f"<sub>Issue from `.beads/issues.jsonl` at {head[:8]}</sub>" in body
    blobs = [r for r in github.requests if "/git/blobs/" in r.path]
    assert [r.status for r in blobs] == [200]
    assert not any(r.path.endswith("contents/.beads/issues.jsonl") for r in github.requests)
    # a push that leaves the file alone: round two lists .beads/ and reads no blob again
    github.reset_requests()
    git.commit(
        {"widgets/size.py": "def size(value):\n    return abs(value)\n"},
        "Tidy (bd-a3f8)",
        branch="feature",
    )
    github.sync_pull(REPO, 1)
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, 1, "synchronize"))
    wait_for(lambda: len(github.reviews(REPO, 1)) == 2, what="round two")
    beads = [r.path for r in github.requests if "/.beads" in r.path or "/git/" in r.path]
    assert beads == [f"/repos/{REPO}/contents/.beads"]
    REQUESTS["(c) round two"] = len(github.requests)
    print(f"(c) round two: {len(github.requests)} GitHub requests, beads: {beads}")
    assert "Issue from `.beads/issues.jsonl`" in github.reviews(REPO, 1)[1]["body"]


def test_the_backup_tables(github, model, beadle, git):
    row = {k: v for k, v in FULL.items() if k not in ("comments", "labels")}
    head = git.commit(
        {
            ".beads/issues.jsonl": None,
            ".beads/backup/issues.jsonl": jsonl(dict(sorted({**row, "pinned": 0}.items()))),
            ".beads/backup/comments.jsonl": jsonl(
                *({**c, "issue_id": "bd-a3f8"} for c in COMMENTS)
            ),
            ".beads/backup/labels.jsonl": jsonl({"issue_id": "bd-a3f8", "label": "backend"}),
            ".beads/backup/dependencies.jsonl": "",
        },
        "Backup",
        branch="feature",
    )
    body, prompt = review_round(github, beadle, model, title="Sizes (bd-a3f8)", label="(d) backup")
    assert_issue_in_prompt(prompt)
    assert "Labels: backend" in prompt
    assert (
        "<sub>Issue from `.beads/backup/issues.jsonl` (with its comments, labels and "
        f"dependencies tables) at {head[:8]}</sub>"
    ) in body


def test_the_dolt_data(github, model, beadle, git):
    data_commit = build_repo(git.path)  # the beads project's own refs/dolt/data
    body, prompt = review_round(
        github, beadle, model, title="Prepare the release (bd-5l7jm)", label="(e) Dolt"
    )
    assert "### Beads Issue ID: bd-5l7jm" in prompt and "Title: Beads v1.1 release" in prompt
    assert "# Beads v1.1 Release\n\nTracking bead for the" in prompt  # description
    assert "All known issues resolved" in prompt  # acceptance criteria
    assert "Comment by controller at 2026-05-21T23:56:07Z:" in prompt
    assert "CORRECTION to the handoff comment above" in prompt
    # the commits name bd-a3f8 too: the review lists it beside the source
    assert (
        f"<sub>Issue from beads Dolt data at {data_commit[:8]} · also named: `bd-a3f8` "
        "Validate widget sizes</sub>"
    ) in body
    assert "Parts of `bd-5l7jm` could not be read from the beads Dolt data" in body
    assert re.search(r"issue=bd-5l7jm ", body)


def test_no_source_has_the_issue(github, model, beadle, git):
    git.commit(
        {".beads/issues.jsonl": None, ".beads/config.yaml": "issue-prefix: bd\n"},
        "Dolt only now",
        branch="feature",
    )
    body, prompt = review_round(github, beadle, model, title="Sizes (bd-a3f8)", label="no source")
    note = (
        "No beads issue could be read: the pull request names `bd-a3f8`, but the repository has "
        "no beads JSONL file at this head"
    )
    for text in (body, prompt):
        assert note in text and "keeps issues in Dolt" in text and "`bd dolt push`" in text
        assert "`bd config set export.auto true` and `bd config set export.git-add true`" in text
    assert "### Beads Issue ID: none found" in prompt and "Issue from" not in body


def test_a_source_that_answers_500_forever(github, model, beadle, git):
    github.fail_next("GET", r"/git/blobs/", 500, times=1000)
    body, prompt = review_round(github, beadle, model, title="Sizes (bd-a3f8)", label="500 forever")
    assert "`.beads/issues.jsonl` could not be read (" in body
    assert "so the issue was looked for without it" in body
    assert "### Beads Issue ID: none found" in prompt and "### Critical" in body
