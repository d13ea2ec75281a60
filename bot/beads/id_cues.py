"""Where a word sits in a pull request's text, and whether that is where beads users put an id.

By convention a commit subject ends with the id in parentheses (`Fix auth validation (bd-abc)`,
beads: `bd doctor` looks for `(<prefix>-…)`), and a squash merge appends ` (#123)` after it; people
also write `Closes bd-abc`, `[bd-abc]` and `bd-abc: …`; Gas Town names worker branches
`polecat/<name>/<id>@<stamp>`. Pure functions over text; `bot/beads/ids.py` weighs what is found.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator

_WORD = re.compile(r"[\w.-]+")
_MAIL = re.compile(r"@[^\s@]*\.\w")  # `ana@example.com`, not `bd-jpw@mn0taqna`
_DOMAIN = re.compile(r"\w\.(?:com|org|net|io|dev|ai|co|gov|edu|app|in)/")  # `github.com/x/y`
_MARKUP = "`*_'\""
# Words that put an id after them: `Closes bd-x`, `close ab-pccw.6.3: …`, `Follow-up to ab-ruqe`.
_KEYWORD = re.compile(
    r"(?:^|[^\w-])(?:(?:close|fixe?|resolve)[sd]?|closing|fixing|resolving|implement(?:s|ed|ing)?"
    r"|refs?|references?|re|see(?: also)?|part of|follow[- ]?ups? (?:to|for|of|on)|continues"
    r"|complet(?:es?|ed|ing)|unblocks?"
    r"|address(?:es)?|issues?|beads?|bd|epic|task|bug)[*_]*\s*:?[*_]*\s*[#`*_'\"]*$",
    re.IGNORECASE,
)
# What may follow a cued id: the end of the clause, a list, or a parenthesis (`close bd-x (GH#4)`).
_CLAUSE_END = re.compile(r"[`*_'\"]*[ \t]*(?:[.,;:!?)\](]|(?:and|or)\b|&|$)")
_LIST_GLUE = re.compile(r"[`*_'\"]*(?:\s*(?:,|;|&|\band\b|\bor\b))+\s*[#`*_'\"]*")
_WINDOW = 60  # how far back a keyword may stand


class Cue(enum.Enum):
    NONE = "none"
    LEAD = "lead"  # the word starts a segment of the branch name (`feature/bd-a3f8-login`)
    # Weaker: `race on delete (bd-155) and …`, `fix(vc-162): …`, `bd-162: Add checks` (or Go's
    # `pkg: …`), `Close vc-129 in the tracker`.
    ASIDE = "aside"
    STRONG = "strong"  # where beads users put ids: `(bd-x)` ending a line, `Closes bd-x`


def words(text: str, *, branch: bool) -> Iterator[tuple[int, str, Cue]]:
    """Each hyphenated word with its offset in the text (links cut out) and the cue around it."""
    offset = 0
    for line in _without_links(text).split("\n"):
        items, indent = _tail_items(line), len(line) - len(line.lstrip(" \t" + _MARKUP))
        listing = -1  # where a list of cued ids may go on (`Closes bd-a, bd-b`)
        for match in _WORD.finditer(line):
            raw = match.group()
            word = raw.strip(".-_")
            start = match.start() + len(raw) - len(raw.lstrip(".-_"))
            end = start + len(word)
            if "-" not in word:
                continue
            before = line[max(0, start - _WINDOW) : start]
            if before.endswith("polecat/"):
                continue  # after `polecat/` comes a Gas Town worker's name: `jasper-mo69l6gb`
            named = _KEYWORD.search(line, max(0, start - _WINDOW), start) is not None or (
                listing >= 0 and _LIST_GLUE.fullmatch(line, listing, start) is not None
            )
            listing = end if named else -1
            bare = before.rstrip(_MARKUP)
            after = line[end : end + 4].lstrip(_MARKUP)
            if (
                (named and _CLAUSE_END.match(line, end) is not None)
                or (start, end) in items
                or (bare.endswith("[") and after.startswith("]"))
                or (before.endswith("/") and after.startswith("@"))  # `onyx/bd-jpw@mn0taqna`
                or _polecat(before)
            ):
                cue = Cue.STRONG
            elif (
                named  # the clause goes on: `Close vc-129 in the tracker`
                or (bare.endswith("(") and after.startswith(")"))  # also a scope: `fix(vc-162):`
                or (start == indent and after.startswith(":"))  # `bd-162: Add checks`
            ):
                cue = Cue.ASIDE
            elif branch and (start == 0 or line[start - 1] == "/"):
                cue = Cue.LEAD
            else:
                cue = Cue.NONE
            yield offset + start, word, cue
        offset += len(line) + 1


def _without_links(text: str) -> str:
    """Text with URLs, module paths (`github.com/ncruces/go-sqlite3`) and e-mail addresses cut
    out: full of hyphenated words that are no ids. A Gas Town branch keeps its `@`
    (`polecat/onyx/bd-jpw@mn0taqna`), and a Markdown link its text (`[bd-a3f8](https://…)`)."""
    return "\n".join(
        " ".join(_before_link(w) for w in line.split() if _MAIL.search(w) is None)
        for line in text.split("\n")
    )


def _before_link(word: str) -> str:
    cut = len(word)
    if (scheme := word.find("://")) >= 0:
        while scheme and (word[scheme - 1].isalnum() or word[scheme - 1] in "+.-"):
            scheme -= 1
        cut = scheme
    if (www := word.lower().find("www.")) >= 0:
        cut = min(cut, www)
    if (domain := _DOMAIN.search(word)) is not None:
        host = domain.start()
        while host and (word[host - 1].isalnum() or word[host - 1] in ".-_"):
            host -= 1
        cut = min(cut, host)
    return word[:cut]


def _polecat(before: str) -> bool:
    """Whether a word follows `polecat/<name>/`, as in Gas Town's worker branches."""
    if not before.endswith("/"):
        return False
    return before[: before.rfind("/", 0, len(before) - 1) + 1].endswith("polecat/")


def _tail_items(line: str) -> set[tuple[int, int]]:
    """The spans of the items in the parentheses that end a line, skipping the ` (#1234)` a squash
    merge appends: `Fix auth (bd-abc)`, `feat: x (GH#872, bd-ypvj) (#42)`."""
    end = len(line)
    while True:
        while end and line[end - 1] in " \t.":
            end -= 1
        opening = line.rfind("(", 0, end - 1) if end and line[end - 1] == ")" else -1
        if opening < 0:
            return set()
        inner = line[opening + 1 : end - 1]
        if not (inner.startswith("#") and inner[1:].isdigit()):
            break
        end = opening
    spans = set()
    start = opening + 1
    for item in re.split(r"[,;]", inner):
        lead = len(item) - len(item.lstrip().lstrip("#" + _MARKUP))
        spans.add((start + lead, start + len(item.rstrip().rstrip(_MARKUP))))
        start += len(item) + 1
    return spans
