"""The JSONL index: one pass over the bytes, lines parsed only for the id asked; and the choice
among several records of one id, with the two cases a review must be told about."""

from __future__ import annotations

import json
from typing import Any

from bot.beads.duplicates import Ambiguity
from bot.beads.jsonl_index import JsonlIndex


def line(**fields: Any) -> str:
    return json.dumps(fields)


def index(*lines: str) -> JsonlIndex:
    return JsonlIndex.build("\n".join(lines).encode())


def test_every_shape_of_line_is_indexed_by_its_id() -> None:
    built = index(
        '{"id":"bd-a1","title":"bd export, v1.0.2"}',
        '{"_type":"issue","id":"bd-b2","title":"bd export, v1.0.3 on"}',
        json.dumps({"acceptance_criteria": "", "id": "bd-c3", "title": "backup, sorted keys"}),
        '{"title": "Python dumps, id last", "id": "bd-d4"}',
        '{"id":"bd-\\u00e9\\"x","title":"an escape in the id"}',
        '  {"id": "BD-E5", "title": "case kept"}',
        '{"_type":"memory","id":"m-1","text":"not an issue"}',
        '{"_schema":"beads-jsonl/1","id":"h-1"}',
        '{"id": 17}',
    )
    assert sorted(built.ids()) == ["BD-E5", "bd-a1", "bd-b2", "bd-c3", "bd-d4", 'bd-é"x']
    for issue_id in built.ids():
        found = built.find(issue_id)
        assert found is not None and found.issue is not None and found.issue.id == issue_id
    assert built.find("bd-e5") is None  # ids are case-sensitive; bot/beads/ids.py folds them


def test_a_broken_line_counts_as_an_id_but_yields_no_issue() -> None:
    built = index('{"id":"bd-a1","title":"cut off', line(id="bd-b2", title="fine"))
    assert "bd-a1" in built and built.find("bd-a1") is None
    assert built.find("bd-b2") is not None


def test_the_line_of_the_record_used_is_named() -> None:
    built = index(
        line(id="bd-a1", title="old", updated_at="2025-01-01T00:00:00Z"),
        "",
        line(id="bd-b2"),
        line(id="bd-a1", title="new", updated_at="2025-01-03T00:00:00Z"),
        line(id="bd-a1", title="middle", updated_at="2025-01-02T00:00:00Z"),
    )
    found = built.find("bd-a1")
    assert found is not None and found.issue is not None
    assert (found.issue.title, found.line, found.ambiguities) == ("new", 4, ())
    assert built.lines == 5


def test_an_unresolved_conflict_with_different_records_is_ambiguous() -> None:
    built = index(
        line(id="bd-a1", title="unrelated"),
        "<<<<<<< HEAD",
        line(
            id="bd-b2",
            title="ours",
            created_at="2025-01-01T00:00:00Z",
            updated_at="2025-01-02T00:00:00Z",
        ),
        "=======",
        line(
            id="bd-b2",
            title="theirs",
            created_at="2025-01-01T00:00:00Z",
            updated_at="2025-01-03T00:00:00Z",
        ),
        ">>>>>>> feature",
    )
    found = built.find("bd-b2")
    assert found is not None and found.issue is not None
    assert found.issue.title == "theirs" and found.line == 5
    assert found.ambiguities == (Ambiguity("conflict", (3, 5)),)
    assert built.find("bd-a1").ambiguities == ()  # type: ignore[union-attr]


def test_the_same_record_on_both_sides_of_a_conflict_is_not_ambiguous() -> None:
    same = line(id="bd-b2", title="same", updated_at="2025-01-02T00:00:00Z")
    built = index("<<<<<<< HEAD", same, "=======", same, ">>>>>>> feature")
    assert built.find("bd-b2").ambiguities == ()  # type: ignore[union-attr]


def test_a_union_merge_of_one_issue_is_not_ambiguous() -> None:
    created = "2025-01-01T00:00:00Z"
    built = index(
        line(id="bd-a1", title="a", created_at=created, updated_at="2025-01-02T00:00:00Z"),
        line(
            id="bd-a1",
            title="b",
            created_at="2025-01-01T00:00:00+00:00",
            updated_at="2025-01-03T00:00:00Z",
        ),
    )
    found = built.find("bd-a1")
    assert found is not None and found.issue is not None
    assert (found.issue.title, found.ambiguities) == ("b", ())


def test_sequential_ids_that_collide_are_named_with_their_creation_times() -> None:
    built = index(
        line(
            id="bd-12",
            title="Fix login",
            created_at="2025-03-02T09:00:00Z",
            updated_at="2025-03-05T00:00:00Z",
        ),
        line(
            id="bd-12",
            title="Add export",
            created_at="2025-03-01T10:00:00Z",
            updated_at="2025-03-04T00:00:00Z",
        ),
    )
    found = built.find("bd-12")
    assert found is not None and found.issue is not None
    assert found.issue.title == "Fix login" and found.line == 1
    assert found.ambiguities == (
        Ambiguity("collision", (2, 1), ("2025-03-01T10:00:00Z", "2025-03-02T09:00:00Z")),
    )


def test_a_winning_tombstone_is_found_as_deleted() -> None:
    built = index(
        line(id="bd-a1", title="alive", updated_at="2025-01-01T00:00:00Z"),
        line(id="bd-a1", status="tombstone", updated_at="2025-01-02T00:00:00Z"),
    )
    found = built.find("bd-a1")
    assert found is not None and found.issue is None and found.line == 2


def test_comments_labels_and_close_reason_come_through() -> None:
    record = {
        "id": "bd-a1",
        "title": "t",
        "close_reason": "Done in #12",
        "labels": ["backend", "backend", " api "],
        "comments": [
            {"id": "c2", "author": "bo", "text": "second", "created_at": "2025-01-02T00:00:00Z"},
            {"id": "c1", "author": "ana", "text": "first", "created_at": "2025-01-01T00:00:00Z"},
            {"id": "c3", "author": "cy", "text": "   ", "created_at": "2025-01-03T00:00:00Z"},
        ],
    }
    found = index(json.dumps(record)).find("bd-a1")
    assert found is not None and found.issue is not None
    issue = found.issue
    assert issue.close_reason == "Done in #12" and issue.labels == ("backend", "api")
    assert [(c.author, c.text) for c in issue.comments] == [("ana", "first"), ("bo", "second")]


def test_crlf_bom_and_a_missing_final_newline() -> None:
    data = ("\ufeff" + line(id="bd-a1", title="x") + "\r\n" + line(id="bd-b2", title="y")).encode()
    built = JsonlIndex.build(data)
    assert sorted(built.ids()) == ["bd-a1", "bd-b2"]
    assert built.find("bd-a1").issue.title == "x"  # type: ignore[union-attr]
    assert built.nbytes >= len(data)
