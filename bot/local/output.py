"""What `beadle review` prints (docs/design.md §8): the review as markdown with the sections of
a posted review (the body the App posts, its hidden marker aside), or one JSON object with the
structured answer. bot/local/output_dry.py prints a dry run. Pure: values in, text and dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.model.answer import Severity, Verdict
from bot.model.prices import DEFAULT_PRICES, Price, Usage, cost_usd, format_cost, price_for
from bot.review.budget import estimate_tokens
from bot.review.comment import group_omitted
from bot.review.compose import Built, Composed, NothingToReview
from bot.review.round import RoundRecord

MARKER_START = "<!-- beadle:review"
Prices = Mapping[str, Price]


@dataclass(frozen=True, slots=True)
class Target:
    """What was reviewed, for the reader: a checkout or a pull request."""

    kind: str  # "local" | "pull_request"
    repository: str  # OWNER/REPO (a checkout without a GitHub remote: its folder's name)
    number: int | None  # the pull request's, None for a local range
    where: str  # the checkout's path, or the pull request's URL


@dataclass(frozen=True, slots=True)
class Posted:
    review_id: int | None
    url: str


@dataclass(frozen=True, slots=True)
class Shown:
    """One outcome, as the output needs it."""

    target: Target
    record: RoundRecord
    issue_source: str  # "" when there is no issue
    model: str  # the model the prompt is for
    posted: Posted | None = None


def estimated_cost(
    model: str, *, prompt_tokens: int, completion_tokens: int, prices: Prices
) -> float | None:
    """US dollars (bot/model/prices.py; BEADLE_PRICES wins), None for a model no table has."""
    price = price_for(model, DEFAULT_PRICES, prices)
    return cost_usd(Usage(prompt_tokens, completion_tokens), price)


def failing(condition: str, composed: Composed) -> bool:
    """Whether `--fail-on condition` holds. critical: a critical finding is open (new, or an
    earlier one not fixed); not-ready: that, or the verdict is "not ready" (the check run's
    failure)."""
    if condition == "never":
        return False
    critical = any(f.severity == Severity.CRITICAL.value for f in composed.checked.still_open)
    if condition == "critical":
        return critical
    return critical or composed.verdict is Verdict.NO


def body_without_marker(body: str) -> str:
    head, found, _ = body.rpartition(MARKER_START)
    return head.rstrip() if found else body.rstrip()


def marker_of(body: str) -> str | None:
    _, found, tail = body.rpartition(MARKER_START)
    return (found + tail).strip() if found else None


# -- a review ------------------------------------------------------------------------------
def review_markdown(s: Shown, *, prices: Prices) -> str:
    r = s.record
    assert r.composed is not None and r.reply is not None
    body = body_without_marker(r.composed.body)
    if not r.pr.repo_html_url:  # a checkout without a GitHub remote: links from its root
        body = body.replace(f"](/blob/{r.pr.head_sha}/", "](")
    lines = [body, "", "---", ""]
    lines.append(f"Reviewed: {what(s.target)}, round {r.plan.round} over {range_text(r)}.")
    lines.append(issue_line(s))
    cost = _reply_cost(s, prices)
    lines.append(
        f"Model: {r.reply.model}, {r.reply.prompt_tokens:,} prompt + "
        f"{r.reply.completion_tokens:,} completion tokens, {format_cost(cost)}."
    )
    if s.posted is not None:
        lines.append(f"Posted: {s.posted.url}")
    return "\n".join(lines) + "\n"


def review_json(s: Shown, *, prices: Prices) -> dict[str, Any]:
    r = s.record
    assert r.composed is not None and r.reply is not None and isinstance(r.built, Built)
    answer, checked = r.reply.answer, r.composed.checked
    return {
        **head_fields(s),
        "verdict": answer.assessment.ready_to_merge.value,
        "reasoning": answer.assessment.reasoning,
        "summary": answer.summary,
        "findings": [
            {
                "id": f.id,
                "severity": f.finding.severity.value,
                "title": f.finding.title,
                "file": f.finding.file,
                "start_line": f.finding.start_line,
                "end_line": f.finding.end_line,
                "location": f.location,
                "in_diff": f.verified,
                "inline": f.line is not None,
                "problem": f.finding.problem,
                "impact": f.finding.impact,
                "fix": f.finding.fix,
            }
            for f in checked.findings
        ],
        "earlier_findings": [
            {
                "id": v.finding.id,
                "severity": v.finding.severity,
                "title": v.finding.title,
                "file": v.finding.file,
                "line": v.finding.line,
                "status": v.status.value if v.status else None,
                "evidence": v.evidence,
            }
            for v in checked.earlier
        ],
        "still_open": [f.id for f in checked.still_open],
        "strengths": list(answer.strengths),
        "requirements": [
            {"requirement": q.requirement, "status": q.status.value, "evidence": q.evidence}
            for q in answer.requirements
        ],
        **left_out(r.built),
        "model": r.reply.model,
        "tokens": {
            "prompt": r.reply.prompt_tokens,
            "completion": r.reply.completion_tokens,
            "prompt_estimate": estimate_tokens(r.built.prompt.system + r.built.prompt.user),
        },
        "cost_usd": _reply_cost(s, prices),
        "body": r.composed.body,
        "marker": marker_of(r.composed.body),
        "posted": {"review_id": s.posted.review_id, "url": s.posted.url} if s.posted else None,
    }


# -- shared pieces -------------------------------------------------------------------------
def head_fields(s: Shown) -> dict[str, Any]:
    r, issue = s.record, s.record.gathered.issue
    return {
        "target": {
            "kind": s.target.kind,
            "repository": s.target.repository,
            "number": s.target.number,
            "where": s.target.where,
        },
        "round": r.plan.round,
        "base": r.plan.base,
        "head": r.plan.head,
        "range_note": r.plan.range_note,
        "issue": (
            {
                "id": issue.id,
                "title": issue.title,
                "status": issue.status,
                "priority": issue.priority_label,
                "type": issue.issue_type,
                "source": s.issue_source,
            }
            if issue
            else None
        ),
        "issue_note": r.gathered.issue_note if issue is None else "",
        "notes": list(r.gathered.notes),
        "config_problem": r.loaded.problem,
    }


def left_out(built: Built | NothingToReview) -> dict[str, Any]:
    packed = built.packed
    return {
        "not_reviewed": [{"path": o.path, "reason": o.reason} for o in packed.omitted],
        "truncated": list(packed.truncated),
    }


def left_out_lines(built: Built | NothingToReview) -> list[str]:
    packed = built.packed
    if not (packed.omitted or packed.truncated):
        return ["Left out: nothing."]
    lines = ["Left out:"]
    for group in group_omitted(packed.omitted):
        lines += [f"- {path}: {group.reason}" for path in group.paths]
        if group.more:
            lines.append(f"- … and {group.more} more: {group.reason}")
    lines += [f"- {path}: cut to fit the model's context" for path in packed.truncated]
    return lines


def issue_line(s: Shown) -> str:
    issue = s.record.gathered.issue
    if issue is None:
        return f"Issue: none. {s.record.gathered.issue_note}"
    return f"Issue: `{issue.id}` {issue.title} (from {s.issue_source})."


def _reply_cost(s: Shown, prices: Prices) -> float | None:
    """The review's own figure (cached tokens and the repository's prices counted), as its
    footer shows it; an estimate from the reply only when no review was composed."""
    if s.record.composed is not None:
        return s.record.composed.cost_usd
    reply = s.record.reply
    assert reply is not None
    return estimated_cost(
        reply.model,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        prices=prices,
    )


def what(target: Target) -> str:
    if target.kind == "local":
        return f"{target.where} ({target.repository})"
    return f"{target.repository}#{target.number}"


def range_text(r: RoundRecord) -> str:
    return f"{r.plan.base[:12]}..{r.plan.head[:12]}"
