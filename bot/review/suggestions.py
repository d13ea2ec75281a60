"""Committable suggestions: a finding's replacement for its own lines, as GitHub's suggestion
block in the inline comment, which the author commits with one click; pure.

GitHub applies a suggestion to exactly the lines the comment covers, so a replacement is posted
only when the comment spans the finding's whole range, start_line..end_line, on the RIGHT side
of one hunk. Anything else (a range the comment had to shrink, lines off the diff, a range
across hunks, a replacement equal to the current lines) is dropped rather than posted broken.
https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/commenting-on-a-pull-request#adding-line-comments-to-a-pull-request
"""

from __future__ import annotations

import re

from bot.review.diff import FileDiff

MAX_CHARS = 20_000  # a replacement longer than this is a rewrite, not a suggestion
_TICKS = re.compile(r"`+")


def right_lines_text(diff: FileDiff, start: int, end: int) -> list[str] | None:
    """The new file's lines start..end, when one hunk shows every one of them."""
    for hunk in diff.hunks:
        if not (hunk.new_start <= start and end < hunk.new_start + hunk.new_len):
            continue
        shown: dict[int, str] = {}
        number = hunk.new_start
        for text in hunk.text.split("\n")[1:]:
            if text[:1] in ("+", " "):
                if start <= number <= end:
                    shown[number] = text[1:].rstrip("\r")
                number += 1
        if len(shown) == end - start + 1:
            return [shown[n] for n in range(start, end + 1)]
    return None


def fit_suggestion(
    text: str | None,
    diff: FileDiff | None,
    *,
    start: int | None,
    end: int | None,
    line: int | None,
    start_line: int | None,
) -> str | None:
    """The replacement to post for a finding on `start..end` whose inline comment was placed on
    `start_line..line` (start_line None: one line), or None when it does not fit."""
    if text is None or diff is None or line is None or start is None:
        return None
    end = end if end is not None else start
    if end < start or len(text) > MAX_CHARS:
        return None
    if (start_line if start_line is not None else line) != start or line != end:
        return None  # the comment covers other lines than the finding names
    current = right_lines_text(diff, start, end)
    if current is None:
        return None
    replacement = _unwrap(text.replace("\r\n", "\n")).removesuffix("\n")
    if not replacement.strip() or replacement.split("\n") == current:
        return None  # nothing, or no change: null was the way to say "none"
    return replacement


def suggestion_block(text: str) -> str:
    """A ```suggestion fence longer than any run of backticks in `text`, so no line of the
    replacement can close it early."""
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}suggestion\n{text}\n{ticks}"


def _unwrap(text: str) -> str:
    """A replacement the model fenced despite being asked not to: keep what is inside."""
    lines = text.strip("\n").split("\n")
    if len(lines) >= 2 and lines[0].lstrip().startswith("```") and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1])
    return text
