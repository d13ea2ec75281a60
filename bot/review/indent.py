"""The block around a line by indentation alone; pure. The fallback where no grammar applies.

Most code is indented by its nesting whatever the language: the enclosing block of a line is the
nearest line above it that is indented less (its header), down to the last line before the
indentation falls back to the header's level (a closing `}`, `end` or `)` at that level is
included). A line at the top level has no enclosing block.
"""

from __future__ import annotations

from collections.abc import Sequence

_CLOSERS = ("}", ")", "]", "end", "fi", "done", "esac")


def indent_scope(lines: Sequence[str], line: int) -> tuple[int, int] | None:
    """(first, last) 1-based lines of the block that encloses `line`, or None at the top level."""
    if not lines or line < 1:
        return None
    at = _nonblank_near(lines, min(line, len(lines)) - 1)
    if at is None:
        return None
    level = _indent(lines[at])
    if level == 0:
        return None
    head = at - 1
    while head >= 0 and (not lines[head].strip() or _indent(lines[head]) >= level):
        head -= 1
    if head < 0:
        return None
    head_level = _indent(lines[head])
    last = at
    for index in range(at + 1, len(lines)):
        text = lines[index]
        if not text.strip():
            continue
        if _indent(text) <= head_level:
            if text.strip().startswith(_CLOSERS):
                last = index
            break
        last = index
    return head + 1, last + 1


def _nonblank_near(lines: Sequence[str], index: int) -> int | None:
    """The first non-blank line at or below `index`, else the nearest above."""
    for i in range(index, len(lines)):
        if lines[i].strip():
            return i
    for i in range(index - 1, -1, -1):
        if lines[i].strip():
            return i
    return None


def _indent(text: str) -> int:
    expanded = text.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())
