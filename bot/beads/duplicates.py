"""Which of several records of one issue id to use, and whether they are really one issue.

Pure. Union merges leave one issue on several lines (the newest `updated_at` wins, as beads'
own import does); that is normal and needs no word. Two cases do: an unresolved git conflict
left in the file with different records on its sides, and sequential ids (`bd-12`, before
bd v0.20.1) that two branches handed out to two different issues, which shows as records with
different `created_at`. Then the review says so and names the record it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.beads.jsonl import is_tombstone, stamp, supersedes, timestamp


@dataclass(frozen=True, slots=True)
class Line:
    """One record of the id: its line number in the file and whether a conflict holds it."""

    number: int  # 1-based
    record: dict[str, Any]
    conflict: int = 0  # 0 outside a conflict, else which conflict of the file (1, 2, …)
    side: str = ""  # "ours", "base" or "theirs" inside a conflict


@dataclass(frozen=True, slots=True)
class Ambiguity:
    kind: Literal["conflict", "collision"]
    lines: tuple[int, ...]  # the line numbers of the differing records
    created: tuple[str, ...] = ()  # a collision: the different creation times, oldest first


@dataclass(frozen=True, slots=True)
class Choice:
    line: Line | None  # the record used; None when the winner is a tombstone (deleted)
    ambiguities: tuple[Ambiguity, ...] = ()


def choose(lines: Sequence[Line]) -> Choice:
    """The winning record by beads' rule (see `bot.beads.jsonl.supersedes`), and what makes it
    ambiguous. `lines` are in file order."""
    if not lines:
        return Choice(None)
    winner = lines[0]
    for line in lines[1:]:
        if supersedes(stamp(line.record), stamp(winner.record)):
            winner = line
    found: list[Ambiguity] = []
    conflict = _conflict(lines)
    if conflict is not None:
        found.append(conflict)
    collision = _collision(lines)
    if collision is not None:
        found.append(collision)
    return Choice(None if is_tombstone(winner.record) else winner, tuple(found))


def _conflict(lines: Sequence[Line]) -> Ambiguity | None:
    """Different records of the id, at least one of them inside a conflict's markers."""
    if not any(line.conflict for line in lines):
        return None
    distinct: list[Line] = []
    for line in lines:
        if all(line.record != other.record for other in distinct):
            distinct.append(line)
    if len(distinct) < 2:
        return None
    return Ambiguity("conflict", tuple(line.number for line in distinct))


def _collision(lines: Sequence[Line]) -> Ambiguity | None:
    """Live records of the id created at different times: different issues under one id."""
    created: dict[datetime, tuple[str, list[int]]] = {}
    for line in lines:
        if is_tombstone(line.record):
            continue
        raw = line.record.get("created_at")
        when = timestamp(raw)
        if when is not None:
            created.setdefault(when, (str(raw).strip(), []))[1].append(line.number)
    if len(created) < 2:
        return None
    ordered = [created[when] for when in sorted(created)]
    return Ambiguity(
        "collision",
        tuple(numbers[-1] for _, numbers in ordered),
        tuple(raw for raw, _ in ordered),
    )
