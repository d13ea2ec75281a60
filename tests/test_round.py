"""One review round over the in-memory repository client: what a PR author would see posted.

The same paths run end to end over the loopback fake GitHub in tests/test_e2e_*.py; here each
rule of `Reviewer.run` is tried alone, in milliseconds.
"""

from __future__ import annotations

import json

import pytest

from bot.github.errors import GitHubError
from bot.intake.triggers import decide
from bot.intake.webhook import Event
from bot.model.reply import model_error
from bot.queue.jobs import coalesce
from bot.queue.request import Mode, ReviewRequest
from bot.review.marker import parse_marker
from bot.review.round import LeaseLost, ReviewConfig, Reviewer
from tests.fakes.memory import (
    BASE,
    HEAD,
    MemoryInstallations,
    MemoryModel,
    MemoryRepo,
    file_diff,
    pull_info,
)
from tests.fakes.model import reviewer_answer

ISSUE = {"id": "bd-a3f8", "title": "Validate widget sizes", "status": "open", "priority": 1}
CONFIG = ReviewConfig(model="test-model", context_tokens=128_000, answer_tokens=8_000)


def repo_with_change(**changes: object) -> MemoryRepo:
    repo = MemoryRepo(**changes)  # type: ignore[arg-type]
    repo.diffs["pull/1"] = file_diff("widgets/size.py", ["def check(size):", "    return size"])
    repo.files[(".beads/issues.jsonl", HEAD)] = json.dumps(ISSUE) + "\n"
    return repo


def reviewer(repo: MemoryRepo, model: MemoryModel | None = None) -> tuple[Reviewer, MemoryModel]:
    model = model or MemoryModel()
    github = MemoryInstallations({repo.full_name: repo})
    return Reviewer(github=github, model=model, config=CONFIG, sleep=lambda _: None), model


def request(mode: Mode = Mode.AUTO, **changes: object) -> ReviewRequest:
    fields: dict[str, object] = {
        "repo": "octo/widgets",
        "pr_number": 1,
        "installation_id": 7,
        "head_sha": HEAD,
        "mode": mode,
    }
    fields.update(changes)
    return ReviewRequest(**fields)  # type: ignore[arg-type]


def test_round_one_posts_one_review_with_its_marker_and_completes_the_check() -> None:
    repo = repo_with_change()
    outcome = reviewer(repo)[0].run(request(), job_key="job-1")
    assert outcome.detail == f"round 1 posted for {HEAD[:12]}"
    [review] = repo.reviews
    marker = parse_marker(review["body"])
    assert marker is not None
    assert (marker.round, marker.base, marker.head, marker.issue, marker.job) == (
        1,
        BASE,
        HEAD,
        "bd-a3f8",
        "job-1",
    )
    assert "Validate widget sizes" in review["body"]
    assert [c["path"] for c in review["comments"]] == ["widgets/size.py", "widgets/size.py"]
    [check] = repo.checks.values()
    assert check["status"] == "completed" and check["conclusion"] == "neutral"


def test_a_stranger_without_write_access_costs_no_model_call() -> None:
    repo = repo_with_change(permissions={"mallory": "read"})
    run, model = reviewer(repo)
    outcome = run.run(
        request(Mode.COMMAND, requested_by="mallory", verify_permission=True, comment_id=5),
        job_key="j",
    )
    assert "refused" in outcome.detail
    assert model.prompts == [] and repo.reviews == [] and repo.reactions == []


def test_draft_pull_requests_wait_unless_asked_for() -> None:
    repo = repo_with_change(pulls={1: pull_info(draft=True)})
    run, model = reviewer(repo)
    assert run.run(request(), job_key="j").detail == "draft pull request skipped"
    assert model.prompts == []
    assert run.run(request(Mode.COMMAND), job_key="k").detail.startswith("round 1 posted")


def test_automatic_reviews_can_be_turned_off_per_repository() -> None:
    repo = repo_with_change()
    repo.files[(".github/beadle.yml", "main")] = "auto_review: false\n"
    run, model = reviewer(repo)
    assert "automatic reviews are off" in run.run(request(), job_key="j").detail
    assert model.prompts == []


def test_a_retried_job_that_already_posted_does_not_post_again() -> None:
    repo = repo_with_change()
    run, model = reviewer(repo)
    run.run(request(), job_key="job-1")
    outcome = run.run(request(Mode.COMMAND), job_key="job-1")
    assert outcome.detail == "already posted by an earlier attempt of this job"
    assert len(repo.reviews) == 1 and len(model.prompts) == 1


