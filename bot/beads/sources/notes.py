"""What the beads lookup tells the pull request, as values; prompts/beads_notes.md.j2 words them.

Each note is a kind and the facts it needs. Facts that come from the repository (paths, branch
names, ids, titles, error messages) stay raw here: the template reduces each to a code span or
one clean line, so no repository text reaches a review unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal[
    # why there is no issue (said to the model and in the review)
    "off",  # beads.source: none
    "no_id",  # the pull request names no id
    "not_found",  # ids named, no source holds them
    "deleted",  # the id's record is a tombstone
    # said in the review beside the issue
    "unreadable",  # a source failed (GitHub kept failing): reviewed without it
    "no_branch",  # a configured branch does not exist
    "config",  # .beads/config.yaml could not be used (fully or in part)
    "conflict",  # an unresolved merge conflict holds different records of the id
    "collision",  # different issues share the id (sequential ids from two branches)
    "dolt_fields",  # fields of the issue the Dolt data could not deliver
]


DoltState = Literal["read", "absent", "off", "unreadable", "not_tried"]


@dataclass(frozen=True, slots=True)
class Looked:
    """A source that was tried, for the not-found note."""

    path: str
    branch: str | None = None
    found: bool = False  # the file existed (it just did not hold the id)


@dataclass(frozen=True, slots=True)
class Note:
    kind: Kind
    issue_id: str = ""
    ids: tuple[str, ...] = ()  # not_found: the ids the pull request names
    path: str = ""  # the file concerned
    branch: str | None = None
    reason: str = ""  # unreadable, config: what went wrong
    lines: tuple[int, ...] = ()  # conflict, collision: the lines of the differing records
    line: int | None = None  # the line of the record used
    created: tuple[str, ...] = ()  # collision: the creation times
    updated: str = ""  # the record used: its updated_at
    title: str = ""  # the record used: its title
    problems: tuple[str, ...] = ()  # dolt_fields
    looked: tuple[Looked, ...] = field(default_factory=tuple)  # not_found: what was tried
    dolt: DoltState = "not_tried"  # not_found: what became of the Dolt data
    setting: str = ""  # where a branch or path was configured (`.github/beadle.yml`, …)
