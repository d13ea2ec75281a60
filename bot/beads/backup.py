"""`.beads/backup/`: the table dumps `bd backup` wrote in early 2026, joined back into issues.

Pure. beads (`internal/storage/versioncontrolops/backup_export.go` before the Dolt-native
backup replaced it, March 2026) dumped each table with `SELECT … ORDER BY …` and `json.Marshal`
of a column map, one row a line, keys sorted: `issues.jsonl` holds the issues table's columns
(the same names as the export's fields, without labels, dependencies or comments);
`comments.jsonl` {id, issue_id, author, text, created_at}; `labels.jsonl` {issue_id, label};
`dependencies.jsonl` {issue_id, depends_on_id, type, created_at, created_by, metadata};
`events.jsonl` and `config.jsonl` are not needed for a review. Its restore also takes labels
and dependencies written inline on an issue row, so the join keeps those too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.beads.jsonl import text, timestamp

DIR = ".beads/backup"
ISSUES = "issues.jsonl"
SIDE_TABLES = ("comments.jsonl", "labels.jsonl", "dependencies.jsonl")

Rows = Mapping[str, Sequence[dict[str, Any]]]  # a side table's rows by issue_id


def group_rows(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """A side table's rows by their `issue_id`; broken and foreign lines are skipped."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if type(row) is dict and type(row.get("issue_id")) is str and row["issue_id"].strip():
            grouped.setdefault(row["issue_id"].strip(), []).append(row)
    return grouped


def join(
    record: Mapping[str, Any],
    *,
    comments: Sequence[Mapping[str, Any]] = (),
    labels: Sequence[Mapping[str, Any]] = (),
    dependencies: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The issue row with its rows from the side tables, in the shape `bd export` writes."""
    out = dict(record)
    inline: list[Any] = out["labels"] if type(out.get("labels")) is list else []
    names = [text(x).strip() for x in [*inline, *(r.get("label") for r in labels)]]
    if any(names):
        out["labels"] = sorted(dict.fromkeys(n for n in names if n))
    deps = list(out.get("dependencies") or []) if type(out.get("dependencies")) is list else []
    for row in dependencies:
        target = text(row.get("depends_on_id")).strip()
        if target:
            deps.append(
                {
                    "issue_id": text(row.get("issue_id")),
                    "depends_on_id": target,
                    "type": text(row.get("type")) or "blocks",
                }
            )
    if deps:
        out["dependencies"] = deps
    notes = list(out.get("comments") or []) if type(out.get("comments")) is list else []
    notes += [dict(row) for row in comments]
    if notes:
        out["comments"] = sorted(notes, key=_comment_order)
    return out


def _comment_order(row: Mapping[str, Any]) -> tuple[float, str]:
    """Oldest first; comments without a usable time keep to the end, by id."""
    when = timestamp(row.get("created_at"))
    return (when.timestamp() if when is not None else float("inf"), text(row.get("id")))
