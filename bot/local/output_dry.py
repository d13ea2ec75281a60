"""What `beadle review --dry-run` prints: the prompt's size, its estimated tokens and cost, and
what was left out; and what a range with nothing to review prints. Pure.
"""

from __future__ import annotations

from typing import Any

from bot.local.output import (
    Prices,
    Shown,
    estimated_cost,
    head_fields,
    issue_line,
    left_out,
    left_out_lines,
    range_text,
    what,
)
from bot.model.prices import format_cost
from bot.review.budget import estimate_tokens
from bot.review.compose import Built, NothingToReview


def dry_run_text(s: Shown, *, answer_tokens: int, prices: Prices) -> str:
    r = s.record
    lines = [
        f"Dry run: {what(s.target)}, round {r.plan.round} over {range_text(r)}.",
        issue_line(s),
    ]
    if isinstance(r.built, NothingToReview):
        lines.append("Nothing to review: every file was left out, so no model would be asked.")
    else:
        prompt = r.built.prompt
        tokens = estimate_tokens(prompt.system + prompt.user)
        ask = estimated_cost(s.model, prompt_tokens=tokens, completion_tokens=0, prices=prices)
        most = estimated_cost(
            s.model, prompt_tokens=tokens, completion_tokens=answer_tokens, prices=prices
        )
        cost = (
            f"{format_cost(ask)} for the prompt, at most {format_cost(most)} with an answer "
            f"of up to {answer_tokens:,} tokens"
            if ask is not None and most is not None
            else "unknown (the model is in no price table; BEADLE_PRICES adds it)"
        )
        lines += [
            f"Prompt: {prompt.size:,} characters, about {tokens:,} tokens (offline estimate), "
            f"for model {s.model}.",
            f"Estimated cost: {cost}.",
            f"Files in the prompt: {len(r.built.packed.files)} of {len(r.gathered.files)}.",
        ]
    lines += left_out_lines(r.built)
    return "\n".join(lines) + "\n"


def dry_run_json(s: Shown, *, answer_tokens: int, prices: Prices) -> dict[str, Any]:
    r = s.record
    out: dict[str, Any] = {**head_fields(s), "dry_run": True}
    if isinstance(r.built, Built):
        prompt = r.built.prompt
        tokens = estimate_tokens(prompt.system + prompt.user)
        out |= {
            "nothing_to_review": False,
            "model": s.model,
            "prompt_chars": prompt.size,
            "prompt_tokens_estimate": tokens,
            "answer_tokens_max": answer_tokens,
            "cost_usd_prompt": estimated_cost(
                s.model, prompt_tokens=tokens, completion_tokens=0, prices=prices
            ),
            "cost_usd_at_most": estimated_cost(
                s.model, prompt_tokens=tokens, completion_tokens=answer_tokens, prices=prices
            ),
            "files_in_prompt": len(r.built.packed.files),
            "prompt": {"system": prompt.system, "user": prompt.user},
        }
    else:
        out |= {"nothing_to_review": True, "files_in_prompt": 0, "prompt": None}
    return out | {"files": len(r.gathered.files)} | left_out(r.built)


def nothing_text(s: Shown) -> str:
    r = s.record
    lines = [
        f"Nothing to review in {what(s.target)} over {range_text(r)}: every file was left out, "
        "so no model was asked."
    ]
    return "\n".join(lines + left_out_lines(r.built)[1:]) + "\n"


def nothing_json(s: Shown) -> dict[str, Any]:
    return {**head_fields(s), "nothing_to_review": True} | left_out(s.record.built)
