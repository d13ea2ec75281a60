"""Render the review prompt (prompts/system.j2, prompts/review.j2) from plain values.

The sections follow the user's own prompts in docs/seeds/: task context with the beads issue,
what was implemented, (round N: the earlier findings), requirements/plan, the commit range,
the review criteria and the required output format. The diff goes in, since the model has no shell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.beads.issue import BeadsIssue, Related
from bot.review.budget import Omitted
from bot.review.context import ContextItem
from bot.review.evidence import Evidence
from bot.review.marker import TrackedFinding
from bot.review.templates import render


@dataclass(frozen=True, slots=True)
class Document:
    path: str
    text: str
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class PromptInput:
    round: int
    pr_title: str
    pr_body: str | None
    base_sha: str
    head_sha: str
    diff: str
    issue: BeadsIssue | None
    issue_note: str = ""  # why there is no issue, said to the model and in the review
    other_issues: Sequence[Related] = ()  # other beads ids the pull request names
    range_note: str | None = None  # e.g. why round N fell back to a full review
    omitted: Sequence[Omitted] = ()
    documents: Sequence[Document] = ()
    earlier: Sequence[TrackedFinding] = ()
    extra_instructions: str | None = None
    previous_head: str | None = None  # round N: the head round N-1 reviewed
    evidence: Sequence[Evidence] = ()  # round N: the code at each earlier finding now
    context: Sequence[ContextItem] = ()  # code around the hunks, in the room the diff left
    context_note: str | None = None  # why context was cut, when it was


@dataclass(frozen=True, slots=True)
class Prompt:
    system: str
    user: str

    @property
    def size(self) -> int:
        return len(self.system) + len(self.user)


def render_prompt(p: PromptInput) -> Prompt:
    return Prompt(
        system=render("system.j2"),
        user=render(
            "review.j2",
            round=p.round,
            pr_title=p.pr_title,
            pr_body=p.pr_body,
            base_sha=p.base_sha,
            head_sha=p.head_sha,
            diff=p.diff,
            issue=p.issue,
            issue_note=p.issue_note,
            other_issues=list(p.other_issues),
            range_note=p.range_note,
            omitted=list(p.omitted),
            documents=list(p.documents),
            earlier=list(p.earlier),
            extra_instructions=p.extra_instructions,
            previous_head=p.previous_head,
            evidence=list(p.evidence),
            context=list(p.context),
            context_note=p.context_note,
        ),
    )
