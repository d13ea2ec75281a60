"""What a review cost: a price table for common OpenAI models, and the arithmetic. Pure.

Prices are US dollars per million tokens, as OpenAI lists them (https://openai.com/api/pricing/,
read 2026-11). They change: an operator overrides or adds models with `BEADLE_PRICES` (JSON, the
same shape as `DEFAULT_PRICES`), and a repository with `prices:` in `.github/beadle.yml`. A model
the table does not know costs "unknown": Beadle never guesses a price.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Price(BaseModel):
    """Dollars per million tokens; `cached_input` is what a prompt-cache hit costs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    output: float = Field(ge=0)


def _p(input: float, cached_input: float, output: float) -> Price:
    return Price(input=input, cached_input=cached_input, output=output)


DEFAULT_PRICES: Mapping[str, Price] = {
    "gpt-5": _p(1.25, 0.125, 10.00),
    "gpt-5-mini": _p(0.25, 0.025, 2.00),
    "gpt-5-nano": _p(0.05, 0.005, 0.40),
    "gpt-4.1": _p(2.00, 0.50, 8.00),
    "gpt-4.1-mini": _p(0.40, 0.10, 1.60),
    "gpt-4.1-nano": _p(0.10, 0.025, 0.40),
    "gpt-4o": _p(2.50, 1.25, 10.00),
    "gpt-4o-mini": _p(0.15, 0.075, 0.60),
    "o3": _p(2.00, 0.50, 8.00),
    "o3-mini": _p(1.10, 0.55, 4.40),
    "o4-mini": _p(1.10, 0.275, 4.40),
}

# A dated snapshot (`gpt-4.1-2025-04-14`) is priced as its model.
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0  # of the prompt tokens, those the provider served from its cache


def parse_prices(text: str | None) -> dict[str, Price]:
    """`BEADLE_PRICES`: `{"model": {"input": 2.0, "cached_input": 0.5, "output": 8.0}}`.
    ValueError names what is wrong, so a bad setting stops start-up with one line."""
    if not text or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"BEADLE_PRICES is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("BEADLE_PRICES must map model names to prices")
    prices = {}
    for name, value in data.items():
        try:
            prices[str(name)] = Price.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in (name, *first["loc"]))
            raise ValueError(f"BEADLE_PRICES: {where}: {first['msg']}") from None
    return prices


def price_for(model: str, *tables: Mapping[str, Price]) -> Price | None:
    """The model's price from the last table that knows it (later tables override earlier),
    under its own name or as its dated snapshot's model: a table earlier in the list cannot
    reprice a model a later one knows by either name."""
    names = (model, _SNAPSHOT.sub("", model))
    for table in reversed(tables):
        for name in names:
            if name in table:
                return table[name]
    return None


def cost_usd(usage: Usage, price: Price | None) -> float | None:
    """Dollars for one model call, or None when the price is unknown."""
    if price is None:
        return None
    cached = min(max(usage.cached_tokens, 0), usage.prompt_tokens)
    cached_rate = price.input if price.cached_input is None else price.cached_input
    dollars = (
        (usage.prompt_tokens - cached) * price.input
        + cached * cached_rate
        + usage.completion_tokens * price.output
    )
    return dollars / 1_000_000


def format_cost(dollars: float | None) -> str:
    """`$0.0123`, `<$0.0001`, or "cost unknown"."""
    if dollars is None:
        return "cost unknown"
    if 0 < dollars < 0.0001:
        return "<$0.0001"
    return f"${dollars:.4f}" if dollars < 1 else f"${dollars:.2f}"
