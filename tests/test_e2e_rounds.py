"""Round two on every push, `/review` on demand, a verdict on every earlier finding."""

import re

from bot.review.marker import parse_marker
from tests.fakes.webhooks import issue_comment_payload, pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, wait_for


def open_and_review(github, beadle):
    number = github.open_pull(
        REPO, title="Validate widget sizes", body="Rejects negatives.", head="feature"
    )
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(lambda: len(github.reviews(REPO, number)) == 1, what="review 1")
    return number


def push(github, git, beadle, number, files, message="Follow-up (bd-a3f8)"):
    git.commit(files, message, branch="feature")
    github.sync_pull(REPO, number)
    return deliver(
        beadle.url, "pull_request", pull_request_payload(github, REPO, number, "synchronize")
    )


def markers(github, number):
    return [parse_marker(r["body"]) for r in github.reviews(REPO, number)]


def test_a_push_gets_round_two_over_the_new_commit_only(github, model, beadle, git):
    number = open_and_review(github, beadle)
    head1 = git.sha("feature")
    push(github, git, beadle, number, {"widgets/limits.py": "MAX = 10\n"})
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")

    first, second = markers(github, number)
    assert (second.round, second.base, second.head) == (2, head1, git.sha("feature"))
    prompt1, prompt2 = model.prompts
    # the diff holds only the new commit
    assert "+++ b/widgets/limits.py" in prompt2 and "+++ b/widgets/size.py" not in prompt2
    assert "round 2 code review" in prompt2 and "Earlier Review Summary" in prompt2
    # review 1's findings are carried into the prompt by id
    for finding in first.findings:
        assert f"[{finding.id}] {finding.title}" in prompt2
    body = github.reviews(REPO, number)[1]["body"]
    assert "### Earlier findings" in body
    for finding in first.findings:
        assert re.search(rf"\| {finding.id} \| .*\| ✅ fixed \|", body), body
    # new findings continue the numbering instead of reusing ids
    assert {f.id for f in second.findings}.isdisjoint({f.id for f in first.findings})
    print(
        f"\nprompt size: round one {len(prompt1)} chars, round two {len(prompt2)} chars "
        f"({len(prompt2) / len(prompt1):.0%})"
    )


def test_force_push_falls_back_to_a_full_review_and_says_why(github, model, beadle, git):
    number = open_and_review(github, beadle)
    git.branch("rewritten", "main")
    git.commit(
        {"widgets/size.py": "def size(v):\n    assert v >= 0\n    return v\n"},
        "Rewrite (bd-a3f8)",
        branch="rewritten",
    )
    git.branch("feature", "rewritten")  # force push
    github.sync_pull(REPO, number)
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "synchronize"))
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")
    second = markers(github, number)[1]
    assert second.round == 2 and second.base == git.sha("main")
    assert "no longer in this branch's history" in github.reviews(REPO, number)[1]["body"]


def test_the_same_head_is_not_reviewed_twice(github, model, beadle, git):
    number = open_and_review(github, beadle)
    payload = pull_request_payload(github, REPO, number, "synchronize")
    deliver(beadle.url, "pull_request", payload)  # a second delivery for the reviewed head
    wait_for(
        lambda: (
            all(j.state.value == "done" for j in beadle.runtime.store.recent_jobs())
            and len(beadle.runtime.store.recent_jobs()) == 2
        ),
        what="jobs done",
    )
    assert len(github.reviews(REPO, number)) == 1 and len(model.requests) == 1


def test_open_push_push_review_and_an_outsider(github, model, beadle, git):
    """Through the contract alone: reviews 1, 2, 3, 4 and nothing for the outsider."""
    number = open_and_review(github, beadle)
    push(github, git, beadle, number, {"widgets/a.py": "A = 1\n"})
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")
    push(github, git, beadle, number, {"widgets/b.py": "B = 2\n"})
    wait_for(lambda: len(github.reviews(REPO, number)) == 3, what="review 3")

    github.set_permission(REPO, "maria", "write")  # MEMBER alone is no longer trusted
    command = issue_comment_payload(
        github, REPO, number, "/review", login="maria", author_association="MEMBER"
    )
    assert deliver(beadle.url, "issue_comment", command).status_code == 202
    wait_for(lambda: len(github.reviews(REPO, number)) == 4, what="review 4")
    assert [m.round for m in markers(github, number)] == [1, 2, 3, 4]
    assert any(
        r["content"] == "eyes" and r["comment_id"] == command["comment"]["id"]
        for r in github.reactions
    )

    asked = len(model.requests)
    github.set_permission(REPO, "mallory", "read")
    outsider = issue_comment_payload(
        github, REPO, number, "/review", login="mallory", author_association="CONTRIBUTOR"
    )
    deliver(beadle.url, "issue_comment", outsider)
    wait_for(
        lambda: beadle.runtime.store.recent_jobs()[0].state.value == "done",
        what="the outsider's job to be settled",
    )
    assert len(github.reviews(REPO, number)) == 4 and len(model.requests) == asked
    assert not any(r["comment_id"] == outsider["comment"]["id"] for r in github.reactions)


