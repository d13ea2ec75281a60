"""A stand-in for beads' `bd` on PATH: a small script the test writes, which logs the arguments
it was called with and prints `bd show --json` in the shape asked for (legacy object, bare
array, envelope, array inside the envelope) or bd's JSON error on stderr with exit status 1.
The shapes follow beads' `cmd/bd/output.go` (`wrapWithSchemaVersion`, `outputJSONError`)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

MODES = ("legacy", "bare-array", "envelope", "envelope-array", "error")
_SCRIPT = """#!{python}
import json, os, sys
with open(os.environ["FAKE_BD_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
issue = json.loads(os.environ["FAKE_BD_ISSUE"])
mode = os.environ["FAKE_BD_MODE"]
if mode == "error":
    wanted = sys.argv[2] if len(sys.argv) > 2 else "?"
    error = {{"schema_version": 1, "error": f"no issue found matching {{wanted!r}}", "code": "not_found"}}
    sys.stderr.write(json.dumps(error, indent=2) + "\\n")
    sys.exit(1)
shapes = {{
    "legacy": {{**issue, "schema_version": 1}},
    "bare-array": [issue],
    "envelope": {{"schema_version": 1, "data": issue}},
    "envelope-array": {{"schema_version": 1, "data": [issue]}},
}}
print(json.dumps(shapes[mode], indent=2))
"""


def tool_path(*extra: Path) -> str:
    """A PATH with `extra` first, then git and python, and no other `bd`."""
    dirs = [str(p) for p in extra]
    for tool in ("git", Path(sys.executable).name):
        dirs.append(str(Path(shutil.which(tool) or sys.executable).parent))
    return os.pathsep.join(dict.fromkeys(dirs))


class FakeBd:
    def __init__(self, folder: Path, issue: dict[str, Any]) -> None:
        self.folder = folder / "bin"
        self.folder.mkdir(parents=True, exist_ok=True)
        script = self.folder / "bd"
        script.write_text(_SCRIPT.format(python=sys.executable))
        script.chmod(0o755)
        self.log = folder / "bd.log"
        self.issue = issue

    def env(self, mode: str) -> dict[str, str]:
        """The environment that puts this bd on PATH, answering in `mode`."""
        assert mode in MODES
        return {
            "PATH": tool_path(self.folder),
            "FAKE_BD_LOG": str(self.log),
            "FAKE_BD_ISSUE": json.dumps(self.issue),
            "FAKE_BD_MODE": mode,
        }

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]
