"""Make the model's text safe to post: no pings, no raw HTML, no body GitHub would refuse.

Code spans and fences are left as written (GitHub neither pings nor renders HTML inside them,
and escaping there would show `&lt;` literally); everything else is neutralised.
"""

from __future__ import annotations

import html
import re

GITHUB_BODY_LIMIT = 65_536  # characters; above it GitHub answers 422
# A backslash before a backtick makes it literal, so `\`<img>\`` is prose, not code.
_CODE = re.compile(r"(?<!\\)(`{3,}[\s\S]*?`{3,}|`[^`\n]+`)")
_TICKS = re.compile(r"`+")
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


def _prose(text: str) -> str:
    text = html.escape(text, quote=False)
    return _MENTION.sub(
        "@\u200b", text
    )  # a zero-width space: "@ user" looks the same, pings no one


def safe(text: str | None) -> str:
    """Neutralise @-mentions (users and teams) and escape HTML outside code spans and fences."""
    if not text:
        return ""
    parts = _CODE.split(text)
    return "".join(part if i % 2 else _prose(part) for i, part in enumerate(parts))


def one_line(text: str | None, limit: int = 300) -> str:
    """For table cells and titles: one line, pipes escaped, bounded."""
    flat = " ".join((text or "").split()).replace("|", "\\|")
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return safe(flat)


def code(text: str | None) -> str:
    """A code span around text the sender chose (a file name): whatever backticks it holds, it
    stays one span, so nothing in it renders as HTML or pings anyone. Safe in a table cell."""
    flat = " ".join((text or "").split()).replace("|", "\\|")
    ticks = "`" * (max((len(m) for m in _TICKS.findall(flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def fit(body: str, *, tail: str, note: str, limit: int = GITHUB_BODY_LIMIT - 500) -> str:
    """`body` + `tail` (the hidden marker) within `limit`; cut at a line boundary with `note`."""
    if len(body) + len(tail) + 1 <= limit:
        return f"{body}\n{tail}"
    room = limit - len(tail) - len(note) - 4
    cut = body[:room]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return f"{cut}\n\n{note}\n{tail}"
