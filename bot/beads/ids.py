"""The beads issue ids a pull request names, as beads users write them (docs/design.md §5).

Pure functions over text: `bot/beads/id_cues.py` finds the words and the cues around them,
`bot/beads/id_shapes.py` says what one word may be, and this module weighs the two against what
the repository says (its ids and `issue-prefix`). bot/beads/jsonl.py reads the issues themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.beads import id_shapes as shape
from bot.beads.id_cues import Cue, words

_BRANCH = 2  # the index of the head branch name among the sources


class Tier(enum.IntEnum):
    EXPLICIT = 0  # cued, or leading a segment of the branch name
    KNOWN = 1  # a known id, found bare
    BARE = 2  # found by its shape alone


@dataclass(frozen=True)
class _Repo:
    """What the repository says: its ids (exact, and folded when only one id folds so) and the
    prefixes of those ids and of `issue-prefix`."""

    exact: frozenset[str]
    folded: dict[str, str | None]
    prefixes: frozenset[str]

    @classmethod
    def of(cls, known_ids: Collection[str] | None, prefix: str | None) -> _Repo:
        exact = frozenset(k.strip() for k in known_ids or () if k.strip())
        folded: dict[str, str | None] = {}
        for k in exact:
            folded[k.lower()] = None if k.lower() in folded else k
        prefixes = {k.partition(".")[0].rpartition("-")[0] for k in exact}
        prefixes.add((prefix or "").strip().rstrip("-"))  # as bd trims it
        return cls(exact, folded, frozenset(prefixes - {""}))

    def known(self, candidate: str) -> str | None:
        if candidate in self.exact:
            return candidate
        return self.folded.get(candidate.lower())

    def prefixed(self, word: str) -> bool:
        """Whether the word starts with a project prefix and a hyphen (`gt-gastown-polecat-x`)."""
        cut = -1
        for _ in range(shape.MAX_PREFIX_PARTS):
            if (cut := word.find("-", cut + 1)) < 0:
                return False
            if word[:cut] in self.prefixes:
                return True
        return False


def find_issue_ids(
    *,
    title: str,
    body: str | None,
    branch: str,
    commit_messages: Sequence[str],
    known_ids: Collection[str] | None = None,
    prefix: str | None = None,
) -> list[str]:
    """Every beads id a pull request names, de-duplicated; the first is the one to review.

    Sources are searched in the beads convention's order (title, body, head branch name, commit
    messages as given), each left to right. Ids keep their case as written; a word that is no
    known id as written but folds to exactly one known id (`BD-A3F8`, known `bd-a3f8`) is that
    id. `prefix` is the `issue-prefix` of `.beads/config.yaml`; the prefixes of `known_ids` are
    project prefixes too.

    The result is ordered by tier, then source, then position:
    1. explicit: where beads users put an id (see id_cues) — in parentheses ending a line, also
       before a squash merge's ` (#12)` and in lists (`(GH#872, bd-ypvj)`), alone in parentheses
       inside a line, in brackets, after `Closes`, `close`, `Follow-up to`, `Refs`, `beads:`…
       ending the clause, as `bd-162:` opening a line, before `@` in a branch
       (`polecat/onyx/bd-jpw@mn0taqna`), or leading a segment of the branch name;
    2. known ids found bare (`touches bd-abc`): a known id never outranks an explicit id, even
       an unknown one or one in a later source, because the author's cue is the better evidence;
    3. bare ids, by shape alone.
    What counts as an id: a known id, anywhere in a word (`wip-bd-abc-login`); under a project
    prefix, a 3 to 8 character base36 hash that is no English word (`bd-kwro`, not `bd-show`)
    or a sequential one (`bd-123`), and where the cue is strong, anything given by hand
    (`gt-gastown-polecat-Toast`, `Closes bd-x`);
    under another prefix, an explicit generated hash (a digit and a letter: `(gt-e3uiy)`); and
    only when the repository names no prefix at all, an explicit sequential hash, a hash of
    letters under a prefix that is no English word either where the cue is strong (`(bd-kwro)`
    ending a line, not `(dry-run)`, and not mid-line nor opening a line), and a generated hash
    found bare or leading a branch segment (found bare, no size or version: `cache-512mb`).
    Never ids: keys in capitals (`ENG-123`, `GH-2968`, `AES-256`) unless the prefix is the
    project's, technical terms (`utf-8`, `x86-64`, `sha-256`, `gpt-4o`, `linux-amd64`), dates
    (`login-2026-11-30`, `fix-20261130`), Gas Town worker names (`polecat/jasper-mo69l6gb`),
    URLs, module paths and e-mail addresses.
    """
    repo = _Repo.of(known_ids, prefix)
    best: dict[str, tuple[int, int, int]] = {}
    for source, text in enumerate([title, body or "", branch, *commit_messages]):
        for position, word, cue in words(text, branch=source == _BRANCH):
            found = _judge(word, cue, repo)
            if found is not None:
                key = (found[1], source, position)
                best[found[0]] = min(key, best.get(found[0], key))
    return sorted(best, key=best.__getitem__)


def find_issue_id(
    *,
    title: str,
    body: str | None,
    branch: str,
    commit_messages: Sequence[str],
    known_ids: Collection[str] | None = None,
    prefix: str | None = None,
) -> str | None:
    """The id to review a pull request against: the first of `find_issue_ids`, or None."""
    found = find_issue_ids(
        title=title,
        body=body,
        branch=branch,
        commit_messages=commit_messages,
        known_ids=known_ids,
        prefix=prefix,
    )
    return found[0] if found else None


def without_noise(text: str) -> str:
    """Drop URLs and e-mail addresses: full of hyphenated words and paths that are neither ids
    nor repository files. Whole whitespace-separated words go, which keeps this linear."""
    return "\n".join(
        " ".join(w for w in line.split() if not ("://" in w or "@" in w or "www." in w.lower()))
        for line in text.split("\n")
    )


def _judge(word: str, cue: Cue, repo: _Repo) -> tuple[str, Tier] | None:
    """The id a word names and its tier, or None."""
    readings = shape.readings(word)
    cued = cue in (Cue.STRONG, Cue.ASIDE)

    def tier(reading: shape.Reading) -> Tier:
        if (cued and reading.whole) or (cue is Cue.LEAD and reading.leading):
            return Tier.EXPLICIT
        return Tier.BARE

    if (known := repo.known(word)) is not None:
        return known, Tier.EXPLICIT if cue is not Cue.NONE else Tier.KNOWN
    for reading in readings:
        if (known := repo.known(reading.id)) is not None:
            return known, min(tier(reading), Tier.KNOWN)
    if cue is Cue.STRONG and repo.prefixed(word) and shape.custom(word):
        return word, Tier.EXPLICIT  # `(gt-gastown-polecat-Toast)`, `Closes bd-x`
    for reading in readings:
        if reading.prefix in repo.prefixes and shape.project_hash(reading):
            return reading.id, tier(reading)
    whole = next((r for r in readings if r.whole), None) if cued else None
    if whole is not None and _explicit_shape(whole, cue, foreign=bool(repo.prefixes)):
        return whole.id, Tier.EXPLICIT
    bare = [
        r
        for r in (readings if not repo.prefixes else ())
        if shape.plain_prefix(r)
        and shape.generated(r)
        and (cue is not Cue.NONE or not shape.measure(r))
    ]
    # Words before an id in a branch are no prefix: `scanner-err-and-close-gt-0e4`, `my-app-a3f8`.
    first = min(bare, key=lambda r: shape.english_prefix(r, every_part=True), default=None)
    if first is not None:
        return first.id, tier(first)
    return None


def _explicit_shape(reading: shape.Reading, cue: Cue, *, foreign: bool) -> bool:
    """A cued id under a prefix that is not the project's, or with no project prefix known."""
    if not shape.plain_prefix(reading):
        return False
    if shape.generated(reading):
        return True
    if foreign or shape.english_prefix(reading):
        return False
    return shape.numeric(reading) or (cue is Cue.STRONG and shape.hash_word(reading))