def test_a_contributor_with_write_permission_may_ask(github, model, beadle):
    number = open_and_review(github, beadle)
    github.set_permission(REPO, "carol", "write")
    deliver(
        beadle.url,
        "issue_comment",
        issue_comment_payload(
            github, REPO, number, "/review full", login="carol", author_association="CONTRIBUTOR"
        ),
    )
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")
    assert markers(github, number)[1].round == 1  # `/review full` starts over


def test_comments_by_bots_cause_no_model_call(github, model, beadle):
    number = open_and_review(github, beadle)
    response = deliver(
        beadle.url,
        "issue_comment",
        issue_comment_payload(
            github,
            REPO,
            number,
            "/review",
            login="beadle[bot]",
            user_type="Bot",
            author_association="NONE",
        ),
    )
    assert response.status_code == 200 and len(model.requests) == 1


def test_a_push_merged_with_an_outsiders_review_command_is_still_reviewed(github, model, env, git):
    """The outsider's `/review` and a push coalesce into one job; the push must not be lost."""
    from tests.harness import Beadle

    with Beadle(env, with_workers=False) as web:  # queue both before any worker runs
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        github.set_permission(REPO, "mallory", "read")
        deliver(
            web.url,
            "issue_comment",
            issue_comment_payload(
                github, REPO, number, "/review", login="mallory", author_association="NONE"
            ),
        )
        deliver(web.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
        [job] = web.runtime.store.recent_jobs()
    with Beadle(env) as beadle:
        wait_for(lambda: github.reviews(REPO, number), what="the push's review")
        wait_for(lambda: beadle.runtime.store.job(job.id).state.value == "done", what="done")
    assert len(github.reviews(REPO, number)) == 1
    assert github.reactions == []  # no 👀 for a command that was refused


def test_a_deleted_review_comment_does_not_stop_the_review(github, model, beadle):
    number = open_and_review(github, beadle)
    github.fail_next("POST", r"/issues/comments/\d+/reactions$", 404)
    github.set_permission(REPO, "maria", "write")  # MEMBER alone is no longer trusted
    deliver(
        beadle.url,
        "issue_comment",
        issue_comment_payload(
            github, REPO, number, "/review", login="maria", author_association="MEMBER"
        ),
    )
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")
    assert github.issue_comments(REPO, number)[-1]["user"]["login"] == "maria"  # no failure note


def test_a_bot_login_lookup_that_fails_is_retried(github, model, env):
    from tests.harness import Beadle

    github.fail_next("GET", r"^/app$", 502, times=4)  # outlasts PyGithub's own retries once
    with Beadle(env) as beadle:
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
        wait_for(lambda: github.reviews(REPO, number), timeout=40, what="the review")
        [job] = beadle.runtime.store.recent_jobs()
    assert job.attempts == 2


def test_a_worker_that_lost_its_lease_does_not_post(github, model, env):
    import pytest

    from bot.queue.request import ReviewRequest
    from bot.review.round import LeaseLost
    from tests.harness import Beadle

    with Beadle(env, with_workers=False) as beadle:
        number = github.open_pull(REPO, title="Sizes (bd-a3f8)", head="feature")
        request = ReviewRequest(REPO, number, 1, github.pull(REPO, number)["head"]["sha"])
        with pytest.raises(LeaseLost):
            beadle.runtime.reviewer.run(request, job_key="1-1", still_held=lambda: False)
    assert github.reviews(REPO, number) == []


def test_merging_the_base_branch_in_reviews_the_pr_not_the_base_branchs_changes(
    github, model, beadle, git
):
    number = open_and_review(github, beadle)
    git.commit({"someone_else.py": "OTHER = 1\n"}, "Unrelated work on main", branch="main")
    git._git("checkout", "-q", "feature")
    git._git("merge", "-q", "--no-edit", "main")  # GitHub's "Update branch"
    github.sync_pull(REPO, number, base=True)
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "synchronize"))
    wait_for(lambda: len(github.reviews(REPO, number)) == 2, what="review 2")
    prompt2 = model.prompts[1]
    assert "+++ b/someone_else.py" not in prompt2 and "+++ b/widgets/size.py" in prompt2
    assert "base branch was merged into this branch" in github.reviews(REPO, number)[1]["body"]
