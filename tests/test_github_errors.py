"""Which GitHub failures are worth another attempt, and how long to wait (docs/design.md §4)."""

import pytest

from bot.errors import Transient
from bot.github.errors import github_error, rate_limit_wait


@pytest.mark.parametrize(
    ("status", "limited", "transient"),
    [
        (None, False, True),
        (500, False, True),
        (502, False, True),
        (429, False, True),
        (403, True, True),
        (403, False, False),
        (404, False, False),
        (422, False, False),
        (401, False, False),
    ],
)
def test_transient_failures(status, limited, transient):
    error = github_error("x", status=status, rate_limited=limited)
    assert isinstance(error, Transient) is transient


def test_retry_after_wins():
    assert rate_limit_wait({"Retry-After": "30", "X-RateLimit-Remaining": "0"}) == 30.0


def test_exhausted_primary_limit_waits_for_the_reset():
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}
    assert rate_limit_wait(headers, now=940.0) == 61.0
    assert rate_limit_wait(headers, now=2000.0) == 1.0


def test_no_sign_of_a_limit_means_no_wait():
    assert rate_limit_wait({"x-ratelimit-remaining": "12"}) is None
