"""The pure steps around the model call: the prompt that fits, the review that is posted."""

from __future__ import annotations

from bot.review.budget import estimate_tokens
from bot.review.compose import Built, Limits, NothingToReview, build_prompt
from bot.review.diff import parse_diff
from bot.review.gather import Gathered
from bot.review.plan import RoundPlan
from bot.review.repo_config import parse_config
from tests.fakes.memory import BASE, HEAD, file_diff, pull_info

PLAN = RoundPlan(round=1, base=BASE, head=HEAD, whole_pr=True)


def gathered(diff: str) -> Gathered:
    return Gathered(files=parse_diff(diff), issue=None, issue_note="No beads issue was found.")


def test_thousands_of_left_out_paths_still_fit_the_window() -> None:
    """2,900 lockfiles once added ~40k tokens of "not included" lines the budget never saw."""
    lockfiles = "".join(
        file_diff(f"services/s{i:04d}/package-lock.json", ['{"v": 1}']) for i in range(2_900)
    )
    source = file_diff("app/main.py", [f"line_{n} = {n}" for n in range(400)])
    limits = Limits(context_tokens=20_000, answer_tokens=2_000)
    built = build_prompt(
        PLAN, pull_info(), gathered(lockfiles + source), parse_config(None), limits
    )
    assert isinstance(built, Built)
    assert estimate_tokens(built.prompt.system + built.prompt.user) <= 18_000
    assert "app/main.py" in built.prompt.user
    assert "and 2800 more files left out" in built.prompt.user
    assert len(built.packed.omitted) == 2_900


def test_a_change_of_lockfiles_only_is_nothing_to_review() -> None:
    diff = file_diff("package-lock.json", ['{"v": 1}']) + file_diff("go.sum", ["x h1:abc"])
    built = build_prompt(
        PLAN, pull_info(), gathered(diff), parse_config(None), Limits(8_000, 1_000)
    )
    assert isinstance(built, NothingToReview)
    assert built.check_summary() == ["package-lock.json: lockfile", "go.sum: lockfile"]
