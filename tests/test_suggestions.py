"""Committable suggestions: posted on a right-side range of one hunk, dropped when they do not fit
the comment's lines, fenced so that the replacement cannot close the block."""

from __future__ import annotations

from typing import Any

from bot.model.answer import ReviewAnswer
from bot.review.comment import inline_body, inline_comments
from bot.review.diff import parse_diff
from bot.review.findings import check
from bot.review.suggestions import fit_suggestion, right_lines_text, suggestion_block

# New lines 1-4 in one hunk, then a second hunk at 20-21.
DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,3 +1,4 @@\n def size(v):\n+    v = int(v)\n     return v\n \n"
    "@@ -18,2 +20,2 @@\n-x = 1\n+x = 2\n y = 3\n"
)
[FILE] = parse_diff(DIFF)


def answer(**finding: Any) -> ReviewAnswer:
    base = {
        "severity": "important",
        "title": "Negative sizes pass",
        "file": "app.py",
        "start_line": 2,
        "end_line": 3,
        "problem": "p",
        "impact": "i",
        "fix": "Reject them.",
        "suggestion": "    v = int(v)\n    if v < 0:\n        raise ValueError(v)\n    return v",
    }
    base.update(finding)
    return ReviewAnswer.model_validate(
        {
            "findings": [base],
            "strengths": [],
            "requirements": [],
            "earlier_findings": [],
            "assessment": {"ready_to_merge": "with_fixes", "reasoning": "r"},
            "summary": "s",
        }
    )


def test_a_replacement_for_a_right_side_range_is_posted_as_a_suggestion_block() -> None:
    [comment] = inline_comments(check(answer(), [FILE]))
    assert (comment["start_line"], comment["line"]) == (2, 3)
    body = str(comment["body"])
    assert (
        "```suggestion\n    v = int(v)\n    if v < 0:\n        raise ValueError(v)\n    return v\n```"
        in body
    )
    assert body.rstrip().endswith("<!-- beadle:finding I1 -->")


def test_a_replacement_off_the_diff_or_across_hunks_is_dropped_not_posted_broken() -> None:
    across = check(answer(start_line=3, end_line=20), [FILE]).findings[0]
    assert across.line is not None and across.suggestion is None  # placed on one line only
    off = check(answer(start_line=10, end_line=11), [FILE]).findings[0]
    assert off.line is None and off.suggestion is None
    for placed in (across, off):
        assert "suggestion" not in inline_body(placed)


def test_a_replacement_whose_range_does_not_match_the_comment_is_dropped() -> None:
    assert fit_suggestion("y", FILE, start=2, end=3, line=3, start_line=None) is None
    assert fit_suggestion("y", FILE, start=3, end=2, line=2, start_line=None) is None
    assert fit_suggestion("y", None, start=2, end=2, line=2, start_line=None) is None
    assert fit_suggestion("    v = int(v)", FILE, start=2, end=2, line=2, start_line=None) is None
    assert fit_suggestion("   \n", FILE, start=2, end=2, line=2, start_line=None) is None
    assert fit_suggestion("x = 3", FILE, start=20, end=20, line=20, start_line=None) == "x = 3"


def test_a_fenced_replacement_is_unwrapped() -> None:
    fenced = "```python\nx = 3\n```"
    assert fit_suggestion(fenced, FILE, start=20, end=20, line=20, start_line=None) == "x = 3"


def test_backticks_in_the_replacement_cannot_close_the_fence() -> None:
    text = 'doc = """\n````\n"""'
    block = suggestion_block(text)
    assert block.startswith("`````suggestion\n") and block.endswith("\n`````")
    assert suggestion_block("x = 1") == "```suggestion\nx = 1\n```"


def test_the_new_lines_of_a_range_come_from_one_hunk() -> None:
    assert right_lines_text(FILE, 1, 3) == ["def size(v):", "    v = int(v)", "    return v"]
    assert right_lines_text(FILE, 4, 20) is None


def test_a_body_over_the_limit_loses_the_suggestion_first_and_keeps_its_marker() -> None:
    placed = check(answer(problem="long " * 400), [FILE]).findings[0]
    assert placed.suggestion is not None
    whole = inline_body(placed)
    short = inline_body(placed, limit=len(whole) - 10)
    assert "```suggestion" not in short and "long long" in short
    assert short.rstrip().endswith("<!-- beadle:finding I1 -->")
    tiny = inline_body(placed, limit=500)
    assert len(tiny) <= 500 and tiny.rstrip().endswith("<!-- beadle:finding I1 -->")


def test_the_strict_schema_lists_suggestion_as_required_and_nullable() -> None:
    from openai.lib._pydantic import to_strict_json_schema

    schema = to_strict_json_schema(ReviewAnswer)
    finding = schema["$defs"]["Finding"]
    assert "suggestion" in finding["required"] and finding["additionalProperties"] is False
    assert {"type": "null"} in finding["properties"]["suggestion"]["anyOf"]
    assert answer(suggestion=None).findings[0].suggestion is None
