"""One beads JSONL record (as `bd export` writes it) as a `BeadsIssue`, and the rule for which of
several records of one id wins.

Pure functions: values in, values out. The JSONL file is edited by tools, merged by git (often
with a union merge driver) and sometimes by hand, so the reader forgives everything it can and
skips what it cannot: a review without the issue is worse than a review with one odd line
dropped. bot/beads/jsonl_index.py finds the lines of an id in a whole file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.beads.issue import BeadsIssue, Comment, Dependency


def is_issue_record(record: Any) -> bool:
    """An issue line: an object with a string id, not a memory (`_type`) or a schema header."""
    return (
        type(record) is dict
        and record.get("_type", "issue") == "issue"
        and "_schema" not in record
        and type(record.get("id")) is str
        and bool(record["id"].strip())
    )


def is_tombstone(record: dict[str, Any]) -> bool:
    return text(record.get("status")).strip().lower() == "tombstone"


def stamp(record: dict[str, Any]) -> Any:
    """The raw value the duplicate rule compares (`deleted_at` stands in on old tombstones)."""
    return record.get("updated_at") or record.get("deleted_at")


def supersedes(new: Any, old: Any) -> bool:
    """Whether a later line replaces the current winner: the newest `updated_at` wins, compared
    as timezone-aware datetimes (naive ones are taken as UTC; a tie goes to the later line).
    Records whose timestamp is missing or unparseable only count when no record of that id has a
    usable one, and then the last line wins."""
    new_time, old_time = timestamp(new), timestamp(old)
    if new_time is None:
        return old_time is None
    return old_time is None or new_time >= old_time


def timestamp(value: Any) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def text(value: Any) -> str:
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
    return tuple(dict.fromkeys(filter(None, (text(item).strip() for item in value))))


def _dependencies(value: Any, issue_id: str) -> tuple[Dependency, ...]:
    if type(value) is not list or not value:
        return ()
    deps = []
    for item in value:
        if type(item) is str and item.strip():
            deps.append(Dependency(issue_id, item.strip(), "blocks"))
        elif type(item) is dict and (target := text(item.get("depends_on_id")).strip()):
            source = text(item.get("issue_id")).strip() or issue_id
            deps.append(Dependency(source, target, text(item.get("type")) or "blocks"))
    return tuple(deps)


def comments(value: Any) -> tuple[Comment, ...]:
    """Comments oldest first. beads writes them in order; when every timestamp parses they are
    sorted by it (stable), otherwise the written order is kept."""
    if type(value) is not list:
        return ()
    found = [
        Comment(
            author=text(item.get("author")).strip() or "unknown",
            text=text(item.get("text")),
            created_at=_optional_text(item.get("created_at")),
        )
        for item in value
        if type(item) is dict and text(item.get("text")).strip()
    ]
    times = [timestamp(c.created_at) for c in found]
    if found and all(t is not None for t in times):
        order = sorted(range(len(found)), key=lambda i: times[i])  # type: ignore[arg-type, return-value]
        found = [found[i] for i in order]
    return tuple(found)


def to_issue(r: dict[str, Any]) -> BeadsIssue:
    """Missing status/type default to beads' own defaults for a new issue ("open", "task")."""
    get = r.get
    issue_id = r["id"].strip()
    return BeadsIssue(
        id=issue_id,
        title=text(get("title")),
        description=text(get("description")),
        design=text(get("design")),
        acceptance_criteria=text(get("acceptance_criteria")),
        notes=text(get("notes")),
        status=text(get("status")).strip() or "open",
        priority=_priority(get("priority")),
        issue_type=text(get("issue_type")).strip() or "task",
        assignee=_optional_text(get("assignee")),
        labels=_labels(get("labels")),
        dependencies=_dependencies(get("dependencies"), issue_id),
        created_at=_optional_text(get("created_at")),
        updated_at=_optional_text(get("updated_at")),
        closed_at=_optional_text(get("closed_at")),
        close_reason=text(get("close_reason")).strip(),
        comments=comments(get("comments")),
    )


def parse_issues(text_: str) -> dict[str, BeadsIssue]:
    """Every issue of a small JSONL text, keyed by lower-cased id (tests and tools; a review
    reads one id through `JsonlIndex`, which applies the same rules without parsing the rest).

    Tolerated, never fatal: a UTF-8 BOM, CRLF, blank lines, git conflict markers (both sides of
    a conflict are kept as ordinary lines, which the duplicate rule then resolves), broken or
    non-object JSON lines, `_type`/`_schema` records, unknown fields and fields of the wrong
    type. A winning tombstone removes the issue.
    """
    from bot.beads.jsonl_index import JsonlIndex

    index = JsonlIndex.build(text_.encode("utf-8", errors="surrogateescape"))
    out: dict[str, BeadsIssue] = {}
    for issue_id in index.ids():
        found = index.find(issue_id)
        if found is not None and found.issue is not None:
            out[found.issue.id.lower()] = found.issue
    return out