def test_a_lockfile_only_change_costs_no_model_call_and_the_check_says_why() -> None:
    repo = repo_with_change()
    repo.diffs["pull/1"] = file_diff("package-lock.json", ['{"lockfileVersion": 3}'])
    run, model = reviewer(repo)
    assert run.run(request(), job_key="j").detail == "nothing to review (1 files left out)"
    assert model.prompts == [] and repo.reviews == []
    [check] = repo.checks.values()
    assert check["status"] == "completed" and "package-lock.json" in json.dumps(check["output"])


def test_inline_comments_github_refuses_are_dropped_not_the_review() -> None:
    repo = repo_with_change()
    repo.fail("post_review", 422)
    run, model = reviewer(repo)
    assert run.run(request(), job_key="j").detail.startswith("round 1 posted")
    [review] = repo.reviews
    assert review["comments"] == [] and "Missing input validation" in review["body"]
    assert len(model.prompts) == 1


def test_a_posting_hiccup_is_retried_without_asking_the_model_again() -> None:
    repo = repo_with_change()
    repo.fail("post_review", 502, times=2)
    run, model = reviewer(repo)
    assert run.run(request(), job_key="j").detail.startswith("round 1 posted")
    assert len(repo.reviews) == 1 and len(model.prompts) == 1


def test_a_job_taken_over_before_posting_posts_nothing() -> None:
    repo = repo_with_change()
    run, _ = reviewer(repo)
    with pytest.raises(LeaseLost):
        run.run(request(), job_key="j", still_held=lambda: False)
    assert repo.reviews == []


def test_a_model_failure_leaves_the_check_unfinished_not_in_progress() -> None:
    repo = repo_with_change()
    model = MemoryModel(failures=[model_error("model API answered 503", transient=True)])
    run, _ = reviewer(repo, model)
    with pytest.raises(Exception, match="503"):
        run.run(request(), job_key="j")
    [check] = repo.checks.values()
    assert check["status"] == "completed" and check["output"]["title"] == "Review not finished"
    assert "503" in check["output"]["summary"] and repo.reviews == []


def test_round_two_reviews_only_the_new_commits_with_the_earlier_findings() -> None:
    repo = repo_with_change()
    run, model = reviewer(repo)
    run.run(request(), job_key="r1")
    new_head = "c" * 40
    repo.pulls[1] = pull_info(head_sha=new_head)
    repo.files[(".beads/issues.jsonl", new_head)] = json.dumps(ISSUE) + "\n"
    repo.compares[(HEAD, new_head)] = {
        "status": "ahead",
        "commits": [{"parents": [{"sha": HEAD}]}],
        "files": [
            {
                "filename": "widgets/size.py",
                "status": "modified",
                "patch": "@@ -1,2 +1,3 @@\n def check(size):\n+    assert size >= 0\n     return size",
            }
        ],
    }
    outcome = run.run(request(head_sha=new_head), job_key="r2")
    assert outcome.detail == f"round 2 posted for {new_head[:12]}"
    assert "assert size >= 0" in model.prompts[-1] and "[I1]" in model.prompts[-1]
    marker = parse_marker(repo.reviews[-1]["body"])
    assert marker is not None and (marker.round, marker.base) == (2, HEAD)
    assert "compare_diff" not in repo.calls  # the comparison the plan fetched had the patches


def test_a_refused_inline_comment_on_the_last_attempt_is_still_posted_without_it() -> None:
    """Two hiccups, then GitHub refuses an inline comment: the review still lands, once."""
    repo = repo_with_change()
    repo.fail("post_review", 502, times=2)
    repo.fail("post_review", 422)
    run, model = reviewer(repo)
    assert run.run(request(), job_key="j").detail.startswith("round 1 posted")
    [review] = repo.reviews
    assert review["comments"] == [] and len(model.prompts) == 1


def test_posting_that_keeps_failing_is_never_reported_as_posted() -> None:
    repo = repo_with_change()
    repo.fail("post_review", 502, times=2)
    repo.fail("post_review", 422)
    repo.fail("post_review", 502)
    run, _ = reviewer(repo)
    with pytest.raises(GitHubError):
        run.run(request(), job_key="j")
    assert repo.reviews == []


def test_a_permission_check_without_anyone_to_check_refuses() -> None:
    repo = repo_with_change()
    run, model = reviewer(repo)
    outcome = run.run(request(Mode.COMMAND, verify_permission=True), job_key="j")
    assert "refused" in outcome.detail and model.prompts == [] and "permission" not in repo.calls


