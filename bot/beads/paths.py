"""The files a beads issue names (plans, designs): pure functions over its text."""

from __future__ import annotations

import re

from bot.beads.ids import without_noise
from bot.beads.issue import BeadsIssue

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
        cleaned = without_noise(field)
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
