"""Turn a pull request's diff into per-file values the budget, the prompt and the validator share.

Pure functions. unidiff does the hunk parsing; this module cuts the diff into per-file sections
first, so one malformed file costs at most its own broken hunks, never the whole review, and so each
file keeps its exact text (`patch`) for the prompt. `right_lines`/`left_lines` record where GitHub
accepts an inline comment: a comment outside the diff makes GitHub refuse the whole review (422).
https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from unidiff.constants import DEV_NULL, RE_HUNK_HEADER
from unidiff.patch import PatchedFile, PatchSet


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    text: str  # the hunk as it appears in the diff, `@@` header included
    added: int = 0
    removed: int = 0


@dataclass(frozen=True, slots=True)
class FileDiff:
    path: str  # the new path; for a removed file the old one
    old_path: str | None  # the previous path of a renamed (or copied) file
    status: str  # "added" | "modified" | "removed" | "renamed"
    is_binary: bool
    hunks: tuple[Hunk, ...]
    added: int
    removed: int
    patch: str  # this file's section of the unified diff, headers included
    right_lines: frozenset[int]  # new-file lines in the diff (added + context): side RIGHT
    left_lines: frozenset[int]  # old-file lines in the diff (removed + context): side LEFT
    patch_missing: bool = False  # GitHub listed the file but sent no patch (too large)


def parse_diff(text: str) -> list[FileDiff]:
    """Parse git-format diff text (GitHub's `application/vnd.github.diff`) into files.

    Never raises: text that is no diff gives `[]`; a file with malformed hunks keeps (in `hunks`
    and in `patch`) only the hunks that parse. Files start at `diff --git` lines; text without
    them (a plain unified diff) is cut at `---`/`+++` pairs.
    """
    lines = _split_lines(text)
    starts = [i for i, line in enumerate(lines) if line.startswith("diff --git ")]
    if not starts:
        starts = [
            i
            for i in range(len(lines) - 1)
            if lines[i].startswith("--- ") and lines[i + 1].startswith("+++ ")
        ]
    ends = [*starts[1:], len(lines)]
    sections = (lines[start:end] for start, end in zip(starts, ends, strict=False))
    return [f for section in sections if (f := _parse_section(section)) is not None]


def from_pr_files(entries: Sequence[Mapping[str, Any]]) -> list[FileDiff]:
    """Build files from GitHub's "list pull request files" entries, when the diff is too large.

    GitHub answers 406 for a diff over 300 files or 20,000 lines; the files endpoint still lists
    up to 3,000 files with a per-file `patch` (only the hunks). Each file gets synthetic
    `diff --git`/`---`/`+++` headers so its `patch` reads like the diff text. Without a patch a file
    is binary when it has no line counts, a pure rename when renamed with none, and otherwise
    `patch_missing` (GitHub left out a huge file's patch). GitHub's `copied` counts as added (with
    `old_path`), `changed`/`unchanged` as modified.
    https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
    """
    files = []
    for entry in entries:
        path = entry.get("filename")
        if not isinstance(path, str) or not path:
            continue
        previous = entry.get("previous_filename")
        old = previous if isinstance(previous, str) and previous else None
        status = entry.get("status")
        if status not in _STATUSES:
            status = _STATUS_ALIASES.get(status if isinstance(status, str) else "", "modified")
        added, removed = _count(entry.get("additions")), _count(entry.get("deletions"))
        source = "/dev/null" if status == "added" and old is None else f"a/{old or path}"
        target = "/dev/null" if status == "removed" else f"b/{path}"
        head = f"diff --git a/{old or path} b/{path}\n"
        if status == "renamed" and old:
            head += f"rename from {old}\nrename to {path}\n"
        patch = entry.get("patch")
        base = FileDiff(
            path, old, status, False, (), added, removed, head, frozenset(), frozenset()
        )
        if isinstance(patch, str) and patch:
            body = f"--- {source}\n+++ {target}\n{patch}"
            parsed = _parse_section(_split_lines(body))
            if parsed is not None:
                base = dataclasses.replace(parsed, path=path, old_path=old, status=status)
            files.append(dataclasses.replace(base, patch=head + "".join(_split_lines(body))))
        elif added == removed == 0 and not (status == "renamed" and old):
            note = f"Binary files {source} and {target} differ\n"
            files.append(dataclasses.replace(base, is_binary=True, patch=head + note))
        else:
            files.append(dataclasses.replace(base, patch_missing=added + removed > 0))
    return files


def render(files: Iterable[FileDiff]) -> str:
    """The diff text for the prompt: the files' patches, one after another."""
    return "".join(f.patch if f.patch.endswith("\n") else f.patch + "\n" for f in files)


def keep_hunks(file: FileDiff, count: int) -> FileDiff:
    """The file cut to its first `count` hunks, for a diff that does not fit the model's window.

    The patch keeps its headers; counts and commentable lines shrink to the hunks kept, so the
    value still describes exactly the text the model sees.
    """
    if count >= len(file.hunks):
        return file
    kept = file.hunks[:count]
    header_len = len(file.patch) - sum(len(h.text) for h in file.hunks)
    right_end = max((h.new_start + h.new_len for h in kept), default=0)
    left_end = max((h.old_start + h.old_len for h in kept), default=0)
    return dataclasses.replace(
        file,
        hunks=kept,
        added=sum(h.added for h in kept),
        removed=sum(h.removed for h in kept),
        patch=file.patch[: max(header_len, 0)] + "".join(h.text for h in kept),
        right_lines=frozenset(n for n in file.right_lines if n < right_end),
        left_lines=frozenset(n for n in file.left_lines if n < left_end),
    )


_STATUSES = ("added", "removed", "modified", "renamed")  # a tuple: `in` must not hash
_STATUS_ALIASES = {"copied": "added", "changed": "modified", "unchanged": "modified"}


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split on `\\n` only: `\\r`, form feeds and U+2028 in code stay."""
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    return [*lines, last + "\n"] if last else lines


def _parse_section(lines: list[str]) -> FileDiff | None:
    """One file's section. unidiff is third-party code meeting untrusted text, so any failure is
    taken to mean "not parseable as a whole": then each hunk is parsed on its own."""
    headers = [i for i, line in enumerate(lines) if RE_HUNK_HEADER.match(line)]
    header = lines[: headers[0]] if headers else lines
    cuts = [*headers, len(lines)]
    chunks = ["".join(lines[cuts[k] : cuts[k + 1]]) for k in range(len(headers))]
    meta: PatchedFile | None
    try:
        meta = PatchSet(lines)[0]
        if len(meta) != len(chunks):
            raise ValueError("hunk count mismatch")
        parsed = list(zip(meta, chunks, strict=True))
    except Exception:
        meta = _first_file(header)
        parsed = []
        for chunk in chunks:
            hunk_file = _first_file(["--- a\n", "+++ b\n", *_split_lines(chunk)])
            if hunk_file is not None and len(hunk_file) == 1:
                parsed.append((hunk_file[0], chunk))
        if meta is None and not parsed:
            return None
    return _file_diff(meta, header, parsed)


def _first_file(lines: list[str]) -> PatchedFile | None:
    try:
        patch_set = PatchSet(lines)
    except Exception:
        return None
    return patch_set[0] if patch_set else None


def _file_diff(
    meta: PatchedFile | None, header: list[str], parsed: list[tuple[Any, str]]
) -> FileDiff:
    """Assemble the value; the patch is the header plus the hunks that parsed (all, normally)."""
    renamed_from = _header_value(header, "rename from ") or _header_value(header, "copy from ")
    renamed_to = _header_value(header, "rename to ") or _header_value(header, "copy to ")
    source = _clean_path(meta.source_file) if meta is not None else None
    target = _clean_path(meta.target_file) if meta is not None else None
    if renamed_from and renamed_to:
        source, target = renamed_from, renamed_to
    is_binary = bool(meta is not None and meta.is_binary_file) or any(
        line.startswith("GIT binary patch") for line in header
    )
    if source is None and target is not None:
        status, old_path = "added", None
    elif target is None:
        status, old_path = "removed", None
    elif source != target:
        copied = _header_value(header, "copy from ") is not None
        status, old_path = ("added" if copied else "renamed"), source
    else:
        status, old_path = "modified", None
    right: set[int] = set()
    left: set[int] = set()
    hunks = []
    added = removed = 0
    for hunk, text in parsed:
        added_before, removed_before = added, removed
        for line in hunk:
            if line.is_added:
                right.add(line.target_line_no)
                added += 1
            elif line.is_removed:
                left.add(line.source_line_no)
                removed += 1
            elif line.is_context:
                right.add(line.target_line_no)
                left.add(line.source_line_no)
        hunks.append(
            Hunk(
                hunk.source_start,
                hunk.source_length,
                hunk.target_start,
                hunk.target_length,
                text,
                added - added_before,
                removed - removed_before,
            )
        )
    return FileDiff(
        path=target or source or "",
        old_path=old_path,
        status=status,
        is_binary=is_binary,
        hunks=tuple(hunks),
        added=added,
        removed=removed,
        patch="".join(header) + "".join(text for _, text in parsed),
        right_lines=frozenset(right),
        left_lines=frozenset(left),
    )


def _header_value(header: list[str], prefix: str) -> str | None:
    for line in header:
        if line.startswith(prefix):
            return _unquote(line[len(prefix) :].rstrip("\r\n"))
    return None


def _clean_path(name: str | None) -> str | None:
    """`a/x`, `b/x` or a quoted `"b/caf\\303\\251"` to the repository path; /dev/null to None."""
    if not name or name == DEV_NULL:
        return None
    name = _unquote(name.rstrip("\r"))
    return name[2:] if name.startswith(("a/", "b/")) else name


_C_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(.))", re.DOTALL)
_C_NAMED = {b"a": b"\a", b"b": b"\b", b"t": b"\t", b"n": b"\n", b"v": b"\v", b"f": b"\f"}


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual paths (non-ASCII bytes come as octal escapes)."""
    if len(name) < 2 or name[0] != '"' or name[-1] != '"':
        return name

    def escape(match: re.Match[bytes]) -> bytes:
        octal, char = match.groups()
        return bytes([int(octal, 8) & 0xFF]) if octal else _C_NAMED.get(char, char)

    raw = name[1:-1].encode("utf-8", "surrogateescape")
    return _C_ESCAPE.sub(escape, raw).decode("utf-8", "replace")