@pytest.mark.parametrize("association", ["MEMBER", "COLLABORATOR"])
def test_read_only_members_and_collaborators_cost_no_model_call(association: str) -> None:
    event = Event(
        "issue_comment",
        "d1",
        {
            "action": "created",
            "issue": {"number": 1, "pull_request": {"url": "u"}},
            "comment": {
                "id": 5,
                "body": "/review full",
                "author_association": association,
                "user": {"login": "reader", "type": "User"},
            },
            "repository": {"full_name": "octo/widgets"},
            "installation": {"id": 7},
        },
    )
    queued = decide(event).request
    assert queued is not None and queued.verify_permission
    repo = repo_with_change(permissions={"reader": "read"})
    run, model = reviewer(repo)
    assert "refused" in run.run(queued, job_key="j").detail
    assert model.prompts == [] and repo.reviews == []


def test_a_permission_is_asked_once_a_minute_per_person() -> None:
    repo = repo_with_change(permissions={"carol": "write"})
    run, _ = reviewer(repo)
    for key in ("a", "b"):
        run.run(request(Mode.FULL, requested_by="carol", verify_permission=True), job_key=key)
    assert repo.calls.count("permission") == 1 and len(repo.reviews) == 2


def test_a_critical_finding_judged_not_fixed_keeps_the_check_failing() -> None:
    """Round two finds nothing new, but round one's critical is "not fixed": the check must
    not pass (the command line's --fail-on critical counts it too)."""

    def critical_then_nothing(prompt: str) -> dict[str, object]:
        answer = reviewer_answer(prompt)
        if "[C1]" in prompt:  # round two: no new finding, the earlier critical not fixed
            answer["findings"] = []
            answer["earlier_findings"] = [{"id": "C1", "status": "not_fixed", "evidence": "no"}]
        else:
            answer["findings"][0]["severity"] = "critical"
        answer["assessment"] = {"ready_to_merge": "with_fixes", "reasoning": "r"}
        return answer

    repo = repo_with_change()
    run, _ = reviewer(repo, MemoryModel(answer=critical_then_nothing))
    run.run(request(), job_key="r1")
    new_head = "c" * 40
    repo.pulls[1] = pull_info(head_sha=new_head)
    repo.compares[(HEAD, new_head)] = {
        "status": "ahead",
        "commits": [{"parents": [{"sha": HEAD}]}],
        "files": [{"filename": "README.md", "status": "modified", "patch": "@@ -1 +1 @@\n-a\n+b"}],
    }
    run.run(request(head_sha=new_head), job_key="r2")
    conclusions = [c["conclusion"] for c in repo.checks.values()]
    assert conclusions == ["failure", "failure"]


def test_a_change_too_big_for_the_window_is_said_on_the_pull_request() -> None:
    """Every file "over the budget" is not "nothing to review": no model call, and a note on
    the PR says what was not reviewed and what to change."""
    repo = repo_with_change()
    repo.diffs["pull/1"] = file_diff("widgets/huge.py", [f"v{n} = {n} * 2" for n in range(6_000)])
    small = ReviewConfig(model="test-model", context_tokens=10_000, answer_tokens=2_000)
    model = MemoryModel()
    run = Reviewer(github=MemoryInstallations({repo.full_name: repo}), model=model, config=small)
    outcome = run.run(request(), job_key="j")
    assert "no room" in outcome.detail and model.prompts == [] and repo.reviews == []
    [(number, note)] = repo.notes
    assert number == 1 and "does not fit the model's window" in note
    assert "`widgets/huge.py`" in note and "context_tokens" in note


def test_a_read_only_full_review_does_not_swallow_a_writers_review() -> None:
    """carol (write) asks `/review`, then mallory (read) `/review full`, while the job waits:
    the folded job keeps both, and carol's review happens as she asked."""
    carol = request(Mode.COMMAND, requested_by="carol", verify_permission=True, comment_id=1)
    mallory = request(Mode.FULL, requested_by="mallory", verify_permission=True, comment_id=2)
    folded = coalesce(carol, mallory)
    assert folded.askers() == [("mallory", Mode.FULL), ("carol", Mode.COMMAND)]
    repo = repo_with_change(permissions={"carol": "write", "mallory": "read"})
    run, model = reviewer(repo)
    outcome = run.run(folded, job_key="j")
    assert outcome.detail.startswith("round 1 posted") and len(model.prompts) == 1
    assert repo.calls.count("permission") == 2


def test_askers_folded_from_many_stay_within_the_column() -> None:
    request_ = request(Mode.COMMAND, requested_by="a", verify_permission=True)
    for i in range(40):
        request_ = coalesce(
            request_,
            request(Mode.COMMAND, requested_by=f"user-{i:03d}" * 3, verify_permission=True),
        )
    assert len(request_.requested_by or "") <= 255 and len(request_.askers()) <= 8
