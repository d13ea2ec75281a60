"""Where the issue comes from: the order of the sources, each layout, failures, caches, context.

Through the in-memory repository client (tests/fakes/memory.py); the loopback fake GitHub and
the real HTTP client are in tests/test_e2e_beads_sources.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.beads import backup
from bot.beads.beads_config import BeadsConfig
from bot.beads.sources import BeadsSources, Memo, PullText, SourceSettings
from bot.beads.sources.plan import FileSource, plan_sources
from bot.github.errors import GitHubError
from tests.data.dolt.fixture import BEADS, tree_rows
from tests.fakes.memory import HEAD, MemoryRepo

DEFAULTS = (".beads/issues.jsonl", ".beads/export.jsonl", ".beads/beads.jsonl")
BACKUP = FileSource(".beads/backup/issues.jsonl", None, "backup")


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def issue(issue_id: str = "bd-a3f8", **fields: Any) -> dict[str, Any]:
    return {"id": issue_id, "title": f"Title of {issue_id}", "status": "open", **fields}


def repo(files: dict[str, str] | None = None, **at: dict[str, str]) -> MemoryRepo:
    """A repository with `files` at the PR's head and, by branch name, files on branches."""
    r = MemoryRepo()
    for path, text in (files or {}).items():
        r.files[(path, HEAD)] = text
    for branch, branch_files in at.items():
        sha = f"{len(r.branches) + 1:040x}"
        r.branches[branch.replace("_", "-")] = sha
        for path, text in branch_files.items():
            r.files[(path, sha)] = text
    return r


def find(
    r: MemoryRepo,
    *,
    title: str = "Validate widget sizes (bd-a3f8)",
    settings: SourceSettings = SourceSettings(),  # noqa: B008
    sources: BeadsSources | None = None,
    messages: tuple[str, ...] = (),
):
    sources = sources or BeadsSources(errors=(GitHubError,))
    return sources.find(
        r,
        head=HEAD,
        pull=PullText(title, "", "feature/sizes"),
        commit_messages=lambda: list(messages),
        settings=settings,
    )


# -- the plan --------------------------------------------------------------------------------


def test_the_plan_tries_settings_then_config_then_the_old_layouts_then_dolt() -> None:
    config = BeadsConfig(export_path=".beads/mine.jsonl", sync_branch="beads-sync")
    plan = plan_sources(SourceSettings("auto", "tracker/all.jsonl", "tracking"), config)
    assert plan.files == (
        FileSource("tracker/all.jsonl", "tracking"),
        FileSource(".beads/mine.jsonl", "beads-sync"),
        *(FileSource(p, "beads-sync") for p in DEFAULTS),
        FileSource(".beads/mine.jsonl"),
        *(FileSource(p) for p in DEFAULTS),
        BACKUP,
    )
    assert plan.dolt


def test_the_plan_for_each_setting() -> None:
    config = BeadsConfig()
    assert plan_sources(SourceSettings("none"), config).files == ()
    assert not plan_sources(SourceSettings("none"), config).dolt
    dolt = plan_sources(SourceSettings("dolt", "x.jsonl"), config)
    assert (dolt.files, dolt.dolt) == ((), True)
    only = plan_sources(SourceSettings("jsonl", "x.jsonl", "b"), config)
    assert (only.files, only.dolt) == ((FileSource("x.jsonl", "b"),), False)
    on_branch = plan_sources(SourceSettings("jsonl", None, "b"), config)
    assert on_branch.files[:3] == tuple(FileSource(p, "b") for p in DEFAULTS)
    assert on_branch.files[3:] == (*(FileSource(p) for p in DEFAULTS), BACKUP)
    assert not on_branch.dolt


# -- each layout -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", DEFAULTS)
def test_each_old_layout_is_found(path: str) -> None:
    found = find(repo({path: jsonl(issue())}))
    assert found.issue is not None and found.issue.title == "Title of bd-a3f8"
    assert found.origin is not None
    assert (found.origin.kind, found.origin.path, found.origin.commit) == ("jsonl", path, HEAD)
    assert found.reason is None and found.notes == ()


