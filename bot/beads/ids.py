"""What points where: the beads issue id a pull request names, and the files an issue names.

Pure functions over text. bot/beads.py reads the issues themselves.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

# A hyphenated word; the last part may carry a child suffix (`bd-a3f8.1.2`).
_WORD = re.compile(r"(?<![\w.-])[a-z0-9_]+(?:-[a-z0-9_]+)+(?:\.\d+)*(?![\w-])")
_PREFIX_PART = re.compile(r"[a-z][a-z0-9_]*")
_HASH = re.compile(r"[a-z0-9]{1,8}")
# An id needs no digit where the beads convention puts it: `Fix auth (bd-abc)` ending a line,
# `[bd-abc] Fix auth`, or after a keyword, ending the clause: `Closes bd-abc.`, `beads: bd-abc`.
_CUE = re.compile(
    r"(?:(\()|\[|\b(?:closes|fixes|resolves|implements|refs|beads?|bd|issue):?)\s*#?$"
)
_AFTER_PAREN = re.compile(r"(?:,[^)\n]*)?\)[ \t.]*(?:\n|$)")
_AFTER_CUE = re.compile(r"[ \t]*(?:[.,;:!?\]\n]|$)")
# Hyphenated technical terms that look like `<prefix>-<number>`.
_NOT_PREFIX = re.compile(
    r"utf|ucs|x86|amd64|arm|sha|md|iso|rfc|pep|cve|ipv|win|gpt|es|ecma|http|tls|ssl|python|py|"
    r"node|step|phase|part|round|top|level|page|line|item|version|v|pre|post|non|re|co|self|"
    r"follow|fix|set|sign|opt|auto|multi|cross|real|built|well|end|e2e"
)


def find_issue_id(
    *,
    title: str,
    body: str | None,
    branch: str,
    commit_messages: Sequence[str],
    known_ids: Collection[str] | None = None,
) -> str | None:
    """Return the beads id (lower-cased) a pull request names, or None.

    Sources are searched in the beads convention's order: title, body, head branch, then commit
    messages as given; within a source, left to right. A candidate is a hyphenated word split as
    `<prefix>-<hash>[.child…]`, where the prefix may itself contain hyphens (`my-app-a3f8`).

    Rule: when `known_ids` is given, the first candidate that is a known id wins. Otherwise (or if
    no candidate is known) a candidate is accepted when either
    - it is a whole word where the convention puts ids: in parentheses ending a line
      (`Fix auth validation (bd-abc)`), in brackets (`[bd-abc] Fix auth`), or after `Closes`,
      `Fixes`, `Resolves`, `Implements`, `Refs`, `beads:`, `bd:`, `issue:` and ending the clause
      (`Closes bd-abc.`), or
    - its hash looks generated: at least 3 base36 characters with a digit and a letter
      (`bd-a3f8`, `citations-0o2`), or 2+ digits for old numeric ids (`bd-123`);
    and, in both cases, its prefix is not a common technical term (`utf-8`, `x86-64`, `sha-256`,
    `iso-8601`). URLs and e-mail addresses are ignored. This rejects `fix-typo`, `pre-commit`,
    `follow-up`, `e2e`, `gpt-4o`; an id without digits and without a cue (`bd-abc` in a branch
    name) is only found through `known_ids`.
    """
    sources = [title, body or "", branch, *commit_messages]
    texts = [without_noise(source.lower()) for source in sources]
    if known_ids:
        known = {k.strip().lower() for k in known_ids}
        for text in texts:
            for match in _WORD.finditer(text):
                for candidate, _, _ in _splits(match.group()):
                    if candidate in known:
                        return candidate
    for text in texts:
        for match in _WORD.finditer(text):
            cue = _CUE.search(text, max(0, match.start() - 40), match.start())
            after = _AFTER_PAREN if cue and cue.group(1) else _AFTER_CUE
            cued = cue is not None and after.match(text, match.end()) is not None
            for candidate, prefix, hash_part in _splits(match.group()):
                if _NOT_PREFIX.fullmatch(prefix.partition("-")[0]):
                    continue
                if (cued and candidate == match.group()) or _looks_generated(hash_part):
                    return candidate
    return None


def without_noise(text: str) -> str:
    """Drop URLs and e-mail addresses: full of hyphenated words and paths that are neither ids
    nor repository files. Whole whitespace-separated words go, which keeps this linear."""
    return "\n".join(
        " ".join(w for w in line.split() if not ("://" in w or "@" in w or "www." in w.lower()))
        for line in text.split("\n")
    )


def _splits(word: str) -> list[tuple[str, str, str]]:
    """Each `(id, prefix, hash)` reading of a word: hash left to right, longest prefix first."""
    stem, dot, child = word.partition(".")
    every = stem.split("-")
    parts = every[:12]  # an id sits early in a word (`bd-a3f8-add-login-form`)
    out = []
    for j in range(1, len(parts)):
        if not _HASH.fullmatch(parts[j]):
            continue
        suffix = dot + child if j == len(every) - 1 else ""
        for i in range(max(0, j - 3), j):  # prefixes of up to three parts (`my-cool-app`)
            if all(_PREFIX_PART.fullmatch(p) for p in parts[i:j]):
                prefix = "-".join(parts[i:j])
                out.append((f"{prefix}-{parts[j]}{suffix}", prefix, parts[j]))
    return out


def _looks_generated(hash_part: str) -> bool:
    if hash_part.isdigit():
        return len(hash_part) >= 2
    return len(hash_part) >= 3 and any(c.isdigit() for c in hash_part)
