"""The model adapter: the openai SDK's Chat Completions with a JSON-schema response format.

Chat Completions with `response_format` is the form OpenAI-compatible servers (vLLM, Ollama,
Azure) accept too. The SDK retries 429 (honouring retry-after), 5xx, timeouts and connection
errors with backoff; what outlasts those retries becomes a ModelError for the job queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import openai
from pydantic import ValidationError

from bot.model.answer import ReviewAnswer
from bot.model.prices import DEFAULT_PRICES, Price, Usage, cost_usd, price_for
from bot.model.reply import (  # noqa: F401  (re-exported: the adapter's errors and reply)
    ModelError,
    ModelReply,
    ReviewModel,
    TransientModelError,
    model_error,
)

if TYPE_CHECKING:
    from bot.metrics import Metrics


class OpenAIReviewer:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        timeout: float,
        max_retries: int = 3,
        metrics: Metrics | None = None,
        prices: Mapping[str, Price] | None = None,
    ) -> None:
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        # Every answered call counts its tokens, and its cost at the operator's prices
        # (the built-in table and BEADLE_PRICES; a repository's `prices:` never reprices these).
        self._metrics = metrics
        self._prices = prices or {}

    def __repr__(self) -> str:  # never the key
        return f"OpenAIReviewer(base_url={str(self._client.base_url)!r})"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url).rstrip("/")

    def review(self, *, system: str, prompt: str, model: str, max_tokens: int) -> ModelReply:
        reply = self._ask(system=system, prompt=prompt, model=model, max_tokens=max_tokens)
        if self._metrics is not None:
            usage = Usage(reply.prompt_tokens, reply.completion_tokens, reply.cached_tokens)
            self._metrics.model_call(
                prompt=usage.prompt_tokens,
                completion=usage.completion_tokens,
                cached=usage.cached_tokens,
                cost_usd=cost_usd(usage, price_for(reply.model, DEFAULT_PRICES, self._prices)),
            )
        return reply

    def _ask(self, *, system: str, prompt: str, model: str, max_tokens: int) -> ModelReply:
        try:
            completion = self._client.chat.completions.parse(
                model=model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": prompt},
                ],
                response_format=ReviewAnswer,
                max_completion_tokens=max_tokens,
            )
        except (openai.RateLimitError, openai.InternalServerError) as exc:
            raise model_error(
                f"model API answered {exc.status_code} after retries",
                transient=True,
                retry_after=_retry_after(exc),
            ) from None
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise model_error(
                f"model API unreachable after retries: {type(exc).__name__}", transient=True
            ) from None
        except openai.LengthFinishReasonError:
            raise model_error(
                "the model's answer was cut off at the token limit", transient=False
            ) from None
        except openai.APIStatusError as exc:
            raise model_error(
                f"model API refused the request ({exc.status_code}): {_message(exc)}",
                transient=exc.status_code >= 500,
            ) from None
        except (ValidationError, ValueError) as exc:
            raise model_error(
                f"the model's answer did not match the review schema: {str(exc)[:300]}",
                transient=True,
            ) from None
        choice = completion.choices[0]
        if choice.message.refusal:
            raise model_error(f"the model refused: {choice.message.refusal[:300]}", transient=False)
        if choice.message.parsed is None:
            raise model_error("the model returned no answer", transient=True)
        usage = completion.usage
        details = getattr(usage, "prompt_tokens_details", None)  # absent from older SDKs
        return ModelReply(
            answer=choice.message.parsed,
            model=completion.model or model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            # OpenAI reports the cached prefix here; servers that do not cache leave it out
            cached_tokens=(details.cached_tokens or 0) if details else 0,
        )


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return exc.message[:300]
