"""GitHub's failures as Beadle sees them, and how long GitHub asks us to wait (docs/design.md §4)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from bot.errors import Transient


class GitHubError(Exception):
    """A request GitHub refused or could not answer; `status` is None for connection trouble."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class TransientGitHubError(GitHubError, Transient):
    """5xx, 429, a rate-limited 403 or connection trouble: another attempt later may succeed."""


def github_error(
    message: str,
    *,
    status: int | None,
    retry_after: float | None = None,
    rate_limited: bool = False,
) -> GitHubError:
    """The error for a failed request, transient or not by its status.

    5xx, rate limits and connection trouble pass; a 404, a 422 or a refused permission (a 403
    without signs of a rate limit) will not, so they are not worth another attempt.
    """
    transient = status is None or status >= 500 or status == 429
    transient = transient or (status == 403 and rate_limited)
    kind = TransientGitHubError if transient else GitHubError
    return kind(message, status=status, retry_after=retry_after, rate_limited=rate_limited)


def rate_limit_wait(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait before the next request, from GitHub's headers, if it says to wait.
    https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api"""
    lower = {k.lower(): v for k, v in headers.items()}
    retry_after = _float(lower.get("retry-after"))
    if retry_after is not None:
        return max(retry_after, 0.0)
    if lower.get("x-ratelimit-remaining") == "0":
        reset = _float(lower.get("x-ratelimit-reset"))
        if reset is not None:
            return max(reset - (time.time() if now is None else now), 0.0) + 1.0
    return None


def _float(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value))
    except ValueError:
        return None
