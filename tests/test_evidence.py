"""The code at every earlier finding, at the new head: where its line went, and what is there.

Lines are mapped through the diff between the head reviewed earlier and the new one; the
prompt of round two then shows the code at the finding's place even when the push did not touch
its file, at the line it moved to when it did, and says so when the code was deleted.
"""

from __future__ import annotations

import json

from bot.queue.request import ReviewRequest
from bot.review.diff import from_pr_files
from bot.review.evidence import Evidence, changes_between, excerpt, locate
from bot.review.linemap import Mapped, map_line
from bot.review.marker import TrackedFinding
from bot.review.round import ReviewConfig, Reviewer
from tests.fakes.memory import HEAD, MemoryInstallations, MemoryModel, MemoryRepo, pull_info

ISSUE = {"id": "bd-a3f8", "title": "Validate widget sizes", "status": "open", "priority": 1}
NEW_HEAD = "c" * 40
SIZE_PY = "".join(f"line {n}\n" for n in range(1, 21))


def patched(path: str, patch: str, **entry: object) -> dict[str, object]:
    return {"filename": path, "status": "modified", "patch": patch, **entry}


def file_change(patch: str):
    [diff] = from_pr_files([patched("a.py", patch)])
    return diff


# -- map_line (pure) ----------------------------------------------------------------------------
def test_lines_above_a_hunk_stay_and_lines_below_move_by_what_it_added() -> None:
    diff = file_change("@@ -5,2 +5,4 @@\n line 5\n+new a\n+new b\n line 6")
    assert map_line(diff, 3) == Mapped("unchanged", 3)
    assert map_line(diff, 5) == Mapped("unchanged", 5)  # a context line of the hunk
    assert map_line(diff, 6) == Mapped("moved", 8)
    assert map_line(diff, 12) == Mapped("moved", 14)


def test_a_rewritten_line_points_at_its_replacement_and_a_removed_one_at_what_follows() -> None:
    diff = file_change(
        "@@ -3,6 +3,4 @@\n line 3\n-line 4\n+line four\n line 5\n-line 6\n-line 7\n line 8"
    )
    assert map_line(diff, 4) == Mapped("changed", 4)
    assert map_line(diff, 6) == Mapped("deleted", 6)  # line 8 now sits at 6
    assert map_line(diff, 7) == Mapped("deleted", 6)
    assert map_line(diff, 8) == Mapped("moved", 6)
    assert map_line(diff, 20) == Mapped("moved", 18)


def test_an_insertion_at_the_top_of_a_file_moves_every_line() -> None:
    diff = file_change("@@ -0,0 +1,2 @@\n+import os\n+import sys")
    assert map_line(diff, 1) == Mapped("moved", 3)
    assert map_line(None, 7) == Mapped("unchanged", 7)


# -- locate and excerpt (pure) ------------------------------------------------------------------
def finding(file: str = "a.py", line: int = 6) -> TrackedFinding:
    return TrackedFinding("I1", "important", "Off by one", file, line)


def test_a_force_push_cannot_be_mapped_and_says_why() -> None:
    changes = changes_between({"status": "diverged", "files": []})
    found = locate(finding(), changes)
    assert found.state == "unmapped" and "force push" in found.reason and found.now is None


def test_renamed_and_deleted_files_are_followed() -> None:
    compared = {
        "status": "ahead",
        "files": [
            patched(
                "b.py", "@@ -1,1 +1,2 @@\n+x\n line 1", status="renamed", previous_filename="a.py"
            ),
            {"filename": "gone.py", "status": "removed", "deletions": 3},
        ],
    }
    changes = changes_between(compared)
    moved = locate(finding("a.py", 1), changes)
    assert (moved.path, moved.state, moved.now) == ("b.py", "moved", 2)
    assert locate(finding("gone.py", 2), changes).state == "file_deleted"
    assert locate(finding("other.py", 9), changes).state == "unchanged"


def test_a_comparison_that_lists_300_files_cannot_vouch_for_the_others() -> None:
    entries = [patched(f"f{i}.py", "@@ -1 +1 @@\n-a\n+b") for i in range(300)]
    found = locate(finding("unlisted.py"), changes_between({"status": "ahead", "files": entries}))
    assert found.state == "unmapped" and "comparison" in found.reason


def test_the_excerpt_numbers_lines_and_marks_the_finding() -> None:
    text = excerpt(SIZE_PY, 10)
    assert text.splitlines() == [
        "   7 | line 7",
        "   8 | line 8",
        "   9 | line 9",
        "> 10 | line 10",
        "  11 | line 11",
        "  12 | line 12",
        "  13 | line 13",
    ]
    assert excerpt("only\n", 1) == "> 1 | only"


