"""Read beads issues from a repository's JSONL export and find the issue a pull request implements.

Pure functions: text in, values out. The JSONL file is edited by tools, merged by git (often with a
union merge driver) and sometimes by hand, so the reader forgives everything it can and skips what
it cannot: a review without the issue is worse than a review with one odd line dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Where beads keeps its export; the first that exists wins (`beads.jsonl` is the older name).
BEADS_PATHS = (".beads/issues.jsonl", ".beads/beads.jsonl")

_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")


@dataclass(frozen=True, slots=True)
class Dependency:
    issue_id: str
    depends_on_id: str
    type: str


@dataclass(frozen=True, slots=True)
class BeadsIssue:
    id: str
    title: str
    description: str
    design: str
    acceptance_criteria: str
    notes: str
    status: str
    priority: int | None
    issue_type: str
    assignee: str | None
    labels: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None

    @property
    def priority_label(self) -> str:
        """The prompt shows priority the way beads users write it (P0 is most urgent)."""
        if self.priority is not None and 0 <= self.priority <= 4:
            return f"P{self.priority}"
        return "unknown"


def parse_issues(text: str) -> dict[str, BeadsIssue]:
    """Parse a beads JSONL export into issues keyed by lower-cased id.

    Tolerated, never fatal: a UTF-8 BOM, CRLF, blank lines, git conflict markers (both sides of a
    conflict are kept as ordinary lines, which the duplicate rule below then resolves), broken or
    non-object JSON lines, `_type`/`_schema` records (memories, schema headers), unknown fields and
    fields of the wrong type. When an id appears on several lines (union merges keep both sides),
    the record with the newest `updated_at` wins, compared as timezone-aware datetimes (naive ones
    are taken as UTC; a tie goes to the later line); records whose timestamp is missing or
    unparseable only count when no record of that id has a usable one, and then the last line
    wins. A winning tombstone removes the issue. Each line is converted as soon as it wins, so no
    raw record outlives its line: that keeps a 50k-issue file fast.
    """
    winners: dict[str, tuple[Any, BeadsIssue | None]] = {}  # raw updated_at, issue (None: deleted)
    for line in text.split("\n"):
        line = line.strip()
        if line[:1] == "\ufeff":
            line = line[1:].strip()
        if not line or line.startswith(_CONFLICT_MARKERS):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if type(record) is not dict or record.get("_type", "issue") != "issue":
            continue
        issue_id = record.get("id")
        if type(issue_id) is not str or not issue_id.strip() or "_schema" in record:
            continue
        key = issue_id.strip().lower()
        stamp = record.get("updated_at") or record.get("deleted_at")
        if key in winners and not _supersedes(stamp, winners[key][0]):
            continue
        deleted = _text(record.get("status")).strip().lower() == "tombstone"
        winners[key] = (stamp, None if deleted else _to_issue(record))
    return {key: issue for key, (_, issue) in winners.items() if issue is not None}


def _supersedes(new: Any, old: Any) -> bool:
    """Whether a later line replaces the current winner: see `parse_issues` for the rule."""
    new_time, old_time = _timestamp(new), _timestamp(old)
    if new_time is None:
        return old_time is None
    return old_time is None or new_time >= old_time


def _timestamp(value: Any) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _optional_text(value: Any) -> str | None:
    return value if type(value) is str and value.strip() else None


def _priority(value: Any) -> int | None:
    """Accept 1, 1.0, "1" and "P1": older exports and hand edits disagree on the type."""
    if type(value) is str:
        value = value.strip().lower().removeprefix("p")
        return int(value) if value.isascii() and value.isdigit() else None
    if type(value) is int or (type(value) is float and value.is_integer()):
        return int(value)
    return None


def _labels(value: Any) -> tuple[str, ...]:
    if type(value) is str:
        value = value.split(",")
    if type(value) is not list:
        return ()
    return tuple(filter(None, (_text(item).strip() for item in value)))


def _dependencies(value: Any, issue_id: str) -> tuple[Dependency, ...]:
    if type(value) is not list or not value:
        return ()
    deps = []
    for item in value:
        if type(item) is str and item.strip():
            deps.append(Dependency(issue_id, item.strip(), "blocks"))
        elif type(item) is dict and (target := _text(item.get("depends_on_id")).strip()):
            source = _text(item.get("issue_id")).strip() or issue_id
            deps.append(Dependency(source, target, _text(item.get("type")) or "blocks"))
    return tuple(deps)


def _to_issue(r: dict[str, Any]) -> BeadsIssue:
    """Missing status/type default to beads' own defaults for a new issue ("open", "task")."""
    get = r.get
    issue_id = r["id"].strip()
    return BeadsIssue(
        id=issue_id,
        title=_text(get("title")),
        description=_text(get("description")),
        design=_text(get("design")),
        acceptance_criteria=_text(get("acceptance_criteria")),
        notes=_text(get("notes")),
        status=_text(get("status")).strip() or "open",
        priority=_priority(get("priority")),
        issue_type=_text(get("issue_type")).strip() or "task",
        assignee=_optional_text(get("assignee")),
        labels=_labels(get("labels")),
        dependencies=_dependencies(get("dependencies"), issue_id),
        created_at=_optional_text(get("created_at")),
        updated_at=_optional_text(get("updated_at")),
        closed_at=_optional_text(get("closed_at")),
    )


