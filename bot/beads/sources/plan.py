"""Which beads sources to try for a pull request, in which order (docs/design.md §5, §8).

Pure: settings in, an ordered plan out; bot/beads/sources/lookup.py reads what the plan names.

1. `beads:` in `.github/beadle.yml`: `source: auto | jsonl | dolt | none`, `path:` a JSONL file
   in the repository, `ref:` the branch to read it from;
2. `.beads/config.yaml`: `export.path` (relative to `.beads/`), read on the `sync-branch` first
   when one is set (sync-branch mode kept the JSONL only there), then at the head;
3. the layouts bd has written over the years: `.beads/issues.jsonl`, `.beads/export.jsonl`,
   `.beads/beads.jsonl`;
4. the table dumps in `.beads/backup/`, joined;
5. the Dolt database under `refs/dolt/data`, when no JSONL source has the issue.

`jsonl` stops after 4 (and, with `path:` set, reads only that file); `dolt` reads only 5;
`none` reads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.beads import backup
from bot.beads.beads_config import BeadsConfig

Mode = Literal["auto", "jsonl", "dolt", "none"]
DEFAULT_PATHS = (".beads/issues.jsonl", ".beads/export.jsonl", ".beads/beads.jsonl")


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """The repository's choice (`beads:` in `.github/beadle.yml`)."""

    source: Mode = "auto"
    path: str | None = None
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class FileSource:
    """A JSONL file (or, `kind="backup"`, the backup tables beside `path`) on a branch, or at
    the pull request's head when `branch` is None."""

    path: str
    branch: str | None = None
    kind: Literal["jsonl", "backup"] = "jsonl"

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class Plan:
    files: tuple[FileSource, ...]
    dolt: bool


def plan_sources(settings: SourceSettings, config: BeadsConfig) -> Plan:
    if settings.source == "none":
        return Plan((), dolt=False)
    if settings.source == "dolt":
        return Plan((), dolt=True)
    files: list[FileSource] = []
    if settings.path or settings.ref:
        for path in (settings.path,) if settings.path else DEFAULT_PATHS:
            files.append(FileSource(path, settings.ref))
    if not (settings.source == "jsonl" and settings.path):
        branches = (config.sync_branch, None) if config.sync_branch else (None,)
        paths = ((config.export_path,) if config.export_path else ()) + DEFAULT_PATHS
        files += [FileSource(path, branch) for branch in branches for path in paths]
        files.append(FileSource(f"{backup.DIR}/{backup.ISSUES}", None, "backup"))
    return Plan(tuple(dict.fromkeys(files)), dolt=settings.source == "auto")
