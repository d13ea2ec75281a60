"""Test-side fakes: a real git repository and a fake GitHub REST server on loopback.

Names are imported lazily, so `tests.fakes.<module>` imports stay cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .github import FakeGitHub
    from .github_state import RecordedRequest
    from .gitrepo import GitRepo

__all__ = ["FakeGitHub", "GitRepo", "RecordedRequest"]


def __getattr__(name: str) -> Any:
    if name == "FakeGitHub":
        from .github import FakeGitHub

        return FakeGitHub
    if name == "GitRepo":
        from .gitrepo import GitRepo

        return GitRepo
    if name == "RecordedRequest":
        from .github_state import RecordedRequest

        return RecordedRequest
    raise AttributeError(name)
