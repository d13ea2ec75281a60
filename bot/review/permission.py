"""Whether the person who asked for a review may: write access, read from GitHub when their
author association did not prove it (`verify_permission`), believed for a minute.

A permission that could not be read (GitHub 5xx or timeouts after the client's retries) raises
PermissionUnread: the job is retried as usual, and when it is given up it is buried quietly,
because Beadle posts nothing on behalf of someone whose write access it never confirmed.
"""

from __future__ import annotations

from dataclasses import replace

from bot.errors import Transient
from bot.github.client import RepoClient
from bot.github.errors import GitHubError
from bot.queue.request import ReviewRequest
from bot.review.config_cache import TtlCache

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


class PermissionUnread(GitHubError):
    """The requester's permission could not be read; nothing may be said on their behalf."""


class TransientPermissionUnread(PermissionUnread, Transient):
    """… and another attempt later may read it."""


def permitted(
    repo: RepoClient, request: ReviewRequest, cache: TtlCache[str]
) -> ReviewRequest | str:
    """The request as the first asker with write access asked for it (strongest mode first),
    or why nobody who asked may."""
    if not request.verify_permission:
        return request
    askers = request.askers()
    if not askers:
        return "/review refused: nobody to check the permission of"
    refusals = []
    for who, mode in askers:
        why = refusal(repo, who, cache)
        if why is None:
            return replace(request, requested_by=who, mode=mode)
        refusals.append(why)
    return "; ".join(refusals)


def refusal(repo: RepoClient, who: str, cache: TtlCache[str]) -> str | None:
    """Why `who` may not ask for a review, or None when they may."""
    try:
        permission = cache.get((repo.full_name, who), lambda: repo.permission(who))
    except GitHubError as exc:
        kind = TransientPermissionUnread if isinstance(exc, Transient) else PermissionUnread
        raise kind(
            f"the permission of {who} could not be read: {exc}",
            status=exc.status,
            retry_after=exc.retry_after,
            rate_limited=exc.rate_limited,
        ) from exc
    if permission not in WRITE_PERMISSIONS:
        return f"/review by {who} refused (permission {permission!r})"
    return None
