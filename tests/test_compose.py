"""The pure steps around the model call: the prompt that fits, the review that is posted."""

from __future__ import annotations

from dataclasses import replace

from bot.beads.jsonl import parse_issues
from bot.review.budget import estimate_tokens
from bot.review.compose import Built, Limits, NothingToReview, build_prompt
from bot.review.diff import parse_diff
from bot.review.gather import Gathered
from bot.review.plan import RoundPlan
from bot.review.prompt import Document
from bot.review.repo_config import parse_config
from tests.fakes.memory import BASE, HEAD, file_diff, pull_info

PLAN = RoundPlan(round=1, base=BASE, head=HEAD, whole_pr=True)
ISSUE_BIG = parse_issues('{"id": "bd-a3f8", "title": "Sizes", "description": "d"}\n')["bd-a3f8"]


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


def test_a_huge_issue_gives_way_to_the_diff() -> None:
    """A 1 MB description once filled a 128k window: every file "over the budget", no model call,
    no review. Now the issue's long fields are cut at the end and the review says so."""
    issue = replace(ISSUE_BIG, description="Widgets must be small. " * 45_000)
    got = replace(gathered(file_diff("app/main.py", ["x = 1"] * 50)), issue=issue)
    built = build_prompt(PLAN, pull_info(), got, parse_config(None), Limits(128_000, 8_000))
    assert isinstance(built, Built)
    assert (
        "app/main.py" in built.prompt.user
        and "[… cut to fit the model's window]" in built.prompt.user
    )
    assert built.cuts == ("the end of the issue's description",)
    assert estimate_tokens(built.prompt.system + built.prompt.user) <= 120_000


def test_documents_go_first_when_the_frame_crowds_the_diff() -> None:
    docs = [Document(f"docs/plan-{i}.md", "Plan words. " * 3_300) for i in range(3)]
    got = replace(gathered(file_diff("app/main.py", ["y = 2"] * 400)), documents=docs)
    built = build_prompt(PLAN, pull_info(), got, parse_config(None), Limits(32_000, 4_000))
    assert isinstance(built, Built) and [o.path for o in built.packed.omitted] == []
    assert built.cuts and all(c.startswith("the document `docs/plan-") for c in built.cuts)
    assert "docs/plan-0.md" in built.prompt.user  # the first named is the last to go
