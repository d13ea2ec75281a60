"""Round planning: round one, round N+1 over the new commits, force-push fallback, skips."""

from bot.queue.request import Mode
from bot.review.marker import Marker, TrackedFinding
from bot.review.plan import RoundPlan, Skip, plan_round

BASE, OLD, NEW = "0" * 40, "a" * 40, "b" * 40
PREVIOUS = Marker(
    round=2,
    base=BASE,
    head=OLD,
    issue="bd-1",
    findings=(TrackedFinding("I1", "important", "t", "f.py", 3),),
    counters={"I": 1},
)


def plan(mode=Mode.AUTO, previous=PREVIOUS, head=NEW, moved="linear"):
    return plan_round(
        mode=mode, previous=previous, pr_base=BASE, pr_head=head, history=lambda a, b: moved
    )


def test_no_earlier_review_is_round_one_over_the_whole_pr():
    p = plan(previous=None)
    assert p == RoundPlan(round=1, base=BASE, head=NEW, whole_pr=True)


def test_a_push_after_a_review_is_the_next_round_over_the_new_commits():
    p = plan()
    assert (p.round, p.base, p.head, p.whole_pr) == (3, OLD, NEW, False)
    assert p.earlier == PREVIOUS.findings and p.counters == {"I": 1} and p.range_note is None


def test_force_push_falls_back_to_the_whole_pr_and_says_why():
    p = plan(moved="rewritten")
    assert (p.round, p.base, p.whole_pr) == (3, BASE, True)
    assert "no longer in this branch's history" in p.range_note and p.earlier == PREVIOUS.findings


def test_the_same_head_is_never_reviewed_twice_automatically():
    assert isinstance(plan(head=OLD), Skip)


def test_review_command_may_review_the_same_head_again():
    p = plan(mode=Mode.COMMAND, head=OLD)
    assert isinstance(p, RoundPlan) and p.round == 3 and p.whole_pr


def test_review_full_starts_over():
    p = plan(mode=Mode.FULL)
    assert (p.round, p.base, p.whole_pr, p.earlier) == (1, BASE, True, ())


def test_merging_the_base_branch_in_reviews_the_whole_pr_not_the_base_changes():
    p = plan(moved="merged")
    assert (p.round, p.base, p.whole_pr) == (3, BASE, True)
    assert "base branch was merged into this branch" in p.range_note