def test_export_path_from_config_yaml_wins_over_the_defaults() -> None:
    r = repo(
        {
            ".beads/config.yaml": "export:\n  path: export.jsonl\n",
            ".beads/export.jsonl": jsonl(issue(title="from the export")),
            ".beads/issues.jsonl": jsonl(issue(title="stale")),
        }
    )
    found = find(r)
    assert found.issue is not None and found.issue.title == "from the export"


def test_a_sync_branch_is_read_at_its_head_first() -> None:
    r = repo(
        {".beads/config.yaml": "sync-branch: beads-sync\n", ".beads/issues.jsonl": jsonl()},
        beads_sync={".beads/issues.jsonl": jsonl(issue(title="on the sync branch"))},
    )
    found = find(r)
    assert found.issue is not None and found.issue.title == "on the sync branch"
    assert found.origin is not None and found.origin.branch == "beads-sync"
    assert found.origin.commit == r.branches["beads-sync"]


def test_a_missing_sync_branch_is_named_and_the_head_read() -> None:
    r = repo({".beads/config.yaml": "sync.branch: gone\n", ".beads/issues.jsonl": jsonl(issue())})
    found = find(r)
    assert found.issue is not None and found.origin is not None and found.origin.branch is None
    [note] = found.notes
    assert (note.kind, note.branch, note.setting) == ("no_branch", "gone", ".beads/config.yaml")


def test_beadle_yml_path_and_ref() -> None:
    r = repo(tracking={"tracker/issues.jsonl": jsonl(issue(title="tracked"))})
    found = find(r, settings=SourceSettings("auto", "tracker/issues.jsonl", "tracking"))
    assert found.issue is not None and found.issue.title == "tracked"
    assert found.origin is not None
    assert (found.origin.path, found.origin.branch) == ("tracker/issues.jsonl", "tracking")


def test_the_issue_prefix_helps_the_id_search() -> None:
    r = repo({".beads/config.yaml": "issue-prefix: gt\n", ".beads/issues.jsonl": jsonl()})
    r.put_ref_tree("refs/dolt/data", {})  # no Dolt store in it: reading it fails
    found = find(r, title="Fix the crash (gt-kwro)")
    assert found.reason is not None and found.reason.ids == ("gt-kwro",)


def test_the_backup_tables_are_joined() -> None:
    rows = [
        issue("bd-a3f8.1", created_at="2026-01-01T00:00:00Z", pinned=0, ephemeral=0),
        issue("bd-a3f8", title="The epic", description="Ship the size checks.\n\nMore."),
        issue("bd-b1", title="Storage first", status="closed"),
    ]
    r = repo(
        {
            ".beads/backup/issues.jsonl": jsonl(*rows),
            ".beads/backup/comments.jsonl": jsonl(
                {
                    "author": "bo",
                    "created_at": "2026-01-03T00:00:00Z",
                    "id": "2",
                    "issue_id": "bd-a3f8.1",
                    "text": "later",
                },
                {
                    "author": "ana",
                    "created_at": "2026-01-02T00:00:00Z",
                    "id": "1",
                    "issue_id": "bd-a3f8.1",
                    "text": "earlier",
                },
                {
                    "author": "x",
                    "created_at": "2026-01-02T00:00:00Z",
                    "id": "3",
                    "issue_id": "bd-b1",
                    "text": "elsewhere",
                },
            ),
            ".beads/backup/labels.jsonl": jsonl(
                {"issue_id": "bd-a3f8.1", "label": "ui"}, {"issue_id": "bd-a3f8.1", "label": "api"}
            ),
            ".beads/backup/dependencies.jsonl": jsonl(
                {
                    "created_at": "2026-01-01T00:00:00Z",
                    "created_by": "ana",
                    "depends_on_id": "bd-b1",
                    "issue_id": "bd-a3f8.1",
                    "metadata": "{}",
                    "type": "blocks",
                },
                {"depends_on_id": "bd-a3f8", "issue_id": "bd-a3f8.1", "type": "parent-child"},
            ),
            ".beads/backup/events.jsonl": "not read\n",
        }
    )
    found = find(r, title="Size checks (bd-a3f8.1)")
    got = found.issue
    assert got is not None and found.origin is not None and found.origin.kind == "backup"
    assert [(c.author, c.text) for c in got.comments] == [("ana", "earlier"), ("bo", "later")]
    assert got.labels == ("api", "ui")
    assert got.parent is not None
    assert (got.parent.id, got.parent.title, got.parent.summary) == (
        "bd-a3f8",
        "The epic",
        "Ship the size checks.\n\nMore.",
    )
    assert [(b.id, b.title, b.status) for b in got.blockers] == [
        ("bd-b1", "Storage first", "closed")
    ]


