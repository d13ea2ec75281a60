"""`bd show ID --json`: the beads issue as the user's own `bd` sees it (docs/design.md §8).

bd prints one of these on stdout (beads' `cmd/bd/output.go`, `wrapWithSchemaVersion`):
- legacy: the object with `"schema_version": 1` beside its fields, or a bare array of them;
- `BD_JSON_ENVELOPE=1`: `{"schema_version": 1, "data": <object or array>}`;
and on failure `{"schema_version": 1, "error": "...", "code": "..."}` on stderr with exit
status 1 (or plain text from older versions). `bd show` gives each issue's dependencies as
whole issues with a `dependency_type`; they are turned into beads' JSONL dependency records,
and the record goes through the JSONL reader (bot/beads/jsonl.py) like any other.

`Bd.show` runs the command; everything else here is pure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from bot.beads.issue import BeadsIssue
from bot.beads.jsonl import parse_issues

BD_TIMEOUT = (
    30.0  # seconds; a bd that starts a Dolt server can be slow, a hung one must not hang us
)


@dataclass(frozen=True, slots=True)
class BdAnswer:
    issue: BeadsIssue | None
    problem: str | None = None  # why there is none, in bd's own words where it gave some


class Bd:
    def __init__(self, executable: str, *, cwd: str, timeout: float = BD_TIMEOUT) -> None:
        self.executable = executable
        self.cwd = cwd
        self.timeout = timeout

    @classmethod
    def on_path(cls, *, cwd: str) -> Bd | None:
        found = shutil.which("bd")
        return cls(found, cwd=cwd) if found else None

    def show(self, issue_id: str) -> BdAnswer:
        try:
            done = subprocess.run(
                [self.executable, "show", issue_id, "--json"],
                cwd=self.cwd,
                env=os.environ.copy(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return BdAnswer(None, f"`bd show` did not answer within {self.timeout:g} s")
        except OSError as exc:
            return BdAnswer(None, f"`bd` could not be run: {exc.strerror or exc}")
        stdout = done.stdout.decode("utf-8", errors="replace")
        stderr = done.stderr.decode("utf-8", errors="replace")
        if done.returncode != 0:
            return BdAnswer(None, "`bd show` failed: " + parse_error(stderr, done.returncode))
        return parse_show(stdout, issue_id)


def parse_show(stdout: str, issue_id: str) -> BdAnswer:
    """The issue `issue_id` from `bd show --json` output, in any of bd's shapes."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return BdAnswer(None, "`bd show --json` printed something that is not JSON")
    found = [_jsonl_record(r, issue_id) for r in records(data)]
    if not found:
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, str) and error.strip():
            return BdAnswer(None, f"`bd show` failed: {error.strip()}")
        return BdAnswer(None, f"`bd show {issue_id}` printed no issue")
    issues = parse_issues("\n".join(json.dumps(r) for r in found))
    issue = issues.get(issue_id.strip().lower())
    if issue is None and len(issues) == 1:
        issue = next(iter(issues.values()))  # bd resolved a short or partial id for us
    if issue is None:
        return BdAnswer(None, f"`bd show {issue_id}` printed other issues, not {issue_id}")
    return BdAnswer(issue)


def records(data: Any) -> list[dict[str, Any]]:
    """The issue objects in bd's output: the envelope's `data`, an array, or the legacy object
    (its `schema_version` is bd's, not the issue's)."""
    if isinstance(data, dict) and "data" in data and "schema_version" in data:
        data = data["data"]
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out.append({k: v for k, v in item.items() if k != "schema_version"})
    return out


def parse_error(stderr: str, status: int) -> str:
    """bd's error in one line: the JSON error object's message (and code), else its last line."""
    text = stderr.strip()
    start = text.find("{")
    if start >= 0:
        try:
            obj = json.loads(text[start:])
        except ValueError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("error"), str):
            code = obj.get("code")
            suffix = f" ({code})" if isinstance(code, str) and code else ""
            return _one_line(obj["error"]) + suffix
    lines = [line for line in text.splitlines() if line.strip()]
    return _one_line(lines[-1]) if lines else f"exit status {status}"


def _jsonl_record(record: dict[str, Any], issue_id: str) -> dict[str, Any]:
    """bd show's record as a JSONL line: its dependencies as {issue_id, depends_on_id, type}."""
    deps = record.get("dependencies")
    if isinstance(deps, list):
        own = record.get("id") or issue_id
        converted: list[Any] = []
        for dep in deps:
            if (
                isinstance(dep, dict)
                and "depends_on_id" not in dep
                and isinstance(dep.get("id"), str)
            ):
                kind = dep.get("dependency_type") or dep.get("type") or "blocks"
                converted.append({"issue_id": own, "depends_on_id": dep["id"], "type": kind})
            else:
                converted.append(dep)
        record = {**record, "dependencies": converted}
    return record


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
