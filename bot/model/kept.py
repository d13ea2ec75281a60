"""The model's answer as a job keeps it between attempts: JSON in the job's row; pure.

A job whose review could not be posted is retried; the retry posts the answer it already paid
for instead of asking the model again. The answer is kept with the round it answers (`key`, from
the round plan): when the pull request has moved on, the kept answer no longer applies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.model.answer import ReviewAnswer
from bot.model.reply import ModelReply

VERSION = 1


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    key: str  # the round it answers: bot/review/ledger.py `plan_key`
    reply: ModelReply


def dump(kept: KeptAnswer) -> str:
    r = kept.reply
    return json.dumps(
        {
            "v": VERSION,
            "key": kept.key,
            "model": r.model,
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "cached_tokens": r.cached_tokens,
            "answer": r.answer.model_dump(mode="json"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def load(text: str | None) -> KeptAnswer | None:
    """The kept answer, or None when there is none or it no longer reads (another version of
    the schema): then the model is asked again, which is never wrong, only dearer."""
    if not text:
        return None
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != VERSION:
            return None
        reply = ModelReply(
            answer=ReviewAnswer.model_validate(data["answer"]),
            model=str(data["model"]),
            prompt_tokens=int(data["prompt_tokens"]),
            completion_tokens=int(data["completion_tokens"]),
            cached_tokens=int(data.get("cached_tokens") or 0),
        )
        return KeptAnswer(key=str(data["key"]), reply=reply)
    except (ValueError, KeyError, TypeError, ValidationError):
        return None
