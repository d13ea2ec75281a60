"""A signed `pull_request.opened` in, exactly one categorized review out (issue: round one)."""

import re

from tests.fakes.openapi import check_request
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, wait_for


def test_opened_pull_request_gets_one_categorized_review(github, model, beadle, git):
    number = github.open_pull(
        REPO, title="Validate widget sizes", body="Rejects negatives.", head="feature"
    )
    response = deliver(
        beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened")
    )
    assert response.status_code == 202

    reviews = wait_for(lambda: github.reviews(REPO, number), what="a review")
    head = git.sha("feature")
    [review] = reviews
    body = review["body"]
    assert review["commit_id"] == head and review["state"] == "COMMENTED"
    for section in (
        "### Critical",
        "### Important",
        "### Minor",
        "### Strengths",
        "### Requirements",
        "### Assessment",
    ):
        assert section in body
    assert "None found." in body  # the empty Critical section says so
    # a path:line reference linked to the file at the head SHA
    assert re.search(
        rf"\[`widgets/size\.py:\d+`\]\(https://github\.com/{REPO}/blob/{head}/"
        rf"widgets/size\.py#L\d+\)",
        body,
    ), body
    marker = re.search(r"<!-- beadle:review v=1 round=1 base=(\w+) head=(\w+) issue=bd-a3f8 ", body)
    assert marker and marker[2] == head and marker[1] == git.sha("main")
    assert "bd-a3f8" in body and "Validate widget sizes" in body
    # inline comments sit on lines of the diff
    comments = github.review_comments(REPO, number)
    assert comments and all(
        c["path"] in {"widgets/size.py", "tests/test_size.py"} for c in comments
    )
    # the model saw the issue, the plan document and the diff
    [prompt] = model.prompts
    assert "### Beads Issue ID: bd-a3f8" in prompt and "Priority: P1" in prompt
    assert "Sizes are validated on entry." in prompt
    assert "+    if value < 0:" in prompt
    # every request named a real path and method with a valid body
    assert github.contract_violations() == []
    for request in github.requests:
        assert check_request(request.method, request.path, request.json) == []


def test_no_beads_issue_still_gets_a_review_that_says_so(github, model, beadle, git):
    git.branch("chore", "main")
    git.commit({"other.py": "x = 1\n"}, "Unrelated change", branch="chore")
    number = github.open_pull(REPO, title="Tidy up", body="", head="chore")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    [review] = wait_for(lambda: github.reviews(REPO, number), what="a review")
    assert "No beads issue id was found" in review["body"]
    assert "issue=- " in review["body"]


def test_draft_pull_requests_are_skipped(github, model, beadle):
    number = github.open_pull(REPO, title="WIP (bd-a3f8)", head="feature", draft=True)
    response = deliver(
        beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened")
    )
    assert response.status_code == 202
    wait_for(
        lambda: [j for j in beadle.runtime.store.recent_jobs() if j.state == "done"],
        what="the job to finish",
    )
    assert github.reviews(REPO, number) == [] and model.requests == []
