"""Where a line of an earlier head is at the new head: pure, through the diff between the two.

An earlier finding names `file:line` at the head that round reviewed. When later commits add or
remove lines above it, the same code now sits at another number; when they rewrite or delete
it, the finding's code is gone. `map_line` walks the hunks of that file's diff (old head → new
head) and says which of these happened, so the prompt can show the code at its new place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.review.diff import FileDiff, Hunk

State = Literal["unchanged", "moved", "changed", "deleted"]


@dataclass(frozen=True, slots=True)
class Mapped:
    """unchanged / moved: the same line, at `line` now. changed: the line was rewritten and its
    replacement starts at `line`. deleted: the line was removed; `line` is the first line that
    follows the place where it was (for the excerpt around it)."""

    state: State
    line: int


def map_line(diff: FileDiff | None, line: int) -> Mapped:
    """`line` of the old file at the new one; `diff=None` means the file did not change."""
    if diff is None:
        return Mapped("unchanged", line)
    shift = 0
    for hunk in diff.hunks:
        old, new = _first_numbers(hunk)
        if line < old:
            break
        found, after = _in_hunk(hunk, line, old, new)
        if found is not None:
            return found
        shift = after
    moved = line + shift
    return Mapped("unchanged" if moved == line else "moved", max(moved, 1))


def _first_numbers(hunk: Hunk) -> tuple[int, int]:
    """The old and new numbers of the hunk's first body line. A side of length 0 names the line
    before the change (`@@ -5,0 +6,2 @@` inserts after old line 5), so its first line is one on."""
    old = hunk.old_start if hunk.old_len else hunk.old_start + 1
    new = hunk.new_start if hunk.new_len else hunk.new_start + 1
    return old, new


def _in_hunk(hunk: Hunk, line: int, old: int, new: int) -> tuple[Mapped | None, int]:
    """(where `line` went, if the hunk holds it; the shift the hunk leaves for later lines)."""
    body = hunk.text.split("\n")[1:]
    ops = [(text[:1], text) for text in body if text[:1] in (" ", "-", "+")]
    for index, (op, _) in enumerate(ops):
        if op == " ":
            if old == line:
                return Mapped("unchanged" if new == line else "moved", new), 0
            old, new = old + 1, new + 1
        elif op == "-":
            if old == line:
                return _removed(ops, index, new), 0
            old += 1
        else:
            new += 1
    return None, new - old


def _removed(ops: list[tuple[str, str]], index: int, new: int) -> Mapped:
    """The old line at `ops[index]` was removed: rewritten if its block of changes (the `-` and
    `+` lines between two context lines) adds lines, deleted if it only removes."""
    start = index
    while start > 0 and ops[start - 1][0] != " ":
        start -= 1
    added_before = sum(1 for op, _ in ops[start:index] if op == "+")
    first_new = new - added_before  # the new number where the block's additions start
    end = index
    while end < len(ops) and ops[end][0] != " ":
        end += 1
    if any(op == "+" for op, _ in ops[start:end]):
        return Mapped("changed", max(first_new, 1))
    return Mapped("deleted", max(new, 1))
