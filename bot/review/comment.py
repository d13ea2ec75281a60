"""Format what Beadle posts: the review body, its inline comments, and notes on failure.

Values in, strings and dicts out; the only I/O is loading the wording from prompts/*.md.j2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.beads.issue import Related
from bot.beads.sources import Origin
from bot.model.answer import ReviewAnswer
from bot.model.prices import format_cost
from bot.model.spend import Spend, describe
from bot.review.budget import Omitted
from bot.review.findings import Checked, Placed
from bot.review.marker import Marker, render_marker
from bot.review.sanitize import GITHUB_BODY_LIMIT, fit
from bot.review.suggestions import suggestion_block
from bot.review.templates import render
from bot.review.threads import finding_marker, fixed_in, record

LABELS = {"critical": "Critical", "important": "Important", "minor": "Minor"}
INLINE_LIMIT = GITHUB_BODY_LIMIT - 1000
INLINE_CUT_NOTE = "> **Note:** cut to fit GitHub's limit; the review has the whole finding."
CUT_NOTE = (
    "> **Note:** this review was cut to fit GitHub's 65,536-character limit; "
    "the inline comments and the check run carry the rest."
)


@dataclass(frozen=True, slots=True)
class ReviewView:
    round: int
    base_sha: str
    head_sha: str
    blob_url: str  # https://github.com/OWNER/REPO/blob/HEAD_SHA
    issue_id: str | None
    issue_title: str | None
    answer: ReviewAnswer
    checked: Checked
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0  # of the prompt tokens, those the provider's prefix cache served
    omitted: Sequence[Omitted] = ()
    truncated: Sequence[str] = ()
    notes: Sequence[str] = ()  # said to the user above the findings (no issue found, …)
    job_key: str | None = None
    issue_source: Origin | None = None  # where the issue was read: one line under the title
    other_issues: Sequence[Related] = ()  # other beads ids the pull request names
    cost_usd: float | None = None  # the tokens' estimated cost; None: "cost unknown"


def review_body(view: ReviewView) -> str:
    a = view.answer
    body = render(
        "review_body.md.j2",
        round=view.round,
        issue_id=view.issue_id,
        issue_title=view.issue_title,
        issue_source=view.issue_source,
        other_issues=list(view.other_issues),
        summary=a.summary,
        notes=list(view.notes),
        earlier=list(view.checked.earlier),
        findings=list(view.checked.findings),
        strengths=a.strengths,
        requirements=a.requirements,
        omitted=group_omitted(view.omitted),
        truncated=list(view.truncated),
        assessment=a.assessment,
        blob_url=view.blob_url,
        base_sha=view.base_sha,
        head_sha=view.head_sha,
        model=view.model,
        prompt_tokens=view.prompt_tokens,
        completion_tokens=view.completion_tokens,
        cached_tokens=view.cached_tokens,
        cost_usd=view.cost_usd,
        cost=format_cost(view.cost_usd),
    )
    # The tail survives any cut: the marker, and before it the record of what this round
    # judged fixed, from which a retried job finishes its thread replies (bot/review/threads.py).
    fixed = record(fixed_in(view.checked.earlier), head=view.head_sha)
    tail = render_marker(marker_for(view))
    return fit(body, tail=f"{fixed}\n{tail}" if fixed else tail, note=CUT_NOTE)


@dataclass(frozen=True, slots=True)
class OmittedGroup:
    reason: str
    paths: list[str]
    more: int  # paths with this reason not listed by name


def group_omitted(omitted: Sequence[Omitted], *, listed: int = 30) -> list[OmittedGroup]:
    """ "Not reviewed", by reason: a 3,000-file PR must not push the findings past GitHub's
    size limit with a list of lockfiles."""
    by_reason: dict[str, list[str]] = {}
    for o in omitted:
        by_reason.setdefault(o.reason, []).append(o.path)
    return [
        OmittedGroup(reason, paths[:listed], max(len(paths) - listed, 0))
        for reason, paths in by_reason.items()
    ]


def marker_for(view: ReviewView) -> Marker:
    return Marker(
        round=view.round,
        base=view.base_sha,
        head=view.head_sha,
        issue=view.issue_id,
        findings=view.checked.still_open,
        counters=view.checked.counters,
        job=view.job_key,
    )


def inline_comments(checked: Checked) -> list[dict[str, object]]:
    """Review comments for the findings the diff shows, shaped for `POST …/reviews`."""
    comments: list[dict[str, object]] = []
    for p in checked.findings:
        if p.line is None:
            continue
        comment: dict[str, object] = {
            "path": p.finding.file,
            "line": p.line,
            "side": "RIGHT",
            "body": inline_body(p),
        }
        if p.start_line is not None:
            comment |= {"start_line": p.start_line, "start_side": "RIGHT"}
        comments.append(comment)
    return comments


def inline_body(p: Placed, *, limit: int = INLINE_LIMIT) -> str:
    """One finding's comment: its text, its suggestion block when it has one, and the hidden
    marker its thread is found by later. Over `limit` it loses the suggestion first (a cut
    suggestion would commit broken code), then is cut; the marker always stays."""
    label = LABELS[p.finding.severity.value]
    block = suggestion_block(p.suggestion) if p.suggestion else ""
    body = render("inline_comment.md.j2", p=p, label=label, suggestion=block)
    marker = finding_marker(p.id)
    if block and len(body) + len(marker) + 1 > limit:
        body = render("inline_comment.md.j2", p=p, label=label, suggestion="")
    return fit(body, tail=marker, note=INLINE_CUT_NOTE, limit=limit)


def failure_note(*, reason: str, head_sha: str, attempts: int, spent: Spend | None = None) -> str:
    """The note on a job given up: why, after how many attempts, and what the model cost it
    (requests, model time, tokens) when it was asked at all."""
    what = describe(spent) if spent is not None and spent.requests else None
    return render(
        "failure_note.md.j2", reason=reason, head_sha=head_sha, attempts=attempts, spent=what
    )


def limit_note(*, posted: int, limit: int, head_sha: str) -> str:
    """The one note an hour on a pull request over `max_reviews_per_hour` (bot/review/pace.py)."""
    return render("limit_note.md.j2", posted=posted, limit=limit, head_sha=head_sha)


def no_room_note(head_sha: str, omitted: Sequence[Omitted], cuts: Sequence[str]) -> str:
    """Every file was left out for want of room in the model's window: said on the PR, with
    what to change (a larger `context_tokens`, `ignore`, a smaller PR)."""
    return render(
        "no_room_note.md.j2",
        head_sha=head_sha,
        omitted=group_omitted(omitted),
        cuts=list(cuts),
    )
