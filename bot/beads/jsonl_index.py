"""A beads JSONL file as an index from issue id to its lines, built in one pass over the bytes.

Pure: bytes in, values out. Real exports weigh 1 to 20 MB and a review needs one issue (and a
few it names), so the pass does not parse every record: bd writes each line as `{"id":"…",` or
`{"_type":"issue","id":"…",` (Go marshals the Issue struct's fields in order), and a line that
starts so is indexed from that prefix alone. Any other line (hand edits, Python dumps, backup
tables with sorted keys, memories, schema headers) is parsed in full to learn its id, so nothing
is lost. Lines are parsed for real only when their id is asked for; a broken line then drops
out, as in beads' own import. An index keeps the file's bytes (about its size in memory) and is
cached by blob SHA (bot/beads/sources/memo.py), so an unchanged file is read and scanned once.

Conflict markers (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`) are skipped as lines; the records
between them stay and are tagged with their conflict and side, so bot/beads/duplicates.py can
tell a union merge from an unresolved conflict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.beads.duplicates import Ambiguity, Line, choose
from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import is_issue_record, to_issue

# `{"id":"bd-a3f8",` or `{"_type":"issue","id":"bd-a3f8",` at the start of a line; an id with
# an escape in it takes the slow path.
_BD_LINE = re.compile(
    rb'[ \t]*\{[ \t]*(?:"_type"[ \t]*:[ \t]*"issue"[ \t]*,[ \t]*)?"id"[ \t]*:[ \t]*"([^"\\\r\n]+)"'
)
_SIDES = {b"<<<<<<<": 1, b"|||||||": 2, b"=======": 3, b">>>>>>>": 0}
_SIDE_NAMES = ("", "ours", "base", "theirs")
_SPAN_BYTES = 120  # what one indexed line costs in memory beside its bytes, roughly

Span = tuple[int, int, int, int, int]  # start, end, line number, conflict number, side


@dataclass(frozen=True, slots=True)
class Found:
    """The record used for an id. `issue` is None when the winning record is a tombstone."""

    issue: BeadsIssue | None
    line: int
    record: dict[str, Any]
    ambiguities: tuple[Ambiguity, ...] = ()


class JsonlIndex:
    """Issue ids of one JSONL file (case kept, whitespace stripped) and where their lines are."""

    __slots__ = ("_data", "_spans", "lines")

    def __init__(self, data: bytes, spans: dict[str, list[Span]], lines: int) -> None:
        self._data = data
        self._spans = spans
        self.lines = lines

    @classmethod
    def build(cls, data: bytes) -> JsonlIndex:
        spans: dict[str, list[Span]] = {}
        find, match = data.find, _BD_LINE.match
        pos, size, number, conflict, side = 0, len(data), 0, 0, 0
        while pos < size:
            end = find(b"\n", pos)
            if end < 0:
                end = size
            number += 1
            marker = _SIDES.get(data[pos : pos + 7]) if data[pos : pos + 1] in b"<|=>" else None
            if marker is not None and data[pos + 7 : pos + 8] in (b"", b" ", b"\t", b"\r", b"\n"):
                if marker == 1:
                    conflict += 1
                # `|||||||` and `=======` only move on within a conflict; `>>>>>>>` ends it
                side = marker if marker == 1 or (side and marker) else 0
                pos = end + 1
                continue
            found = match(data, pos, end)
            if found is not None:
                key = found.group(1).decode("utf-8", errors="replace").strip()
            else:
                key = _slow_id(data[pos:end])
            if key:
                spans.setdefault(key, []).append((pos, end, number, conflict if side else 0, side))
            pos = end + 1
        return cls(data, spans, number)

    @property
    def nbytes(self) -> int:
        """Roughly what this index holds in memory (for the cache's bound)."""
        return len(self._data) + _SPAN_BYTES * self.lines

    def ids(self) -> Collection[str]:
        """Every id with at least one line (a line that turns out broken still counts here)."""
        return self._spans.keys()

    def __contains__(self, issue_id: object) -> bool:
        return issue_id in self._spans

    def records(self, issue_id: str) -> list[Line]:
        """The parsed records of the id in file order; broken lines are dropped."""
        out = []
        for start, end, number, conflict, side in self._spans.get(issue_id, ()):
            try:
                record = json.loads(self._data[start:end])
            except ValueError:
                continue
            if is_issue_record(record) and record["id"].strip() == issue_id:
                out.append(Line(number, record, conflict, _SIDE_NAMES[side]))
        return out

    def find(self, issue_id: str) -> Found | None:
        """The issue with exactly this id, or None when no readable line holds it."""
        lines = self.records(issue_id)
        if not lines:
            return None
        choice = choose(lines)
        used = choice.line or lines[-1]
        issue = to_issue(choice.line.record) if choice.line is not None else None
        return Found(issue, used.number, used.record, choice.ambiguities)


def _slow_id(line: bytes) -> str:
    """The id of a line that does not start the way bd writes it, by parsing it in full."""
    if not line.strip():
        return ""
    try:
        record = json.loads(line)
    except ValueError:
        return ""
    return record["id"].strip() if is_issue_record(record) else ""
