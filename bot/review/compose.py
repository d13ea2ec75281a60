"""The steps of a review round between its reads and writes: build the prompt from what was
gathered, then compose what to post from the model's answer. No I/O but loading the templates:
`bot/review/round.py` reads and writes around them.

    plan_round (plan.py) → gather (I/O) → build_prompt → the model (I/O) → compose_review → post (I/O)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.github.client import PullInfo
from bot.model.answer import Verdict
from bot.model.prices import DEFAULT_PRICES, Price, Usage, cost_usd, price_for
from bot.model.reply import ModelReply
from bot.review import check_run
from bot.review.budget import PackedDiff, estimate_tokens, pack
from bot.review.comment import ReviewView, inline_comments, review_body
from bot.review.context import ContextItem, fit_context
from bot.review.evidence import Evidence
from bot.review.findings import Checked, check
from bot.review.frame import cut_note, fit_frame
from bot.review.gather import Gathered
from bot.review.plan import RoundPlan
from bot.review.prompt import Prompt, PromptInput, render_prompt
from bot.review.repo_config import LoadedConfig


@dataclass(frozen=True, slots=True)
class Limits:
    """The model's window and the room kept for its answer, in tokens."""

    context_tokens: int
    answer_tokens: int


CONTEXT_TOKENS = 12_000  # context beyond the diff never costs more than this
MIN_CONTEXT_ROOM = 400  # below this, no file is read for context at all


@dataclass(frozen=True, slots=True)
class Built:
    prompt: Prompt
    packed: PackedDiff
    input: PromptInput | None = None  # what `prompt` was rendered from
    room: int = 0  # tokens the window has left after `prompt`: all context may take
    cuts: tuple[str, ...] = ()  # what of the issue, documents, evidence was left out to fit

    @property
    def context_room(self) -> int:
        return min(self.room, CONTEXT_TOKENS)


@dataclass(frozen=True, slots=True)
class NothingToReview:
    """Every file was left out (lockfiles only, an empty range): no model call."""

    packed: PackedDiff
    cuts: tuple[str, ...] = ()

    def check_summary(self) -> list[str]:
        return [f"{o.path}: {o.reason}" for o in self.packed.omitted]

    @property
    def over_budget(self) -> bool:
        """Files were left out only for want of room: a failure to say on the PR, not a
        change with nothing to review."""
        return any(o.reason == "over the budget" for o in self.packed.omitted)


@dataclass(frozen=True, slots=True)
class Composed:
    body: str
    comments: list[dict[str, object]]
    checked: Checked
    verdict: Verdict
    usage: Usage | None = None  # the model call's tokens
    cost_usd: float | None = None  # their estimated cost; None: the model has no known price


def build_prompt(
    plan: RoundPlan,
    pr: PullInfo,
    got: Gathered,
    loaded: LoadedConfig,
    limits: Limits,
    *,
    evidence: Sequence[Evidence] = (),
) -> Built | NothingToReview:
    """The prompt with as much of the diff as fits: the frame (issue, documents, earlier findings
    and the code at them now, instructions) is measured first, and the diff gets what is left
    of the window, less 5 %. Context beyond the diff comes after, in what the diff left
    (`add_context`)."""
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
        evidence=evidence,
    )
    limit = (repo_cfg.context_tokens or limits.context_tokens) - limits.answer_tokens
    framed = fit_frame(
        base_input,
        limit=limit,
        diff_tokens=sum(estimate_tokens(f.patch) for f in got.files),
        measure=_measure,
    )
    base_input = framed.input
    frame = render_prompt(base_input)
    room = limit - estimate_tokens(frame.system + frame.user)
    margin = room // 20
    budget = max(room - margin, 0)
    while True:
        packed = pack(got.files, budget_tokens=budget, ignore=repo_cfg.ignore)
        if not packed.files:
            return NothingToReview(packed, cuts=framed.cuts)
        current = replace(base_input, diff=packed.text, omitted=packed.omitted)
        prompt = render_prompt(current)
        # The "not included" list is part of the prompt too: when it pushes the whole past the
        # window, give the diff that much less and pack again.
        over = estimate_tokens(prompt.system + prompt.user) - (limit - margin)
        if over <= 0 or budget == 0:
            return Built(
                prompt=prompt,
                packed=packed,
                input=current,
                room=max(-over, 0),
                cuts=framed.cuts,
            )
        budget = max(budget - over, 0)


def add_context(built: Built, items: Sequence[ContextItem] | None) -> Built:
    """The prompt with the context that fits the room the diff left; the diff, the "not
    included" list and everything else stay as they are. `items=None`: none was read because
    there was no room, which the prompt then says, as it says how much was cut."""
    if built.input is None or (items is not None and not items):
        return built
    total = estimate_tokens(built.prompt.system + built.prompt.user) + built.room
    kept, cut = fit_context(items or (), built.context_room)
    while True:
        note = _context_note(len(items) if items is not None else None, cut)
        if not kept and note is None:
            return built
        prompt = render_prompt(replace(built.input, context=kept, context_note=note))
        over = estimate_tokens(prompt.system + prompt.user) - total
        if over <= 0:
            return replace(built, prompt=prompt, room=-over)
        if not kept:
            return built  # not even the note fits: the prompt stays as the diff left it
        kept, cut = kept[:-1], cut + 1


def _context_note(offered: int | None, cut: int) -> str | None:
    if offered is None:
        return "no context beyond the diff was added: the diff fills the model's window."
    if not cut:
        return None
    if cut == offered:
        return "the context beyond the diff was left out: the diff fills the model's window."
    return f"{cut} of {offered} context excerpts were left out to fit the model's window."


def compose_review(
    plan: RoundPlan,
    pr: PullInfo,
    got: Gathered,
    loaded: LoadedConfig,
    built: Built,
    reply: ModelReply,
    *,
    job_key: str,
    prices: Mapping[str, Price] | None = None,
) -> Composed:
    """The review body (with its marker), the inline comments and what the check run needs.

    The footer's cost is the reply's tokens at the price of the model that answered: from
    `prices` (BEADLE_PRICES), else the built-in table, else the repository's `prices:`, which
    can price a model Beadle does not know but not reprice one it does."""
    checked = check(reply.answer, built.packed.files, earlier=plan.earlier, counters=plan.counters)
    notes = [n for n in (got.issue_note if got.issue is None else None, loaded.problem) if n]
    notes += got.notes
    if (cut := cut_note(built.cuts)) is not None:
        notes.append(cut)
    if plan.range_note:
        notes.append(plan.range_note[0].upper() + plan.range_note[1:])
    usage = Usage(reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens)
    price = price_for(reply.model, loaded.config.prices, DEFAULT_PRICES, prices or {})
    cost = cost_usd(usage, price)
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
        cached_tokens=reply.cached_tokens,
        omitted=built.packed.omitted,
        truncated=built.packed.truncated,
        notes=notes,
        job_key=job_key,
        cost_usd=cost,
    )
    return Composed(
        body=review_body(view),
        comments=inline_comments(checked),
        checked=checked,
        verdict=reply.answer.assessment.ready_to_merge,
        usage=usage,
        cost_usd=cost,
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


def _measure(p: PromptInput) -> int:
    rendered = render_prompt(p)
    return estimate_tokens(rendered.system + rendered.user)
