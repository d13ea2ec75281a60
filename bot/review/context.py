"""Context beyond the hunk: the enclosing function or class of each change, and the definitions
of names a change calls that the PR changed elsewhere; pure.

A hunk shows three lines either side of a change. A reviewer also wants the function it sits in
(the guard three lines above the hunk, the parameter's type) and, when the new code calls a
function the PR changed in another file, that function. Files are those the budget put in the
prompt, source before tests, at most MAX_FILES of them (one request each); the prompt gives
context only the room the diff left (bot/review/compose.py), so it is the first thing cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bot.review.budget import Category, PackedDiff, classify, estimate_tokens
from bot.review.diff import FileDiff, Hunk
from bot.review.indent import indent_scope
from bot.review.syntax import Definition, Outline, language_of, outline

MAX_FILES = 20  # files read for context per round
MAX_SCOPE_LINES = 60
MAX_DEFINITION_LINES = 30
WINDOW = 10  # lines kept either side of a hunk inside a long enclosing scope
MAX_ITEMS = 60
MAX_SAME_NAME = 3  # definitions of one name worth showing for a call
_CODE = (Category.SOURCE, Category.TEST)


@dataclass(frozen=True, slots=True)
class ContextItem:
    path: str
    kind: str  # "scope": encloses a hunk; "definition": of a name a hunk calls
    what: str  # "function `size`", "class `Widget`", "the block at line 12"
    start: int
    end: int
    text: str  # numbered lines, `⋮` where lines are skipped
    language: str  # a fence's info string ("python"), "" when unknown
    hunk_line: int  # scope: the changed line it is context for; definition: 0
    called_at: str = ""  # "path:line" of a changed line that calls it
    tokens: int = 0


def source_paths(packed: PackedDiff, *, limit: int = MAX_FILES) -> list[str]:
    """Which files to read: changed code the prompt holds, by the budget's priority (source
    before tests, smaller diffs first), none removed, none the budget left out."""
    ranked = []
    for index, f in enumerate(packed.files):
        category = classify(f.path, is_binary=f.is_binary)
        if category in _CODE and f.status != "removed" and f.hunks and not f.patch_missing:
            ranked.append((_CODE.index(category), estimate_tokens(f.patch), index, f.path))
    return [path for *_, path in sorted(ranked)[:limit]]


def context_items(files: Sequence[FileDiff], texts: Mapping[str, str]) -> list[ContextItem]:
    """Scopes first (in the order of `texts`), then definitions; each costs its `tokens`."""
    by_path = {f.path: f for f in files}
    outlines: dict[str, Outline | None] = {}
    scopes: list[ContextItem] = []
    for path, text in texts.items():
        diff = by_path.get(path)
        if diff is None:
            continue
        anchors = [_anchors(h) for h in diff.hunks]
        outlines[path] = outline(path, text, [a for group in anchors for a in group])
        lines = text.splitlines()
        for hunk, group in zip(diff.hunks, anchors, strict=True):
            scopes += _scopes(path, lines, hunk, group, outlines[path])
    changed: dict[str, list[tuple[str, Definition]]] = {}
    for path, found in outlines.items():
        for d in found.definitions if found else ():
            changed.setdefault(d.name, []).append((path, d))
    definitions = _definitions(by_path, texts, outlines, changed)
    items: dict[tuple[str, int, int], ContextItem] = {}
    for item in scopes + definitions:
        key = (item.path, item.start, item.end)
        if key not in items:
            items[key] = item
        elif item.kind == "definition" and not items[key].called_at:
            # a changed function that is also a hunk's scope: shown once, saying who calls it
            items[key] = replace(items[key], called_at=item.called_at)
    return list(items.values())[:MAX_ITEMS]


def fit_context(items: Sequence[ContextItem], budget: int) -> tuple[list[ContextItem], int]:
    """The items that fit `budget` tokens, in order (a large one skipped does not stop a small
    one after it), and how many were left out."""
    kept, left = [], budget
    for item in items:
        if item.tokens <= left:
            kept.append(item)
            left -= item.tokens
    return kept, len(items) - len(kept)


def _anchors(hunk: Hunk) -> list[int]:
    """The new line numbers a hunk adds; for a hunk that only removes, the line after."""
    added, new = [], hunk.new_start
    for text in hunk.text.split("\n")[1:]:
        if text.startswith("+"):
            added.append(new)
            new += 1
        elif text.startswith(" "):
            new += 1
    return added or [max(hunk.new_start, 1)]


def _shown(hunk: Hunk) -> tuple[int, int]:
    return hunk.new_start, hunk.new_start + max(hunk.new_len, 1) - 1


def _scopes(
    path: str, lines: list[str], hunk: Hunk, anchors: list[int], found: Outline | None
) -> list[ContextItem]:
    first, last = _shown(hunk)
    out = []
    for anchor in dict.fromkeys((anchors[0], anchors[-1])):
        if found is not None:
            around = [d for d in found.definitions if d.start <= anchor <= d.end]
            if not around:
                continue
            d = max(around, key=lambda x: (x.start, -x.end))
            span, what, body = (d.start, d.end), f"{d.kind} `{d.name}`", d.body
        else:
            block = indent_scope(lines, anchor)
            if block is None:
                continue
            span, body = block, block[0] + 1
            what = f"the block `{_header(lines, block[0])}`"
        if span[0] >= first and span[1] <= last:
            continue  # the hunk already shows all of it
        text = _cut(lines, span, body, (first, last), MAX_SCOPE_LINES)
        out.append(_item(path, "scope", what, span, text, anchor))
    return out


def _definitions(
    by_path: Mapping[str, FileDiff],
    texts: Mapping[str, str],
    outlines: Mapping[str, Outline | None],
    changed: Mapping[str, list[tuple[str, Definition]]],
) -> list[ContextItem]:
    out = []
    for path, found in outlines.items():
        for call in found.calls if found else ():
            candidates = changed.get(call.name, ())
            if len(candidates) > MAX_SAME_NAME:
                continue  # a common name (`get`, `run`): which one is meant is a guess
            for where, d in candidates:
                if where == path and d.start <= call.line <= d.end:
                    continue  # the call sits inside the definition itself (its own scope)
                hunk = _hunk_at(by_path[where], d)
                if hunk is not None and d.start >= hunk[0] and d.end <= hunk[1]:
                    continue  # its whole text is in the diff already
                lines = texts[where].splitlines()
                span = (d.start, d.end)
                text = _cut(lines, span, d.body, (d.start, d.start), MAX_DEFINITION_LINES)
                what = f"{d.kind} `{d.name}`"
                called_at = f"{path}:{call.line}"
                out.append(_item(where, "definition", what, span, text, 0, called_at))
    return out


def _hunk_at(diff: FileDiff, d: Definition) -> tuple[int, int] | None:
    for hunk in diff.hunks:
        first, last = _shown(hunk)
        if first <= d.start <= last:
            return first, last
    return None


def _cut(
    lines: list[str], span: tuple[int, int], body: int, focus: tuple[int, int], cap: int
) -> str:
    """Numbered lines of `span`; a longer one keeps its header and the lines around `focus`."""
    start, end = span[0], min(span[1], len(lines))
    if end - start + 1 <= cap:
        return _numbered(lines, [(start, end)])
    header_end = min(max(body - 1, start), start + 4)
    low = max(focus[0] - WINDOW, header_end + 1)
    high = min(focus[1] + WINDOW, end, low + cap - (header_end - start + 1) - 1)
    if low > high:
        return _numbered(lines, [(start, start + cap - 1)]) + "\n⋮"
    pieces = [(start, header_end), (low, high)]
    text = _numbered(lines, pieces)
    return text + "\n⋮" if high < end else text


def _numbered(lines: list[str], pieces: list[tuple[int, int]]) -> str:
    width = len(str(max(end for _, end in pieces)))
    out: list[str] = []
    for index, (start, end) in enumerate(pieces):
        if index and start > pieces[index - 1][1] + 1:
            out.append("⋮")
        for number in range(start, end + 1):
            out.append(f"{number:>{width}} | {lines[number - 1][:300]}".rstrip())
    return "\n".join(out)


def _header(lines: list[str], line: int) -> str:
    text = " ".join(lines[line - 1].split())
    return (text[:77] + "…") if len(text) > 78 else text


def _item(
    path: str,
    kind: str,
    what: str,
    span: tuple[int, int],
    text: str,
    hunk_line: int,
    called_at: str = "",
) -> ContextItem:
    language = language_of(path) or ""
    tokens = estimate_tokens(f"{path} {what} {span}\n{text}\n") + 25  # + the heading and fence
    return ContextItem(
        path, kind, what, span[0], span[1], text, language, hunk_line, called_at, tokens
    )