def test_a_backup_side_table_that_cannot_be_read_is_named() -> None:
    r = repo(
        {
            ".beads/backup/issues.jsonl": jsonl(issue()),
            ".beads/backup/labels.jsonl": jsonl({"issue_id": "bd-a3f8", "label": "ui"}),
        }
    )
    listed = r.tree_entries(".beads/backup", HEAD) or []
    r.absent.add(next(e.sha for e in listed if e.name == "labels.jsonl"))
    found = find(r)
    assert found.issue is not None and found.issue.labels == ()
    [note] = found.notes
    assert (note.kind, note.path) == ("unreadable", ".beads/backup/labels.jsonl")


def test_group_rows_skips_what_is_not_a_row() -> None:
    data = b'{"issue_id":"a","label":"x"}\n\nnot json\n{"label":"no id"}\n[1]\n{"issue_id":"a","label":"y"}'
    assert backup.group_rows(data) == {
        "a": [{"issue_id": "a", "label": "x"}, {"issue_id": "a", "label": "y"}]
    }


# -- Dolt ------------------------------------------------------------------------------------


def beads_dolt_files() -> dict[str, bytes | None]:
    """The beads project's real refs/dolt/data tree (tests/data/dolt), absent blobs as None."""
    return {
        path: (BEADS / "blobs" / path).read_bytes() if present else None
        for path, _mode, _blob, present in tree_rows()
    }


def test_dolt_is_read_when_no_jsonl_source_has_the_issue(tmp_path: Path) -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue())})
    commit = r.put_ref_tree("refs/dolt/data", beads_dolt_files())
    sources = BeadsSources(errors=(GitHubError,), cache_dir=tmp_path)
    found = find(r, title="Release work (bd-5l7jm)", sources=sources)
    got = found.issue
    assert got is not None and got.title == "Beads v1.1 release"
    assert found.origin is not None and (found.origin.kind, found.origin.commit) == ("dolt", commit)
    assert got.acceptance_criteria.startswith("All known issues resolved")
    assert got.comments[0].created_at == "2026-05-21T23:56:07Z"
    assert got.unreadable == ("labels", "metadata")  # their blobs are absent in the fixture
    assert [n.kind for n in found.notes] == ["dolt_fields"]
    blobs = r.calls.count("blob")
    r.calls.clear()
    again = find(r, title="Release work (bd-5l7jm)", sources=sources)
    assert again.issue == got
    # warm: the ref is asked again; commit, tree and blobs come from caches, and the blobs
    # GitHub does not have are remembered as missing: nothing else is fetched
    assert r.calls.count("ref_sha") == 1 and "commit_tree" not in r.calls and "tree" not in r.calls
    assert blobs > 0 and r.calls.count("blob") == 0


def test_dolt_only_and_jsonl_only() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue("bd-5l7jm", title="from the jsonl"))})
    r.put_ref_tree("refs/dolt/data", beads_dolt_files())
    dolt = find(r, title="x (bd-5l7jm)", settings=SourceSettings("dolt"))
    assert dolt.issue is not None and dolt.issue.title == "Beads v1.1 release"
    r.calls.clear()
    only = find(r, title="x (bd-nope1)", settings=SourceSettings("jsonl"))
    assert only.issue is None and "ref_sha" not in r.calls
    assert only.reason is not None and only.reason.dolt == "off"


def test_a_repository_without_dolt_data_says_so() -> None:
    found = find(repo({".beads/issues.jsonl": jsonl(issue("bd-other"))}))
    assert found.issue is None and found.reason is not None
    assert (found.reason.kind, found.reason.dolt) == ("not_found", "absent")
    assert found.reason.looked[0].path == ".beads/issues.jsonl" and found.reason.looked[0].found


# -- failures and caches ---------------------------------------------------------------------


