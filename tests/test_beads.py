"""The beads reader: every tolerance of docs/design.md §5."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.beads.issue import BeadsIssue, Dependency
from bot.beads.jsonl import parse_issues

FULL = {
    "id": "citations-0o2",
    "title": "Integration tests with real OpenAI",
    "description": "## Objective\nWrite integration tests.",
    "design": "See the design doc.",
    "acceptance_criteria": "- tests pass",
    "notes": "run locally",
    "status": "closed",
    "priority": 0,
    "issue_type": "task",
    "assignee": "ana",
    "labels": ["tests", "backend"],
    "dependencies": [
        {"issue_id": "citations-0o2", "depends_on_id": "citations-si1", "type": "blocks"}
    ],
    "created_at": "2025-11-21T09:00:00Z",
    "updated_at": "2025-11-22T10:00:00-08:00",
    "closed_at": "2025-11-22T11:00:00-08:00",
    "compaction_level": 0,  # unknown field
}


def line(**fields: Any) -> str:
    return json.dumps(fields)


def test_full_record() -> None:
    issue = parse_issues(json.dumps(FULL) + "\n")["citations-0o2"]
    assert issue == BeadsIssue(
        id="citations-0o2",
        title="Integration tests with real OpenAI",
        description="## Objective\nWrite integration tests.",
        design="See the design doc.",
        acceptance_criteria="- tests pass",
        notes="run locally",
        status="closed",
        priority=0,
        issue_type="task",
        assignee="ana",
        labels=("tests", "backend"),
        dependencies=(Dependency("citations-0o2", "citations-si1", "blocks"),),
        created_at="2025-11-21T09:00:00Z",
        updated_at="2025-11-22T10:00:00-08:00",
        closed_at="2025-11-22T11:00:00-08:00",
    )
    assert issue.priority_label == "P0"


@pytest.mark.parametrize(
    ("priority", "label"),
    [
        (0, "P0"),
        (4, "P4"),
        ("1", "P1"),
        ("P2", "P2"),
        (3.0, "P3"),
        (5, "unknown"),
        (-1, "unknown"),
        (None, "unknown"),
        ("high", "unknown"),
        (True, "unknown"),
    ],
)
def test_priority_label(priority: object, label: str) -> None:
    issue = parse_issues(line(id="bd-1", priority=priority))["bd-1"]
    assert issue.priority_label == label


def test_minimal_record_gets_defaults() -> None:
    issue = parse_issues(line(id="bd-a3f8"))["bd-a3f8"]
    assert (issue.title, issue.description, issue.status, issue.issue_type) == (
        "",
        "",
        "open",
        "task",
    )
    assert (issue.priority, issue.assignee, issue.labels, issue.dependencies) == (
        None,
        None,
        (),
        (),
    )
    assert (issue.created_at, issue.updated_at, issue.closed_at) == (None, None, None)


def test_wrong_types_are_coerced_or_dropped() -> None:
    text = line(
        id="bd-a3f8",
        title=42,
        description=None,
        design=["not", "text"],
        notes={"x": 1},
        priority="1",
        labels=None,
        assignee="",
        dependencies=[
            "bd-b1",
            {"depends_on_id": "bd-c2"},
            {"issue_id": "bd-a3f8", "depends_on_id": "bd-d3", "type": "related"},
            {"type": "blocks"},
            7,
        ],
        created_at=1700000000,
    )
    issue = parse_issues(text)["bd-a3f8"]
    assert (issue.title, issue.description, issue.design, issue.notes) == ("42", "", "", "")
    assert (issue.priority, issue.labels, issue.assignee, issue.created_at) == (1, (), None, None)
    assert issue.dependencies == (
        Dependency("bd-a3f8", "bd-b1", "blocks"),
        Dependency("bd-a3f8", "bd-c2", "blocks"),
        Dependency("bd-a3f8", "bd-d3", "related"),
    )
    assert parse_issues(line(id="bd-1", labels="a, b,,c"))["bd-1"].labels == ("a", "b", "c")
    assert parse_issues(line(id="bd-1", labels=["x", 3, None, ""]))["bd-1"].labels == ("x", "3")


def test_junk_lines_are_skipped() -> None:
    text = "\n".join(
        [
            '{"_schema": {"version": 2}}',
            '{"_type": "memory", "id": "m-1", "text": "remember"}',
            "",
            "   ",
            '{"id": "bd-a1", "title": "kept"',  # truncated
            "not json at all",
            "[1, 2, 3]",
            '"a string"',
            "null",
            '{"title": "no id"}',
            '{"id": 17}',
            '{"id": ""}',
            line(id="bd-b2", title="kept"),
        ]
    )
    assert list(parse_issues(text)) == ["bd-b2"]


def test_bom_crlf_and_conflict_markers() -> None:
    text = (
        "\ufeff" + line(id="bd-a1", title="first") + "\r\n"
        "<<<<<<< HEAD\r\n"
        + line(id="bd-b2", title="ours", updated_at="2025-01-02T00:00:00Z")
        + "\r\n"
        "||||||| base\r\n"
        + line(id="bd-b2", title="base", updated_at="2025-01-01T00:00:00Z")
        + "\r\n"
        "=======\r\n" + line(id="bd-b2", title="theirs", updated_at="2025-01-03T00:00:00Z") + "\r\n"
        ">>>>>>> feature\r\n"
    )
    issues = parse_issues(text)
    assert issues["bd-a1"].title == "first"
    assert issues["bd-b2"].title == "theirs"


def test_newest_updated_at_wins_across_offsets() -> None:
    text = "\n".join(
        [
            line(id="bd-a1", title="later in file, older", updated_at="2025-11-21T10:00:00-08:00"),
            line(id="bd-a1", title="newest", updated_at="2025-11-21T19:00:00Z"),  # 11:00 -08:00
            line(id="bd-a1", title="oldest", updated_at="2025-11-21T09:00:00.123456789-08:00"),
        ]
    )
    assert parse_issues(text)["bd-a1"].title == "newest"


def test_equal_timestamps_take_the_later_line() -> None:
    text = "\n".join(
        line(id="bd-a1", title=t, updated_at="2025-01-01T00:00:00Z") for t in ("a", "b")
    )
    assert parse_issues(text)["bd-a1"].title == "b"


def test_missing_or_bad_timestamps_fall_back_to_line_order() -> None:
    undated = "\n".join(
        [line(id="bd-a1", title="a"), line(id="bd-a1", title="b", updated_at="junk")]
    )
    assert parse_issues(undated)["bd-a1"].title == "b"
    mixed = "\n".join(
        [
            line(id="bd-a1", title="dated", updated_at="2025-01-01T00:00:00Z"),
            line(id="bd-a1", title="undated"),
        ]
    )
    assert parse_issues(mixed)["bd-a1"].title == "dated"
    naive = "\n".join(
        [
            line(id="bd-a1", title="naive", updated_at="2025-01-02T00:00:00"),
            line(id="bd-a1", title="aware", updated_at="2025-01-01T00:00:00+00:00"),
        ]
    )
    assert parse_issues(naive)["bd-a1"].title == "naive"


def test_tombstones() -> None:
    deleted = "\n".join(
        [
            line(id="bd-a1", title="alive", updated_at="2025-01-01T00:00:00Z"),
            line(id="bd-a1", status="tombstone", updated_at="2025-01-02T00:00:00Z"),
        ]
    )
    assert parse_issues(deleted) == {}
    revived = "\n".join(
        [
            line(id="bd-a1", status="tombstone", updated_at="2025-01-01T00:00:00Z"),
            line(id="bd-a1", title="alive again", updated_at="2025-01-02T00:00:00Z"),
        ]
    )
    assert parse_issues(revived)["bd-a1"].title == "alive again"


def test_ids_are_keyed_lowercase() -> None:
    issues = parse_issues(line(id=" BD-A3F8 ", title="x"))
    assert list(issues) == ["bd-a3f8"] and issues["bd-a3f8"].id == "BD-A3F8"


def test_fifty_thousand_issues_parse_quickly() -> None:
    record = dict(FULL, description="Some words about the work. " * 20)
    text = "\n".join(json.dumps(dict(record, id=f"bd-{i:05x}")) for i in range(50_000))
    text += "\n" + "\n".join(json.dumps(dict(record, id=f"bd-{i:05x}")) for i in range(1000))
    start = time.perf_counter()
    issues = parse_issues(text)
    elapsed = time.perf_counter() - start
    assert len(issues) == 50_000
    assert elapsed < 60  # a hang guard; bench/beads_jsonl.py measures speed
