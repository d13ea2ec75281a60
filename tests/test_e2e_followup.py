"""Reviews with evidence, end to end through the real app, the fake GitHub and the fake model:
the code at earlier findings in round two, suggestions to commit, replies in fixed threads and
the cached tokens in the footer."""

from __future__ import annotations

import json
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.model.client import OpenAIReviewer
from bot.review.marker import parse_marker
from tests.fakes.model import reviewer_answer
from tests.fakes.server import LoopbackServer
from tests.fakes.webhooks import pull_request_payload
from tests.harness import *  # noqa: F403  (fixtures)
from tests.harness import REPO, deliver, wait_for

TEST_SIZE_PY = "def test_negative():\n    assert True\n"


def rounds_posted(github, number) -> list:
    """Beadle's rounds: the reviews with its marker (replies may come as empty reviews)."""
    return [m for r in github.reviews(REPO, number) if (m := parse_marker(r["body"] or ""))]


def open_and_review(github, beadle) -> int:
    number = github.open_pull(REPO, title="Validate widget sizes (bd-a3f8)", head="feature")
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "opened"))
    wait_for(lambda: len(rounds_posted(github, number)) == 1, what="round 1")
    return number


def push(github, git, beadle, number, files, *, rounds: int) -> None:
    git.commit(files, "Follow-up (bd-a3f8)", branch="feature")
    github.sync_pull(REPO, number)
    deliver(beadle.url, "pull_request", pull_request_payload(github, REPO, number, "synchronize"))
    wait_for(lambda: len(rounds_posted(github, number)) == rounds, what=f"round {rounds}")


def test_round_two_shows_the_code_of_a_finding_in_a_file_the_push_did_not_touch(
    github, model, beadle, git
):
    number = open_and_review(github, beadle)
    [first] = rounds_posted(github, number)
    on_tests = [f for f in first.findings if f.file == "tests/test_size.py"]
    assert [(f.id, f.line) for f in on_tests] == [("I1", 1)]
    push(github, git, beadle, number, {"widgets/limits.py": "MAX = 10\n"}, rounds=2)
    prompt = model.prompts[-1]
    assert "+++ b/tests/test_size.py" not in prompt  # the push did not touch it…
    assert "[I1] tests/test_size.py:1 — line 1, not touched by the new commits:" in prompt
    assert "> 1 | def test_negative():" in prompt  # …but its code is shown


def test_round_two_follows_a_line_the_push_moved_and_says_what_was_deleted(
    github, model, beadle, git
):
    number = open_and_review(github, beadle)
    [first] = rounds_posted(github, number)
    minor = next(f for f in first.findings if f.file == "widgets/size.py")
    moved = "import math\n\n" + TEST_SIZE_PY
    push(
        github,
        git,
        beadle,
        number,
        {"tests/test_size.py": moved, "widgets/size.py": "def size(value):\n    return value\n"},
        rounds=2,
    )
    prompt = model.prompts[-1]
    assert (
        "[I1] tests/test_size.py:3 — was line 1, now line 3 (the new commits moved it):" in prompt
    )
    assert "> 3 | def test_negative():" in prompt
    assert minor.line == 3  # `raise ValueError('negative')`, which the push took out again
    assert (
        f"[{minor.id}] widgets/size.py:2 — line 3 was deleted by the new commits; "
        "the code now around where it was:\n```\n  1 | def size(value):\n  2 |     return value\n```"
    ) in prompt


