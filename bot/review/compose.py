"""The pure steps of a review round: build the prompt from what was gathered, then compose what
to post from the model's answer. No I/O: `bot/review/round.py` reads and writes around them.

    plan_round (plan.py) → gather (I/O) → build_prompt → the model (I/O) → compose_review → post (I/O)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.github.client import PullInfo
from bot.model.answer import Verdict
from bot.model.client import ModelReply
from bot.review import check_run
from bot.review.budget import PackedDiff, estimate_tokens, pack
from bot.review.comment import ReviewView, inline_comments, review_body
from bot.review.findings import Checked, check
from bot.review.gather import Gathered
from bot.review.plan import RoundPlan
from bot.review.prompt import Prompt, PromptInput, render_prompt
from bot.review.repo_config import LoadedConfig


@dataclass(frozen=True, slots=True)
class Limits:
    """The model's window and the room kept for its answer, in tokens."""

    context_tokens: int
    answer_tokens: int


@dataclass(frozen=True, slots=True)
class Built:
    prompt: Prompt
    packed: PackedDiff


@dataclass(frozen=True, slots=True)
class NothingToReview:
    """Every file was left out (lockfiles only, an empty range): no model call."""

    packed: PackedDiff

    def check_summary(self) -> list[str]:
        return [f"{o.path}: {o.reason}" for o in self.packed.omitted]


@dataclass(frozen=True, slots=True)
class Composed:
    body: str
    comments: list[dict[str, object]]
    checked: Checked
    verdict: Verdict


def build_prompt(
    plan: RoundPlan, pr: PullInfo, got: Gathered, loaded: LoadedConfig, limits: Limits
) -> Built | NothingToReview:
    """The prompt with as much of the diff as fits: the frame (issue, documents, earlier findings,
    instructions) is measured first, and the diff gets what is left of the window, less 5 %."""
    repo_cfg = loaded.config
    base_input = PromptInput(
        round=plan.round,
        pr_title=pr.title,
        pr_body=pr.body,
        base_sha=plan.base,
        head_sha=plan.head,
        diff="",
        issue=got.issue,
        issue_note=got.issue_note,
        other_issues=got.other_issues,
        range_note=plan.range_note,
        documents=got.documents,
        earlier=plan.earlier,
        extra_instructions=repo_cfg.instructions,
        previous_head=plan.previous_head,
    )
    frame = render_prompt(base_input)
    limit = (repo_cfg.context_tokens or limits.context_tokens) - limits.answer_tokens
    room = limit - estimate_tokens(frame.system + frame.user)
    margin = room // 20
    budget = max(room - margin, 0)
    while True:
        packed = pack(got.files, budget_tokens=budget, ignore=repo_cfg.ignore)
        if not packed.files:
            return NothingToReview(packed)
        prompt = render_prompt(replace(base_input, diff=packed.text, omitted=packed.omitted))
        # The "not included" list is part of the prompt too: when it pushes the whole past the
        # window, give the diff that much less and pack again.
        over = estimate_tokens(prompt.system + prompt.user) - (limit - margin)
        if over <= 0 or budget == 0:
            return Built(prompt=prompt, packed=packed)
        budget = max(budget - over, 0)


def compose_review(
    plan: RoundPlan,
    pr: PullInfo,
    got: Gathered,
    loaded: LoadedConfig,
    built: Built,
    reply: ModelReply,
    *,
    job_key: str,
) -> Composed:
    """The review body (with its marker), the inline comments and what the check run needs."""
    checked = check(reply.answer, built.packed.files, earlier=plan.earlier, counters=plan.counters)
    notes = [n for n in (got.issue_note if got.issue is None else None, loaded.problem) if n]
    notes += got.notes
    if plan.range_note:
        notes.append(plan.range_note[0].upper() + plan.range_note[1:])
    view = ReviewView(
        round=plan.round,
        base_sha=plan.base,
        head_sha=plan.head,
        blob_url=f"{pr.repo_html_url}/blob/{plan.head}",
        issue_id=got.issue.id if got.issue else None,
        issue_title=got.issue.title if got.issue else None,
        issue_source=got.issue_source,
        other_issues=got.other_issues,
        answer=reply.answer,
        checked=checked,
        model=reply.model,
        prompt_tokens=reply.prompt_tokens,
        completion_tokens=reply.completion_tokens,
        omitted=built.packed.omitted,
        truncated=built.packed.truncated,
        notes=notes,
        job_key=job_key,
    )
    return Composed(
        body=review_body(view),
        comments=inline_comments(checked),
        checked=checked,
        verdict=reply.answer.assessment.ready_to_merge,
    )


def completed_check(
    composed: Composed, plan: RoundPlan, pr: PullInfo, loaded: LoadedConfig, review_id: int | None
) -> dict[str, Any]:
    """The check run's final payload, linking the review once GitHub gave it an id."""
    return check_run.completed(
        composed.checked,
        composed.verdict,
        round_=plan.round,
        review_url=f"{pr.html_url}#pullrequestreview-{review_id}" if review_id else "",
        critical_fails=loaded.config.critical_fails_check,
    )
