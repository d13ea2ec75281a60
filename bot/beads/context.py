"""The issue with its context, cut to the prompt's budget: parent, blockers, comments, other ids.

Pure. The issue's own text (description, design, acceptance criteria, notes) is the review's
yardstick and goes in whole, as before; what surrounds it is bounded here so a long-lived issue
with hundreds of comments cannot crowd the diff out of the model's window: the newest comments
that fit (shown oldest first, with a count of those left out), a parent's title and the start of
its description, up to ten blockers and ten other ids, each reduced to a line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bot.beads.issue import BeadsIssue, Comment, Related

COMMENTS_CHARS = 8_000  # all comments together
COMMENT_CHARS = 2_000  # one comment
SUMMARY_CHARS = 400  # a parent's description
MAX_BLOCKERS = 10
MAX_OTHERS = 10


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The start of a description, cut at a word with `…`."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def related(issue_id: str, issue: BeadsIssue | None, *, with_summary: bool = False) -> Related:
    if issue is None:
        return Related(issue_id, known=False)
    return Related(
        issue.id,
        title=issue.title,
        status=issue.status,
        summary=summary(issue.description) if with_summary else "",
    )


def fit_comments(comments: Sequence[Comment]) -> tuple[tuple[Comment, ...], int]:
    """The newest comments that fit `COMMENTS_CHARS` (each cut to `COMMENT_CHARS`), oldest
    first, and how many older ones were left out."""
    kept: list[Comment] = []
    room = COMMENTS_CHARS
    for comment in reversed(comments):
        body = comment.text.strip()
        if len(body) > COMMENT_CHARS:
            body = body[: COMMENT_CHARS - 1] + "…"
        if len(body) > room:
            break
        room -= len(body)
        kept.append(replace(comment, text=body))
    kept.reverse()
    return tuple(kept), len(comments) - len(kept)


def with_context(
    issue: BeadsIssue,
    *,
    parent: BeadsIssue | None = None,
    blockers: Mapping[str, BeadsIssue | None] | None = None,
) -> BeadsIssue:
    """The issue as the prompt shows it: comments fitted, its parent and blockers attached
    (`blockers` maps each of `issue.blocker_ids` to what a source had for it)."""
    comments, left_out = fit_comments(issue.comments)
    parent_id = issue.parent_id
    found = blockers or {}
    return replace(
        issue,
        comments=comments,
        comments_left_out=left_out,
        parent=related(parent_id, parent, with_summary=True) if parent_id else None,
        blockers=tuple(related(b, found.get(b)) for b in issue.blocker_ids[:MAX_BLOCKERS]),
    )


def others(ids: Sequence[str], found: Mapping[str, BeadsIssue | None]) -> tuple[Related, ...]:
    """The other ids the pull request names, with their titles where a source had them."""
    return tuple(related(i, found.get(i)) for i in ids[:MAX_OTHERS])
