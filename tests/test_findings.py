"""Findings checked against the diff; the review body and inline comments built from them."""

from bot.model.answer import ReviewAnswer
from bot.review.comment import ReviewView, inline_comments, review_body
from bot.review.diff import parse_diff
from bot.review.findings import check
from bot.review.marker import TrackedFinding, parse_marker
from bot.review.sanitize import GITHUB_BODY_LIMIT

DIFF = parse_diff(
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,3 +1,4 @@\n def f():\n+    check()\n     return 1\n \n"
    "@@ -20,2 +21,3 @@\n x = 1\n+y = 2\n z = 3\n"
)


def finding(severity="important", file="app.py", start=2, end=2, title="T"):
    return {
        "severity": severity,
        "title": title,
        "file": file,
        "start_line": start,
        "end_line": end,
        "problem": "p",
        "impact": "i",
        "fix": "f",
    }


def answer(*findings, earlier=()):
    return ReviewAnswer.model_validate(
        {
            "findings": list(findings),
            "strengths": ["s"],
            "earlier_findings": list(earlier),
            "requirements": [{"requirement": "r", "status": "partial", "evidence": "app.py:2"}],
            "assessment": {"ready_to_merge": "with_fixes", "reasoning": "why"},
            "summary": "sum",
        }
    )


def test_placement_against_the_diff():
    checked = check(
        answer(
            finding(start=2, end=2),  # an added line: inline
            finding(start=21, end=23, severity="minor"),  # a range inside one hunk: multi-line
            finding(start=2, end=22),  # spans two hunks: one line, at its end
            finding(start=10, end=10),  # in the file, outside the diff: body only
            finding(file="ghost.py", severity="critical"),  # not in the diff: unverified
        ),
        DIFF,
    )
    placed = {p.id: p for p in checked.findings}
    assert list(placed) == ["C1", "I1", "I2", "I3", "M1"]  # critical first, numbered per severity
    assert not placed["C1"].verified and placed["C1"].line is None
    assert (placed["I1"].line, placed["I1"].start_line) == (2, None)
    assert (placed["I2"].line, placed["I2"].start_line) == (22, None)
    assert placed["I3"].verified and placed["I3"].line is None
    assert (placed["M1"].line, placed["M1"].start_line) == (23, 21)
    comments = inline_comments(checked)
    assert {c["path"] for c in comments} == {"app.py"}
    assert {
        "path": "app.py",
        "line": 23,
        "side": "RIGHT",
        "start_line": 21,
        "start_side": "RIGHT",
    }.items() <= next(c for c in comments if "start_line" in c).items()


def test_numbering_continues_after_earlier_rounds_and_earlier_verdicts_join():
    earlier = (
        TrackedFinding("I1", "important", "old", "app.py", 2),
        TrackedFinding("I2", "important", "older", "app.py", 3),
    )
    checked = check(
        answer(finding(), earlier=[{"id": "i1", "status": "fixed", "evidence": "e"}]),
        DIFF,
        earlier=earlier,
        counters={"I": 2},
    )
    assert [p.id for p in checked.findings] == ["I3"]
    assert [(v.finding.id, v.status) for v in checked.earlier] == [("I1", "fixed"), ("I2", None)]
    # still open for the next round: the unanswered I2 and the new I3, not the fixed I1
    assert [f.id for f in checked.still_open] == ["I2", "I3"]


def view(checked, a, round_=2):
    return ReviewView(
        round=round_,
        base_sha="a" * 40,
        head_sha="b" * 40,
        blob_url="https://github.com/o/r/blob/" + "b" * 40,
        issue_id="bd-1",
        issue_title="Title",
        answer=a,
        checked=checked,
        model="m",
        prompt_tokens=1,
        completion_tokens=2,
        job_key="1-2",
    )


def test_review_body_shows_earlier_findings_new_findings_and_the_marker():
    earlier = (TrackedFinding("I1", "important", "old", "app.py", 2),)
    a = answer(finding(), earlier=[{"id": "I1", "status": "not_fixed", "evidence": "still"}])
    checked = check(a, DIFF, earlier=earlier, counters={"I": 1})
    body = review_body(view(checked, a))
    assert body.index("### Earlier findings") < body.index("### Critical (new)")
    assert "| I1 | old (`app.py:2`) | ❌ not fixed | still |" in body
    assert "[`app.py:2`](https://github.com/o/r/blob/" in body
    marker = parse_marker(body)
    assert marker.round == 2 and [f.id for f in marker.findings] == ["I1", "I2"]


def test_a_huge_review_is_cut_below_githubs_limit_and_keeps_its_marker():
    a = answer(*[finding(severity="minor", title="x" * 250, start=2, end=2) for _ in range(600)])
    body = review_body(view(check(a, DIFF), a, round_=1))
    assert len(body) < GITHUB_BODY_LIMIT and "cut to fit" in body
    assert parse_marker(body) is not None


def test_paths_quoted_with_diff_prefixes_are_recognised():
    checked = check(answer(finding(file="b/app.py"), finding(file="`./app.py`")), DIFF)
    assert [(p.finding.file, p.verified, p.line) for p in checked.findings] == [
        ("app.py", True, 2),
        ("app.py", True, 2),
    ]