def test_a_source_that_keeps_failing_is_named_and_the_next_one_read() -> None:
    r = repo(
        {
            ".beads/issues.jsonl": jsonl(issue(title="unreachable")),
            ".beads/export.jsonl": jsonl(issue(title="reachable")),
        }
    )
    r.fail("blob", 500)
    found = find(r)
    assert found.issue is not None and found.issue.title == "reachable"
    [note] = found.notes
    assert (note.kind, note.path) == ("unreadable", ".beads/issues.jsonl")
    assert "500" in note.reason


def test_a_listing_that_fails_does_not_stop_the_lookup() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue())})
    r.fail("tree_entries", 502, times=10)
    found = find(r)
    assert found.issue is None and found.reason is not None
    assert found.reason.kind == "not_found"
    [note] = found.notes  # one note for the folder, not one for each file it would hold
    assert (note.kind, note.path) == ("unreadable", ".beads")
    assert r.calls.count("tree_entries") == 1  # not again for each file, nor for backup/


def test_an_unchanged_file_is_neither_fetched_nor_parsed_twice() -> None:
    memo = Memo()
    sources = BeadsSources(errors=(GitHubError,), memo=memo)
    r = repo({".beads/issues.jsonl": jsonl(issue())})
    find(r, sources=sources)
    assert r.calls.count("blob") == 1
    other = repo({".beads/issues.jsonl": jsonl(issue())})  # another PR, the same blob
    found = find(other, sources=sources)
    assert found.issue is not None and "blob" not in other.calls and memo.hits >= 1


def test_beads_source_none_reads_nothing() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue())})
    found = find(r, settings=SourceSettings("none"))
    assert found.issue is None and found.reason is not None and found.reason.kind == "off"
    assert r.calls == []


# -- which id, and its context ---------------------------------------------------------------


def test_commit_messages_are_read_only_when_the_pr_text_names_no_known_issue() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue("bd-x9k2"))})
    calls: list[int] = []
    sources = BeadsSources(errors=(GitHubError,))

    def messages() -> list[str]:
        calls.append(1)
        return ["Implement it (bd-x9k2)"]

    found = sources.find(
        r, head=HEAD, pull=PullText("Sizes", None, "sizes"), commit_messages=messages
    )
    assert found.issue is not None and found.issue.id == "bd-x9k2" and calls == [1]
    calls.clear()
    sources.find(
        r, head=HEAD, pull=PullText("Sizes (bd-x9k2)", None, "s"), commit_messages=messages
    )
    assert calls == []


def test_a_known_id_in_other_case_is_the_known_issue() -> None:
    found = find(repo({".beads/issues.jsonl": jsonl(issue("bd-a3f8"))}), title="Fix (BD-A3F8)")
    assert found.issue is not None and found.issue.id == "bd-a3f8"


def test_other_ids_the_pr_names_are_listed_with_their_titles() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue(), issue("bd-c4d5", status="closed"))})
    found = BeadsSources(errors=(GitHubError,)).find(
        r,
        head=HEAD,
        pull=PullText("Sizes (bd-a3f8)", "Follows bd-c4d5 and bd-e6f7.", "sizes"),
        commit_messages=list,
    )
    assert found.issue is not None and found.issue.id == "bd-a3f8"
    assert [(o.id, o.title, o.known) for o in found.others] == [
        ("bd-c4d5", "Title of bd-c4d5", True),
        ("bd-e6f7", "", False),
    ]


def test_comments_are_fitted_to_the_budget_newest_kept() -> None:
    comments = [
        {
            "author": f"u{i}",
            "text": f"comment {i} " + "x" * 990,
            "created_at": f"2026-01-01T00:{i:02d}:00Z",
        }
        for i in range(30)
    ]
    found = find(repo({".beads/issues.jsonl": jsonl(issue(comments=comments))}))
    got = found.issue
    assert got is not None and got.comments_left_out == 30 - len(got.comments)
    assert 0 < len(got.comments) < 30 and got.comments[-1].author == "u29"
    assert sum(len(c.text) for c in got.comments) <= 8_000


def test_a_deleted_issue_says_so() -> None:
    r = repo({".beads/issues.jsonl": jsonl(issue(status="tombstone"))})
    found = find(r)
    assert found.issue is None and found.reason is not None
    assert (found.reason.kind, found.reason.issue_id) == ("deleted", "bd-a3f8")
