"""What the model adapter gives the review layer: the reply, its port and its errors.

Kept apart from bot/model/client.py so the review layer, the worker and `beadle review
--dry-run` import no openai SDK (about 0.6 s of start-up) until a model is really asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.errors import Transient
from bot.model.answer import ReviewAnswer


class ModelError(Exception):
    """The model could not give a review: refused, cut off, or an answer outside the schema."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientModelError(ModelError, Transient):
    """Rate limits, 5xx, timeouts, an answer that did not parse: worth another attempt later."""


def model_error(message: str, *, transient: bool, retry_after: float | None = None) -> ModelError:
    kind = TransientModelError if transient else ModelError
    return kind(message, retry_after=retry_after)


@dataclass(frozen=True, slots=True)
class ModelReply:
    answer: ReviewAnswer
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0  # prompt tokens the provider served from its prefix cache


class ReviewModel(Protocol):
    def review(self, *, system: str, prompt: str, model: str, max_tokens: int) -> ModelReply: ...
