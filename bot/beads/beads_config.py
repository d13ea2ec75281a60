"""`.beads/config.yaml`: the few settings that say where a beads project keeps its issues.

Pure: text in, a value out. bd reads this file with viper, which takes a key written flat
(`export.path: x`, the way `bd config set` writes it) and nested (`export:` / `  path: x`) alike;
so does this. beads (`internal/config/config.go`, `yaml_config.go`):

- `export.path`: the JSONL export, relative to `.beads/` (default `issues.jsonl`; `export.jsonl`
  in v0.63 to v1.0.0);
- `sync-branch` (also spelled `sync.branch`): v0.47 to v0.53 kept the JSONL only on that branch;
- `issue-prefix`: the prefix of the project's ids.

A file that cannot be used is a problem to name, never a reason to stop: the defaults apply.
Problems are fixed sentences (no text from the file), safe to show as they are.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

import yaml

PATH = ".beads/config.yaml"
BEADS_DIR = ".beads"


@dataclass(frozen=True, slots=True)
class BeadsConfig:
    export_path: str | None = None  # repository-relative (`.beads/` joined), None: not set
    sync_branch: str | None = None
    issue_prefix: str | None = None
    problem: str | None = None  # why (part of) the file was not used


def parse_beads_config(text: str | None) -> BeadsConfig:
    if text is None or not text.strip():
        return BeadsConfig()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        return BeadsConfig(problem=f"it is not valid YAML{at}")
    if data is None:
        return BeadsConfig()
    if not isinstance(data, dict):
        return BeadsConfig(problem="it is not a mapping of settings")
    problems: list[str] = []
    export = _setting(data, "export.path")
    export_path = None
    if export is not None:
        export_path = export_file(export)
        if export_path is None:
            problems.append("`export.path` does not name a file inside `.beads/`")
    branch = _setting(data, "sync-branch")
    if branch is None:
        branch = _setting(data, "sync.branch")
    sync_branch = _branch(branch)
    if branch is not None and sync_branch is None:
        problems.append("`sync-branch` is not a branch name")
    prefix = _setting(data, "issue-prefix")
    issue_prefix = prefix.strip().rstrip("-") if isinstance(prefix, str) else None
    return BeadsConfig(
        export_path=export_path,
        sync_branch=sync_branch,
        issue_prefix=issue_prefix or None,
        problem="; ".join(problems) or None,
    )


def export_file(value: object) -> str | None:
    """`.beads/<value>`, normalized, when it names a file inside the repository's `.beads/`."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip().replace("\\", "/")
    if raw.startswith("/") or raw.startswith("~"):
        return None
    joined = posixpath.normpath(posixpath.join(BEADS_DIR, raw))
    if not joined.startswith(BEADS_DIR + "/") or joined.endswith("/"):
        return None
    return joined


def _setting(data: dict[Any, Any], key: str) -> Any:
    """A viper key: written flat (`a.b: x`) or nested (`a:` / `  b: x`); flat wins, as in bd."""
    if key in data:
        return data[key]
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _branch(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    name = str(value).strip()
    bad = not name or name.startswith(("-", "/")) or ".." in name or name.endswith((".", "/"))
    if bad or any(c.isspace() or c in "~^:?*[\\" or ord(c) < 32 for c in name):
        return None
    return name.removeprefix("refs/heads/")