# -- round two over the in-memory repository ----------------------------------------------------
def round_two(compared: dict[str, object], *, text_now: str | None) -> tuple[MemoryRepo, str]:
    """Round one finds I1 on widgets/size.py:12 (scripted); round two's push is `compared`."""
    repo = MemoryRepo()
    repo.diffs["pull/1"] = (
        "diff --git a/widgets/size.py b/widgets/size.py\n--- a/widgets/size.py\n"
        "+++ b/widgets/size.py\n@@ -10,4 +10,5 @@\n line 10\n line 11\n+line 12\n line 13\n"
        " line 14\n"
    )
    repo.files[(".beads/issues.jsonl", HEAD)] = json.dumps(ISSUE) + "\n"

    def answer(prompt: str) -> dict[str, object]:
        found = "### Earlier Review Summary" not in prompt
        return {
            "findings": [
                {
                    "severity": "important",
                    "title": "Size is not checked",
                    "file": "widgets/size.py",
                    "start_line": 12,
                    "end_line": 12,
                    "problem": "p",
                    "impact": "i",
                    "fix": "f",
                    "suggestion": None,
                }
            ]
            if found
            else [],
            "strengths": [],
            "requirements": [],
            "earlier_findings": [],
            "assessment": {"ready_to_merge": "with_fixes", "reasoning": "r"},
            "summary": "s",
        }

    model = MemoryModel(answer=answer)
    run = Reviewer(
        github=MemoryInstallations({repo.full_name: repo}),
        model=model,
        config=ReviewConfig(model="m", context_tokens=64_000, answer_tokens=4_000),
        sleep=lambda _: None,
    )
    request = ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=HEAD)
    run.run(request, job_key="r1")
    repo.pulls[1] = pull_info(head_sha=NEW_HEAD)
    repo.files[(".beads/issues.jsonl", NEW_HEAD)] = json.dumps(ISSUE) + "\n"
    if text_now is not None:
        repo.files[("widgets/size.py", NEW_HEAD)] = text_now
    repo.compares[(HEAD, NEW_HEAD)] = compared
    run.run(
        ReviewRequest(repo=repo.full_name, pr_number=1, installation_id=1, head_sha=NEW_HEAD),
        job_key="r2",
    )
    return repo, model.prompts[-1]


def test_round_two_shows_the_code_of_a_finding_whose_file_the_push_did_not_touch() -> None:
    other = patched("widgets/limits.py", "@@ -0,0 +1 @@\n+MAX = 10", status="added")
    repo, prompt = round_two({"status": "ahead", "files": [other]}, text_now=SIZE_PY)
    assert "[I1] widgets/size.py:12 — line 12, not touched by the new commits:" in prompt
    assert "> 12 | line 12" in prompt and "   9 | line 9" in prompt
    assert "compare" in repo.calls  # the comparison the round plan asked for anyway


def test_round_two_follows_a_line_the_push_moved() -> None:
    moved = "".join(f"line {n}\n" for n in range(1, 4)) + "import a\nimport b\n" + SIZE_PY[21:]
    push = patched("widgets/size.py", "@@ -3,1 +3,3 @@\n line 3\n+import a\n+import b")
    _, prompt = round_two({"status": "ahead", "files": [push]}, text_now=moved)
    assert (
        "[I1] widgets/size.py:14 — was line 12, now line 14 (the new commits moved it):" in prompt
    )
    assert "> 14 | line 12" in prompt


def test_round_two_says_when_the_findings_code_was_deleted() -> None:
    gone = SIZE_PY.replace("line 11\nline 12\nline 13\n", "")
    push = patched(
        "widgets/size.py", "@@ -10,5 +10,2 @@\n line 10\n-line 11\n-line 12\n-line 13\n line 14"
    )
    _, prompt = round_two({"status": "ahead", "files": [push]}, text_now=gone)
    assert "line 12 was deleted by the new commits; the code now around where it was:" in prompt
    assert (
        "  11 | line 14" in prompt and ">" not in prompt.split("was deleted")[1].split("```\n")[1]
    )


def test_a_file_the_new_head_lacks_is_said_to_be_absent_without_failing() -> None:
    other = patched("widgets/limits.py", "@@ -0,0 +1 @@\n+MAX = 10", status="added")
    _, prompt = round_two({"status": "ahead", "files": [other]}, text_now=None)
    assert "[I1] widgets/size.py — the file is not at this head." in prompt


def test_evidence_values_are_plain() -> None:
    e = Evidence("I1", "t", "a.py", 3, "moved", now=5)
    assert (e.state, e.now, e.excerpt) == ("moved", 5, "")
