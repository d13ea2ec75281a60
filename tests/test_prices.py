"""What a review cost: the price table, overrides, and "cost unknown" rather than a guess."""

from __future__ import annotations

import pytest

from bot.model.prices import (
    DEFAULT_PRICES,
    Usage,
    cost_usd,
    format_cost,
    parse_prices,
    price_for,
)


def test_a_priced_model_costs_input_cached_input_and_output_at_their_rates() -> None:
    price = price_for("gpt-4.1", DEFAULT_PRICES)
    usage = Usage(prompt_tokens=100_000, completion_tokens=2_000, cached_tokens=40_000)
    # 60k x $2 + 40k x $0.50 + 2k x $8, per million
    assert cost_usd(usage, price) == pytest.approx(0.12 + 0.02 + 0.016)
    assert format_cost(cost_usd(usage, price)) == "$0.1560"


def test_a_dated_snapshot_is_priced_as_its_model() -> None:
    assert price_for("gpt-4.1-mini-2025-04-14", DEFAULT_PRICES) == DEFAULT_PRICES["gpt-4.1-mini"]


def test_an_unknown_model_says_cost_unknown() -> None:
    price = price_for("llama-3.1-70b-instruct", DEFAULT_PRICES)
    assert price is None
    assert format_cost(cost_usd(Usage(1000, 100), price)) == "cost unknown"


def test_operator_and_repository_prices_override_the_table_in_that_order() -> None:
    operator = parse_prices(
        '{"gpt-4.1": {"input": 1, "output": 4}, "local": {"input": 0, "output": 0}}'
    )
    repository = parse_prices('{"gpt-4.1": {"input": 3, "cached_input": 1, "output": 9}}')
    assert price_for("local", DEFAULT_PRICES, operator) is not None
    assert price_for("gpt-4.1", DEFAULT_PRICES, operator).input == 1  # type: ignore[union-attr]
    assert price_for("gpt-4.1", DEFAULT_PRICES, operator, repository).input == 3  # type: ignore[union-attr]
    # Without a cached rate, cached tokens cost the input rate.
    assert cost_usd(Usage(1_000_000, 0, 500_000), operator["gpt-4.1"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must map model names"),
        ('{"m": {"input": -1, "output": 1}}', "m.input"),
        ('{"m": {"input": 1}}', "m.output"),
        ('{"m": {"input": 1, "output": 1, "extra": 2}}', "m.extra"),
    ],
)
def test_a_bad_price_setting_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_prices(text)


def test_a_snapshot_name_cannot_reprice_what_a_later_table_knows() -> None:
    """OpenAI reports dated snapshots: a repository's price for `gpt-4.1-2025-04-14` must not
    beat the operator's `gpt-4.1` when the operator's table comes later."""
    repository = parse_prices('{"gpt-4.1-2025-04-14": {"input": 0, "output": 0}}')
    price = price_for("gpt-4.1-2025-04-14", repository, DEFAULT_PRICES)
    assert price == DEFAULT_PRICES["gpt-4.1"]
