"""What the lookup answers once a source holds the issue: the issue with its context (parent,
blockers, comments fitted to the budget), where it came from, what to say about it, and the other
ids the pull request names, all from the sources already read (no further requests for them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.beads import context
from bot.beads.issue import BeadsIssue, Related
from bot.beads.sources.catalogs import Catalog, Hit, Origin
from bot.beads.sources.files import SourceFailed
from bot.beads.sources.notes import Note

log = logging.getLogger("beadle.beads")


@dataclass(frozen=True, slots=True)
class IssueLookup:
    issue: BeadsIssue | None  # with its context (parent, blockers, comments) fitted
    origin: Origin | None = None  # where it was read
    reason: Note | None = None  # when there is no issue: why
    notes: tuple[Note, ...] = ()  # said in the review: failed sources, ambiguous records, …
    others: tuple[Related, ...] = ()  # the other ids the pull request names


def answer(
    issue_id: str,
    catalog: Catalog,
    hit: Hit,
    *,
    catalogs: Sequence[Catalog],
    others: Sequence[str],
    notes: Sequence[Note],
) -> IssueLookup:
    """The lookup's answer for `hit`, found in `catalog` under `issue_id`; `notes` are what the
    lookup has to say already, `others` the other ids the pull request names."""
    issue = hit.issue
    assert issue is not None
    origin = catalog.origin
    said = list(notes)
    for amb in hit.ambiguities:
        said.append(
            Note(
                amb.kind,
                issue_id=issue.id,
                path=origin.path,
                branch=origin.branch,
                lines=amb.lines,
                line=hit.line,
                created=amb.created,
                updated=issue.updated_at or "",
                title=issue.title,
            )
        )
    if hit.problems:
        said.append(Note("dolt_fields", issue_id=issue.id, problems=hit.problems))

    def near(other: str) -> BeadsIssue | None:
        return _related(other, catalog, catalogs)

    parent = near(issue.parent_id) if issue.parent_id else None
    blockers = {b: near(b) for b in issue.blocker_ids[: context.MAX_BLOCKERS]}
    named = list(others[: context.MAX_OTHERS])
    return IssueLookup(
        context.with_context(issue, parent=parent, blockers=blockers),
        origin=origin,
        notes=tuple(said),
        others=context.others(named, {i: near(i) for i in named}),
    )


def _related(issue_id: str, first: Catalog, catalogs: Sequence[Catalog]) -> BeadsIssue | None:
    """Another issue (parent, blocker, other id) from the sources already read, the issue's own
    source first. Best effort: a lookup that fails is logged, and the id shown without a title."""
    for catalog in [first, *(c for c in catalogs if c is not first)]:
        try:
            hit = catalog.find(issue_id)
        except SourceFailed as exc:
            log.warning("%s: %s unreadable: %s", catalog.origin.describe(), issue_id, exc)
            continue
        if hit is not None and hit.issue is not None:
            return hit.issue
    return None