# --- finding the issue id -------------------------------------------------------------------

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
    texts = [_without_noise(source.lower()) for source in sources]
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


def _without_noise(text: str) -> str:
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


# --- paths named in the issue ---------------------------------------------------------------

_PATH_TOKEN = re.compile(r"[\w.\-/+@]+")
_EXTENSION = re.compile(r"[^.].*\.[A-Za-z][\w-]{0,11}")  # `x.py`, `a.b.tar-gz`, not `.py`
_DOMAIN = re.compile(r"[\w.-]+\.(?:com|org|net|io|dev|ai|co|gov|edu|app)", re.IGNORECASE)
_WELL_KNOWN = re.compile(
    r"makefile|dockerfile|procfile|justfile|gemfile|rakefile|license|readme|changelog|"
    r"\.(?:gitignore|dockerignore|editorconfig|env|gitattributes)",
    re.IGNORECASE,
)
# A bare name (no `/`) needs a common extension, and product names such as `Node.js` are no file.
_BARE_NAME = re.compile(
    r"(?!(?:node|vue|next|nuxt|express|three|d3|chart|react|angular|ember|alpine)\.js$)"
    r".*\.(?:py|pyi|md|rst|txt|jsonl?|ya?ml|toml|ini|cfg|conf|[mc]?js|tsx?|jsx|go|rs|java|kt|"
    r"rb|php|[ch]|cc|[ch]pp|cs|swift|sh|bash|sql|html|s?css|j2|jinja|lock|env|xml|csv|proto|tf|"
    r"vue|svelte|ipynb|gradle|dart|scala|exs?|lua|r|adoc|tex)",
    re.IGNORECASE,
)


def referenced_paths(issue: BeadsIssue) -> list[str]:
    """Repository-relative file paths named in the issue text, de-duplicated in order.

    These are the design documents and files the issue points at, worth fetching as context.
    A token counts when its last part has a file extension and it has a `/` (`bot/store.py`,
    `docs/plans/x-design.md`), or it is a bare name with a common extension or a well-known name
    (`README.md`, `Dockerfile`). URLs, e-mail addresses, absolute and home paths, `..` segments,
    domain names and `Node.js`-style product names are not paths. Backticks, quotes, brackets,
    trailing punctuation, `./`, and `:42` / `#L10` location suffixes are stripped.
    """
    seen: dict[str, None] = {}
    for field in (issue.description, issue.design, issue.acceptance_criteria, issue.notes):
        cleaned = _without_noise(field)
        for match in _PATH_TOKEN.finditer(cleaned):
            if match.start() and cleaned[match.start() - 1] in "~\\":
                continue  # `~/notes.md`, `C:\\dir\\file.txt`
            if (path := _clean_path(match.group())) is not None:
                seen.setdefault(path, None)
    return list(seen)


def _clean_path(token: str) -> str | None:
    token = token.rstrip(".-/")
    while token.startswith("./"):
        token = token[2:]
    if not token or token.startswith("/") or "//" in token or "@" in token:
        return None
    *dirs, name = token.split("/")
    if ".." in dirs or name == ".." or (dirs and _DOMAIN.fullmatch(dirs[0])):
        return None
    if _WELL_KNOWN.fullmatch(name):
        return token
    if not _EXTENSION.fullmatch(name) or not (dirs or _BARE_NAME.fullmatch(name)):
        return None
    return token
