"""Read beads issues from a repository's JSONL export.

Pure functions: text in, values out. The JSONL file is edited by tools, merged by git (often with a
union merge driver) and sometimes by hand, so the reader forgives everything it can and skips what
it cannot: a review without the issue is worse than a review with one odd line dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.beads.issue import BeadsIssue, Dependency

# Where beads keeps its export; the first that exists wins (`beads.jsonl` is the older name).
BEADS_PATHS = (".beads/issues.jsonl", ".beads/beads.jsonl")

_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


def parse_issues(text: str) -> dict[str, BeadsIssue]:
    """Parse a beads JSONL export into issues keyed by lower-cased id.

    Tolerated, never fatal: a UTF-8 BOM, CRLF, blank lines, git conflict markers (both sides of a
    conflict are kept as ordinary lines, which the duplicate rule below then resolves), broken or
    non-object JSON lines, `_type`/`_schema` records (memories, schema headers), unknown fields and
    fields of the wrong type. When an id appears on several lines (union merges keep both sides),
    the record with the newest `updated_at` wins, compared as timezone-aware datetimes (naive ones
    are taken as UTC; a tie goes to the later line); records whose timestamp is missing or
    unparseable only count when no record of that id has a usable one, and then the last line
    wins. A winning tombstone removes the issue. Each line is converted as soon as it wins, so no
    raw record outlives its line: that keeps a 50k-issue file fast.
    """
    winners: dict[str, tuple[Any, BeadsIssue | None]] = {}  # raw updated_at, issue (None: deleted)
    for line in text.split("\n"):
        line = line.strip()
        if line[:1] == "\ufeff":
            line = line[1:].strip()
        if not line or line.startswith(_CONFLICT_MARKERS):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if type(record) is not dict or record.get("_type", "issue") != "issue":
            continue
        issue_id = record.get("id")
        if type(issue_id) is not str or not issue_id.strip() or "_schema" in record:
            continue
        key = issue_id.strip().lower()
        stamp = record.get("updated_at") or record.get("deleted_at")
        if key in winners and not _supersedes(stamp, winners[key][0]):
            continue
        deleted = _text(record.get("status")).strip().lower() == "tombstone"
        winners[key] = (stamp, None if deleted else _to_issue(record))
    return {key: issue for key, (_, issue) in winners.items() if issue is not None}


def _supersedes(new: Any, old: Any) -> bool:
    """Whether a later line replaces the current winner: see `parse_issues` for the rule."""
    new_time, old_time = _timestamp(new), _timestamp(old)
    if new_time is None:
        return old_time is None
    return old_time is None or new_time >= old_time


def _timestamp(value: Any) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _optional_text(value: Any) -> str | None:
    return value if type(value) is str and value.strip() else None


def _priority(value: Any) -> int | None:
    """Accept 1, 1.0, "1" and "P1": older exports and hand edits disagree on the type."""
    if type(value) is str:
        value = value.strip().lower().removeprefix("p")
        return int(value) if value.isascii() and value.isdigit() else None
    if type(value) is int or (type(value) is float and value.is_integer()):
        return int(value)
    return None


def _labels(value: Any) -> tuple[str, ...]:
    if type(value) is str:
        value = value.split(",")
    if type(value) is not list:
        return ()
    return tuple(filter(None, (_text(item).strip() for item in value)))


def _dependencies(value: Any, issue_id: str) -> tuple[Dependency, ...]:
    if type(value) is not list or not value:
        return ()
    deps = []
    for item in value:
        if type(item) is str and item.strip():
            deps.append(Dependency(issue_id, item.strip(), "blocks"))
        elif type(item) is dict and (target := _text(item.get("depends_on_id")).strip()):
            source = _text(item.get("issue_id")).strip() or issue_id
            deps.append(Dependency(source, target, _text(item.get("type")) or "blocks"))
    return tuple(deps)


def _to_issue(r: dict[str, Any]) -> BeadsIssue:
    """Missing status/type default to beads' own defaults for a new issue ("open", "task")."""
    get = r.get
    issue_id = r["id"].strip()
    return BeadsIssue(
        id=issue_id,
        title=_text(get("title")),
        description=_text(get("description")),
        design=_text(get("design")),
        acceptance_criteria=_text(get("acceptance_criteria")),
        notes=_text(get("notes")),
        status=_text(get("status")).strip() or "open",
        priority=_priority(get("priority")),
        issue_type=_text(get("issue_type")).strip() or "task",
        assignee=_optional_text(get("assignee")),
        labels=_labels(get("labels")),
        dependencies=_dependencies(get("dependencies"), issue_id),
        created_at=_optional_text(get("created_at")),
        updated_at=_optional_text(get("updated_at")),
        closed_at=_optional_text(get("closed_at")),
    )
