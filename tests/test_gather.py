"""What a round gathers from the repository client: the diff, the issue, the documents it names."""

from __future__ import annotations

import json

from bot.beads.sources import BeadsSources, SourceSettings
from bot.github.errors import GitHubError
from bot.review.gather import gather
from bot.review.plan import RoundPlan
from tests.fakes.memory import BASE, HEAD, MemoryRepo, file_diff, pull_info

WHOLE = RoundPlan(round=1, base=BASE, head=HEAD, whole_pr=True)
ISSUE = {
    "id": "bd-a3f8",
    "title": "Validate widget sizes",
    "description": "See docs/plans/sizes-design.md and widgets/size.py.",
}


def repo() -> MemoryRepo:
    r = MemoryRepo()
    r.diffs["pull/1"] = file_diff("widgets/size.py", ["x = 1"])
    r.files[(".beads/issues.jsonl", HEAD)] = json.dumps(ISSUE) + "\n"
    return r


def test_the_issue_and_the_documents_it_names_come_from_the_head() -> None:
    r = repo()
    r.files[("docs/plans/sizes-design.md", HEAD)] = "# Sizes\nNegative sizes are refused.\n"
    got = gather(r, r.pulls[1], WHOLE)
    assert got.issue is not None and got.issue.title == "Validate widget sizes"
    assert [d.path for d in got.documents] == ["docs/plans/sizes-design.md"]
    assert [f.path for f in got.files] == ["widgets/size.py"]
    assert "commit_messages" not in r.calls  # the title named the issue


def test_commit_messages_are_read_only_when_nothing_else_names_the_issue() -> None:
    r = repo()
    r.pulls[1] = pull_info(title="Size checks", body=None, head_ref="sizes")
    r.messages[1] = ["Add size check (bd-a3f8)"]
    got = gather(r, r.pulls[1], WHOLE, documents=False)
    assert got.issue is not None and got.issue.id == "bd-a3f8"
    assert r.calls.count("commit_messages") == 1


def test_without_a_beads_file_the_note_says_why_and_what_to_do() -> None:
    r = repo()
    del r.files[(".beads/issues.jsonl", HEAD)]
    got = gather(r, r.pulls[1], WHOLE)
    assert got.issue is None
    assert "bd-a3f8" in got.issue_note and "Dolt" in got.issue_note


def test_a_diff_too_large_for_github_is_rebuilt_from_the_file_list() -> None:
    r = repo()
    r.diffs["pull/1"] = None  # GitHub's 406 too_large
    r.pr_files[1] = [{"filename": "a.py", "status": "added", "patch": "@@ -0,0 +1 @@\n+a = 1"}]
    got = gather(r, r.pulls[1], WHOLE, documents=False)
    assert [f.path for f in got.files] == ["a.py"]
    assert any("too large" in note for note in got.notes)


def test_the_issue_source_and_other_ids_are_gathered() -> None:
    r = repo()
    r.files[(".beads/issues.jsonl", HEAD)] += json.dumps({"id": "bd-c4d5", "title": "Docs"}) + "\n"
    r.pulls[1] = pull_info(body="Also touches bd-c4d5.")
    got = gather(r, r.pulls[1], WHOLE, documents=False)
    assert got.issue_source is not None and got.issue_source.describe() == (
        f".beads/issues.jsonl at {HEAD[:8]}"
    )
    assert [(o.id, o.title) for o in got.other_issues] == [("bd-c4d5", "Docs")]
    assert got.notes == []


def test_beads_settings_and_sources_are_honoured() -> None:
    r = repo()
    sources = BeadsSources(errors=(GitHubError,))
    got = gather(r, r.pulls[1], WHOLE, beads=SourceSettings("none"), sources=sources)
    assert got.issue is None and "`beads.source: none`" in got.issue_note
    gather(r, r.pulls[1], WHOLE, documents=False, sources=sources)
    gather(r, r.pulls[1], WHOLE, documents=False, sources=sources)
    assert r.calls.count("blob") == 1  # the second round found the parse in the cache


def test_a_beads_file_that_keeps_failing_is_a_note_not_a_failed_round() -> None:
    r = repo()
    r.fail("blob", 500, times=5)
    got = gather(r, r.pulls[1], WHOLE, documents=False, sources=BeadsSources(errors=(GitHubError,)))
    assert got.issue is None and [f.path for f in got.files] == ["widgets/size.py"]
    assert any(n.startswith("`.beads/issues.jsonl` could not be read") for n in got.notes)
    assert "No beads issue could be read" in got.issue_note