def test_a_fixed_finding_gets_one_reply_in_its_thread_across_two_further_rounds(
    github, model, beadle, git
):
    github.reply_reviews = True  # as on GitHub: each reply comes in an empty review of its own
    verdicts = iter([{}, {"I1": "fixed"}, {"M1": "fixed"}])

    def answer(prompt: str) -> dict[str, Any]:
        said, statuses = reviewer_answer(prompt), next(verdicts)
        said["earlier_findings"] = [
            {**e, "status": statuses.get(e["id"], "not_fixed"), "evidence": f"seen {e['id']}"}
            for e in said["earlier_findings"]
        ]
        return said

    model.answer = answer
    number = open_and_review(github, beadle)
    push(github, git, beadle, number, {"widgets/a.py": "A = 1\n"}, rounds=2)
    wait_for(lambda: len(replies(github, number)) == 1, what="the reply for I1")
    push(github, git, beadle, number, {"widgets/b.py": "B = 2\n"}, rounds=3)
    wait_for(lambda: len(replies(github, number)) == 2, what="the reply for M1")
    threads = {c["id"]: c for c in listed_comments(github, number) if "in_reply_to_id" not in c}
    got = {}
    for reply in replies(github, number):
        start = threads[reply["in_reply_to_id"]]
        ident = reply["body"].rsplit("<!-- beadle:fixed ", 1)[1][:2]
        assert f"<!-- beadle:finding {ident} -->" in start["body"]
        got[ident] = reply["body"]
    head2, head3 = (m.head for m in rounds_posted(github, number)[1:])
    assert got["I1"].startswith(f"✅ **Fixed** in {head2[:7]}: seen I1")
    assert got["M1"].startswith(f"✅ **Fixed** in {head3[:7]}: seen M1")
    assert len(replies(github, number)) == 2  # I1 once, M1 once, nothing for the rest
    assert github.contract_violations() == []


def test_suggestions_are_posted_for_right_side_ranges_only(github, model, beadle):
    def finding(title: str, file: str, start: int, end: int, suggestion: str) -> dict[str, Any]:
        return {
            "severity": "minor",
            "title": title,
            "file": file,
            "start_line": start,
            "end_line": end,
            "problem": "p",
            "impact": "i",
            "fix": "f",
            "suggestion": suggestion,
        }

    def answer(prompt: str) -> dict[str, Any]:
        said = reviewer_answer(prompt)
        said["findings"] = [
            finding(
                "Say why",
                "widgets/size.py",
                2,
                3,
                "    if value < 0:  # sizes\n        raise ValueError('negative size')",
            ),
            finding("Off the diff", "README.md", 1, 1, "# Widgets"),
            finding("Past the hunk", "widgets/size.py", 3, 9, "x"),
        ]
        return said

    model.answer = answer
    number = open_and_review(github, beadle)
    comments = github.review_comments(REPO, number)
    assert [(c["path"], c["start_line"], c["line"]) for c in comments] == [
        ("widgets/size.py", 2, 3),
        ("widgets/size.py", None, 3),
    ]
    with_block, without = comments
    assert (
        "```suggestion\n    if value < 0:  # sizes\n        raise ValueError('negative size')\n```"
        in (with_block["body"])
    )
    assert "```suggestion" not in without["body"]
    body = github.reviews(REPO, number)[0]["body"]
    assert "README.md" in body and "unverified" in body  # the off-diff one is in the summary


def test_the_footer_reports_cached_prompt_tokens(github, model, beadle):
    number = open_and_review(github, beadle)
    body = github.reviews(REPO, number)[0]["body"]
    assert " prompt (0 cached) + " in body  # the fake model caches nothing


def test_the_model_adapter_reads_cached_tokens_from_the_usage_details() -> None:
    async def completions(request: Request) -> JSONResponse:
        content = json.dumps(reviewer_answer(""))
        return JSONResponse(
            {
                "id": "c",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content, "refusal": None},
                    }
                ],
                "usage": {
                    "prompt_tokens": 2000,
                    "completion_tokens": 100,
                    "total_tokens": 2100,
                    "prompt_tokens_details": {"cached_tokens": 1536},
                },
            }
        )

    server = LoopbackServer(
        Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    )
    server.start()
    try:
        adapter = OpenAIReviewer(api_key="sk-test", base_url=f"{server.url}/v1", timeout=10)
        reply = adapter.review(system="s", prompt="p", model="m", max_tokens=100)
    finally:
        server.stop()
    assert (reply.prompt_tokens, reply.cached_tokens, reply.completion_tokens) == (2000, 1536, 100)


def listed_comments(github, number) -> list[dict[str, Any]]:
    """The review comments as `GET …/pulls/N/comments` lists them (with `in_reply_to_id`)."""
    headers = {"Authorization": f"token {github.issue_token()}"}
    url = f"{github.base_url}/repos/{REPO}/pulls/{number}/comments"
    return httpx.get(url, headers=headers, params={"per_page": 100}).json()


def replies(github, number) -> list[dict[str, Any]]:
    return [c for c in listed_comments(github, number) if "in_reply_to_id" in c]
