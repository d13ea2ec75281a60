"""Find the beads issue a pull request implements, in whichever source the repository keeps it.

The entry point of bot/beads/sources: `BeadsSources.find` reads the sources bot/beads/sources/
plan.py orders, one after another, until one holds the id the pull request names (found by
bot/beads/ids.py, which ranks ids better once it knows the source's ids and the project's
`issue-prefix`). A source that fails for good is named in a note and skipped; a review always
gets either the issue or a note that says why there is none and what to do about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.beads import context
from bot.beads.beads_config import PATH as CONFIG_PATH
from bot.beads.beads_config import BeadsConfig, parse_beads_config
from bot.beads.dolt import BlobCache
from bot.beads.ids import find_issue_ids
from bot.beads.sources.answer import IssueLookup, answer
from bot.beads.sources.catalogs import Catalog, Hit
from bot.beads.sources.dolt import open_dolt
from bot.beads.sources.files import RoundReads, SourceFailed, load
from bot.beads.sources.memo import Memo
from bot.beads.sources.notes import DoltState, Looked, Note
from bot.beads.sources.plan import FileSource, SourceSettings, plan_sources
from bot.beads.sources.ports import BeadsRepo

log = logging.getLogger("beadle.beads")
SETTINGS_FILE = ".github/beadle.yml"


@dataclass(frozen=True, slots=True)
class PullText:
    """Where a pull request names its issue (commit messages are asked for only if needed)."""

    title: str
    body: str | None
    branch: str


class BeadsSources:
    """The beads sources of every repository this process reviews, and their caches: parses in
    memory by blob SHA (`memo`), Dolt blobs on disk (`cache_dir`/blobs). `errors` are the
    repository client's failures, which become notes instead of failed reviews."""

    def __init__(
        self,
        *,
        errors: tuple[type[Exception], ...],
        memo: Memo | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.errors = errors
        self.memo = memo or Memo()
        self.cache_dir = cache_dir
        self._blobs: BlobCache | None = None

    def blobs(self) -> BlobCache | None:
        """The on-disk blob cache, made on first use; None (no disk cache) if it cannot be."""
        if self._blobs is None and self.cache_dir is not None:
            try:
                self._blobs = BlobCache(self.cache_dir / "blobs")
            except OSError as exc:
                log.warning("no blob cache in %s: %s", self.cache_dir, exc)
                self.cache_dir = None
        return self._blobs

    def find(
        self,
        repo: BeadsRepo,
        *,
        head: str,
        pull: PullText,
        commit_messages: Callable[[], Sequence[str]],
        settings: SourceSettings = SourceSettings(),  # noqa: B008  (frozen, never mutated)
    ) -> IssueLookup:
        return _Run(self, repo, head, pull, commit_messages, settings).result()


class _Run:
    """One lookup: what was read so far, what was found, what to say."""

    def __init__(
        self,
        sources: BeadsSources,
        repo: BeadsRepo,
        head: str,
        pull: PullText,
        commit_messages: Callable[[], Sequence[str]],
        settings: SourceSettings,
    ) -> None:
        self.sources, self.repo, self.pull, self.settings = sources, repo, pull, settings
        self.reads = RoundReads(repo, head, sources.memo, sources.errors)
        self._commit_messages = commit_messages
        self.messages: Sequence[str] | None = None
        self.catalogs: list[Catalog] = []
        self.known: set[str] = set()
        self.notes: list[Note] = []
        self.looked: list[Looked] = []
        self.ids: list[str] = []
        self.deleted: tuple[str, Catalog] | None = None
        self.dolt: DoltState = "off"
        self.prefix: str | None = None

    def result(self) -> IssueLookup:
        if self.settings.source == "none":
            return IssueLookup(None, reason=Note("off", setting=SETTINGS_FILE))
        config = self._config()
        self.prefix = config.issue_prefix
        plan = plan_sources(self.settings, config)
        for source in plan.files:
            if self._load(source) and (hit := self._search(messages=False)):
                return self._found(*hit)
        if hit := self._search(messages=True):
            return self._found(*hit)
        if plan.dolt:
            self.dolt = "not_tried"
            if self.ids:
                self._open_dolt()
                if hit := self._search(messages=True, any_id=True):
                    return self._found(*hit)
        if hit := self._search(messages=True, any_id=True):
            return self._found(*hit)
        return IssueLookup(None, reason=self._reason(), notes=tuple(self.notes))

    # -- reading -------------------------------------------------------------------------
    def _config(self) -> BeadsConfig:
        try:
            found = self.reads.text(CONFIG_PATH)
        except SourceFailed as exc:
            self._unreadable(exc)
            return BeadsConfig()
        if found is None:
            return BeadsConfig()
        text, sha = found
        config = self.sources.memo.load(
            ("beads-config", sha), lambda: (parse_beads_config(text), 1000)
        )
        if config.problem:
            self.notes.append(Note("config", path=CONFIG_PATH, reason=config.problem))
        return config

    def _load(self, source: FileSource) -> bool:
        """Read one file source into `catalogs`; whether it added one."""
        try:
            if source.branch is not None and self.reads.commit(source.branch) is None:
                self._no_branch(source.branch)
                return False
            catalog, failed = load(self.reads, source)
        except SourceFailed as exc:
            self._unreadable(exc)
            self.looked.append(Looked(source.path, source.branch))
            return False
        for side in failed:
            self._unreadable(side)
        self.looked.append(Looked(source.path, source.branch, found=catalog is not None))
        if catalog is None:
            return False
        self.catalogs.append(catalog)
        self.known.update(catalog.ids())
        return True

    def _unreadable(self, exc: SourceFailed) -> None:
        """Name a failed read once, however many sources it stood in the way of."""
        note = Note("unreadable", path=exc.path, branch=exc.branch, reason=exc.reason)
        if note not in self.notes:
            self.notes.append(note)

    def _no_branch(self, branch: str) -> None:
        if any(n.kind == "no_branch" and n.branch == branch for n in self.notes):
            return
        where = SETTINGS_FILE if branch == self.settings.ref else CONFIG_PATH
        self.notes.append(Note("no_branch", branch=branch, setting=where))

    def _open_dolt(self) -> None:
        try:
            catalog = open_dolt(
                self.repo, self.sources.memo, self.sources.blobs(), self.sources.errors
            )
        except SourceFailed as exc:
            self.dolt = "unreadable"
            self._unreadable(exc)
            return
        if catalog is None:
            self.dolt = "absent"
            return
        self.dolt = "read"
        self.catalogs.append(catalog)
        self.known.update(catalog.ids())

    def _messages(self) -> Sequence[str]:
        if self.messages is None:
            self.messages = self._commit_messages()
        return self.messages

    # -- finding -------------------------------------------------------------------------
    def _search(self, *, messages: bool, any_id: bool = False) -> tuple[str, Catalog, Hit] | None:
        """The first id (or, `any_id`, any id the pull request names) that a loaded source holds.
        Commit messages are read only when the title, body and branch name did not do."""
        self.ids = self._find_ids(self.messages or ())
        if messages and self.messages is None and not self._held(self.ids[:1]):
            self.ids = self._find_ids(self._messages())
        for issue_id in self.ids if any_id else self.ids[:1]:
            for catalog in self.catalogs:
                hit = self._hit(catalog, issue_id)
                if hit is None:
                    continue
                if hit.issue is None:
                    self.deleted = self.deleted or (issue_id, catalog)
                    continue
                return issue_id, catalog, hit
        return None

    def _find_ids(self, messages: Sequence[str]) -> list[str]:
        return find_issue_ids(
            title=self.pull.title,
            body=self.pull.body,
            branch=self.pull.branch,
            commit_messages=messages,
            known_ids=self.known or None,
            prefix=self.prefix,
        )

    def _held(self, ids: Sequence[str]) -> bool:
        return any(i in self.known for i in ids)

    def _hit(self, catalog: Catalog, issue_id: str) -> Hit | None:
        try:
            return catalog.find(issue_id)
        except SourceFailed as exc:
            self._unreadable(exc)
            self.catalogs.remove(catalog)
            return None

    def _found(self, issue_id: str, catalog: Catalog, hit: Hit) -> IssueLookup:
        others = [i for i in self.ids if i != issue_id]
        return answer(
            issue_id, catalog, hit, catalogs=self.catalogs, others=others, notes=self.notes
        )

    def _reason(self) -> Note:
        if not self.ids:
            return Note("no_id")
        if self.deleted is not None:
            issue_id, catalog = self.deleted
            return Note("deleted", issue_id=issue_id, path=catalog.origin.path)
        return Note(
            "not_found",
            issue_id=self.ids[0],
            ids=tuple(self.ids[: context.MAX_OTHERS]),
            looked=tuple(self.looked),
            dolt=self.dolt,
        )
