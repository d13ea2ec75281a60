"""Files at the reviewed head, read once per round: the I/O behind evidence and context.

Both the evidence for earlier findings and the context around changed hunks need whole files at
the new head. One request per file (`RepoClient.file_text`), each file at most once per round,
and a file that cannot be read costs only its own excerpt: these are extras, never a reason to
fail the round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.github.client import RepoClient
from bot.github.errors import GitHubError

log = logging.getLogger("beadle.review")
MAX_CHARS = 1_000_000  # larger files are not read for excerpts (generated data, not code)


class Unreadable:
    """A file GitHub would not give (an error, or too large to excerpt)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r})"


class HeadFiles:
    """`read(path)`: the file at `ref`, None when absent, `Unreadable` when it could not be had."""

    def __init__(self, repo: RepoClient, ref: str) -> None:
        self._repo, self._ref = repo, ref
        self._texts: dict[str, str | Unreadable | None] = {}

    @property
    def requests(self) -> int:
        return len(self._texts)

    def read(self, path: str) -> str | Unreadable | None:
        if path not in self._texts:
            self._texts[path] = self._fetch(path)
        return self._texts[path]

    def read_many(self, paths: Iterable[str]) -> dict[str, str]:
        """The files of `paths` that could be read, by path."""
        out: dict[str, str] = {}
        for path in paths:
            text = self.read(path)
            if isinstance(text, str):
                out[path] = text
        return out

    def _fetch(self, path: str) -> str | Unreadable | None:
        try:
            text = self._repo.file_text(path, self._ref)
        except GitHubError as exc:
            log.warning("could not read %s at %s for context: %s", path, self._ref[:12], exc)
            return Unreadable("GitHub did not give the file")
        if text is not None and len(text) > MAX_CHARS:
            return Unreadable("too large to excerpt")
        return text
