"""What Beadle says about itself: its version and its README, both from the installed
distribution's metadata, so a deployment shows the docs of the code it runs (design.md §8)."""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from functools import cache

NAME = "Beadle"
DISTRIBUTION = "beadle"

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    level: int  # 1 for `#`, 2 for `##`, …
    title: str
    anchor: str  # as GitHub makes it, so links work on the page and on GitHub alike
    body: str


@cache
def version() -> str:
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


@cache
def readme() -> str:
    """The README as packaged (pyproject's `readme`); empty when Beadle is not installed."""
    try:
        return importlib.metadata.metadata(DISTRIBUTION)["Description"] or ""
    except importlib.metadata.PackageNotFoundError:
        return ""


def anchor(title: str) -> str:
    """GitHub's heading anchor, pure: lower case, punctuation dropped, spaces become hyphens."""
    plain = re.sub(r"[`*_\[\]()]", "", title).strip().lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def sections(markdown: str) -> list[Section]:
    """Split markdown at its headings, pure; headings inside code fences are text. What stands
    before the first heading is dropped. Repeated anchors get `-1`, `-2`, … as on GitHub."""
    found: list[tuple[int, str, list[str]]] = []
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            found.append((len(heading[1]), heading[2], []))
        elif found:
            found[-1][2].append(line)
    seen: dict[str, int] = {}
    out = []
    for level, title, lines in found:
        slug = anchor(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.append(
            Section(
                level,
                title,
                slug if count == 0 else f"{slug}-{count}",
                "\n".join(lines).strip("\n"),
            )
        )
    return out
