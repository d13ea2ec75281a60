"""Shaping rows of beads' tables into the record `bd export` writes to JSONL.

beads' field names are its column names (`internal/types/types.go` JSON tags, the tables in
`internal/storage/schema/migrations/`). As in beads' JSONL, NULL and empty-string columns are
left out, datetimes are RFC 3339 in UTC, JSON columns are parsed, and the TINYINT(1) flags are
booleans; `priority` is always present (0 is a valid priority). Since migrations 0041/0043 a
dependency's target is one of `depends_on_issue_id`, `depends_on_wisp_id`,
`depends_on_external`, with `depends_on_id` their stored COALESCE; older databases have only
`depends_on_id`. Pure functions over decoded rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from .rows.values import JSONDoc, Value, iso8601

BOOL_FIELDS = frozenset({"ephemeral", "pinned", "is_template", "no_history", "is_blocked"})
ALWAYS = frozenset({"id", "title", "priority"})
DEPENDENCY_REQUIRED = frozenset(
    {
        "issue_id",
        "depends_on_id",
        "type",
        "depends_on_issue_id",
        "depends_on_wisp_id",
        "depends_on_external",
    }
)
TARGET_COLUMNS = ("depends_on_issue_id", "depends_on_wisp_id", "depends_on_external")


def plain(name: str, value: Value) -> object:
    """A decoded value as JSON-ready data (datetimes as strings, JSON parsed)."""
    if isinstance(value, dt.datetime):
        return iso8601(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, JSONDoc):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if name in BOOL_FIELDS and isinstance(value, int):
        return bool(value)
    return value


def keep(name: str, value: object) -> bool:
    """Whether beads' JSONL would carry this field (it omits empty ones)."""
    if name in ALWAYS:
        return True
    return value is not None and value != "" and value is not False and value != [] and value != {}


def issue_fields(row: Mapping[str, object]) -> dict[str, object]:
    """The issue record from an `issues` row whose out-of-line values are already resolved."""
    return {name: value for name, value in row.items() if keep(name, value)}


def dependency(row: Mapping[str, Value]) -> dict[str, object]:
    """One dependency, {issue_id, depends_on_id, type, ...} as beads' Dependency type."""
    target = row.get("depends_on_id")
    if target is None:
        target = next((row[c] for c in TARGET_COLUMNS if row.get(c) is not None), None)
    out: dict[str, object] = {
        "issue_id": row.get("issue_id"),
        "depends_on_id": target,
        "type": row.get("type"),
    }
    for name in ("created_at", "created_by", "metadata", "thread_id"):
        value = plain(name, row.get(name))
        if keep(name, value):
            out[name] = value
    return out


def comment(row: Mapping[str, object]) -> dict[str, object]:
    """One comment as beads' Comment type; `text` already resolved."""
    return {
        "id": row.get("id"),
        "issue_id": row.get("issue_id"),
        "author": row.get("author"),
        "text": row.get("text"),
        "created_at": row.get("created_at"),
    }
