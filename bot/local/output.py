"""What `beadle review` prints (docs/design.md §8): the review as markdown with the sections of
a posted review, or one JSON object; a dry run's prompt size, tokens, cost and what was left
out. Pure: values in, text and dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.local.session import Prepared, Reviewed
from bot.model.answer import Severity, Verdict
from bot.model.prices import DEFAULT_PRICES, Price, Usage, cost_usd, format_cost, price_for
from bot.review.budget import estimate_tokens
from bot.review.comment import group_omitted
from bot.review.compose import Built, Composed, NothingToReview

MARKER_START = "<!-- beadle:review"


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


def estimated_cost(
    model: str, *, prompt_tokens: int, completion_tokens: int, prices: Mapping[str, Price]
) -> float | None:
    """US dollars for these tokens (bot/model/prices.py; `prices` from BEADLE_PRICES win),
    None for a model the tables do not know."""
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
def review_markdown(
    r: Reviewed,
    *,
    target: Target,
    issue_source: str,
    prices: Mapping[str, Price],
    posted: Posted | None = None,
) -> str:
    body = body_without_marker(r.composed.body)
    pr = r.prepared.pr
    if not pr.repo_html_url:  # a checkout without a GitHub remote: links relative to its root
        body = body.replace(f"](/blob/{pr.head_sha}/", "](")
    plan = r.prepared.plan
    lines = [body, "", "---", ""]
    lines.append(
        f"Reviewed: {_what(target)}, round {plan.round} over {_range(plan.base, plan.head)}."
    )
    lines.append(_issue_line(r.prepared, issue_source))
    cost = _reply_cost(r, prices)
    lines.append(
        f"Model: {r.reply.model}, {r.reply.prompt_tokens:,} prompt + "
        f"{r.reply.completion_tokens:,} completion tokens, {format_cost(cost)}."
    )
    if posted is not None:
        lines.append(f"Posted: {posted.url}")
    return "\n".join(lines) + "\n"


def review_json(
    r: Reviewed,
    *,
    target: Target,
    issue_source: str,
    prices: Mapping[str, Price],
    posted: Posted | None = None,
) -> dict[str, Any]:
    p, answer, checked = r.prepared, r.reply.answer, r.composed.checked
    estimate = estimate_tokens(r.built.prompt.system + r.built.prompt.user)
    return {
        **_head(p, target, issue_source),
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
        **_left_out(r.built),
        "model": r.reply.model,
        "tokens": {
            "prompt": r.reply.prompt_tokens,
            "completion": r.reply.completion_tokens,
            "prompt_estimate": estimate,
        },
        "cost_usd": _reply_cost(r, prices),
        "body": r.composed.body,
        "marker": marker_of(r.composed.body),
        "posted": {"review_id": posted.review_id, "url": posted.url} if posted else None,
    }


# -- a dry run, or nothing to review ---------------------------------------------------------
def dry_run_text(
    p: Prepared,
    *,
    target: Target,
    issue_source: str,
    answer_tokens: int,
    prices: Mapping[str, Price],
) -> str:
    lines = [
        f"Dry run: {_what(target)}, round {p.plan.round} over {_range(p.plan.base, p.plan.head)}."
    ]
    lines.append(_issue_line(p, issue_source))
    if isinstance(p.built, NothingToReview):
        lines.append("Nothing to review: every file was left out, so no model would be asked.")
    else:
        prompt = p.built.prompt
        tokens = estimate_tokens(prompt.system + prompt.user)
        ask = estimated_cost(p.model, prompt_tokens=tokens, completion_tokens=0, prices=prices)
        most = estimated_cost(
            p.model, prompt_tokens=tokens, completion_tokens=answer_tokens, prices=prices
        )
        cost = (
            f"{format_cost(ask)} for the prompt, at most {format_cost(most)} with an answer "
            f"of up to {answer_tokens:,} tokens"
            if ask is not None and most is not None
            else _dollars(None)
        )
        shown = len(p.built.packed.files)
        lines += [
            f"Prompt: {prompt.size:,} characters, about {tokens:,} tokens (offline estimate), "
            f"for model {p.model}.",
            f"Estimated cost: {cost}.",
            f"Files in the prompt: {shown} of {len(p.gathered.files)}.",
        ]
    packed = p.built.packed
    truncated = packed.truncated
    if packed.omitted or truncated:
        lines.append("Left out:")
        for group in group_omitted(packed.omitted):
            lines += [f"- {path}: {group.reason}" for path in group.paths]
            if group.more:
                lines.append(f"- … and {group.more} more: {group.reason}")
        lines += [f"- {path}: cut to fit the model's context" for path in truncated]
    else:
        lines.append("Left out: nothing.")
    return "\n".join(lines) + "\n"


def dry_run_json(
    p: Prepared,
    *,
    target: Target,
    issue_source: str,
    answer_tokens: int,
    prices: Mapping[str, Price],
) -> dict[str, Any]:
    out: dict[str, Any] = {**_head(p, target, issue_source), "dry_run": True}
    if isinstance(p.built, Built):
        prompt = p.built.prompt
        tokens = estimate_tokens(prompt.system + prompt.user)
        out |= {
            "nothing_to_review": False,
            "model": p.model,
            "prompt_chars": prompt.size,
            "prompt_tokens_estimate": tokens,
            "answer_tokens_max": answer_tokens,
            "cost_usd_prompt": estimated_cost(
                p.model, prompt_tokens=tokens, completion_tokens=0, prices=prices
            ),
            "cost_usd_at_most": estimated_cost(
                p.model, prompt_tokens=tokens, completion_tokens=answer_tokens, prices=prices
            ),
            "files_in_prompt": len(p.built.packed.files),
            "prompt": {"system": prompt.system, "user": prompt.user},
        }
    else:
        out |= {"nothing_to_review": True, "files_in_prompt": 0, "prompt": None}
    return out | {"files": len(p.gathered.files)} | _left_out(p.built)


def nothing_text(p: Prepared, *, target: Target, issue_source: str) -> str:
    lines = [
        f"Nothing to review in {_what(target)} over {_range(p.plan.base, p.plan.head)}: "
        "every file was left out, so no model was asked.",
    ]
    lines += [f"- {o.path}: {o.reason}" for o in p.built.packed.omitted]
    return "\n".join(lines) + "\n"


def nothing_json(p: Prepared, *, target: Target, issue_source: str) -> dict[str, Any]:
    return {**_head(p, target, issue_source), "nothing_to_review": True} | _left_out(p.built)


# -- shared pieces -------------------------------------------------------------------------
def _head(p: Prepared, target: Target, issue_source: str) -> dict[str, Any]:
    issue = p.gathered.issue
    return {
        "target": {
            "kind": target.kind,
            "repository": target.repository,
            "number": target.number,
            "where": target.where,
        },
        "round": p.plan.round,
        "base": p.plan.base,
        "head": p.plan.head,
        "range_note": p.plan.range_note,
        "issue": (
            {
                "id": issue.id,
                "title": issue.title,
                "status": issue.status,
                "priority": issue.priority_label,
                "type": issue.issue_type,
                "source": issue_source,
            }
            if issue
            else None
        ),
        "issue_note": p.gathered.issue_note if issue is None else "",
        "notes": list(p.gathered.notes),
        "config_problem": p.loaded.problem,
    }


def _left_out(built: Built | NothingToReview) -> dict[str, Any]:
    packed = built.packed
    return {
        "not_reviewed": [{"path": o.path, "reason": o.reason} for o in packed.omitted],
        "truncated": list(packed.truncated),
    }


def _issue_line(p: Prepared, source: str) -> str:
    issue = p.gathered.issue
    if issue is None:
        return f"Issue: none. {p.gathered.issue_note}"
    return f"Issue: `{issue.id}` {issue.title} (from {source})."


def _what(target: Target) -> str:
    if target.kind == "local":
        return f"{target.where} ({target.repository})"
    return f"{target.repository}#{target.number}"


def _range(base: str, head: str) -> str:
    return f"{base[:12]}..{head[:12]}"


def _reply_cost(r: Reviewed, prices: Mapping[str, Price]) -> float | None:
    return estimated_cost(
        r.reply.model,
        prompt_tokens=r.reply.prompt_tokens,
        completion_tokens=r.reply.completion_tokens,
        prices=prices,
    )


def _dollars(cost: float | None) -> str:
    if cost is None:
        return "unknown (the model is not in the price table; BEADLE_PRICES adds it)"
    return format_cost(cost)
