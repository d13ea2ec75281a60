"""What every adapter's failures share: whether another attempt later could succeed.

An adapter raises its own error class (GitHubError, ModelError); a failure worth retrying is
also an instance of `Transient`, which carries the wait the other side asked for. The worker
decides between a retry and a visible note by that one base class.
"""

from __future__ import annotations


class Transient(Exception):
    """Raised (as a mixin of an adapter's error) for failures worth another attempt later."""

    retry_after: float | None = None  # seconds the other side asked us to wait, if it said
