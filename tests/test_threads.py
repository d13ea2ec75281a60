"""Threads that follow up: a fixed finding gets one reply in its inline thread, never two."""

from __future__ import annotations

import json
from typing import Any

from bot.github.client import ReviewComment
from bot.model.answer import FixStatus
from bot.queue.request import ReviewRequest
from bot.review.findings import EarlierVerdict
from bot.review.marker import TrackedFinding
from bot.review.round import ReviewConfig, Reviewer
from bot.review.threads import Fixed, fixed_in, plan_replies, record, recorded
from tests.fakes.memory import (
    HEAD,
    MemoryInstallations,
    MemoryModel,
    MemoryRepo,
    file_diff,
    pull_info,
)

ISSUE = {"id": "bd-a3f8", "title": "Validate widget sizes", "status": "open", "priority": 1}


def verdict(ident: str, status: FixStatus | None, evidence: str = "") -> EarlierVerdict:
    return EarlierVerdict(TrackedFinding(ident, "important", "t", "a.py", 3), status, evidence)


def test_only_findings_judged_fixed_are_answered() -> None:
    verdicts = [
        verdict("I1", FixStatus.FIXED, "guard added at a.py:3"),
        verdict("I2", FixStatus.PARTLY_FIXED),
        verdict("M3", FixStatus.NOT_FIXED),
        verdict("M4", FixStatus.NOT_APPLICABLE),
        verdict("M5", None),
    ]
    assert fixed_in(verdicts) == [Fixed("I1", "guard added at a.py:3")]


def test_a_thread_that_already_has_its_reply_gets_no_second_one() -> None:
    comments = [
        ReviewComment(10, "**[I1]** …\n<!-- beadle:finding I1 -->", None),
        ReviewComment(11, "**[M2]** …\n<!-- beadle:finding M2 -->", None),
        ReviewComment(12, "✅ Fixed in abc1234\n<!-- beadle:fixed I1 -->", 10),
    ]
    replies = plan_replies(
        [Fixed("I1", "e"), Fixed("M2", "moved to b.py")], comments, head="f" * 40
    )
    assert [(r.comment_id, r.finding) for r in replies] == [(11, "M2")]
    assert replies[0].body.startswith("✅ **Fixed** in fffffff: moved to b.py")
    assert replies[0].body.rstrip().endswith("<!-- beadle:fixed M2 -->")


def test_after_a_fresh_round_one_the_newest_thread_of_an_id_is_answered() -> None:
    comments = [
        ReviewComment(10, "<!-- beadle:finding I1 -->", None),
        ReviewComment(20, "<!-- beadle:finding I1 -->", None),  # `/review full` started over
    ]
    [reply] = plan_replies([Fixed("I1", "")], comments, head="a" * 40)
    assert reply.comment_id == 20 and reply.body.startswith("✅ **Fixed** in aaaaaaa\n")


def test_a_finding_without_a_thread_is_left_alone() -> None:
    assert plan_replies([Fixed("C1", "e")], [], head="a" * 40) == []


def test_the_record_of_what_was_fixed_survives_a_round_trip_and_bad_data() -> None:
    line = record([Fixed("I1", "it -- works"), Fixed("M2", "")], head="b" * 40)
    assert "--" not in line[4:-3]
    assert recorded(f"body\n{line}\n<!-- beadle:review v=1 -->") == (
        "b" * 40,
        [Fixed("I1", "it -- works"), Fixed("M2", "")],
    )
    assert recorded("no record") is None
    assert recorded(f"<!-- beadle:fixed-findings head={'b' * 40} data=!!! -->") is None
    assert record([], head="b" * 40) == ""


# -- over a review round -----------------------------------------------------------------------
def rounds(answers: list[dict[str, str]]) -> tuple[MemoryRepo, Reviewer]:
    """Round one finds I1 and M1 (the in-memory model); `answers[k]` scripts round k+2's verdicts
    on the earlier findings, by id."""
    repo = MemoryRepo()
    repo.diffs["pull/1"] = file_diff("widgets/size.py", ["def check(size):", "    return size"])
    repo.files[(".beads/issues.jsonl", HEAD)] = json.dumps(ISSUE) + "\n"
    asked = iter([{}, *answers])

    def answer(prompt: str) -> dict[str, Any]:
        from tests.fakes.model import reviewer_answer

        said = reviewer_answer(prompt)
        statuses = next(asked)
        said["earlier_findings"] = [
            {**e, "status": statuses.get(e["id"], "not_fixed")} for e in said["earlier_findings"]
        ]
        return said

    model = MemoryModel(answer=answer)
    run = Reviewer(
        github=MemoryInstallations({repo.full_name: repo}),
        model=model,
        config=ReviewConfig(model="m", context_tokens=64_000, answer_tokens=4_000),
        sleep=lambda _: None,
    )
    return repo, run


def push(repo: MemoryRepo, run: Reviewer, old: str, new: str, *, job: str) -> str:
    repo.pulls[1] = pull_info(head_sha=new)
    repo.files[(".beads/issues.jsonl", new)] = json.dumps(ISSUE) + "\n"
    repo.compares[(old, new)] = {
        "status": "ahead",
        "files": [
            {
                "filename": f"widgets/{job}.py",
                "status": "added",
                "patch": "@@ -0,0 +1 @@\n+X = 1",
            }
        ],
    }
    request = ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=new)
    return run.run(request, job_key=job).detail


def test_a_fixed_finding_gets_one_reply_across_two_further_rounds() -> None:
    repo, run = rounds([{"I1": "fixed"}, {"M1": "fixed"}])
    request = ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=HEAD)
    run.run(request, job_key="r1")
    starts = {c.id: c.body for c in repo.own_review_comments(1)}
    assert sorted(b.rsplit("<!-- beadle:finding ", 1)[1][:2] for b in starts.values()) == [
        "I1",
        "M1",
    ]
    push(repo, run, HEAD, "c" * 40, job="r2")
    push(repo, run, "c" * 40, "d" * 40, job="r3")
    by_finding = {r["body"].rsplit("<!-- beadle:fixed ", 1)[1][:2]: r for r in repo.replies}
    assert len(repo.replies) == 2 and set(by_finding) == {"I1", "M1"}
    assert by_finding["I1"]["body"].startswith("✅ **Fixed** in ccccccc")
    assert by_finding["M1"]["body"].startswith("✅ **Fixed** in ddddddd")
    for ident, reply in by_finding.items():
        assert f"<!-- beadle:finding {ident} -->" in starts[reply["comment_id"]]


def test_a_retried_job_finishes_the_replies_a_crash_cut_short_and_no_more() -> None:
    repo, run = rounds([{"I1": "fixed", "M1": "fixed"}])
    run.run(
        ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=HEAD),
        job_key="r1",
    )
    repo.fail("reply_to_review_comment", 502)  # the first reply is lost (the process died)
    push(repo, run, HEAD, "c" * 40, job="r2")
    assert len(repo.replies) == 1
    detail = push(repo, run, HEAD, "c" * 40, job="r2")  # the job is taken up again
    assert detail == "already posted by an earlier attempt of this job"
    assert len(repo.replies) == 2
    push(repo, run, HEAD, "c" * 40, job="r2")
    assert len(repo.replies) == 2


def test_a_failing_reply_does_not_fail_the_round() -> None:
    repo, run = rounds([{"I1": "fixed"}])
    run.run(
        ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=HEAD),
        job_key="r1",
    )
    repo.fail("own_review_comments", 500)
    assert push(repo, run, HEAD, "c" * 40, job="r2") == f"round 2 posted for {'c' * 12}"
    assert repo.replies == []
